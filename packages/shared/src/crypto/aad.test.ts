import { describe, expect, it } from "vitest";
import { aadString } from "./aad.ts";

describe("aadString", () => {
  it("is stable and includes table, column and row id", () => {
    const aad = { table: "public.platform_connections", column: "refresh_token", rowId: "6f1c" };
    expect(aadString(aad)).toBe("provider-tokens/aad/v1|public.platform_connections|refresh_token|6f1c");
    expect(aadString({ ...aad })).toBe(aadString(aad));
  });

  it("differs when any part differs", () => {
    const base = { table: "t", column: "c", rowId: "1" };
    const variants = [base, { ...base, table: "u" }, { ...base, column: "d" }, { ...base, rowId: "2" }];
    expect(new Set(variants.map(aadString)).size).toBe(4);
  });

  it.each([
    [{ table: "", column: "c", rowId: "1" }, '"aad.table"'],
    [{ table: "a|b", column: "c", rowId: "1" }, '"aad.table"'],
    [{ table: "t", column: "x.y", rowId: "1" }, '"aad.column"'],
    [{ table: "t", column: "c", rowId: "" }, '"aad.rowId"'],
    [{ table: "t", column: "c", rowId: 5 }, '"aad.rowId"'],
  ])("rejects %j naming the field", (aad, field) => {
    expect(() => aadString(aad as never)).toThrow(field);
  });
});
