/**
 * Supabase's limit on one log message (a longer one is cut): a write of joined lines stays under it.
 * https://supabase.com/docs/guides/functions/limits
 */
export const MAX_LOG_MESSAGE_CHARS = 10_000;

/**
 * How long a line may wait for others before the sink writes. Hosted functions allow about 100 log events per
 * 10 seconds; at one write per 100 ms a busy refresh run stays within that, where a write per event-loop turn
 * (one per refreshed connection under load) did not.
 */
export const LOG_FLUSH_INTERVAL_MS = 100;

export interface BatchedSinkOptions {
  /** Characters one write may hold (joined with newlines); a single longer line goes alone. */
  maxChars?: number;
  /** How long the first waiting line waits; 0 writes at the end of the current turn of the event loop. */
  intervalMs?: number;
}

/**
 * A log sink that writes lines together: one `write` (one syscall for console.log, one log event on the
 * platform) for the lines of `intervalMs` instead of one per line. A refresh run logs a line per refreshed
 * connection: written alone, that was about 8% of the run's CPU. A write holds at most `maxChars` characters,
 * so the platform never cuts one. Lines keep their order; a crash loses at most the lines of the last
 * `intervalMs`. Call `flush` where the host may end the process or a caller expects the lines (after each
 * response, when a run settles).
 */
export function batchedSink(
  write: (text: string) => void,
  { maxChars = MAX_LOG_MESSAGE_CHARS, intervalMs = LOG_FLUSH_INTERVAL_MS }: BatchedSinkOptions = {},
): ((line: string) => void) & { flush: () => void } {
  let lines: string[] = [];
  let chars = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = () => {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    if (lines.length === 0) return;
    const text = lines.join("\n");
    lines = [];
    chars = 0;
    write(text);
  };
  const sink = (line: string) => {
    // The joined length: the lines so far, a newline each between them, and this one.
    if (lines.length > 0 && chars + lines.length + line.length > maxChars) flush();
    lines.push(line);
    chars += line.length;
    if (timer === null) {
      timer = setTimeout(flush, intervalMs);
      // A waiting line never keeps a process alive on its own (Node, tests); Deno has no unref on this id.
      (timer as unknown as { unref?: () => void }).unref?.();
    }
  };
  return Object.assign(sink, { flush });
}
