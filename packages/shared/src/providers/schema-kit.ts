/**
 * A tiny typed schema: each schema validates `unknown` input and carries its TypeScript type, so the catalog's
 * types derive from the same definition that validates it. Objects are strict (unknown keys are rejected).
 * Modelled on the shape of Standard Schema validators, without a dependency.
 *
 * `parse` may be given a `fallback`: the value for a missing field, to any depth (see {@link withDefaults}).
 * `T` is what parsing yields, `I` what it accepts.
 *
 * @see https://standardschema.dev/
 */
export interface Schema<T, I = T> {
  /** Validates `value`, filling what is missing from `fallback`; `path` names the field in error messages. @throws SchemaError */
  parse(value: unknown, path?: string, fallback?: unknown): T;
  /** Whether an object field with this schema may be absent (and stays absent: no fallback fills it). */
  readonly optional: boolean;
  /** Type only: the input type. */
  readonly "~input"?: I;
}

/**
 * The TypeScript type a {@link Schema} yields.
 */
export type Infer<S> = S extends Schema<infer T, unknown> ? T : never;

/**
 * The TypeScript type a {@link Schema} accepts (fields with defaults may be left out).
 */
export type Input<S> = S extends Schema<unknown, infer I> ? I : never;

/**
 * A value did not match its schema. `path` is the dotted location, e.g. `spotify.endpoints.token`.
 */
export class SchemaError extends Error {
  /** Stable code. */
  readonly code = "schema_invalid";
  /** Dotted path of the offending field. */
  readonly path: string;

  /**
   * @param path - Dotted field path.
   * @param expectation - What the field must be, e.g. `must be a string`.
   */
  constructor(path: string, expectation: string) {
    super(`"${path || "value"}" ${expectation}`);
    this.name = "SchemaError";
    this.path = path;
  }
}

function schema<T, I = T>(parse: (value: unknown, path: string, fallback: unknown) => T, optional = false): Schema<T, I> {
  return { parse: (value, path = "", fallback = undefined) => parse(value, path, fallback), optional };
}

// A value that is not made of fields: a missing one is the fallback, whole.
function leaf<T>(parse: (value: unknown, path: string) => T): Schema<T> {
  return schema((value, path, fallback) => parse(value === undefined ? fallback : value, path));
}

function fieldOf(fallback: unknown, key: string): unknown {
  return isPlainObject(fallback) ? fallback[key] : undefined;
}

function join(path: string, key: string | number): string {
  return path === "" ? String(key) : `${path}.${key}`;
}

/**
 * A string, optionally constrained by a pattern and length.
 */
export function string(options: { pattern?: RegExp; minLength?: number; describe?: string } = {}): Schema<string> {
  const { pattern, minLength = 0, describe } = options;
  return leaf((value, path) => {
    if (typeof value !== "string") throw new SchemaError(path, "must be a string");
    if (value.length < minLength) throw new SchemaError(path, `must be at least ${minLength} characters`);
    if (pattern !== undefined && !pattern.test(value)) {
      throw new SchemaError(path, `must be ${describe ?? `a string matching ${pattern}`}`);
    }
    return value;
  });
}

/**
 * A finite number, optionally an integer with a minimum.
 */
export function number(options: { integer?: boolean; min?: number } = {}): Schema<number> {
  return leaf((value, path) => {
    if (typeof value !== "number" || !Number.isFinite(value)) throw new SchemaError(path, "must be a finite number");
    if (options.integer === true && !Number.isInteger(value)) throw new SchemaError(path, "must be an integer");
    if (options.min !== undefined && value < options.min) throw new SchemaError(path, `must be at least ${options.min}`);
    return value;
  });
}

/**
 * A boolean.
 */
export function boolean(): Schema<boolean> {
  return leaf((value, path) => {
    if (typeof value !== "boolean") throw new SchemaError(path, "must be a boolean");
    return value;
  });
}

/**
 * One of a fixed set of literal values.
 */
export function oneOf<const T extends readonly (string | number)[]>(values: T): Schema<T[number]> {
  return leaf((value, path) => {
    if (!values.includes(value as T[number])) {
      throw new SchemaError(path, `must be one of ${values.map((v) => JSON.stringify(v)).join(", ")}`);
    }
    return value as T[number];
  });
}

/**
 * An array whose items all match `item`.
 */
export function array<T, I>(item: Schema<T, I>, options: { minLength?: number } = {}): Schema<readonly T[], readonly I[]> {
  return schema((given, path, fallback) => {
    const value = given === undefined ? fallback : given;
    if (!Array.isArray(value)) throw new SchemaError(path, "must be an array");
    if (options.minLength !== undefined && value.length < options.minLength) {
      throw new SchemaError(path, `must have at least ${options.minLength} item(s)`);
    }
    return value.map((entry, index) => item.parse(entry, join(path, index)));
  });
}

/**
 * A plain object used as a dictionary: every key matches `key`, every value matches `value`.
 */
export function record<T, I>(
  value: Schema<T, I>,
  key: Schema<string> = string(),
): Schema<Readonly<Record<string, T>>, Readonly<Record<string, I>>> {
  return schema((given, path, fallback) => {
    const input = given === undefined ? fallback : given;
    if (!isPlainObject(input)) throw new SchemaError(path, "must be an object");
    const out: Record<string, T> = {};
    for (const [k, v] of Object.entries(input)) {
      key.parse(k, join(path, k));
      out[k] = value.parse(v, join(path, k));
    }
    return out;
  });
}

/**
 * Marks an object field as optional (it may be absent or `undefined`). An absent field stays absent; a present
 * one is completed from the fallback like any other.
 */
export function optional<T, I>(inner: Schema<T, I>): Schema<T | undefined, I | undefined> & { readonly optional: true } {
  return {
    ...schema<T | undefined, I | undefined>((value, path, fallback) => (value === undefined ? undefined : inner.parse(value, path, fallback)), true),
    optional: true,
  };
}

/**
 * Adds a check to a schema; `check` returns an expectation message when the value is wrong.
 */
export function refine<T, I>(inner: Schema<T, I>, check: (value: T) => string | undefined): Schema<T, I> {
  return schema((value, path, fallback) => {
    const parsed = inner.parse(value, path, fallback);
    const problem = check(parsed);
    if (problem !== undefined) throw new SchemaError(path, problem);
    return parsed;
  }, inner.optional);
}

type Shape = Record<string, Schema<unknown, unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K]["optional"] extends true ? K : never }[keyof S];
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/**
 * The object type described by a shape: optional fields become `?:`.
 */
export type ObjectOf<S extends Shape> = Simplify<
  { readonly [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & {
    readonly [K in OptionalKeys<S>]?: Infer<S[K]>;
  }
>;

/**
 * The input type of an object shape: optional fields become `?:`.
 */
export type InputOf<S extends Shape> = Simplify<
  { readonly [K in Exclude<keyof S, OptionalKeys<S>>]: Input<S[K]> } & {
    readonly [K in OptionalKeys<S>]?: Input<S[K]>;
  }
>;

/**
 * A strict object: listed fields are validated, any other key is rejected. A missing field takes its value
 * from the fallback's field of the same name; a missing object is built from its fallback alone.
 */
export function object<S extends Shape>(shape: S): Schema<ObjectOf<S>, InputOf<S>> {
  return schema((given, path, fallback) => {
    const value = given === undefined ? fallback : given;
    if (!isPlainObject(value)) throw new SchemaError(path, "must be an object");
    for (const key of Object.keys(value)) {
      if (!Object.hasOwn(shape, key)) throw new SchemaError(join(path, key), "is not a known field");
    }
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(shape)) {
      const parsed = field.parse(value[key], join(path, key), fieldOf(fallback, key));
      if (parsed !== undefined) out[key] = parsed;
      else if (!field.optional) throw new SchemaError(join(path, key), "is required");
    }
    return out as ObjectOf<S>;
  });
}

/**
 * A discriminated union of strict objects: `discriminator` selects which variant shape applies.
 * `variant("kind", { a: { x: number() } })` validates `{ kind: "a", x: 1 }`.
 */
export function variant<D extends string, V extends Record<string, Shape>>(
  discriminator: D,
  variants: V,
): Schema<
  { [K in keyof V & string]: Simplify<{ readonly [P in D]: K } & ObjectOf<V[K]>> }[keyof V & string],
  { [K in keyof V & string]: Simplify<{ readonly [P in D]: K } & InputOf<V[K]>> }[keyof V & string]
> {
  const tags = Object.keys(variants);
  return schema((given, path, fallback) => {
    const value = given === undefined ? fallback : given;
    if (!isPlainObject(value)) throw new SchemaError(path, "must be an object");
    const tag = value[discriminator];
    if (typeof tag !== "string" || !Object.hasOwn(variants, tag)) {
      throw new SchemaError(join(path, discriminator), `must be one of ${tags.map((t) => JSON.stringify(t)).join(", ")}`);
    }
    const { [discriminator]: _tag, ...rest } = value;
    const body = object(variants[tag] as Shape).parse(rest, path, fallback) as Record<string, unknown>;
    return { [discriminator]: tag, ...body } as never;
  });
}

/**
 * Every field of `T` may be left out, to any depth; arrays and dictionaries count as one value.
 */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { readonly [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/**
 * `T` where every field that `D` gives a default for may be left out, to any depth.
 */
export type WithDefaults<T, D> = T extends readonly unknown[]
  ? T
  : T extends object
    ? Simplify<
        { readonly [K in keyof T as K extends keyof D ? never : K]: T[K] } & {
          readonly [K in keyof T as K extends keyof D ? K : never]?: K extends keyof D ? WithDefaults<T[K], D[K]> : never;
        }
      >
    : T;

/**
 * A schema whose input may leave out whatever `defaults` gives: parsing fills it in (an optional object that is
 * absent stays absent; one that is present is completed from its defaults). Arrays and dictionaries are
 * replaced whole, never merged.
 */
export function withDefaults<T, I, const D extends DeepPartial<I>>(inner: Schema<T, I>, defaults: D): Schema<T, WithDefaults<I, D>> {
  return schema((value, path) => inner.parse(value, path, defaults), inner.optional);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
