/**
 * Integration tests run against the real local stack and the provider emulator. When `npm test` started
 * the stack this only starts the emulator; when vitest runs alone (`npm run test:integration`), it brings
 * the stack up too and stops it afterwards.
 */
import { startEmulator } from "../../scripts/emulator/server.ts";
import { down, readGatewayPid, up } from "../../scripts/stack/lifecycle.ts";
import { EMULATOR_PORT, testStackEnv } from "./stack-env.ts";

export default async function setup(): Promise<() => Promise<void>> {
  const emulator = await startEmulator({ port: EMULATOR_PORT });
  const startedHere = readGatewayPid() === null;
  await up({ env: testStackEnv() });
  return async () => {
    await emulator.stop();
    if (startedHere) await down();
  };
}
