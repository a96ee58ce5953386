// The admin JWT: taken from the URL fragment (#access_token=…, as Supabase Auth's implicit flow hands it over)
// and removed from the address bar at once, or pasted in. Kept in sessionStorage: gone when the tab closes.
const KEY = "provider-tokens-admin-jwt";
const SETTINGS = "provider-tokens-dashboard-settings";

/** Moves a token in the fragment to the session and strips the fragment from the address bar and history. */
export function takeTokenFromFragment() {
  if (!location.hash) return;
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get("access_token");
  if (token === null) return;
  history.replaceState(null, "", location.pathname + location.search);
  if (/^[A-Za-z0-9._~+/=-]{1,8192}$/.test(token)) sessionStorage.setItem(KEY, token);
}

export const readToken = () => sessionStorage.getItem(KEY);
export const saveToken = (token) => sessionStorage.setItem(KEY, token.trim());
export const clearToken = () => sessionStorage.removeItem(KEY);

/** API URL and anon key: what the user saved, else the page's own config.json (the stack writes it). */
export async function loadSettings() {
  let defaults = { apiUrl: "", anonKey: "" };
  try {
    const res = await fetch("./config.json", { cache: "no-store" });
    if (res.ok) defaults = { ...defaults, ...(await res.json()) };
  } catch {
    /* no config.json: the user enters the settings */
  }
  const saved = JSON.parse(localStorage.getItem(SETTINGS) ?? "{}");
  return { apiUrl: saved.apiUrl || defaults.apiUrl, anonKey: saved.anonKey || defaults.anonKey };
}

export function saveSettings(s) {
  localStorage.setItem(SETTINGS, JSON.stringify({ apiUrl: s.apiUrl.trim(), anonKey: s.anonKey.trim() }));
}
