/**
 * `npm run tokens -- <command>`: the operator CLI (README, "Operator CLI"). Every command talks to the local
 * stack, or to a hosted project with `--db-url` / `--api-url`; the work itself is packages/shared's, the
 * same code the Edge Functions run.
 */
import { readFileSync, statSync } from "node:fs";
import { Command, InvalidArgumentError, Option } from "commander";
import { connectConfig, type ConnectDeps } from "../../packages/shared/src/connect/connect-deps.ts";
import { disconnectConnection } from "../../packages/shared/src/connect/disconnect-connection.ts";
import { CryptoError } from "../../packages/shared/src/crypto/crypto-error.ts";
import type { EngineDeps } from "../../packages/shared/src/engine/engine-deps.ts";
import { leaseSecondsFromEnv } from "../../packages/shared/src/engine/engine-deps.ts";
import { CONNECTION_STATUSES } from "../../packages/shared/src/engine/transitions.ts";
import { ApiError } from "../../packages/shared/src/http/api-error.ts";
import { createLogger } from "../../packages/shared/src/log/logger.ts";
import { handleAlertsAdmin } from "../../packages/shared/src/alerts/admin-routes.ts";
import { importConnections } from "../../packages/shared/src/ops/import-connections.ts";
import { parseImportFile } from "../../packages/shared/src/ops/import-records.ts";
import { listConnections } from "../../packages/shared/src/ops/list-connections.ts";
import { operatorStatus } from "../../packages/shared/src/ops/operator-status.ts";
import { refreshNow } from "../../packages/shared/src/ops/refresh-now.ts";
import { rotateKey } from "../../packages/shared/src/ops/rotate-key.ts";
import { isProviderId, PROVIDER_IDS } from "../../packages/shared/src/providers/provider-ids.ts";
import { connectViaLoopback, DEFAULT_REDIRECT_URL, openBrowser } from "./connect.ts";
import { createProgress } from "./progress.ts";
import { CliError, findUser, resolveTarget, type Target } from "./target.ts";

/** Largest import file read (a million lines of typical tokens is about 500 MB). */
const MAX_IMPORT_BYTES = 1024 * 1024 * 1024;

const out = (text: string): void => void process.stdout.write(`${text}\n`);
const note = (text: string): void => void process.stderr.write(`${text}\n`);

function positiveInt(name: string, max: number) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`${name} must be an integer from 1 to ${max}`);
    return n;
  };
}

function providerArg(value: string): string {
  if (!isProviderId(value)) throw new InvalidArgumentError(`must be one of ${PROVIDER_IDS.join(", ")}`);
  return value;
}

interface Global { dbUrl?: string; apiUrl?: string; verbose?: boolean }

async function withTarget<T>(cmd: Command, run: (t: Target) => Promise<T>): Promise<T> {
  const g = cmd.optsWithGlobals<Global>();
  const target = await resolveTarget({ ...(g.dbUrl ? { dbUrl: g.dbUrl } : {}), ...(g.apiUrl ? { apiUrl: g.apiUrl } : {}) });
  try {
    return await run(target);
  } finally {
    await target.close();
  }
}

function engineDeps(t: Target, verbose: boolean, ring: EngineDeps["ring"]): EngineDeps {
  return {
    sql: t.sql(), ring, env: t.env, leaseSeconds: leaseSecondsFromEnv(t.env),
    logger: createLogger("tokens-cli", verbose ? (l) => note(l) : () => {}),
  };
}

async function connectionOf(t: Target, user: string, provider: string, account: string | undefined) {
  const u = await findUser(t.sql(), user);
  const rows = await t.sql()<{ id: string; account_id: string }[]>`
    select id, account_id from public.platform_connections
    where user_id = ${u.id} and provider = ${provider} and status <> 'disconnected'
      ${account === undefined ? t.sql()`` : t.sql()`and account_id = ${account}`}
    order by connected_at limit 2`;
  if (rows.length === 0) throw new CliError(`${user} has no ${provider} connection${account === undefined ? "" : ` for account ${account}`}`);
  if (rows.length > 1) throw new CliError(`${user} has several ${provider} connections: pass --account`);
  return { user: u, id: rows[0]!.id, account: rows[0]!.account_id };
}

function fmtDate(d: Date | string | null): string {
  if (d === null) return "-";
  return new Date(d).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}

export function buildProgram(): Command {
  const program = new Command("tokens")
    .description("Operate provider-tokens: status, connections, import, key rotation, refresh, disconnect, connect.")
    .option("--db-url <url>", "a hosted project's database (default: the local stack)")
    .option("--api-url <url>", "a hosted project's API URL, e.g. https://<ref>.supabase.co (default: the local stack)")
    .option("-v, --verbose", "print the engine's log lines on stderr")
    .showHelpAfterError("(add --help for usage)")
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program.command("status")
    .description("connections by provider and status, failing and expiring soon, rows per key id, the last scheduled runs")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }, cmd: Command) => withTarget(cmd, async (t) => {
      const s = await operatorStatus(t.sql(), t.env);
      if (opts.json) return out(JSON.stringify(s, null, 2));
      const rows = [["provider", "status", "connections"]];
      for (const [p, byStatus] of Object.entries(s.by_provider)) for (const [st, n] of Object.entries(byStatus)) rows.push([p, st, String(n)]);
      out(rows.length > 1 ? table(rows) : "no connections");
      out("");
      out(`failing: ${s.failing}   expiring within 60 min: ${s.expiring_soon}`);
      out("");
      out(`encryption keys (primary ${s.encryption_keys.primary_key_id ?? "unknown"}):`);
      const keyRows = [["key id", "in ring", "rows"]];
      for (const [id, k] of Object.entries(s.encryption_keys.by_key_id)) keyRows.push([id, k.in_ring ? "yes" : "NO", String(k.rows)]);
      out(table(keyRows));
      out("");
      out("last scheduled runs:");
      if (s.scheduled_runs.length === 0) out("  none");
      for (const r of s.scheduled_runs) out(`  ${fmtDate(r.started_at)}  ${r.job}  ${r.status}${r.message ? `  ${r.message}` : ""}`);
      if (s.refresh_runs !== null) {
        out("last refresh runs:");
        for (const r of s.refresh_runs) out(`  ${JSON.stringify(r)}`);
      }
    }));

  program.command("list")
    .description("connections, newest first; never a token")
    .addOption(new Option("--provider <id>", "only this provider").argParser(providerArg))
    .addOption(new Option("--status <status>", "only this status").choices(CONNECTION_STATUSES))
    .option("--user <email|id>", "only this user's")
    .option("--limit <n>", "at most this many", positiveInt("--limit", 100_000), 1000)
    .option("--json", "print JSON")
    .action(async (opts: { provider?: string; status?: string; user?: string; limit: number; json?: boolean }, cmd: Command) => withTarget(cmd, async (t) => {
      const rows = await listConnections(t.sql(), opts);
      if (opts.json) return out(JSON.stringify(rows, null, 2));
      if (rows.length === 0) return out("no connections");
      out(table([
        ["email", "provider", "account", "status", "expires", "last refresh", "failures", "key"],
        ...rows.map((r) => [r.email ?? r.user_id, r.provider, r.account || "-", r.status, fmtDate(r.expires_at), fmtDate(r.last_refreshed_at),
          String(r.consecutive_failures), r.key_id ?? "-"]),
      ]));
    }));

  program.command("import")
    .description("import existing tokens from JSON lines or CSV (user_id|email, provider, account, access_token, refresh_token, expires_at, scopes)")
    .argument("<file>", "the file to import")
    .addOption(new Option("--format <format>", "the file's format (default: from its first line)").choices(["jsonl", "csv"]))
    .option("--skip-invalid", "import the valid lines even when some are bad (default: import nothing then)")
    .option("--json", "print the result as JSON")
    .action(async (file: string, opts: { format?: "jsonl" | "csv"; skipInvalid?: boolean; json?: boolean }, cmd: Command) => {
      let text: string;
      try {
        if (statSync(file).size > MAX_IMPORT_BYTES) throw new CliError(`${file} is larger than 1 GiB: split it`);
        text = readFileSync(file, "utf8");
      } catch (err) {
        if (err instanceof CliError) throw err;
        throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
      }
      const parsed = parseImportFile(text, opts.format ?? "auto");
      await withTarget(cmd, async (t) => {
        const progress = createProgress("import", process.stderr, opts.json === true);
        const result = await importConnections(t.sql(), await t.ring(), parsed.records, {
          parseErrors: parsed.errors, skipInvalid: opts.skipInvalid === true, onProgress: (d, n) => progress.update(d, n),
        });
        progress.stop();
        if (opts.json) out(JSON.stringify(result, null, 2));
        else {
          for (const e of result.errors.slice(0, 100)) note(`line ${e.line}: ${e.message}`);
          if (result.errors.length > 100) note(`… and ${result.errors.length - 100} more bad lines`);
          if (result.errors.length > 0 && !opts.skipInvalid) note(`${result.errors.length} bad lines: nothing imported (fix them, or pass --skip-invalid)`);
          out(`inserted ${result.inserted}, updated ${result.updated}, unchanged ${result.unchanged}, bad lines ${result.errors.length}`);
        }
        if (result.errors.length > 0) process.exitCode = 1;
      });
    });

  program.command("rotate-key")
    .description("re-encrypt every row still on an older key under the primary key (the first in TOKEN_ENCRYPTION_KEYS); resumable")
    .option("--batch-size <n>", "rows read per query", positiveInt("--batch-size", 10_000), 500)
    .option("--concurrency <n>", "rows re-encrypted at once", positiveInt("--concurrency", 64), 8)
    .option("--json", "print the result as JSON")
    .action(async (opts: { batchSize: number; concurrency: number; json?: boolean }, cmd: Command) => withTarget(cmd, async (t) => {
      const ring = await t.ring();
      const abort = new AbortController();
      const onSigint = () => {
        if (abort.signal.aborted) process.exit(130);
        note("\nstopping after the rows in hand (Ctrl-C again to quit at once); run rotate-key again to finish");
        abort.abort();
      };
      process.on("SIGINT", onSigint);
      const progress = createProgress(`rotate to ${ring.primaryKeyId}`, process.stderr, opts.json === true);
      const started = performance.now();
      try {
        const result = await rotateKey(t.sql(), ring, {
          batchSize: opts.batchSize, concurrency: opts.concurrency, signal: abort.signal, leaseSeconds: 30,
          onProgress: (p) => progress.update(p.rotated, p.total, p.busy ? `(${p.busy} busy)` : ""),
        });
        progress.stop();
        const seconds = (performance.now() - started) / 1000;
        const summary = { ...result, primary_key_id: ring.primaryKeyId, interrupted: abort.signal.aborted, seconds: Number(seconds.toFixed(2)),
          rows_per_second: Math.round(result.rotated / Math.max(seconds, 0.001)) };
        if (opts.json) out(JSON.stringify(summary, null, 2));
        else out(`${abort.signal.aborted ? "interrupted: " : ""}rotated ${result.rotated} of ${result.total} rows to key ${ring.primaryKeyId} in ${seconds.toFixed(1)} s (${summary.rows_per_second} rows/s)${result.busy ? `; ${result.busy} rows stayed busy: run again` : ""}`);
        if (abort.signal.aborted) process.exitCode = 130;
        else if (result.busy > 0) process.exitCode = 1;
      } finally {
        progress.stop();
        process.off("SIGINT", onSigint);
      }
    }));

  program.command("refresh")
    .description("refresh one connection now, through the engine the functions use (lease, compare-and-set, audit)")
    .argument("<provider>", "provider id", providerArg)
    .requiredOption("--user <email|id>", "whose connection")
    .option("--account <account>", "which account, when the user has several")
    .option("--json", "print the result as JSON")
    .action(async (provider: string, opts: { user: string; account?: string; json?: boolean }, cmd: Command) => withTarget(cmd, async (t) => {
      const c = await connectionOf(t, opts.user, provider, opts.account);
      const result = await refreshNow(engineDeps(t, cmd.optsWithGlobals<Global>().verbose === true, await t.ring()), c.id);
      if (opts.json) out(JSON.stringify({ provider, account: c.account, ...result }, null, 2));
      else if (result.outcome === "refreshed") out(`refreshed ${provider}${c.account ? ` (${c.account})` : ""}: expires ${result.expires_at}`);
      else note(`not refreshed: ${result.outcome === "failed" ? `${result.code}${result.retry_at ? `, next attempt ${result.retry_at}` : ""}` : result.outcome === "not_refreshable" ? result.reason : result.outcome === "busy" ? "another refresh holds it; try again" : "another writer changed it meanwhile"}`);
      if (result.outcome !== "refreshed") process.exitCode = 1;
    }));

  program.command("disconnect")
    .description("disconnect one connection (revoked at the provider where it can), as the disconnect function does")
    .argument("<provider>", "provider id", providerArg)
    .requiredOption("--user <email|id>", "whose connection")
    .option("--account <account>", "which account, when the user has several")
    .option("--json", "print the result as JSON")
    .action(async (provider: string, opts: { user: string; account?: string; json?: boolean }, cmd: Command) => withTarget(cmd, async (t) => {
      const u = await findUser(t.sql(), opts.user);
      const verbose = cmd.optsWithGlobals<Global>().verbose === true;
      const deps: ConnectDeps = {
        env: t.env, sql: t.sql(), keyRing: () => t.ring(), logger: createLogger("tokens-cli", verbose ? (l) => note(l) : () => {}), config: connectConfig(t.env),
      };
      const result = await disconnectConnection(deps, u.id, { provider, ...(opts.account === undefined ? {} : { account: opts.account }) });
      if (opts.json) out(JSON.stringify({ provider, ...result }, null, 2));
      else out(`disconnected ${provider} (revocation: ${result.revocation})`);
    }));

  program.command("connect")
    .description("connect an account: prints the authorize URL, receives the browser on a loopback address (RFC 8252), waits until connected")
    .argument("<provider>", "provider id", providerArg)
    .requiredOption("--user <email>", "who connects (local stack: a JWT is signed for them)")
    .option("--user-jwt <jwt>", "the user's access token (required for a hosted project)")
    .option("--account <account>", "the account to connect, where the provider needs one")
    .option("--shop <shop>", "Shopify: the shop domain")
    .option("--scopes <scopes>", "space-separated scopes instead of the provider's defaults")
    .option("--redirect-url <url>", "the loopback address to listen on; must be in ALLOWED_REDIRECT_URLS", DEFAULT_REDIRECT_URL)
    .option("--no-browser", "only print the URL")
    .option("--timeout <seconds>", "how long to wait for the browser", positiveInt("--timeout", 3600), 600)
    .option("--json", "print the result as JSON")
    .action(async (provider: string, opts: {
      user: string; userJwt?: string; account?: string; shop?: string; scopes?: string; redirectUrl: string; browser: boolean; timeout: number; json?: boolean;
    }, cmd: Command) => withTarget(cmd, async (t) => {
      let jwt = opts.userJwt;
      if (!jwt) {
        if (!t.signUserJwt) throw new CliError("--user-jwt is required for a hosted project");
        jwt = await t.signUserJwt(await findUser(t.sql(), opts.user));
      }
      if (!t.apiUrl) throw new CliError("--api-url is required for a hosted project");
      const result = await connectViaLoopback({
        apiUrl: t.apiUrl, anonKey: t.anonKey, userJwt: jwt, provider, account: opts.account, shop: opts.shop,
        scopes: opts.scopes?.split(/\s+/).filter(Boolean), redirectUrl: opts.redirectUrl, timeoutMs: opts.timeout * 1000,
        onAuthorizeUrl: (url) => {
          note("open this address in a browser to connect:");
          note(url);
          if (opts.json) out(JSON.stringify({ authorize_url: url }));
          if (opts.browser) openBrowser(url);
        },
      });
      if (opts.json) out(JSON.stringify(result));
      else out(`connected ${result.provider}${result.account ? ` (${result.account})` : ""}`);
    }));

  // The same routes token-admin serves (packages/shared/src/alerts/admin-routes.ts), called on the database.
  const webhooks = program.command("webhooks").description("the alerts' webhook endpoints: add, list, remove, test");
  const alerts = async (t: Target, method: string, route: string[], body: unknown = {}) => {
    const answer = await handleAlertsAdmin(t.sql(), { method, route, query: new URLSearchParams(), body }, await t.ring());
    const b = answer?.body as { error?: { code: string; message: string } } | undefined;
    if (!answer || answer.status >= 400) throw new CliError(b?.error ? `${b.error.code}: ${b.error.message}` : "no such webhook route");
    return answer.body as Record<string, any>;
  };
  webhooks.command("list")
    .description("the endpoints, their format, events and health; never a secret")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }, cmd: Command) => withTarget(cmd, async (t) => {
      const { endpoints } = await alerts(t, "GET", ["webhooks"]);
      if (opts.json) return out(JSON.stringify(endpoints, null, 2));
      if (endpoints.length === 0) return out("no webhook endpoints");
      out(table([
        ["id", "url", "format", "events", "enabled", "last success", "failures"],
        ...endpoints.map((e: any) => [e.id, e.url, e.format, e.events ? e.events.join(",") : "all", e.enabled ? "yes" : `no (${e.disabled_reason ?? "disabled"})`,
          fmtDate(e.last_success_at), String(e.consecutive_failures)]),
      ]));
    }));
  webhooks.command("add")
    .description("add an endpoint; its signing secret is printed once, here")
    .argument("<url>", "where events are POSTed")
    .addOption(new Option("--format <format>", "body format").choices(["standard", "slack"]).default("standard"))
    .option("--events <types>", "comma-separated event types (default: all)")
    .option("--secret <whsec>", "use this signing secret (whsec_<base64>) instead of a new one")
    .option("--json", "print JSON")
    .action(async (url: string, opts: { format: string; events?: string; secret?: string; json?: boolean }, cmd: Command) => withTarget(cmd, async (t) => {
      const body = {
        url, format: opts.format,
        ...(opts.events ? { events: opts.events.split(",").map((e) => e.trim()).filter(Boolean) } : {}),
        ...(opts.secret ? { secret: opts.secret } : {}),
      };
      const created = await alerts(t, "POST", ["webhooks"], body);
      if (opts.json) return out(JSON.stringify(created, null, 2));
      out(`added ${created.endpoint.id}`);
      out(`signing secret (shown once): ${created.secret}`);
    }));
  webhooks.command("remove")
    .description("remove an endpoint, with its deliveries and their attempts")
    .argument("<id>", "the endpoint id")
    .action(async (id: string, _opts: unknown, cmd: Command) => withTarget(cmd, async (t) => {
      await alerts(t, "DELETE", ["webhooks", id]);
      out(`removed ${id}`);
    }));
  webhooks.command("test")
    .description("queue a webhook.test event for one endpoint; the schedule delivers it")
    .argument("<id>", "the endpoint id")
    .option("--json", "print JSON")
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => withTarget(cmd, async (t) => {
      const queued = await alerts(t, "POST", ["webhooks", id, "test"]);
      if (opts.json) return out(JSON.stringify(queued));
      out(`queued delivery ${queued.delivery_id}`);
    }));

  for (const c of [...program.commands, ...webhooks.commands]) c.showHelpAfterError("(add --help for usage)");
  return program;
}

/** One clear line for anything that goes wrong; never a stack trace, never a token. */
export function errorLine(err: unknown): string {
  if (err instanceof CliError) return err.message;
  if (err instanceof ApiError) return `${err.code}: ${err.message}`;
  if (err instanceof CryptoError) {
    return err.code === "key_unavailable"
      ? `a row is encrypted with key id "${err.keyId}", which TOKEN_ENCRYPTION_KEYS does not hold: add it back as a secondary key`
      : `${err.code}: ${err.message}`;
  }
  const e = err as { code?: string; message?: string };
  if (e?.code === "ECONNREFUSED") return "cannot reach the database: is the stack up (npm run stack -- up), or is --db-url right?";
  if (typeof e?.code === "string" && /^[0-9A-Z]{5}$/.test(e.code)) return `database error ${e.code}: ${String(e.message ?? "").split("\n")[0]!.slice(0, 200)}`;
  return `unexpected error: ${(err as Error)?.name ?? typeof err}`;
}
