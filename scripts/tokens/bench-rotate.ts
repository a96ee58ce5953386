/**
 * `npm run bench:rotate`: how fast `tokens rotate-key` moves rows to a new key on this machine. Seeds
 * BENCH_ROTATE_ROWS connections (default 100,000) under a throwaway old key, rotates them to the running
 * stack's primary key with the CLI's defaults, prints rows per second, and deletes what it seeded. Needs the
 * local stack up; asserts nothing.
 */
import { randomBytes } from "node:crypto";
import os from "node:os";
import postgres from "postgres";
import { parseKeyRing } from "../../packages/shared/src/crypto/key-ring.ts";
import { encryptConnectionTokens } from "../../packages/shared/src/crypto/connection-tokens.ts";
import { rotateKey } from "../../packages/shared/src/ops/rotate-key.ts";
import { ensureUser } from "../stack/users.ts";
import { resolveTarget } from "./target.ts";

const ROWS = Number(process.env.BENCH_ROTATE_ROWS ?? "100000");
const CONCURRENCY = Number(process.env.BENCH_ROTATE_CONCURRENCY ?? "8");
const BATCH = Number(process.env.BENCH_ROTATE_BATCH ?? "500");

async function main(): Promise<void> {
  const target = await resolveTarget({});
  const current = target.env.TOKEN_ENCRYPTION_KEYS!;
  const old = `benchold:${randomBytes(32).toString("hex")}`;
  const oldRing = await parseKeyRing(old);
  // The stack's own ring first: rows already on its primary stay, the seeded ones move to it.
  const ring = await parseKeyRing(`${current},${old}`);
  const sql = postgres(target.dbUrl, { max: 20, onnotice: () => {} });
  const users = await Promise.all(Array.from({ length: 100 }, (_, i) => ensureUser(`bench-rotate-${i}@example.com`)));
  const ids = users.map((u) => u.id);
  try {
    await sql`delete from public.platform_connections where user_id = any(${ids}::uuid[])`;
    const t0 = performance.now();
    for (let i = 0; i < ROWS; i += 1000) {
      const values = await Promise.all(Array.from({ length: Math.min(1000, ROWS - i) }, async (_, j) => {
        const n = i + j;
        const id = crypto.randomUUID();
        const enc = await encryptConnectionTokens(oldRing, id, { accessToken: `bench_at_${n}_${"a".repeat(40)}`, refreshToken: `bench_rt_${n}_${"r".repeat(40)}` });
        return { id, user_id: ids[n % ids.length]!, provider: "github", account_id: `bench-${n}`, access_token: enc.accessToken, refresh_token: enc.refreshToken, encryption_key_id: enc.keyId };
      }));
      await sql`insert into public.platform_connections ${sql(values)}`;
    }
    console.error(`seeded ${ROWS} rows under "benchold" in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const t1 = performance.now();
    let lastLog = 0;
    const result = await rotateKey(sql, ring, {
      batchSize: BATCH, concurrency: CONCURRENCY,
      onProgress: (p) => {
        if (Date.now() - lastLog > 5000) { lastLog = Date.now(); console.error(`  ${p.rotated}/${p.total}`); }
      },
    });
    const seconds = (performance.now() - t1) / 1000;
    const report = {
      rows: result.rotated, seconds: Number(seconds.toFixed(1)), rows_per_second: Math.round(result.rotated / seconds),
      concurrency: CONCURRENCY, batch_size: BATCH, busy: result.busy, cpus: os.cpus().length, loadavg: os.loadavg().map((l) => Number(l.toFixed(2))),
    };
    console.log(JSON.stringify(report, null, 2));
  } finally {
    await sql`delete from public.platform_connections where user_id = any(${ids}::uuid[])`;
    await sql`delete from auth.users where id = any(${ids}::uuid[])`;
    await sql.end();
    await target.close();
  }
}

main().catch((err) => {
  console.error(`bench:rotate: ${(err as Error).message}`);
  process.exit(1);
});
