/**
 * Supabase's limit on one log message (a longer one is cut): a write of joined lines stays under it.
 * https://supabase.com/docs/guides/functions/limits
 */
export const MAX_LOG_MESSAGE_CHARS = 10_000;

/**
 * A log sink that writes the lines of one turn of the event loop together: one `write` (one syscall for
 * console.log, one log event on the platform) per turn instead of one per line. A refresh run logs a line per
 * refreshed connection: written alone, that was about 8% of the run's CPU, and hosted functions keep only
 * about 100 log events per 10 seconds. A write holds at most `maxChars` characters, so the platform never cuts
 * one (a single longer line goes alone). Lines keep their order; a crash loses at most the lines of the current
 * turn (call `flush` before a point the host may end the process at).
 */
export function batchedSink(
  write: (text: string) => void,
  maxChars = MAX_LOG_MESSAGE_CHARS,
): ((line: string) => void) & { flush: () => void } {
  let lines: string[] = [];
  let chars = 0;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
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
    if (!scheduled) {
      scheduled = true;
      setTimeout(flush, 0);
    }
  };
  return Object.assign(sink, { flush });
}
