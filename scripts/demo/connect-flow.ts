/**
 * The real connect flow, as a browser and the app's page would go through it: oauth-start with the user's
 * JWT, the provider's authorize URL (the emulator answers 302 to oauth-callback), the callback (302 to
 * redirect_to with `?connect=<id>&provider=<p>`: the grant is parked), then what the page at redirect_to
 * does: oauth-complete with the same user's JWT, which stores the connection.
 */
export interface ConnectResult {
  ok: boolean;
  /** The final redirect back to the app, with the connect id shortened (it is a bearer of the grant). */
  location: string;
  /** `connected=<provider> (<account>)`, or `error=<code>` from the redirect or oauth-complete. */
  outcome: string;
}

export async function connectThroughBrowserFlow(
  functionsUrl: string,
  userJwt: string,
  provider: string,
  redirectTo: string,
): Promise<ConnectResult> {
  const headers = { authorization: `Bearer ${userJwt}`, "content-type": "application/json" };
  const start = await fetch(`${functionsUrl}/oauth-start`, {
    method: "POST",
    headers,
    body: JSON.stringify({ provider, redirect_to: redirectTo }),
  });
  const started = (await start.json()) as { authorize_url?: string; error?: { code: string; message: string } };
  if (start.status !== 200 || !started.authorize_url) {
    throw new Error(`oauth-start answered ${start.status}: ${started.error?.code ?? ""} ${started.error?.message ?? ""}`.trim());
  }
  const consent = await fetch(started.authorize_url, { redirect: "manual" });
  const callback = consent.headers.get("location");
  if (consent.status !== 302 || !callback) throw new Error(`the provider's authorize page answered ${consent.status}`);
  const back = await fetch(callback, { redirect: "manual", headers: { accept: "text/html" } });
  const location = back.headers.get("location");
  if (back.status !== 302 || !location) throw new Error(`oauth-callback answered ${back.status}`);
  const url = new URL(location);
  const connect = url.searchParams.get("connect");
  if (connect === null) {
    return { ok: false, location: url.href, outcome: `error=${url.searchParams.get("error")}` };
  }
  url.searchParams.delete("connect");
  url.searchParams.delete("provider");
  const shown = `${url.origin}${url.pathname}${url.search === "" ? "?" : `${url.search}&`}connect=${connect.slice(0, 6)}…&provider=${provider}`;
  const complete = await fetch(`${functionsUrl}/oauth-complete`, { method: "POST", headers, body: JSON.stringify({ connect }) });
  const body = (await complete.json()) as { provider?: string; account?: string; error?: { code: string } };
  if (complete.status !== 200) return { ok: false, location: shown, outcome: `error=${body.error?.code ?? complete.status}` };
  return { ok: body.provider === provider, location: shown, outcome: `connected=${body.provider} (${body.account})` };
}
