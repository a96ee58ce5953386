import { expect, it } from "vitest";
import { equalBytes } from "./constant-time-equal.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

it("compares byte arrays in full", () => {
  expect(equalBytes(bytes("same-mac"), bytes("same-mac"))).toBe(true);
  expect(equalBytes(bytes("same-mac"), bytes("same-maz"))).toBe(false);
  expect(equalBytes(bytes("xame-mac"), bytes("same-mac"))).toBe(false);
  expect(equalBytes(bytes("short"), bytes("a much longer value"))).toBe(false);
  expect(equalBytes(new Uint8Array(0), new Uint8Array(0))).toBe(true);
});
