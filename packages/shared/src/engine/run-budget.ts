import type { StopReason } from "./refresh-runs.ts";

/** Rows a run finishes before its own average CPU per row is trusted. */
export const WARM_ROWS = 16;

export interface RunBudgetOptions {
  /** Epoch ms after which no batch is claimed and no row started. */
  claimUntil: number;
  /** CPU ms the run may spend (checked before each claim and each row). */
  cpuBudgetMs: number;
  /** CPU ms used so far by what the host can measure; without it only the wall clock counts. */
  cpuClock?: (() => number) | undefined;
  now?: () => number;
  /** CPU a row is assumed to cost until the run has finished one (ms). */
  initialCpuPerRowMs?: number;
}

/**
 * When a run stops: at its wall-clock limit, or before its CPU budget. Work in progress still costs CPU
 * after a check passes, so the check counts the rows ahead of it (in flight, queued, or about to be
 * claimed) at the run's own average CPU per row so far: a row is started, or a batch claimed, only while
 * `spent + rowsAhead × average < budget`. Once reached, the run stays stopped (no flapping as the average moves).
 */
export class RunBudget {
  readonly #opts: RunBudgetOptions;
  readonly #now: () => number;
  readonly #cpuStart: number;
  #rowsDone = 0;
  #stopped: StopReason | null = null;

  constructor(opts: RunBudgetOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    this.#cpuStart = opts.cpuClock?.() ?? 0;
  }

  /** CPU ms spent since the run started (0 without a CPU clock). */
  cpuSpent(): number {
    return this.#opts.cpuClock ? this.#opts.cpuClock() - this.#cpuStart : 0;
  }

  /**
   * Average CPU ms per finished row. Until {@link WARM_ROWS} rows are done the initial assumption is used: the
   * first rows' average carries the run's fixed costs (connecting, importing keys) and the CPU of the rows
   * still in flight, and would stop a run that has barely begun.
   */
  cpuPerRow(): number {
    return this.#rowsDone >= WARM_ROWS ? this.cpuSpent() / this.#rowsDone : (this.#opts.initialCpuPerRowMs ?? 2);
  }

  rowDone(): void {
    this.#rowsDone += 1;
  }

  /** Why the run must stop, given `rowsAhead` rows that will still cost CPU, or null to go on. */
  reached(rowsAhead: number): StopReason | null {
    if (this.#stopped) return this.#stopped;
    if (this.#now() > this.#opts.claimUntil) return (this.#stopped = "time_budget");
    if (this.#opts.cpuClock && this.cpuSpent() + rowsAhead * this.cpuPerRow() >= this.#opts.cpuBudgetMs) {
      return (this.#stopped = "cpu_budget");
    }
    return null;
  }

  /**
   * How many more rows fit in the CPU budget besides the `rowsAhead` already under way, at the run's
   * average cost (Infinity without a CPU clock). A claim asks for no more than this, so that the run does
   * not hold rows it will have to hand back, and the budget is not kept in reserve for them.
   */
  rowsAffordable(rowsAhead: number): number {
    if (!this.#opts.cpuClock) return Infinity;
    return Math.max(0, Math.floor((this.#opts.cpuBudgetMs - this.cpuSpent()) / this.cpuPerRow()) - rowsAhead);
  }

  /** Stops the run for `reason` unless it already stopped. */
  stop(reason: StopReason): void {
    this.#stopped ??= reason;
  }

  get stopped(): StopReason | null {
    return this.#stopped;
  }
}
