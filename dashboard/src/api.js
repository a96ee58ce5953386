/** An answer of the API that is not a 2xx: its status and the contract's error code and message. */
export class ApiFailure extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Calls an Edge Function with the admin JWT (and the anon key as `apikey`, which the hosted gateway wants). */
export function createApi(settings, token) {
  const base = settings.apiUrl.replace(/\/+$/, "") + "/functions/v1/";
  return async function call(path, init = {}) {
    const headers = { authorization: `Bearer ${token}` };
    if (settings.anonKey) headers.apikey = settings.anonKey;
    if (init.body !== undefined) headers["content-type"] = "application/json";
    let res;
    try {
      res = await fetch(base + path, { method: init.method ?? "GET", headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
    } catch {
      throw new ApiFailure(0, "network", `cannot reach ${settings.apiUrl || "the API"}`);
    }
    const text = await res.text();
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    if (!res.ok) throw new ApiFailure(res.status, body?.error?.code ?? "http_" + res.status, body?.error?.message ?? res.statusText);
    return body;
  };
}
