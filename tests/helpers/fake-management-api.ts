/**
 * A small stand-in for the Supabase Management API on loopback, for running the real Supabase CLI's
 * `functions deploy --use-api` without a hosted project. It answers only what a deploy asks for (the
 * project, one multipart upload per function, the bulk update that activates them) and keeps what was
 * uploaded; and `secrets set`. Anything else, or a request without the expected access token, is answered 500 and recorded in
 * `unexpected`, so a test fails when the CLI starts asking for something we did not expect.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

/** What the CLI sends as the `metadata` part of a deploy upload. */
export interface DeployMetadata {
  name?: string;
  entrypoint_path: string;
  import_map_path?: string;
  verify_jwt?: boolean;
  static_patterns?: string[];
}

export interface Deployment {
  slug: string;
  bundleOnly: boolean;
  metadata: DeployMetadata;
  /** Uploaded files by the path the CLI gave them (relative to the project root). */
  files: Map<string, Buffer>;
}

export interface FakeManagementApi {
  url: string;
  deployments: Deployment[];
  /** Bodies of PUT /v1/projects/{ref}/functions (the bulk update after bundle-only uploads). */
  bulkUpdates: unknown[];
  /** Bodies of POST /v1/projects/{ref}/secrets (`supabase secrets set`). */
  secrets: { name: string; value: string }[][];
  /** Every request as `METHOD path?query`, in order of arrival. */
  requests: string[];
  /** Requests the fake does not serve, with why. Empty in a passing test. */
  unexpected: string[];
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 32 * 1024 * 1024;

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export async function startFakeManagementApi(opts: { projectRef: string; accessToken: string }): Promise<FakeManagementApi> {
  const deployments: Deployment[] = [];
  const bulkUpdates: unknown[] = [];
  const secrets: { name: string; value: string }[][] = [];
  const requests: string[] = [];
  const unexpected: string[] = [];
  const projectPath = `/v1/projects/${opts.projectRef}`;
  let nextVersion = 1;

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://fake.invalid");
      const line = `${req.method} ${url.pathname}${url.search}`;
      requests.push(line);
      const reject = (why: string) => {
        unexpected.push(`${line}: ${why}`);
        send(res, 500, { message: `fake Management API: ${why}` });
      };
      if (req.headers.authorization !== `Bearer ${opts.accessToken}`) return reject("missing or wrong access token");
      let body: Buffer;
      try {
        body = await readBody(req);
      } catch (err) {
        return reject((err as Error).message);
      }

      if (req.method === "GET" && url.pathname === projectPath) {
        return send(res, 200, {
          id: opts.projectRef, ref: opts.projectRef, name: "fake-project", organization_id: "fake-org",
          organization_slug: "fake-org", region: "us-east-1", status: "ACTIVE_HEALTHY",
          created_at: "2026-01-01T00:00:00Z",
          database: { host: `db.${opts.projectRef}.supabase.invalid`, version: "15.8.1", postgres_engine: "15", release_channel: "ga" },
        });
      }

      if (req.method === "POST" && url.pathname === `${projectPath}/functions/deploy`) {
        const slug = url.searchParams.get("slug");
        if (!slug) return reject("deploy without ?slug");
        const contentType = req.headers["content-type"] ?? "";
        if (!contentType.startsWith("multipart/form-data")) return reject(`deploy with content-type ${contentType}`);
        const form = await new Response(new Uint8Array(body), { headers: { "content-type": contentType } }).formData();
        const metadataPart = form.get("metadata");
        if (typeof metadataPart !== "string") return reject("deploy without a metadata part");
        const metadata = JSON.parse(metadataPart) as DeployMetadata;
        const files = new Map<string, Buffer>();
        for (const part of form.getAll("file")) {
          if (typeof part === "string") return reject("a file part without a file name");
          files.set(part.name, Buffer.from(await part.arrayBuffer()));
        }
        deployments.push({ slug, bundleOnly: url.searchParams.get("bundleOnly") === "true", metadata, files });
        const now = Date.now();
        return send(res, 201, {
          id: `00000000-0000-4000-8000-${String(nextVersion).padStart(12, "0")}`,
          slug, name: metadata.name ?? slug, version: nextVersion++, status: "ACTIVE",
          created_at: now, updated_at: now, verify_jwt: metadata.verify_jwt ?? true,
          entrypoint_path: metadata.entrypoint_path, import_map: Boolean(metadata.import_map_path),
          import_map_path: metadata.import_map_path,
        });
      }

      if (req.method === "PUT" && url.pathname === `${projectPath}/functions`) {
        const parsed = JSON.parse(body.toString("utf8")) as unknown;
        bulkUpdates.push(parsed);
        return send(res, 200, { functions: parsed });
      }

      if (req.method === "POST" && url.pathname === `${projectPath}/secrets`) {
        secrets.push(JSON.parse(body.toString("utf8")) as { name: string; value: string }[]);
        res.writeHead(201);
        return res.end();
      }

      return reject("not an endpoint a deploy uses");
    })().catch((err: unknown) => {
      unexpected.push(`${req.method} ${req.url}: ${(err as Error).message}`);
      if (!res.headersSent) send(res, 500, { message: "fake Management API failed" });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    deployments,
    bulkUpdates,
    secrets,
    requests,
    unexpected,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
