import type { Sql } from "../db/create-sql.ts";

/**
 * Counts get-token reads per connection in memory and writes them in one upsert per connection every
 * `flushMs` (public.record_token_access: one row per connection per hour). The hot path stays one read;
 * a crash loses at most one interval of counts, which are statistics, not state.
 */
export function createAccessCounter(sql: () => Sql, flushMs = 10_000) {
  let pending = new Map<string, number>();
  let timer: ReturnType<typeof setInterval> | null = null;

  async function flush(): Promise<void> {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    for (const [id, reads] of batch) {
      await sql()`select public.record_token_access(${id}, ${reads})`.catch(() => {});
    }
  }

  return {
    count(connectionId: string): void {
      pending.set(connectionId, (pending.get(connectionId) ?? 0) + 1);
      if (!timer) {
        timer = setInterval(() => void flush(), flushMs);
        const t = timer as unknown as { unref?: () => void };
        t.unref?.();
      }
    },
    flush,
  };
}
