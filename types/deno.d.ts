/**
 * The part of the Deno runtime API the Edge Functions use, so that `tsc --noEmit` type-checks
 * supabase/functions together with the rest of the repository. `deno check` (run by `npm test` too) checks the
 * functions against Deno's own, complete types; this file only has to agree with them on what is used.
 * Add a declaration here when a function starts using another Deno API.
 */
declare namespace Deno {
  interface Env {
    get(key: string): string | undefined;
    set(key: string, value: string): void;
    has(key: string): boolean;
    delete(key: string): void;
    toObject(): { [key: string]: string };
  }
  const env: Env;

  interface NetAddr {
    transport: "tcp" | "udp";
    hostname: string;
    port: number;
  }
  interface ServeHandlerInfo {
    remoteAddr: NetAddr;
    completed: Promise<void>;
  }
  type ServeHandler = (request: Request, info: ServeHandlerInfo) => Response | Promise<Response>;
  interface ServeOptions {
    port?: number;
    hostname?: string;
    signal?: AbortSignal;
    onListen?: (localAddr: NetAddr) => void;
    onError?: (error: unknown) => Response | Promise<Response>;
  }
  interface HttpServer {
    readonly finished: Promise<void>;
    readonly addr: NetAddr;
    shutdown(): Promise<void>;
    ref(): void;
    unref(): void;
  }
  function serve(handler: ServeHandler): HttpServer;
  function serve(options: ServeOptions, handler: ServeHandler): HttpServer;
  function serve(options: ServeOptions & { handler: ServeHandler }): HttpServer;

  function exit(code?: number): never;
  const pid: number;
  interface MemoryUsage {
    rss: number;
    heapTotal: number;
    heapUsed: number;
    external: number;
  }
  function memoryUsage(): MemoryUsage;
}
