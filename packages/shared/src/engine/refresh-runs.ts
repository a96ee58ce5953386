import type { Sql } from "../db/create-sql.ts";
import { textArray } from "../db/text-array.ts";

/** Why a run stopped claiming (public.refresh_runs.stopped_by). */
export type StopReason = "drained" | "time_budget" | "cpu_budget" | "error";

/** Who started a run: the schedule (answered at once, nobody waits) or a caller waiting for the summary. */
export type RunTrigger = "schedule" | "request";

/** Writes the run's row when it starts, so a run the platform kills still leaves a trace (finished_at null). */
export async function recordRunStarted(
  sql: Sql, run: { id: string; trigger: RunTrigger; partition: number; partitions: number },
): Promise<void> {
  await sql`insert into public.refresh_runs (id, trigger, partition, partitions)
    values (${run.id}, ${run.trigger}, ${run.partition}, ${run.partitions})`;
}

/** A run's counts as the row keeps them (the contract's summary, `claimed` … `cpu_ms`, and why it stopped). */
export interface FinishedRun {
  claimed: number;
  refreshed: number;
  validated: number;
  failed: number;
  needs_reauth: number;
  skipped: number;
  duration_ms: number;
  /** CPU time spent while the run lasted, as the host's cpuClock measures it (0 without one). */
  cpu_ms: number;
  stopped_by: StopReason;
  paused_providers: string[];
  broken_providers: string[];
  error_code?: string;
}

/** Completes the run's row with its summary. */
export async function recordRunFinished(sql: Sql, id: string, s: FinishedRun): Promise<void> {
  await sql`update public.refresh_runs set
      finished_at = now(), claimed = ${s.claimed}, refreshed = ${s.refreshed}, validated = ${s.validated},
      failed = ${s.failed}, needs_reauth = ${s.needs_reauth}, skipped = ${s.skipped},
      duration_ms = ${Math.round(s.duration_ms)}, cpu_ms = ${Math.round(s.cpu_ms)}, stopped_by = ${s.stopped_by},
      paused_providers = ${textArray(sql, s.paused_providers)}, broken_providers = ${textArray(sql, s.broken_providers)},
      error_code = ${s.error_code ?? null}
    where id = ${id}`;
}
