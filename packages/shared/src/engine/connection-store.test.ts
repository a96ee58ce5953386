import { describe, expect, it } from "vitest";
import { auditDurationMs } from "./connection-store.ts";

describe("the save's audit duration", () => {
  it("is always a value the integer parameter accepts, so it can never fail the save", () => {
    expect(auditDurationMs(120)).toBe(120);
    expect(auditDurationMs(12.6)).toBe(13);
    expect(auditDurationMs(-3)).toBe(0);
    expect(auditDurationMs(1e12)).toBe(2_147_483_647);
    expect(auditDurationMs(Number.NaN)).toBeNull();
    expect(auditDurationMs(Number.POSITIVE_INFINITY)).toBeNull();
    expect(auditDurationMs(null)).toBeNull();
    expect(auditDurationMs(undefined)).toBeNull();
  });
});
