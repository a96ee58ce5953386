/**
 * CPU profiles of a function process through its V8 inspector (the stack started with STACK_INSPECT=1, see
 * scripts/stack/gateway.ts): Profiler.start, the work, Profiler.stop. The summary ranks functions and files
 * by self time; the raw profile (.cpuprofile) opens in Chrome DevTools.
 */
import { writeFileSync } from "node:fs";
import WebSocket from "ws";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

async function connect(host: string, port: number): Promise<WebSocket> {
  const targets = (await (await fetch(`http://${host}:${port}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
  const ws = new WebSocket(targets[0]!.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  return ws;
}

function session(ws: WebSocket) {
  let next = 1;
  const waiting = new Map<number, (v: any) => void>();
  ws.on("message", (data) => {
    const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: unknown };
    if (msg.id !== undefined) waiting.get(msg.id)?.(msg);
  });
  return (method: string, params: Record<string, unknown> = {}) =>
    new Promise<any>((resolve, reject) => {
      const id = next++;
      waiting.set(id, (msg) => (msg.error ? reject(new Error(`${method}: ${JSON.stringify(msg.error)}`)) : resolve(msg.result)));
      ws.send(JSON.stringify({ id, method, params }));
    });
}

/** Profiles the process whose inspector listens on `port` while `work` runs. */
export async function profileDuring<T>(host: string, port: number, work: () => Promise<T>): Promise<{ result: T; profile: CpuProfile }> {
  const ws = await connect(host, port);
  const send = session(ws);
  try {
    await send("Profiler.enable");
    await send("Profiler.setSamplingInterval", { interval: 200 });
    await send("Profiler.start");
    const result = await work();
    const { profile } = (await send("Profiler.stop")) as { profile: CpuProfile };
    return { result, profile };
  } finally {
    ws.close();
  }
}

/** Deno.memoryUsage() of the process whose inspector listens on `port` (heap vs. the rest of its RSS). */
export async function memoryUsage(host: string, port: number): Promise<Record<string, number>> {
  const ws = await connect(host, port);
  const send = session(ws);
  try {
    const r = await send("Runtime.evaluate", { expression: "JSON.stringify(Deno.memoryUsage())", returnByValue: true });
    const mb = JSON.parse(r.result.value as string) as Record<string, number>;
    return Object.fromEntries(Object.entries(mb).map(([k, v]) => [`${k}_mb`, Math.round(v / 1e5) / 10]));
  } finally {
    ws.close();
  }
}

/** Takes a heap snapshot of the process whose inspector listens on `port`; returns its size in bytes. */
export async function heapSnapshot(host: string, port: number, file: string): Promise<number> {
  const ws = await connect(host, port);
  const chunks: string[] = [];
  ws.on("message", (data) => {
    const msg = JSON.parse(String(data)) as { method?: string; params?: { chunk: string } };
    if (msg.method === "HeapProfiler.addHeapSnapshotChunk") chunks.push(msg.params!.chunk);
  });
  const send = session(ws);
  try {
    await send("HeapProfiler.enable");
    await send("HeapProfiler.collectGarbage");
    await send("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
    const text = chunks.join("");
    writeFileSync(file, text);
    return text.length;
  } finally {
    ws.close();
  }
}

const shortUrl = (url: string) => url.replace(/^.*\/node_modules\/(?:\.deno\/)?/, "npm:").replace(/^file:\/\/.*?\/(packages|supabase)\//, "$1/").replace(/^ext:/, "ext:");

/** Self time by function and by file, largest first, as shares of the sampled time. */
export function summarize(profile: CpuProfile, top = 15) {
  const byNode = new Map<number, ProfileNode>(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let total = 0;
  for (let i = 0; i < samples.length; i++) {
    const d = deltas[i] ?? 0;
    self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + d);
    total += d;
  }
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  let idle = 0;
  for (const [id, us] of self) {
    const n = byNode.get(id)!;
    const name = n.callFrame.functionName || "(anonymous)";
    if (name === "(idle)") {
      idle += us;
      continue;
    }
    const where = n.callFrame.url ? `${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}` : "";
    const key = where ? `${name} ${where}` : name;
    fn.set(key, (fn.get(key) ?? 0) + us);
    const f = n.callFrame.url ? shortUrl(n.callFrame.url).replace(/\/[^/]*$/, (m) => (m.length > 40 ? m.slice(0, 40) : m)) : name;
    file.set(f, (file.get(f) ?? 0) + us);
  }
  const busy = total - idle;
  const rank = (m: Map<string, number>) =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, us]) => ({ item: k, self_ms: Math.round(us / 1000), pct_of_busy: Math.round((us / Math.max(1, busy)) * 1000) / 10 }));
  return { sampled_ms: Math.round(total / 1000), busy_ms: Math.round(busy / 1000), functions: rank(fn), files: rank(file) };
}
