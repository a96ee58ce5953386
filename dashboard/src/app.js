import { html, render } from "htm/preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { CONNECTION_STATUSES as STATUSES } from "../../packages/shared/src/engine/transitions.ts";
import { ActivityChart } from "./activity-chart.js";
import { ApiFailure, createApi } from "./api.js";
import { clearToken, loadSettings, readToken, saveSettings, saveToken, takeTokenFromFragment } from "./session.js";

// Before anything else: a token in the fragment must not stay in the address bar (or reach the history).
takeTokenFromFragment();

const when = (v) => (v ? new Date(v).toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" }) : "—");
const short = (id) => (id ? id.slice(0, 8) : "");

function SignIn({ settings, onSignIn, onSettings, notice }) {
  const [token, setToken] = useState("");
  const [apiUrl, setApiUrl] = useState(settings.apiUrl);
  const [anonKey, setAnonKey] = useState(settings.anonKey);
  return html`<main class="narrow">
    <h1>provider-tokens</h1>
    ${notice && html`<p class="notice" role="alert">${notice}</p>`}
    <form id="sign-in" onSubmit=${(e) => { e.preventDefault(); onSettings({ apiUrl, anonKey }); onSignIn(token); }}>
      <label>Admin access token (a JWT with app_metadata.provider_tokens_admin, or the service role key)
        <textarea name="token" rows="4" required value=${token} onInput=${(e) => setToken(e.target.value)}></textarea></label>
      <details><summary>API settings</summary>
        <label>API URL <input name="api-url" value=${apiUrl} onInput=${(e) => setApiUrl(e.target.value)} placeholder="https://<ref>.supabase.co" /></label>
        <label>Anon key <input name="anon-key" value=${anonKey} onInput=${(e) => setAnonKey(e.target.value)} /></label>
      </details>
      <button type="submit">Sign in</button>
    </form>
  </main>`;
}

function Refusal({ message, onSignOut }) {
  return html`<main class="narrow"><h1>provider-tokens</h1>
    <p class="refusal" id="refusal" role="alert">Not allowed: ${message}</p>
    <button onClick=${onSignOut}>Sign in as someone else</button></main>`;
}

function Health({ health }) {
  const rows = Object.entries(health.providers).filter(([, h]) => h.configured || Object.values(h.connections).some((n) => n > 0));
  return html`<section><h2>Health by provider</h2>
    <table id="health"><thead><tr><th>provider</th>${STATUSES.map((s) => html`<th>${s}</th>`)}<th>retrying</th><th>failures (1 h)</th></tr></thead>
    <tbody>${rows.map(([p, h]) => html`<tr class=${h.client_misconfigured ? "bad" : ""}>
      <td>${p}${h.configured ? "" : html` <span class="tag">not configured</span>`}${h.client_misconfigured ? html` <span class="tag bad">client rejected</span>` : ""}</td>
      ${STATUSES.map((s) => html`<td class=${"num " + (h.connections[s] > 0 && (s === "needs_reauth" || s === "error") ? "bad" : "")}>${h.connections[s]}</td>`)}
      <td class="num">${h.retrying}</td>
      <td>${Object.entries(h.failures_last_hour).map(([c, n]) => `${c} ${n}`).join(", ") || "—"}</td></tr>`)}</tbody></table></section>`;
}

function Connections({ api, providers, onChanged, stamp }) {
  const [filter, setFilter] = useState({ status: "failing", provider: "" });
  const [data, setData] = useState(null);
  const [message, setMessage] = useState(null);
  const [busy, setBusy] = useState(false);
  const load = useCallback(async () => {
    const q = new URLSearchParams({ limit: "100" });
    if (filter.status) q.set("status", filter.status);
    if (filter.provider) q.set("provider", filter.provider);
    try {
      setData(await api(`token-admin/connections?${q}`));
    } catch (err) {
      setMessage(`Could not list connections: ${err.message}`);
    }
  }, [api, filter]);
  useEffect(() => { load(); }, [load, stamp]);
  const act = async (label, fn) => {
    setBusy(true);
    try {
      setMessage(`${label}: ${await fn()}`);
    } catch (err) {
      setMessage(`${label} failed: ${err.message}`);
    }
    setBusy(false);
    await load();
    onChanged();
  };
  const refreshOne = (c) => act(`Refresh ${c.provider} ${c.account}`, async () => {
    const r = await api("token-admin/refresh", { method: "POST", body: { connection_id: c.id } });
    return r.outcome + (r.code ? ` (${r.code})` : "");
  });
  const failingProviders = [...new Set((data?.connections ?? []).filter((c) => c.status !== "connected" || c.consecutive_failures > 0).map((c) => c.provider))];
  const refreshProvider = (p) => act(`Refresh ${p}'s failing connections`, async () => {
    const r = await api("token-admin/refresh-many", { method: "POST", body: { provider: p, status: "failing" } });
    return `${r.selected} selected, ${r.refreshed} refreshed, ${r.failed} failed, ${r.needs_reauth} need reauth, ${r.skipped} skipped`;
  });
  return html`<section><h2>Connections</h2>
    <div class="toolbar">
      <label>status <select id="status-filter" value=${filter.status} onChange=${(e) => setFilter({ ...filter, status: e.target.value })}>
        <option value="failing">failing</option><option value="">all</option>${STATUSES.map((s) => html`<option value=${s}>${s}</option>`)}</select></label>
      <label>provider <select id="provider-filter" value=${filter.provider} onChange=${(e) => setFilter({ ...filter, provider: e.target.value })}>
        <option value="">all</option>${providers.map((p) => html`<option value=${p}>${p}</option>`)}</select></label>
      ${failingProviders.map((p) => html`<button class="secondary" disabled=${busy} data-refresh-provider=${p} onClick=${() => refreshProvider(p)}>Refresh failing ${p}</button>`)}
    </div>
    ${message && html`<p class="flash" id="flash" role="status">${message}</p>`}
    ${data === null ? html`<p class="muted">Loading…</p>` : data.connections.length === 0 ? html`<p class="muted" id="no-connections">No connections match.</p>` : html`
    <table id="connections"><thead><tr><th>provider</th><th>account</th><th>user</th><th>status</th><th>last error</th><th>failures</th><th>last refreshed</th><th>expires</th><th>next attempt</th><th></th></tr></thead>
    <tbody>${data.connections.map((c) => html`<tr data-id=${c.id} class=${c.status === "connected" ? "" : "bad"}>
      <td>${c.provider}</td><td>${c.account}</td><td class="mono" title=${c.user_id}>${short(c.user_id)}</td>
      <td class="status">${c.status}</td><td class="error">${c.last_error ?? ""}</td><td class="num">${c.consecutive_failures}</td>
      <td class="last-refreshed" data-at=${c.last_refreshed_at ?? ""}>${when(c.last_refreshed_at)}</td><td>${when(c.expires_at)}</td><td>${when(c.next_attempt_at)}</td>
      <td><button class="refresh" disabled=${busy || c.status === "disconnected"} onClick=${() => refreshOne(c)}>Refresh</button></td></tr>`)}</tbody></table>
    ${data.next_after && html`<p class="muted">Showing the first 100; narrow the filter to see others.</p>`}`}
  </section>`;
}

function Runs({ runs }) {
  return html`<section><h2>Last scheduled runs</h2>
    ${runs.runs.length === 0 ? html`<p class="muted" id="no-runs">No runs yet.</p>` : html`
    <table id="runs"><thead><tr><th>started</th><th>trigger</th><th>partition</th><th>claimed</th><th>refreshed</th><th>failed</th><th>needs reauth</th><th>duration</th><th>CPU</th><th>stopped by</th></tr></thead>
    <tbody>${runs.runs.map((r) => html`<tr class=${r.failed > 0 || r.stopped_by === "error" ? "bad" : ""}><td>${when(r.started_at)}</td><td>${r.trigger}</td><td>${r.partition + 1}/${r.partitions}</td>
      <td class="num">${r.claimed ?? "…"}</td><td class="num">${r.refreshed ?? ""}</td><td class="num">${r.failed ?? ""}</td><td class="num">${r.needs_reauth ?? ""}</td>
      <td class="num">${r.duration_ms === null ? "running" : `${r.duration_ms} ms`}</td><td class="num">${r.cpu_ms ?? ""}</td><td>${r.stopped_by ?? ""}</td></tr>`)}</tbody></table>`}
    <h3>pg_cron</h3>
    ${runs.cron.length === 0 ? html`<p class="muted">No cron runs recorded.</p>` : html`
    <table id="cron"><thead><tr><th>job</th><th>status</th><th>started</th><th>ended</th><th>message</th></tr></thead>
    <tbody>${runs.cron.map((c) => html`<tr class=${c.status === "failed" ? "bad" : ""}><td>${c.jobname}</td><td>${c.status}</td><td>${when(c.start_time)}</td><td>${when(c.end_time)}</td><td class=${c.status === "failed" ? "error" : "muted"}>${c.return_message ?? ""}</td></tr>`)}</tbody></table>`}
  </section>`;
}

function Deliveries({ deliveries }) {
  return html`<section><h2>Webhook deliveries</h2>
    ${deliveries === null ? html`<p class="muted" id="no-webhooks">No webhook data (this deployment's token-admin has no webhook routes).</p>`
      : deliveries.length === 0 ? html`<p class="muted" id="no-webhooks">No deliveries yet.</p>` : html`
    <table id="deliveries"><thead><tr><th>created</th><th>event</th><th>status</th><th>attempts</th><th>last answer</th><th>next attempt</th></tr></thead>
    <tbody>${deliveries.map((d) => html`<tr class=${d.status === "dead" || d.status === "failed" ? "bad" : ""}><td>${when(d.created_at)}</td><td>${d.event_type}</td><td>${d.status}</td>
      <td class="num">${d.attempts}</td><td>${d.last_status_code ?? ""} ${d.last_error ?? ""}</td><td>${when(d.next_attempt_at)}</td></tr>`)}</tbody></table>`}
  </section>`;
}

function Dashboard({ api, onSignOut, onRefused }) {
  const [state, setState] = useState(null);
  const [error, setError] = useState(null);
  const [stamp, setStamp] = useState(0);
  const load = useCallback(async () => {
    try {
      const [health, runs, activity] = await Promise.all([api("token-health"), api("token-admin/runs?limit=10"), api("token-admin/activity?hours=24")]);
      let deliveries = null;
      try {
        deliveries = (await api("token-admin/deliveries?limit=20")).deliveries;
      } catch (err) {
        if (!(err instanceof ApiFailure && err.status === 404)) throw err;
      }
      setState({ health, runs, activity, deliveries, at: new Date() });
      setError(null);
    } catch (err) {
      if (err instanceof ApiFailure && (err.status === 401 || err.status === 403)) return onRefused(err);
      setError(err.message);
    }
  }, [api]);
  useEffect(() => {
    load();
    const t = setInterval(load, 30_000);
    return () => clearInterval(t);
  }, [load]);
  if (state === null) return html`<main><p class=${error ? "notice" : "muted"}>${error ?? "Loading…"}</p></main>`;
  const providers = Object.keys(state.health.providers);
  const total = state.activity.buckets.reduce((a, b) => ({ r: a.r + b.refreshed, f: a.f + b.failed }), { r: 0, f: 0 });
  return html`<main>
    <header><h1>provider-tokens</h1><span class="muted">updated ${when(state.at)}</span>
      <button class="secondary" onClick=${() => { load(); setStamp(stamp + 1); }}>Reload</button><button class="secondary" onClick=${onSignOut}>Sign out</button></header>
    ${error && html`<p class="notice">${error}</p>`}
    <section><h2>Refreshes in the last 24 hours <span class="muted">${total.r} refreshed, ${total.f} failed</span></h2>
      <${ActivityChart} buckets=${state.activity.buckets} /></section>
    <${Health} health=${state.health} />
    <${Connections} api=${api} providers=${providers} stamp=${stamp} onChanged=${load} />
    <${Runs} runs=${state.runs} />
    <${Deliveries} deliveries=${state.deliveries} />
  </main>`;
}

function App({ initialSettings }) {
  const [settings, setSettings] = useState(initialSettings);
  const [token, setToken] = useState(readToken());
  const [refusal, setRefusal] = useState(null);
  const [notice, setNotice] = useState(null);
  const signOut = () => { clearToken(); setToken(null); setRefusal(null); };
  if (!token) {
    return html`<${SignIn} settings=${settings} notice=${notice}
      onSettings=${(s) => { saveSettings(s); setSettings(s); }}
      onSignIn=${(t) => { saveToken(t); setToken(t.trim()); setNotice(null); }} />`;
  }
  if (refusal) return html`<${Refusal} message=${refusal} onSignOut=${signOut} />`;
  const api = createApi(settings, token);
  return html`<${Dashboard} api=${api} onSignOut=${signOut} onRefused=${(err) => {
    if (err.status === 403) return setRefusal("this account is not an admin of provider-tokens (app_metadata.provider_tokens_admin).");
    clearToken(); setToken(null); setNotice(`Signed out: ${err.message}`);
  }} />`;
}

loadSettings().then((s) => {
  const root = document.getElementById("app");
  root.textContent = "";
  render(html`<${App} initialSettings=${s} />`, root);
});
