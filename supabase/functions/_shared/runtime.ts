// Deno-side wiring shared by the functions: the platform environment and what the host runtime offers beyond
// Web APIs. Everything else comes from packages/shared, which is runtime-agnostic.
import { createRuntime as createSharedRuntime, type HostHooks, type Runtime } from "@shared/routes/runtime.ts";

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
const cpuClock = cpuUsage && (() => {
  const u = cpuUsage();
  return (u.user + u.system) / 1000;
});

const host: HostHooks = { ...(waitUntil ? { waitUntil } : {}), ...(cpuClock ? { cpuClock } : {}) };

export function createRuntime(fn: string): Runtime {
  return createSharedRuntime(fn, Deno.env.toObject(), host);
}
