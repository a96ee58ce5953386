/**
 * The real connect flow, as a browser would go through it: oauth-start with the user's JWT, the provider's
 * authorize URL (the emulator answers 302 to oauth-callback), the callback (302 to redirect_to), then the
 * result read from the final Location.
 */
export interface ConnectResult {
  ok: boolean;
  /** The final redirect back to the app. */
  location: string;
  /** `connected=<provider>` or `error=<code>` from that redirect. */
  outcome: string;
}

export async function connectThroughBrowserFlow(
  functionsUrl: string,
  userJwt: string,
  provider: string,
  redirectTo: string,
): Promise<ConnectResult> {
  const start = await fetch(`${functionsUrl}/oauth-start`, {
    method: "POST",
    headers: { authorization: `Bearer ${userJwt}`, "content-type": "application/json" },
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
  const params = new URL(location).searchParams;
  const connected = params.get("connected");
  return { ok: connected === provider, location, outcome: connected ? `connected=${connected}` : `error=${params.get("error")}` };
}
