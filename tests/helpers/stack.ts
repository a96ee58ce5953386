/** What integration tests need to reach the running stack. */
import { loadKeys, signUserToken } from "../../scripts/stack/keys.ts";
import { API_URL, DB_URL } from "../../scripts/stack/paths.ts";
import { ensureUser } from "../../scripts/stack/users.ts";
import postgres from "postgres";

export { API_URL, DB_URL };
export const FUNCTIONS_URL = `${API_URL}/functions/v1`;

export async function keys() {
  return loadKeys();
}

/** Creates (or finds) a user and returns an access token for them. */
export async function userToken(email: string, alg: "HS256" | "ES256" = "HS256") {
  const user = await ensureUser(email);
  return { ...user, token: await signUserToken(await loadKeys(), user, { alg }) };
}

export function db() {
  return postgres(DB_URL, { max: 4, onnotice: () => {} });
}

export function callFunction(name: string, init: RequestInit & { token?: string } = {}) {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  return fetch(`${FUNCTIONS_URL}/${name}`, { ...init, headers });
}
