import { describe, expect, it } from "vitest";
import { MAX_RETRY_AFTER_MS, parseRetryAfter, retryAfterSecondsToMs } from "./retry-after.ts";

const NOW = new Date("2026-11-23T12:00:00.000Z");

describe("parseRetryAfter", () => {
  it.each([
    ["120", 120_000],
    ["0", 0],
    [" 5 ", 5_000],
    ["2.0", 2_000],
    ["0.25", 250],
  ])("reads delay-seconds %j", (value, ms) => {
    expect(parseRetryAfter(value, NOW)).toBe(ms);
  });

  it.each([
    ["Mon, 23 Nov 2026 12:01:30 GMT", 90_000],
    ["Monday, 23-Nov-26 12:00:10 GMT", 10_000],
  ])("reads HTTP-date %j", (value, ms) => {
    expect(parseRetryAfter(value, NOW)).toBe(ms);
  });

  it("returns 0 for a date in the past", () => {
    expect(parseRetryAfter("Mon, 23 Nov 2026 11:00:00 GMT", NOW)).toBe(0);
  });

  it("clamps absurd hints", () => {
    expect(parseRetryAfter("99999999", NOW)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter("Fri, 01 Jan 2100 00:00:00 GMT", NOW)).toBe(MAX_RETRY_AFTER_MS);
  });

  it.each([[null], [undefined], [""], ["-5"], ["soon"], ["12abc"], ["1e3"]])("ignores %j", (value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });
});

describe("retryAfterSecondsToMs", () => {
  it("reads Discord's float seconds", () => {
    expect(retryAfterSecondsToMs(64.57)).toBe(64_570);
    expect(retryAfterSecondsToMs("1.5")).toBe(1500);
    expect(retryAfterSecondsToMs(-1)).toBeUndefined();
    expect(retryAfterSecondsToMs("x")).toBeUndefined();
    expect(retryAfterSecondsToMs(undefined)).toBeUndefined();
  });
});
