// Deno-side wiring shared by the functions: the platform environment and what the host runtime offers beyond
// Web APIs. Everything else comes from packages/shared, which is runtime-agnostic.
import { createRuntime as createSharedRuntime, type HostHooks, type Runtime } from "@shared/routes/runtime.ts";
import { nodeAesGcm } from "./node-aes-gcm.ts";

// Supabase's edge runtime ends a worker's work with its response unless told otherwise (EdgeRuntime.waitUntil);
// plain Deno (the local stack) keeps running anyway.
const edgeRuntime = (globalThis as { EdgeRuntime?: { waitUntil?: (work: Promise<unknown>) => void } }).EdgeRuntime;
const waitUntil = typeof edgeRuntime?.waitUntil === "function" ? (work: Promise<unknown>) => edgeRuntime.waitUntil!(work) : undefined;

type CpuUsage = () => { user: number; system: number };
// CPU time (user + system, in µs) of this whole process: Deno.cpuUsage() where it exists, else the Node
// compatibility layer's process.cpuUsage(). Neither can tell one request's CPU from another's.
const cpuUsage: CpuUsage | undefined =
  (Deno as unknown as { cpuUsage?: CpuUsage }).cpuUsage?.bind(Deno) ??
  (globalThis as unknown as { process?: { cpuUsage?: CpuUsage } }).process?.cpuUsage;
// Read at most once every 10 ms of wall clock: the run's budget checks it several times a row, and each read is
// a getrusage call over all the runtime's threads (3% of a run's CPU when read once a millisecond); 10 ms of
// lag is nothing against the 500 ms between the run's CPU budget and the platform's limit.
let cpuReadAt = -Infinity;
let cpuMs = 0;
const cpuClock = cpuUsage && (() => {
  const t = performance.now();
  if (t - cpuReadAt >= 10) {
    cpuReadAt = t;
    const u = cpuUsage();
    cpuMs = (u.user + u.system) / 1000;
  }
  return cpuMs;
});

const host: HostHooks = { ...(waitUntil ? { waitUntil } : {}), ...(cpuClock ? { cpuClock } : {}), aesGcm: nodeAesGcm };

export function createRuntime(fn: string): Runtime {
  return createSharedRuntime(fn, Deno.env.toObject(), host);
}
