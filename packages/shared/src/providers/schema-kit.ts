/**
 * A tiny typed schema: each schema validates `unknown` input and carries its TypeScript type, so the catalog's
 * types derive from the same definition that validates it. Objects are strict (unknown keys are rejected).
 * Modelled on the shape of Standard Schema validators, without a dependency.
 *
 * @see https://standardschema.dev/
 */
export interface Schema<T> {
  /** Validates `value`; `path` names the field in error messages. @throws SchemaError */
  parse(value: unknown, path?: string): T;
  /** Whether an object field with this schema may be absent. */
  readonly optional: boolean;
}

/**
 * The TypeScript type a {@link Schema} validates.
 *
 * @see https://standardschema.dev/
 */
export type Infer<S> = S extends Schema<infer T> ? T : never;

/**
 * A value did not match its schema. `path` is the dotted location, e.g. `spotify.endpoints.token`.
 *
 * @see https://standardschema.dev/
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

function schema<T>(parse: (value: unknown, path: string) => T, optional = false): Schema<T> {
  return { parse: (value, path = "") => parse(value, path), optional };
}

function join(path: string, key: string | number): string {
  return path === "" ? String(key) : `${path}.${key}`;
}

/**
 * A string, optionally constrained by a pattern and length.
 *
 * @see https://standardschema.dev/
 */
export function string(options: { pattern?: RegExp; minLength?: number; describe?: string } = {}): Schema<string> {
  const { pattern, minLength = 0, describe } = options;
  return schema((value, path) => {
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
 *
 * @see https://standardschema.dev/
 */
export function number(options: { integer?: boolean; min?: number } = {}): Schema<number> {
  return schema((value, path) => {
    if (typeof value !== "number" || !Number.isFinite(value)) throw new SchemaError(path, "must be a finite number");
    if (options.integer === true && !Number.isInteger(value)) throw new SchemaError(path, "must be an integer");
    if (options.min !== undefined && value < options.min) throw new SchemaError(path, `must be at least ${options.min}`);
    return value;
  });
}

/**
 * A boolean.
 *
 * @see https://standardschema.dev/
 */
export function boolean(): Schema<boolean> {
  return schema((value, path) => {
    if (typeof value !== "boolean") throw new SchemaError(path, "must be a boolean");
    return value;
  });
}

/**
 * One of a fixed set of literal values.
 *
 * @see https://standardschema.dev/
 */
export function oneOf<const T extends readonly (string | number)[]>(values: T): Schema<T[number]> {
  return schema((value, path) => {
    if (!values.includes(value as T[number])) {
      throw new SchemaError(path, `must be one of ${values.map((v) => JSON.stringify(v)).join(", ")}`);
    }
    return value as T[number];
  });
}

/**
 * An array whose items all match `item`.
 *
 * @see https://standardschema.dev/
 */
export function array<T>(item: Schema<T>, options: { minLength?: number } = {}): Schema<readonly T[]> {
  return schema((value, path) => {
    if (!Array.isArray(value)) throw new SchemaError(path, "must be an array");
    if (options.minLength !== undefined && value.length < options.minLength) {
      throw new SchemaError(path, `must have at least ${options.minLength} item(s)`);
    }
    return value.map((entry, index) => item.parse(entry, join(path, index)));
  });
}

/**
 * A plain object used as a dictionary: every key matches `key`, every value matches `value`.
 *
 * @see https://standardschema.dev/
 */
export function record<T>(value: Schema<T>, key: Schema<string> = string()): Schema<Readonly<Record<string, T>>> {
  return schema((input, path) => {
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
 * Marks an object field as optional (it may be absent or `undefined`).
 *
 * @see https://standardschema.dev/
 */
export function optional<T>(inner: Schema<T>): Schema<T | undefined> & { readonly optional: true } {
  return { ...schema((value, path) => (value === undefined ? undefined : inner.parse(value, path)), true), optional: true };
}

/**
 * Adds a check to a schema; `check` returns an expectation message when the value is wrong.
 *
 * @see https://standardschema.dev/
 */
export function refine<T>(inner: Schema<T>, check: (value: T) => string | undefined): Schema<T> {
  return schema((value, path) => {
    const parsed = inner.parse(value, path);
    const problem = check(parsed);
    if (problem !== undefined) throw new SchemaError(path, problem);
    return parsed;
  }, inner.optional);
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K]["optional"] extends true ? K : never }[keyof S];
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/**
 * The object type described by a shape: optional fields become `?:`.
 *
 * @see https://standardschema.dev/
 */
export type ObjectOf<S extends Shape> = Simplify<
  { readonly [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & {
    readonly [K in OptionalKeys<S>]?: Infer<S[K]>;
  }
>;

/**
 * A strict object: listed fields are validated, any other key is rejected.
 *
 * @see https://standardschema.dev/
 */
export function object<S extends Shape>(shape: S): Schema<ObjectOf<S>> {
  return schema((value, path) => {
    if (!isPlainObject(value)) throw new SchemaError(path, "must be an object");
    for (const key of Object.keys(value)) {
      if (!Object.hasOwn(shape, key)) throw new SchemaError(join(path, key), "is not a known field");
    }
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(shape)) {
      const parsed = field.parse(value[key], join(path, key));
      if (parsed !== undefined) out[key] = parsed;
      else if (!field.optional) throw new SchemaError(join(path, key), "is required");
    }
    return out as ObjectOf<S>;
  });
}

/**
 * A discriminated union of strict objects: `discriminator` selects which variant shape applies.
 * `variant("kind", { a: { x: number() } })` validates `{ kind: "a", x: 1 }`.
 * @see https://standardschema.dev/
 */
export function variant<D extends string, V extends Record<string, Shape>>(
  discriminator: D,
  variants: V,
): Schema<{ [K in keyof V & string]: Simplify<{ readonly [P in D]: K } & ObjectOf<V[K]>> }[keyof V & string]> {
  const tags = Object.keys(variants);
  return schema((value, path) => {
    if (!isPlainObject(value)) throw new SchemaError(path, "must be an object");
    const tag = value[discriminator];
    if (typeof tag !== "string" || !Object.hasOwn(variants, tag)) {
      throw new SchemaError(join(path, discriminator), `must be one of ${tags.map((t) => JSON.stringify(t)).join(", ")}`);
    }
    const { [discriminator]: _tag, ...rest } = value;
    const body = object(variants[tag] as Shape).parse(rest, path) as Record<string, unknown>;
    return { [discriminator]: tag, ...body } as never;
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
