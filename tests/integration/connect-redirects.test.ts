/**
 * oauth-start's redirect allow-list (ALLOWED_REDIRECT_URLS is `http://127.0.0.1:3999/app,http://localhost:3000`
 * in the test stack): anything else is refused before a state exists, so the callback can never become an
 * open redirector.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db, userToken } from "../helpers/stack.ts";
import { postJson, TEST_APP_URL, uniqueEmail } from "./connect-support.ts";

const sql = db();
let user: { id: string; token: string };

beforeAll(async () => {
  user = await userToken(uniqueEmail("connect-redirects"));
});
afterAll(() => sql.end());

const pendingStates = async () => Number((await sql`select count(*) from public.oauth_states where user_id = ${user.id}`)[0]!.count);

describe("oauth-start: redirect_to", () => {
  it.each([
    "https://evil.example/app",
    "http://127.0.0.1:3999.evil.example/app",
    "http://127.0.0.1:3998/app",
    "https://127.0.0.1:3999/app",
    "http://127.0.0.1:3999/application",
    "http://127.0.0.1:3999/other",
    "http://127.0.0.1:3999/app/../admin",
    "http://127.0.0.1:3999/app/%2e%2e/admin",
    "javascript:alert(document.cookie)",
    "JaVaScRiPt:alert(1)//http://127.0.0.1:3999/app",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "//evil.example/app",
    "\\\\evil.example/app",
    "/app",
    "http://127.0.0.1:3999@evil.example/app",
    "http://user:pass@127.0.0.1:3999/app",
    "http://127.0.0.1:3999\\@evil.example/app",
    "http:/\\evil.example/app",
    " http://127.0.0.1:3999/app",
    "http://127.0.0.1:3999/app\r\nSet-Cookie: x=1",
    "http://localhost:3000\t.evil.example/",
    "http://localhost%3A3000@evil.example/",
    `http://127.0.0.1:3999/app/${"a".repeat(2050)}`,
  ])("refuses %s", async (redirectTo) => {
    const before = await pendingStates();
    const res = await postJson("oauth-start", user.token, { provider: "spotify", redirect_to: redirectTo });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("invalid_request");
    expect(body.error.message).toMatch(/^"redirect_to" /);
    expect(await pendingStates()).toBe(before);
  });

  it.each([TEST_APP_URL, `${TEST_APP_URL}/connected?tab=2`, `${TEST_APP_URL}/a/b#done`, "http://localhost:3000/", "http://localhost:3000/any/path"])(
    "accepts %s",
    async (redirectTo) => {
      const res = await postJson("oauth-start", user.token, { provider: "spotify", redirect_to: redirectTo });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { authorize_url: string };
      // The app's address never travels to the provider: only the callback does.
      expect(body.authorize_url).not.toContain(encodeURIComponent(redirectTo));
    },
  );
});
