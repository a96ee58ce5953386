/**
 * What the demo runs with: the providers it connects, where the "app" is, and the functions' environment
 * (those providers pointed at the local emulator, the app's address allow-listed).
 */
import { emulatorEnv } from "../emulator/server.ts";

/** The emulator's port: the same as the tests', so `npm start` and `npm test` cannot run at once. */
export const DEMO_EMULATOR_PORT = 54399;
/** The providers the demo connects. */
export const DEMO_PROVIDERS = ["spotify", "discord", "xero"] as const;
/** Where oauth-callback sends the browser back; nothing needs to listen there, the demo reads the Location. */
export const DEMO_APP_ORIGIN = "http://localhost:3000";
export const DEMO_REDIRECT_TO = `${DEMO_APP_ORIGIN}/connected`;
export const DEMO_USER_EMAIL = "demo@example.com";
/** Short access token lifetime, so refreshes happen while you watch. */
export const DEMO_ACCESS_TOKEN_TTL_SECONDS = 120;

/**
 * The demo providers that get the emulator: those without real credentials in supabase/functions/.env (a
 * provider with real credentials keeps its real endpoints; connect it in a browser through oauth-start).
 */
export function emulatedDemoProviders(dotEnv: Readonly<Record<string, string>>): string[] {
  return DEMO_PROVIDERS.filter((p) => !dotEnv[`${p.toUpperCase()}_CLIENT_ID`]);
}

/** The functions' environment for the demo: the emulated providers pointed at the emulator, the app allow-listed. */
export function demoStackEnv(emulatorUrl: string, providers: readonly string[]): Record<string, string> {
  const all = emulatorEnv(emulatorUrl);
  const prefixes = providers.map((p) => `${p.toUpperCase()}_`);
  return {
    ...Object.fromEntries(Object.entries(all).filter(([name]) => prefixes.some((p) => name.startsWith(p)))),
    ALLOWED_REDIRECT_URLS: DEMO_APP_ORIGIN,
  };
}
