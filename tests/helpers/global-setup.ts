/**
 * Integration tests run against the real local stack. When `npm test` started it, this does nothing; when
 * vitest runs alone (`npm run test:integration`), it brings the stack up and stops it afterwards.
 */
import { down, readGatewayPid, up } from "../../scripts/stack/lifecycle.ts";
import { TEST_ENV_FILE } from "./stack-env.ts";

export default async function setup(): Promise<() => Promise<void>> {
  const startedHere = readGatewayPid() === null;
  await up({ envFile: TEST_ENV_FILE });
  return async () => {
    if (startedHere) await down();
  };
}
