/**
 * The demo `npm start` runs (README.md, "The demo"): a local provider emulator with short token
 * lifetimes, a demo user, a few providers connected through the real oauth-start / oauth-callback flow, and
 * a live log of the scheduled refreshes and of periodic get-token calls.
 *
 * `prepareDemo()` starts the emulator before the stack (so a busy port fails fast, before anything else
 * starts) and says which environment the stack needs; `demo.run()` then connects and watches.
 */
import postgres from "postgres";
import { startEmulator, type Emulator } from "../emulator/server.ts";
import { readFunctionsDotEnv } from "../stack/config.ts";
import { loadKeys, signUserToken } from "../stack/keys.ts";
import { DB_URL } from "../stack/paths.ts";
import { ensureUser } from "../stack/users.ts";
import { connectThroughBrowserFlow } from "./connect-flow.ts";
import {
  DEMO_ACCESS_TOKEN_TTL_SECONDS, DEMO_EMULATOR_PORT, DEMO_PROVIDERS, DEMO_REDIRECT_TO, DEMO_USER_EMAIL, demoStackEnv, emulatedDemoProviders,
} from "./env.ts";
import { line } from "./format.ts";
import { watchDemo } from "./watch.ts";

export interface Demo {
  /** The environment to bring the stack up with. */
  stackEnv: Record<string, string>;
  /** Connects the demo accounts and starts the live log. */
  run(stack: { FUNCTIONS_URL: string; API_URL: string; ANON_KEY: string }): Promise<void>;
  /** Stops the live log and the emulator. */
  stop(): Promise<void>;
}

export async function prepareDemo(print: (text: string) => void = (t) => console.log(t)): Promise<Demo> {
  let emulator: Emulator;
  try {
    emulator = await startEmulator({
      port: DEMO_EMULATOR_PORT,
      accessTokenTtl: DEMO_ACCESS_TOKEN_TTL_SECONDS,
      log: (l) => print(line("provider", l)),
    });
  } catch (error) {
    if ((error as { code?: string }).code === "EADDRINUSE") {
      throw Object.assign(
        new Error(
          `port ${DEMO_EMULATOR_PORT} is in use. The demo's provider emulator needs it, and so does \`npm test\`: ` +
            "they cannot run at the same time. Stop the other run (or whatever listens there), or start without the demo: npm start -- --no-demo",
        ),
        { code: "DEMO_PORT_IN_USE" },
      );
    }
    throw error;
  }
  let stopWatching: (() => void) | undefined;
  let sql: postgres.Sql | undefined;
  const emulated = emulatedDemoProviders(readFunctionsDotEnv());

  return {
    stackEnv: demoStackEnv(emulator.url, emulated),
    async run(stack) {
      const user = await ensureUser(DEMO_USER_EMAIL);
      const keys = await loadKeys();
      const userJwt = () => signUserToken(keys, user, { expiresInSeconds: 3600 });
      print(`\nThe demo: provider emulator at ${emulator.url} (access tokens live ${DEMO_ACCESS_TOKEN_TTL_SECONDS} s), user ${user.email}.`);
      for (const provider of DEMO_PROVIDERS.filter((p) => !emulated.includes(p))) {
        print(line("connect", `${provider}: real credentials in supabase/functions/.env; connect it in a browser through oauth-start`));
      }
      print(`Connecting ${emulated.join(", ")} through oauth-start → the provider's consent page → oauth-callback → ${DEMO_REDIRECT_TO}?connect=… → oauth-complete`);
      for (const provider of emulated) {
        try {
          const result = await connectThroughBrowserFlow(stack.FUNCTIONS_URL, await userJwt(), provider, DEMO_REDIRECT_TO);
          print(line("connect", `${provider}: ${result.outcome}, via ${result.location}`));
        } catch (error) {
          print(line("connect", `${provider}: ${(error as Error).message}`));
        }
      }
      printTryIt(print, stack, await userJwt());
      sql = postgres(DB_URL, { max: 2, onnotice: () => {} });
      stopWatching = watchDemo({
        sql,
        functionsUrl: stack.FUNCTIONS_URL,
        userId: user.id,
        userJwt,
        providers: DEMO_PROVIDERS,
        print,
      });
    },
    async stop() {
      stopWatching?.();
      await sql?.end({ timeout: 2 }).catch(() => {});
      await emulator.stop();
    },
  };
}

function printTryIt(print: (text: string) => void, stack: { FUNCTIONS_URL: string; API_URL: string; ANON_KEY: string }, jwt: string): void {
  print(`
Try it by hand (the demo user's JWT below is valid for 1 hour; \`npm run -s stack -- user ${DEMO_USER_EMAIL}\` makes another):

  export USER_JWT='${jwt}'
  curl -s -X POST ${stack.FUNCTIONS_URL}/get-token -H "Authorization: Bearer $USER_JWT" -H 'content-type: application/json' -d '{"provider":"spotify"}'
  curl -s ${stack.FUNCTIONS_URL}/connections -H "Authorization: Bearer $USER_JWT"
  curl -s -X POST ${stack.FUNCTIONS_URL}/disconnect -H "Authorization: Bearer $USER_JWT" -H 'content-type: application/json' -d '{"provider":"discord"}'

  // supabase-js
  const supabase = createClient("${stack.API_URL}", "${stack.ANON_KEY}", { global: { headers: { Authorization: \`Bearer \${USER_JWT}\` } } });
  const { data } = await supabase.functions.invoke("get-token", { body: { provider: "spotify" } });

Live log (scheduled refreshes every minute by pg_cron, get-token every 30 s; Ctrl-C stops everything):
`);
}
