/**
 * A log sink that writes the lines of one turn of the event loop together: one `write` (one syscall for
 * console.log) per turn instead of one per line. A refresh run logs a line per refreshed connection, and
 * writing each alone was about 8% of the run's CPU. Lines keep their order; a crash loses at most the lines
 * of the current turn (call `flush` before a point the host may end the process at). `maxLines` bounds what
 * waits.
 */
export function batchedSink(write: (text: string) => void, maxLines = 256): ((line: string) => void) & { flush: () => void } {
  let lines: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (lines.length === 0) return;
    const text = lines.join("\n");
    lines = [];
    write(text);
  };
  const sink = (line: string) => {
    lines.push(line);
    if (lines.length >= maxLines) return flush();
    if (!scheduled) {
      scheduled = true;
      setTimeout(flush, 0);
    }
  };
  return Object.assign(sink, { flush });
}
