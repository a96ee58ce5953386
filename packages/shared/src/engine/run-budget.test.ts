import { describe, expect, it } from "vitest";
import { RunBudget, WARM_ROWS } from "./run-budget.ts";

function clocks() {
  const c = { wall: 1_000, cpu: 500 };
  return { c, now: () => c.wall, cpuClock: () => c.cpu };
}

describe("RunBudget", () => {
  it("measures CPU from the run's start, not the process's", () => {
    const { c, now, cpuClock } = clocks();
    const b = new RunBudget({ claimUntil: 10_000, cpuBudgetMs: 1_500, cpuClock, now });
    c.cpu += 120;
    expect(b.cpuSpent()).toBe(120);
  });

  it("stops at the wall-clock limit, and stays stopped", () => {
    const { c, now, cpuClock } = clocks();
    const b = new RunBudget({ claimUntil: 2_000, cpuBudgetMs: 1_500, cpuClock, now });
    expect(b.reached(0)).toBeNull();
    c.wall = 2_001;
    expect(b.reached(0)).toBe("time_budget");
    c.wall = 1_500;
    expect(b.reached(0)).toBe("time_budget");
  });

  it("stops before the CPU budget, counting the rows still ahead at the initial cost until warm", () => {
    const { c, now, cpuClock } = clocks();
    const b = new RunBudget({ claimUntil: 1e12, cpuBudgetMs: 1_000, cpuClock, now, initialCpuPerRowMs: 2 });
    c.cpu += 700;
    // 700 + 100 rows × 2 ms = 900: go on; 700 + 150 × 2 = 1000: stop.
    expect(b.reached(100)).toBeNull();
    expect(b.reached(150)).toBe("cpu_budget");
    expect(b.reached(0)).toBe("cpu_budget");
  });

  it("uses the run's own average once warm, so costly rows stop it sooner", () => {
    const { c, now, cpuClock } = clocks();
    const b = new RunBudget({ claimUntil: 1e12, cpuBudgetMs: 1_500, cpuClock, now, initialCpuPerRowMs: 1 });
    for (let i = 0; i < WARM_ROWS; i++) {
      c.cpu += 10;
      b.rowDone();
    }
    expect(b.cpuPerRow()).toBe(10);
    // 160 spent + 100 rows × 10 = 1160 < 1500; + 134 rows = 1500.
    expect(b.reached(100)).toBeNull();
    expect(b.reached(134)).toBe("cpu_budget");
  });

  it("ignores a cold start's fixed cost until enough rows are done", () => {
    const { c, now, cpuClock } = clocks();
    const b = new RunBudget({ claimUntil: 1e12, cpuBudgetMs: 1_500, cpuClock, now, initialCpuPerRowMs: 2 });
    c.cpu += 300; // connecting, importing keys
    b.rowDone();
    // A naive average (300 ms a row) would stop here; the initial assumption does not.
    expect(b.reached(148)).toBeNull();
  });

  it("says how many more rows fit, so a claim near the budget asks for no more", () => {
    const { c, now, cpuClock } = clocks();
    const b = new RunBudget({ claimUntil: 1e12, cpuBudgetMs: 1_000, cpuClock, now, initialCpuPerRowMs: 2 });
    expect(b.rowsAffordable(0)).toBe(500);
    c.cpu += 900;
    expect(b.rowsAffordable(10)).toBe(40);
    expect(b.rowsAffordable(60)).toBe(0);
    expect(new RunBudget({ claimUntil: 1e12, cpuBudgetMs: 1, now }).rowsAffordable(1e6)).toBe(Infinity);
  });

  it("without a CPU clock only the wall clock counts and cpu_ms is 0", () => {
    const { c, now } = clocks();
    const b = new RunBudget({ claimUntil: 5_000, cpuBudgetMs: 1, now });
    expect(b.reached(1_000_000)).toBeNull();
    expect(b.cpuSpent()).toBe(0);
    c.wall = 6_000;
    expect(b.reached(0)).toBe("time_budget");
  });

  it("an explicit stop keeps the first reason", () => {
    const { now, cpuClock } = clocks();
    const b = new RunBudget({ claimUntil: 1e12, cpuBudgetMs: 1_500, cpuClock, now });
    b.stop("time_budget");
    b.stop("cpu_budget");
    expect(b.stopped).toBe("time_budget");
    expect(b.reached(0)).toBe("time_budget");
  });
});
