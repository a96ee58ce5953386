import { PROVIDER_IDS, type ProviderId } from "../providers/provider-ids.ts";

/**
 * One connection to import, as validated from a line of an import file (README, "Operator CLI"): the
 * columns `user_id` or `email`, `provider`, `account` (optional), `access_token`, `refresh_token`,
 * `expires_at` (ISO 8601 or Unix seconds), `scopes` (array or space-separated).
 */
export interface ImportRecord {
  /** 1-based line number in the file (for CSV, counting the header as line 1). */
  line: number;
  userId: string | null;
  email: string | null;
  provider: ProviderId;
  account: string;
  accessToken: string;
  refreshToken: string | null;
  expiresAt: Date | null;
  scopes: string[];
}

/** A line that cannot be imported; the message names the field and never carries a value. */
export interface ImportLineError {
  line: number;
  message: string;
}

export const IMPORT_COLUMNS = ["user_id", "email", "provider", "account", "access_token", "refresh_token", "expires_at", "scopes"] as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const MAX_TOKEN = 8192;
/** Unix seconds between 2000-01-01 and 2200-01-01: a value in milliseconds, or garbage, falls outside. */
const MIN_UNIX = 946_684_800;
const MAX_UNIX = 7_258_118_400;

const isProvider = (p: string): p is ProviderId => (PROVIDER_IDS as readonly string[]).includes(p);

/**
 * Validates one parsed line. Values are taken as strings, numbers, arrays or null (JSON) or strings (CSV,
 * where an empty cell means absent).
 *
 * @returns the record, or the reasons it is refused (every field at fault, not only the first).
 */
export function validateImportRow(line: number, raw: unknown): ImportRecord | ImportLineError[] {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return [{ line, message: "must be a JSON object" }];
  const row = raw as Record<string, unknown>;
  const errors: string[] = [];
  for (const key of Object.keys(row)) {
    if (!(IMPORT_COLUMNS as readonly string[]).includes(key)) errors.push(`unknown column "${key.slice(0, 40).replace(/[^\w-]/g, "?")}"`);
  }
  const text = (name: string): string | null => {
    const v = row[name];
    if (v === undefined || v === null || v === "") return null;
    if (typeof v !== "string") {
      errors.push(`"${name}" must be a string`);
      return null;
    }
    return v;
  };
  const userId = text("user_id");
  const email = text("email");
  if (userId !== null && !UUID.test(userId)) errors.push('"user_id" must be a UUID');
  if (email !== null && !EMAIL.test(email)) errors.push('"email" must be an email address');
  if (userId === null && email === null) errors.push('"user_id" or "email" is required');

  const provider = text("provider");
  if (provider === null) errors.push('"provider" is required');
  else if (!isProvider(provider)) errors.push(`"provider" must be one of ${PROVIDER_IDS.join(", ")}`);

  const account = text("account") ?? "";
  if (account.length > 255) errors.push('"account" must be at most 255 characters');

  const accessToken = text("access_token");
  if (accessToken === null) errors.push('"access_token" is required');
  else if (accessToken.length > MAX_TOKEN || /\s/.test(accessToken)) errors.push(`"access_token" must be at most ${MAX_TOKEN} characters without spaces`);
  const refreshToken = text("refresh_token");
  if (refreshToken !== null && (refreshToken.length > MAX_TOKEN || /\s/.test(refreshToken))) {
    errors.push(`"refresh_token" must be at most ${MAX_TOKEN} characters without spaces`);
  }

  let expiresAt: Date | null = null;
  const exp = row.expires_at;
  if (exp !== undefined && exp !== null && exp !== "") {
    const seconds = typeof exp === "number" ? exp : typeof exp === "string" && /^\d+$/.test(exp) ? Number(exp) : null;
    if (seconds !== null) {
      if (!Number.isInteger(seconds) || seconds < MIN_UNIX || seconds > MAX_UNIX) errors.push('"expires_at" in Unix seconds must be an integer between 2000 and 2200');
      else expiresAt = new Date(seconds * 1000);
    } else if (typeof exp === "string" && ISO_8601.test(exp) && Number.isFinite(Date.parse(exp))) {
      expiresAt = new Date(exp);
    } else {
      errors.push('"expires_at" must be an ISO 8601 date-time or Unix seconds');
    }
  }

  let scopes: string[] = [];
  const sc = row.scopes;
  if (Array.isArray(sc)) {
    if (sc.every((s) => typeof s === "string")) scopes = sc as string[];
    else errors.push('"scopes" must be an array of strings');
  } else if (typeof sc === "string") {
    scopes = sc.split(/\s+/).filter(Boolean);
  } else if (sc !== undefined && sc !== null) {
    errors.push('"scopes" must be an array or a space-separated string');
  }
  if (scopes.length > 256 || scopes.some((s) => s.length === 0 || s.length > 256)) errors.push('"scopes" must be at most 256 scopes of 1 to 256 characters');

  if (errors.length > 0) return errors.map((message) => ({ line, message }));
  return {
    line, userId: userId?.toLowerCase() ?? null, email: userId === null ? email!.toLowerCase() : null, provider: provider as ProviderId,
    account, accessToken: accessToken!, refreshToken, expiresAt, scopes: [...new Set(scopes)],
  };
}

/**
 * Splits CSV text (RFC 4180: quoted fields, doubled quotes, CRLF or LF) into rows of cells, each row with
 * the 1-based line it starts on.
 */
export function parseCsv(text: string): { line: number; cells: string[] }[] | ImportLineError {
  const rows: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = "";
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let afterQuote = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') { cell += '"'; i++; } else { quoted = false; afterQuote = true; }
      } else {
        if (c === "\n") line++;
        cell += c;
      }
      continue;
    }
    if (c === '"' && cell === "" && !afterQuote) { quoted = true; continue; }
    if (c === ",") { cells.push(cell); cell = ""; afterQuote = false; continue; }
    if (c === "\r" && text[i + 1] === "\n") continue;
    if (c === "\n") {
      cells.push(cell);
      rows.push({ line: rowLine, cells });
      cells = []; cell = ""; afterQuote = false;
      line++;
      rowLine = line;
      continue;
    }
    if (afterQuote) return { line, message: "a quoted CSV field must end at a comma or the end of the line" };
    cell += c;
  }
  if (quoted) return { line: rowLine, message: "a quoted CSV field is not closed" };
  if (cell !== "" || cells.length > 0) { cells.push(cell); rows.push({ line: rowLine, cells }); }
  return rows.filter((r) => !(r.cells.length === 1 && r.cells[0]!.trim() === ""));
}

/** Whether a file's text is JSON lines (its first non-blank character opens an object) rather than CSV. */
export function looksLikeJsonLines(text: string): boolean {
  return text.trimStart().startsWith("{");
}

/**
 * Parses and validates a whole import file (JSON lines or CSV with a header row), reporting every bad line by
 * number. A `(user, provider, account)` given twice is refused on its later line.
 */
export function parseImportFile(text: string, format: "jsonl" | "csv" | "auto" = "auto"): { records: ImportRecord[]; errors: ImportLineError[] } {
  const records: ImportRecord[] = [];
  const errors: ImportLineError[] = [];
  const accept = (line: number, raw: unknown) => {
    const r = validateImportRow(line, raw);
    if (Array.isArray(r)) errors.push(...r);
    else records.push(r);
  };
  const kind = format === "auto" ? (looksLikeJsonLines(text) ? "jsonl" : "csv") : format;
  if (kind === "jsonl") {
    const lines = text.split("\n");
    for (const [i, l] of lines.entries()) {
      if (l.trim() === "") continue;
      let raw: unknown;
      try {
        raw = JSON.parse(l);
      } catch {
        errors.push({ line: i + 1, message: "is not valid JSON" });
        continue;
      }
      accept(i + 1, raw);
    }
  } else {
    const rows = parseCsv(text);
    if (!Array.isArray(rows)) return { records: [], errors: [rows] };
    const [header, ...body] = rows;
    if (!header) return { records: [], errors: [{ line: 1, message: "the file is empty" }] };
    const names = header.cells.map((c) => c.trim());
    for (const r of body) {
      if (r.cells.length !== names.length) {
        errors.push({ line: r.line, message: `has ${r.cells.length} cells; the header has ${names.length}` });
        continue;
      }
      accept(r.line, Object.fromEntries(names.map((n, i) => [n, r.cells[i]])));
    }
  }
  const seen = new Map<string, number>();
  const unique: ImportRecord[] = [];
  for (const r of records) {
    const key = `${r.userId ?? r.email}\u0000${r.provider}\u0000${r.account}`;
    const first = seen.get(key);
    if (first !== undefined) errors.push({ line: r.line, message: `repeats the connection of line ${first} (same user, provider and account)` });
    else { seen.set(key, r.line); unique.push(r); }
  }
  errors.sort((a, b) => a.line - b.line);
  return { records: unique, errors };
}
