/** Progress of long work: a bar on a terminal (cli-progress), plain lines otherwise (logs, CI, pipes). */
import cliProgress from "cli-progress";

export interface Progress {
  update(done: number, total: number, note?: string): void;
  stop(): void;
}

export function createProgress(label: string, stream: NodeJS.WriteStream = process.stderr, quiet = false): Progress {
  if (quiet) return { update() {}, stop() {} };
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {percentage}% | {value}/{total} | {rate} rows/s {note}`, stream, hideCursor: true, clearOnComplete: false },
      cliProgress.Presets.shades_classic,
    );
    const started = Date.now();
    let begun = false;
    return {
      update(done, total, note = "") {
        const rate = Math.round(done / Math.max(0.001, (Date.now() - started) / 1000));
        if (!begun) { bar.start(total, done, { rate, note }); begun = true; }
        bar.setTotal(total);
        bar.update(done, { rate, note });
      },
      stop() { if (begun) bar.stop(); },
    };
  }
  // Plain lines: at most one every second (and the last), so a log stays readable.
  let last = 0;
  let lastLine = "";
  return {
    update(done, total, note = "") {
      const line = `${label}: ${done}/${total}${note ? ` ${note}` : ""}`;
      lastLine = line;
      if (Date.now() - last >= 1000 || done === total) {
        stream.write(`${line}\n`);
        last = Date.now();
        lastLine = "";
      }
    },
    stop() { if (lastLine) stream.write(`${lastLine}\n`); },
  };
}
