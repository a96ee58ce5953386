/**
 * The app page of the browser test (bundled with esbuild, served on its own loopback origin): a supabase-js
 * client signed in with the JWT the test hands over, and the provider-tokens browser client. On load it
 * completes a connection when the address carries one; `window.app` lets the test drive the rest.
 */
import { createClient } from "@supabase/supabase-js";
import { createProviderTokensClient, ProviderTokensError } from "../../packages/shared/src/client/index.ts";
import "./app-page-types.ts";


const jwt = () => sessionStorage.getItem("jwt") ?? "";
const supabase = createClient(window.__config.apiUrl, window.__config.anonKey, { accessToken: async () => jwt() });
const tokens = createProviderTokensClient(supabase);

/** Runs a client call and reports its outcome as plain data (errors by code, status and message). */
async function outcome(run: () => Promise<unknown>): Promise<unknown> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    if (error instanceof ProviderTokensError) {
      return { ok: false, code: error.code, status: error.status, message: error.message, remedy: error.remedy, provider: error.provider };
    }
    return { ok: false, code: "unexpected", message: String(error) };
  }
}

window.app = {
  start: (provider: string, options?: Record<string, unknown>) => outcome(() => tokens.startConnection(provider, options)),
  getToken: (provider: string, account?: string) => outcome(() => tokens.getToken(provider, account)),
  list: () => outcome(() => tokens.listConnections()),
  disconnect: (provider: string, account?: string) => outcome(() => tokens.disconnect(provider, account)),
  complete: (connect: unknown) => outcome(async () => {
    const { data, error } = await supabase.functions.invoke("oauth-complete", { body: { connect } });
    if (error) throw error;
    return data;
  }),
  raw: async (name: string, init: { method?: string; body?: string; token?: string }) => {
    const res = await fetch(`${window.__config.apiUrl}/functions/v1/${name}`, {
      method: init.method ?? "POST",
      headers: { "content-type": "application/json", apikey: window.__config.anonKey, ...(init.token ? { authorization: `Bearer ${init.token}` } : {}) },
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    return { status: res.status, body: await res.json(), retryAfter: res.headers.get("retry-after") };
  },
};

window.completion = outcome(() => tokens.completeConnection());
window.completion.then((result) => {
  document.body.dataset.completion = JSON.stringify(result);
  document.querySelector("#status")!.textContent = JSON.stringify(result);
});
