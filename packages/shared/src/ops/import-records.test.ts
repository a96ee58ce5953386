import { describe, expect, it } from "vitest";
import { parseCsv, parseImportFile, validateImportRow } from "./import-records.ts";

const UID = "0b7c1f2e-3d4a-4b5c-8d6e-7f8091a2b3c4";

describe("validateImportRow", () => {
  it("accepts the contract's columns, ISO 8601 or Unix seconds, scopes as array or string", () => {
    const a = validateImportRow(1, { user_id: UID, provider: "spotify", access_token: "at", refresh_token: "rt", expires_at: "2030-01-02T03:04:05Z", scopes: ["a", "b"] });
    expect(a).toMatchObject({ userId: UID, provider: "spotify", account: "", accessToken: "at", refreshToken: "rt", scopes: ["a", "b"] });
    expect((a as { expiresAt: Date }).expiresAt.toISOString()).toBe("2030-01-02T03:04:05.000Z");
    const b = validateImportRow(2, { email: "A@Example.com", provider: "github", account: "octo", access_token: "gho_x", expires_at: 1893456000, scopes: "repo  read:user" });
    expect(b).toMatchObject({ email: "a@example.com", userId: null, refreshToken: null, scopes: ["repo", "read:user"] });
    expect((b as { expiresAt: Date }).expiresAt.toISOString()).toBe("2030-01-01T00:00:00.000Z");
    expect(validateImportRow(3, { email: "a@b.c", provider: "github", access_token: "x", expires_at: "1893456000" })).toMatchObject({ line: 3 });
  });

  it("names every field at fault and never echoes a token", () => {
    const errors = validateImportRow(7, {
      user_id: "nope", provider: "myspace", access_token: "secret value with spaces", expires_at: "tomorrow", scopes: 5, extra: 1,
    }) as { line: number; message: string }[];
    const text = errors.map((e) => e.message).join("\n");
    expect(errors.every((e) => e.line === 7)).toBe(true);
    expect(text).toContain('"user_id" must be a UUID');
    expect(text).toContain('"provider" must be one of');
    expect(text).toContain('"access_token" must be');
    expect(text).toContain('"expires_at" must be an ISO 8601');
    expect(text).toContain('"scopes" must be');
    expect(text).toContain('unknown column "extra"');
    expect(text).not.toContain("secret value");
    expect(validateImportRow(1, [])).toEqual([{ line: 1, message: "must be a JSON object" }]);
    expect(validateImportRow(1, { provider: "spotify", access_token: "a" })).toEqual([{ line: 1, message: '"user_id" or "email" is required' }]);
    // Milliseconds instead of seconds is a mistake, not a date in the year 50000.
    expect(JSON.stringify(validateImportRow(1, { email: "a@b.c", provider: "spotify", access_token: "a", expires_at: 1893456000000 }))).toContain("Unix seconds");
  });
});

describe("parseCsv", () => {
  it("reads quoted fields, doubled quotes, CRLF and newlines inside quotes, keeping line numbers", () => {
    const rows = parseCsv('a,b\r\n"x, y","he said ""hi"""\n"multi\nline",z\n') as { line: number; cells: string[] }[];
    expect(rows).toEqual([
      { line: 1, cells: ["a", "b"] },
      { line: 2, cells: ["x, y", 'he said "hi"'] },
      { line: 3, cells: ["multi\nline", "z"] },
    ]);
    expect(parseCsv('a\n"open')).toEqual({ line: 2, message: "a quoted CSV field is not closed" });
  });
});

describe("parseImportFile", () => {
  it("reports bad lines by number, JSON lines and CSV alike, and refuses a repeated connection", () => {
    const jsonl = [
      JSON.stringify({ email: "a@b.c", provider: "spotify", access_token: "t1" }),
      "{not json",
      "",
      JSON.stringify({ email: "a@b.c", provider: "spotify", access_token: "t2" }),
    ].join("\n");
    const j = parseImportFile(jsonl);
    expect(j.records).toHaveLength(1);
    expect(j.errors.map((e) => e.line)).toEqual([2, 4]);
    expect(j.errors[1]!.message).toContain("line 1");

    const csv = "email,provider,account,access_token,refresh_token,expires_at,scopes\na@b.c,github,,gho_1,,,repo user\nb@b.c,nope,,x,,,\nc@b.c,github\n";
    const c = parseImportFile(csv);
    expect(c.records).toHaveLength(1);
    expect(c.records[0]).toMatchObject({ provider: "github", account: "", refreshToken: null, expiresAt: null, scopes: ["repo", "user"] });
    expect(c.errors.map((e) => e.line)).toEqual([3, 4]);
  });
});
