import { emulatorEnv } from "../../scripts/emulator/server.ts";

/** The emulator's port during tests (and the demo): clear of the Supabase CLI stack's 54320–54329. */
export const EMULATOR_PORT = 54399;
export const EMULATOR_URL = `http://127.0.0.1:${EMULATOR_PORT}`;
/** Where the tests' OAuth flows may send the browser back to. */
export const TEST_APP_URL = "http://127.0.0.1:3999/app";

/** The functions' environment while the tests run: every provider pointed at the emulator. */
export function testStackEnv(): Record<string, string> {
  return {
    ...emulatorEnv(EMULATOR_URL),
    ALLOWED_REDIRECT_URLS: `${TEST_APP_URL},http://localhost:3000`,
    PROVIDER_TOKENS_ENV: "test",
    // Short leases so the crash-recovery test does not wait long; still above the 10 s provider timeout.
    REFRESH_LEASE_SECONDS: "15",
    REFRESH_BUDGET_MS: "40000",
    // Webhook retries compressed (tests/integration/alerts-*.test.ts); production keeps its 24-hour schedule.
    WEBHOOK_RETRY_SCHEDULE_MS: "300,300,300,300",
    WEBHOOK_TIMEOUT_MS: "2000",
  };
}
