/** Small formatting helpers for the demo's log: times, durations, and tokens shown by their last 4 characters. */

export const clock = (d: Date = new Date()) => d.toTimeString().slice(0, 8);

export function inSeconds(target: Date, now = Date.now()): string {
  const s = Math.round((target.getTime() - now) / 1000);
  if (s < 0) return `${-s}s ago`;
  return s >= 60 ? `in ${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s` : `in ${s}s`;
}

/** Never the whole token: `…a1b2`. */
export const tail4 = (token: string) => `…${token.slice(-4)}`;

export function line(tag: string, text: string): string {
  return `${clock()}  ${tag.padEnd(10)} ${text}`;
}
