import { describe, expect, expectTypeOf, it } from "vitest";
import {
  array,
  boolean,
  number,
  object,
  oneOf,
  optional,
  record,
  refine,
  SchemaError,
  string,
  variant,
  withDefaults,
  type Infer,
  type Input,
} from "./schema-kit.ts";

const thing = object({
  name: string({ minLength: 1 }),
  count: number({ integer: true, min: 0 }),
  flag: optional(boolean()),
  mode: oneOf(["a", "b"] as const),
  tags: array(string()),
  headers: record(string()),
  rotation: variant("kind", { none: {}, grace: { seconds: number({ min: 1 }) } }),
});

const valid = {
  name: "x",
  count: 2,
  mode: "a",
  tags: ["t"],
  headers: { Accept: "application/json" },
  rotation: { kind: "grace", seconds: 30 },
};

function errorOf(fn: () => unknown): SchemaError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SchemaError);
    return error as SchemaError;
  }
  throw new Error("expected a SchemaError");
}

describe("schema kit", () => {
  it("accepts a valid value and derives its type", () => {
    const parsed = thing.parse(valid);
    expect(parsed).toEqual(valid);
    expectTypeOf(parsed.flag).toEqualTypeOf<boolean | undefined>();
    expectTypeOf(parsed.mode).toEqualTypeOf<"a" | "b">();
    type Rotation = Infer<typeof thing>["rotation"];
    expectTypeOf<Rotation>().toEqualTypeOf<{ readonly kind: "none" } | { readonly kind: "grace"; readonly seconds: number }>();
  });

  it("rejects unknown keys, naming the path", () => {
    expect(errorOf(() => thing.parse({ ...valid, extra: 1 })).message).toBe('"extra" is not a known field');
    expect(errorOf(() => thing.parse({ ...valid, rotation: { kind: "none", seconds: 1 } })).message).toBe(
      '"rotation.seconds" is not a known field',
    );
  });

  it.each([
    [{ ...valid, name: 1 }, '"name" must be a string'],
    [{ ...valid, name: "" }, '"name" must be at least 1 characters'],
    [{ ...valid, count: 1.5 }, '"count" must be an integer'],
    [{ ...valid, count: -1 }, '"count" must be at least 0'],
    [{ ...valid, mode: "c" }, '"mode" must be one of "a", "b"'],
    [{ ...valid, tags: ["ok", 3] }, '"tags.1" must be a string'],
    [{ ...valid, headers: { A: 1 } }, '"headers.A" must be a string'],
    [{ ...valid, flag: "yes" }, '"flag" must be a boolean'],
    [{ ...valid, rotation: { kind: "other" } }, '"rotation.kind" must be one of "none", "grace"'],
    [{ ...valid, rotation: { kind: "grace" } }, '"rotation.seconds" must be a finite number'],
    [{ name: "x" }, '"count" must be a finite number'],
  ])("rejects %j", (input, message) => {
    expect(errorOf(() => thing.parse(input)).message).toBe(message);
  });

  it("runs refinements after the base check", () => {
    const even = refine(number(), (n) => (n % 2 === 0 ? undefined : "must be even"));
    expect(even.parse(4)).toBe(4);
    expect(errorOf(() => even.parse(3, "n")).message).toBe('"n" must be even');
  });

  it("rejects class instances and arrays where an object is expected", () => {
    expect(errorOf(() => object({}).parse([])).message).toBe('"value" must be an object');
    expect(errorOf(() => object({}).parse(new Date())).message).toBe('"value" must be an object');
  });

  it("fills missing fields from defaults, to any depth, and leaves absent optional objects absent", () => {
    const section = object({ mode: oneOf(["a", "b"] as const), tags: array(string()) });
    const entry = withDefaults(object({ name: string(), section, extra: optional(section) }), {
      section: { mode: "a", tags: ["t"] },
      extra: { mode: "b" },
    });
    expect(entry.parse({ name: "x" })).toEqual({ name: "x", section: { mode: "a", tags: ["t"] } });
    expect(entry.parse({ name: "x", section: { mode: "b" }, extra: { tags: [] } })).toEqual({
      name: "x",
      section: { mode: "b", tags: ["t"] },
      extra: { mode: "b", tags: [] },
    });
    // Arrays are replaced whole, never merged.
    expect(entry.parse({ name: "x", section: { tags: ["u"] } }).section.tags).toEqual(["u"]);
    expect(errorOf(() => entry.parse({ section: {} })).message).toBe('"name" must be a string');
    expect(errorOf(() => entry.parse({ name: "x", extra: {} })).message).toBe('"extra.tags" must be an array');
    type In = Input<typeof entry>;
    expectTypeOf<In["name"]>().toEqualTypeOf<string>();
    expectTypeOf<In>().toMatchTypeOf<{ readonly name: string }>();
    expectTypeOf<{ name: "x" }>().toMatchTypeOf<In>();
    expectTypeOf<Infer<typeof entry>["section"]["tags"]>().toEqualTypeOf<readonly string[]>();
  });
});
