/**
 * Integration tests run against the real local stack and the provider emulator. When `npm test` started
 * the stack this only starts the emulator; when vitest runs alone (`npm run test:integration`), it brings
 * the stack up too and stops it afterwards.
 */
import { startEmulator } from "../../scripts/emulator/server.ts";
import { down, readGatewayPid, up } from "../../scripts/stack/lifecycle.ts";
import { connect } from "../../scripts/stack/postgres.ts";
import { EMULATOR_PORT, testStackEnv } from "./stack-env.ts";

export default async function setup(): Promise<() => Promise<void>> {
  const emulator = await startEmulator({ port: EMULATOR_PORT });
  const startedHere = readGatewayPid() === null;
  await up({ env: testStackEnv() });
  const sql = connect();
  const [{ started }] = (await sql`select now() as started`) as unknown as [{ started: Date }];
  await sql.end();
  return async () => {
    // Leave the stack as the tests found it: the users they created go, and their connections with them.
    const db = connect();
    await db`delete from auth.users where created_at >= ${started}`.catch(() => {});
    await db.end();
    await emulator.stop();
    if (startedHere) await down();
  };
}
