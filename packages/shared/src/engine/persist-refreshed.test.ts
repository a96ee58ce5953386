import { describe, expect, it } from "vitest";
import { DEFAULT_SAVE_POLICY, persistRefreshed, type SavePolicy } from "./persist-refreshed.ts";

/** A policy on a fake clock: sleeping advances time, nothing waits for real. */
function fakePolicy(overrides: Partial<SavePolicy> = {}) {
  let now = 1_000;
  const sleeps: number[] = [];
  const policy: SavePolicy = {
    ...DEFAULT_SAVE_POLICY,
    clock: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    random: () => 1,
    ...overrides,
  };
  return { policy, sleeps, advance: (ms: number) => (now += ms), now: () => now };
}

const refuse = () => Promise.reject(new Error("refused"));

describe("persistRefreshed", () => {
  it("saves at once when the database accepts", async () => {
    const { policy, sleeps } = fakePolicy();
    const r = await persistRefreshed({ save: async () => true, park: refuse }, Infinity, policy);
    expect(r).toEqual({ persisted: "saved", attempts: 1, elapsedMs: 0 });
    expect(sleeps).toEqual([]);
  });

  it("retries a refused save with growing delays and saves on the third attempt, never parking", async () => {
    const { policy, sleeps } = fakePolicy({ attemptsBeforePark: 5 });
    let calls = 0;
    let parks = 0;
    const r = await persistRefreshed({ save: async () => ++calls >= 3 || Promise.reject(new Error("no")), park: async () => (parks++, true) }, Infinity, policy);
    expect(r.persisted).toBe("saved");
    expect(calls).toBe(3);
    expect(parks).toBe(0);
    expect(sleeps).toEqual([50, 100]);
  });

  it("parks after attemptsBeforePark refused saves", async () => {
    const { policy } = fakePolicy({ attemptsBeforePark: 3 });
    const refused: string[] = [];
    const r = await persistRefreshed({ save: refuse, park: async () => true, onRefused: (step, n) => refused.push(`${step}${n}`) }, Infinity, policy);
    expect(r.persisted).toBe("parked");
    expect(refused).toEqual(["save1", "save2", "save3"]);
    expect(r.attempts).toBe(4);
  });

  it("keeps alternating save and park while both are refused, then saves", async () => {
    const { policy } = fakePolicy({ attemptsBeforePark: 1 });
    let saves = 0;
    const r = await persistRefreshed({ save: async () => ++saves >= 4 || Promise.reject(new Error("x")), park: refuse }, Infinity, policy);
    expect(r).toMatchObject({ persisted: "saved", attempts: 7 });
  });

  it("reports superseded when the save or the park answers no", async () => {
    const { policy } = fakePolicy();
    expect((await persistRefreshed({ save: async () => false, park: refuse }, Infinity, policy)).persisted).toBe("superseded");
    expect((await persistRefreshed({ save: refuse, park: async () => false }, Infinity, policy)).persisted).toBe("superseded");
  });

  it("gives up at the deadline (inside the lease) and says lost", async () => {
    const { policy, now } = fakePolicy({ maxDelayMs: 400 });
    const deadline = now() + 1_000;
    const r = await persistRefreshed({ save: refuse, park: refuse }, deadline, policy);
    expect(r.persisted).toBe("lost");
    expect(now()).toBeLessThanOrEqual(deadline);
    expect(r.elapsedMs).toBeLessThanOrEqual(1_000);
    expect(r.attempts).toBeGreaterThan(4);
  });

  it("is bounded by its own budget when the deadline is later", async () => {
    const { policy, now } = fakePolicy({ budgetMs: 3_000 });
    const start = now();
    expect((await persistRefreshed({ save: refuse, park: refuse }, Infinity, policy)).persisted).toBe("lost");
    expect(now() - start).toBeLessThanOrEqual(3_000);
  });

  it("jitters each delay within its upper half", async () => {
    const { policy, sleeps } = fakePolicy({ random: () => 0, attemptsBeforePark: 99 });
    let n = 0;
    await persistRefreshed({ save: async () => ++n > 3 || Promise.reject(new Error("x")), park: refuse }, Infinity, policy);
    expect(sleeps).toEqual([25, 50, 100]);
  });
});
