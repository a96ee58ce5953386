import { describe, expect, it } from "vitest";
import { backoffDelay, DEFAULT_BACKOFF } from "./backoff-delay.ts";

const opts = { baseMs: 1000, capMs: 60_000 };

describe("backoffDelay", () => {
  it("draws uniformly below min(cap, base * 2^attempt)", () => {
    expect(backoffDelay(0, opts, () => 0.999999)).toBe(999);
    expect(backoffDelay(3, opts, () => 0.5)).toBe(4000);
    expect(backoffDelay(3, opts, () => 0)).toBe(0);
    expect(backoffDelay(10, opts, () => 0.5)).toBe(30_000);
    expect(backoffDelay(10_000, opts, () => 0.5)).toBe(30_000);
  });

  it("stays within [0, ceiling) for random draws", () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const ceiling = Math.min(opts.capMs, opts.baseMs * 2 ** attempt);
      for (let i = 0; i < 50; i++) {
        const delay = backoffDelay(attempt, opts);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(ceiling);
      }
    }
  });

  it("uses the default base and cap", () => {
    expect(backoffDelay(2, undefined, () => 0.5)).toBe(2000);
    expect(backoffDelay(40, DEFAULT_BACKOFF, () => 0.5)).toBe(450_000);
  });

  it.each([[-1], [1.5], [Number.NaN]])("rejects attempt %j", (attempt) => {
    expect(() => backoffDelay(attempt, opts)).toThrow('"attempt" must be a non-negative integer');
  });

  it("rejects bad options, naming the field", () => {
    expect(() => backoffDelay(0, { baseMs: -1, capMs: 10 })).toThrow('"baseMs"');
    expect(() => backoffDelay(0, { baseMs: 1, capMs: Number.POSITIVE_INFINITY })).toThrow('"capMs"');
  });
});
