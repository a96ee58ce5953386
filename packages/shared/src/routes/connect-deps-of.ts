import { connectConfig, type ConnectDeps } from "../connect/connect-deps.ts";
import type { Runtime } from "./runtime.ts";

/**
 * The connect flow's deps over a function's runtime, its configuration read once. `warn` logs configuration
 * problems (the functions a browser flow starts or ends in); the others read it quietly.
 */
export function connectDepsOf(rt: Runtime, { warn }: { warn: boolean }): () => ConnectDeps {
  const config = connectConfig(rt.env, warn ? rt.logger : undefined);
  return () => ({ env: rt.env, sql: rt.sql(), keyRing: rt.keyRing, logger: rt.logger, config });
}
