import type { Sql } from "../db/create-sql.ts";
import type { TokenAccess } from "./get-token.ts";

interface Counts {
  reads: number;
  serviceReads: number;
  refused: number;
}

/**
 * Counts get-token calls per connection in memory (tokens served, those served to the service role, calls
 * refused) and writes them in one upsert per connection every `flushMs` (provider_tokens.record_token_access: one row
 * per connection per hour). The hot path stays one read; a crash loses at most one interval of counts, which
 * are statistics, not state.
 */
export function createAccessCounter(sql: () => Sql, flushMs = 10_000) {
  let pending = new Map<string, Counts>();
  let timer: ReturnType<typeof setInterval> | null = null;

  async function flush(): Promise<void> {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    for (const [id, c] of batch) {
      await sql()`select provider_tokens.record_token_access(${id}::uuid, ${c.reads}::integer, ${c.serviceReads}::integer, ${c.refused}::integer)`.catch(() => {});
    }
  }

  return {
    count(access: TokenAccess): void {
      let c = pending.get(access.connectionId);
      if (!c) pending.set(access.connectionId, (c = { reads: 0, serviceReads: 0, refused: 0 }));
      if (access.outcome === "refused") c.refused += 1;
      else {
        c.reads += 1;
        if (access.by === "service") c.serviceReads += 1;
      }
      if (!timer) {
        timer = setInterval(() => void flush(), flushMs);
        const t = timer as unknown as { unref?: () => void };
        t.unref?.();
      }
    },
    flush,
  };
}
