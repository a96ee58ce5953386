import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY_SCHEDULE_MS, nextRetryAt, parseRetrySchedule } from "./retry-schedule.ts";

describe("retry schedule", () => {
  it("retries for more than 24 hours even with the shortest jitter", () => {
    let t = 0;
    for (let attempt = 1; ; attempt++) {
      const next = nextRetryAt(attempt, DEFAULT_RETRY_SCHEDULE_MS, t, () => 0);
      if (!next) break;
      t = next.getTime();
    }
    expect(t).toBeGreaterThan(24 * 3_600_000);
    expect(DEFAULT_RETRY_SCHEDULE_MS.slice(0, 4)).toEqual([5_000, 30_000, 120_000, 600_000]);
  });

  it("grows exponentially at first and jitters within ±10 %", () => {
    for (let i = 1; i < 7; i++) expect(DEFAULT_RETRY_SCHEDULE_MS[i]!).toBeGreaterThan(DEFAULT_RETRY_SCHEDULE_MS[i - 1]!);
    expect(nextRetryAt(1, [1000], 0, () => 0)!.getTime()).toBe(900);
    expect(nextRetryAt(1, [1000], 0, () => 1)!.getTime()).toBe(1100);
    expect(nextRetryAt(2, [1000], 0)).toBeNull();
  });

  it("reads WEBHOOK_RETRY_SCHEDULE_MS and refuses anything else", () => {
    expect(parseRetrySchedule(undefined)).toBe(DEFAULT_RETRY_SCHEDULE_MS);
    expect(parseRetrySchedule("")).toBe(DEFAULT_RETRY_SCHEDULE_MS);
    expect(parseRetrySchedule("200, 300")).toEqual([200, 300]);
    for (const bad of ["0", "-1", "1e3", "a", "1,,2", "999999999", Array(51).fill("1").join(",")]) {
      expect(() => parseRetrySchedule(bad)).toThrow(/WEBHOOK_RETRY_SCHEDULE_MS/);
    }
  });
});
