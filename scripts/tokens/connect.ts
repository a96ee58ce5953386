/**
 * `tokens connect`: the authorization code flow from a terminal, as native apps do it (RFC 8252): the
 * browser comes back to a loopback address this command listens on, which then claims the parked grant with
 * the user's JWT (oauth-complete) and waits until the connection is listed.
 */
import { spawn } from "node:child_process";
import http from "node:http";
import { CliError } from "./target.ts";

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "[::1]", "localhost"]);
export const DEFAULT_REDIRECT_URL = "http://127.0.0.1:54398/tokens-cli";

export interface ConnectRequest {
  apiUrl: string;
  anonKey: string | undefined;
  userJwt: string;
  provider: string;
  account?: string | undefined;
  shop?: string | undefined;
  scopes?: string[] | undefined;
  redirectUrl: string;
  timeoutMs: number;
  /** Called with the authorize URL once oauth-start answered. */
  onAuthorizeUrl: (url: string) => void;
}

export interface ConnectResult {
  provider: string;
  account: string;
  status: string;
}

/** Parses and checks the loopback redirect address (http, a loopback host, an explicit port). */
export function loopbackRedirect(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(`--redirect-url must be an absolute URL, got ${JSON.stringify(value.slice(0, 100))}`);
  }
  if (url.protocol !== "http:" || !LOOPBACK_HOSTS.has(url.hostname) || url.port === "") {
    throw new CliError("--redirect-url must be http://127.0.0.1:<port>/<path> (a loopback address with a port, RFC 8252 §7.3)");
  }
  return url;
}

async function callFunction(req: ConnectRequest, name: string, init: RequestInit): Promise<Record<string, any>> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${req.userJwt}`);
  if (req.anonKey) headers.set("apikey", req.anonKey);
  if (init.body) headers.set("content-type", "application/json");
  let res: Response;
  try {
    res = await fetch(`${req.apiUrl}/functions/v1/${name}`, { ...init, headers, signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new CliError(`${name}: cannot reach ${req.apiUrl} (${(err as Error).message})`);
  }
  const body = (await res.json().catch(() => ({}))) as Record<string, any>;
  if (!res.ok) {
    const e = body.error ?? body;
    throw new CliError(`${name} answered ${res.status} ${e.code ?? ""}: ${String(e.message ?? "").slice(0, 300)}`);
  }
  return body;
}

/** Opens a URL in the desktop's browser when there is one; says nothing when there is not. */
export function openBrowser(url: string): void {
  const opener = process.platform === "darwin" ? "open" : process.platform === "win32" ? "explorer" : "xdg-open";
  if (process.platform === "linux" && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return;
  try {
    const child = spawn(opener, [url], { detached: true, stdio: "ignore" });
    child.on("error", () => {});
    child.unref();
  } catch {
    /* no browser: the URL is printed */
  }
}

const PAGE = (title: string, text: string) =>
  `<!doctype html><meta charset="utf-8"><title>${title}</title><body style="font-family:system-ui;margin:3em"><h1>${title}</h1><p>${text}</p></body>`;

/** Runs the whole flow; resolves once the connection is listed as connected. */
export async function connectViaLoopback(req: ConnectRequest): Promise<ConnectResult> {
  const redirect = loopbackRedirect(req.redirectUrl);
  let settle!: (v: { connect: string } | { error: string }) => void;
  const arrived = new Promise<{ connect: string } | { error: string }>((r) => (settle = r));
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", redirect.origin);
    if (request.method !== "GET" || url.pathname !== redirect.pathname) {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    const connect = url.searchParams.get("connect");
    const error = url.searchParams.get("error");
    const provider = url.searchParams.get("provider");
    if (connect && /^[A-Za-z0-9_-]{16,128}$/.test(connect) && (provider === null || provider === req.provider)) {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGE("Connected", "You can close this window and return to the terminal."));
      settle({ connect });
    } else if (error) {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGE("Not connected", "The provider did not grant access; see the terminal."));
      settle({ error: error.replace(/[^a-z0-9_]/gi, "").slice(0, 64) || "unknown" });
    } else {
      response.writeHead(400, { "content-type": "text/plain" }).end("expected ?connect=<id>&provider=<provider>");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(new CliError(err.code === "EADDRINUSE" ? `port ${redirect.port} is in use: pass another --redirect-url` : `cannot listen on ${redirect.host}: ${err.message}`)));
    server.listen(Number(redirect.port), redirect.hostname.replace(/^\[|\]$/g, ""), () => resolve());
  });
  const timer = setTimeout(() => settle({ error: "timed_out" }), req.timeoutMs);
  try {
    const started = await callFunction(req, "oauth-start", {
      method: "POST",
      body: JSON.stringify({
        provider: req.provider, redirect_to: redirect.href,
        ...(req.account ? { account: req.account } : {}), ...(req.shop ? { shop: req.shop } : {}), ...(req.scopes ? { scopes: req.scopes } : {}),
      }),
    });
    req.onAuthorizeUrl(String(started.authorize_url));
    const result = await arrived;
    if ("error" in result) {
      throw new CliError(result.error === "timed_out" ? `no answer from the browser within ${Math.round(req.timeoutMs / 1000)} s` : `the connection failed: ${result.error}`);
    }
    const claimed = await callFunction(req, "oauth-complete", { method: "POST", body: JSON.stringify({ connect: result.connect }) });
    const account = String(claimed.account ?? "");
    // Waits until the connection is listed for the user, as an app would see it.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const listed = await callFunction(req, "connections", { method: "GET" });
      const found = (listed.connections as { provider: string; account: string; status: string }[] | undefined)
        ?.find((c) => c.provider === req.provider && c.account === account && c.status === "connected");
      if (found) return { provider: found.provider, account: found.account, status: found.status };
      if (Date.now() > deadline) throw new CliError("oauth-complete answered, but the connection is not listed");
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    clearTimeout(timer);
    server.closeAllConnections();
    server.close();
  }
}
