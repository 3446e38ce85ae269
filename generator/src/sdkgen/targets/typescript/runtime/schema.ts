/**
 * Wire <-> SDK conversion, driven by the shape tables the generator writes into
 * `models.ts`. Models use camelCase keys in the SDK and the spec's names on the wire.
 *
 * Reading (generator/RUNTIME.md, "Reading responses"), in two modes:
 *
 * - Tolerant (the default): a response is read as far as it is usable, never refused.
 *   A declared field whose value has the JSON type the contract gives is converted under its
 *   camelCase key; a missing field is absent (`undefined`), required or not; a value of the
 *   wrong JSON type leaves the camelCase key absent and stays, raw, under its wire name (which
 *   is the same key when the two are spelled alike); unknown enum values are kept as they are;
 *   unknown keys are kept, raw, under their wire names. Inside arrays and maps, an item of the
 *   wrong type stays in place, raw.
 * - Strict (`{ strict: true }`): the same conversion, but every required field must be there
 *   and every value must match its type, its enum values and its `const`; the first mismatch
 *   throws `ShapeError` with its JSON path (`$.token_usage.total_tokens`) and reason. Unknown
 *   keys are accepted (and kept) in strict mode too. String formats and numeric bounds are not
 *   checked.
 *
 * Before either, the declared normalisations: `flatten` (`x-sdk-flatten`: the keys of that
 * object property fill in the keys the outer object lacks) and field `aliases`
 * (`x-sdk-aliases`: read in order when the wire name is absent). After them, each field with a
 * `text` key (`x-sdk-text`) gets a `<key>Text` convenience: the value itself when it is a
 * string, else the first of `value[text[0]]`, `value[text[1]]`, ... that is a string, else
 * nothing.
 *
 * Writing: `toWire` converts a request body (camelCase keys to wire names; `undefined` left
 * out, `null` sent; map and `any` values untouched). For the models the API sends, the keys
 * `toWire` does not know are written as they are (so a value read and written back keeps its
 * unknown keys), and the `<key>Text` conveniences are left out.
 *
 * Unions (`oneOf`/`anyOf`, `union()`): with a discriminator, its wire value picks the variant
 * (an unknown value is kept as it came, or a mismatch when strict); without one, the first variant
 * the value matches exactly, else (tolerant) the first of its JSON type. `decodeValue` and
 * `encodeValue` read and write values of any shape (arrays, maps, unions, primitives), and
 * `valueAt` follows a path of wire names into an SDK value (what a stream's text, output, usage
 * and resume parameters are read with).
 *
 * Each model's reader is compiled once per mode (closures over its field table, built on
 * first use); the path naming a mismatch is built only when a value fails.
 */

export type Shape =
  | { readonly kind: 'string' | 'integer' | 'number' | 'boolean' | 'any'; readonly nullable?: boolean }
  | { readonly kind: 'array'; readonly items: Shape; readonly nullable?: boolean }
  | { readonly kind: 'map'; readonly values: Shape; readonly nullable?: boolean }
  | { readonly kind: 'model'; readonly model: () => ModelShape<unknown>; readonly nullable?: boolean }
  | { readonly kind: 'enum'; readonly values: readonly (string | number)[]; readonly nullable?: boolean }
  | { readonly kind: 'const'; readonly value: string | number | boolean; readonly nullable?: boolean }
  | { readonly kind: 'union'; readonly union: () => UnionShape<unknown>; readonly nullable?: boolean };

export interface FieldShape {
  /** The SDK-side (camelCase) key. */
  readonly key: string;
  /** The key on the wire. */
  readonly wire: string;
  readonly shape: Shape;
  readonly required: boolean;
  /** Other wire names read, in order, when `wire` is absent (`x-sdk-aliases`). */
  readonly aliases?: readonly string[] | undefined;
  /** The keys that may hold this value's text when it is an object, in order (`x-sdk-text`): adds `<key>Text`. */
  readonly text?: readonly string[] | undefined;
}

export interface ModelOptions {
  /** additionalProperties: the shape of the keys beyond the declared ones. */
  readonly extra?: Shape | undefined;
  /** `x-sdk-flatten`: the object property whose keys fill in the keys this object lacks. */
  readonly flatten?: string | undefined;
  /**
   * Whether unknown keys are kept (read) and written back (`toWire`): true for what the API
   * sends, false for request bodies (an unknown key in the caller's params is not sent).
   */
  readonly open?: boolean | undefined;
}

/** A model's shape table, with its converters. */
export interface ModelShape<T = unknown> {
  readonly name: string;
  readonly fields: readonly FieldShape[];
  readonly extra: Shape | undefined;
  readonly flatten: string | undefined;
  readonly open: boolean;
  /** A wire value (the spec's names) to the SDK's shape (camelCase keys); tolerant unless `strict`. */
  fromWire(value: unknown, options?: { strict?: boolean | undefined }): T;
  /** An SDK value (camelCase keys) to the wire (the spec's names); `undefined` keys left out. */
  toWire(value: unknown): Record<string, unknown>;
}

/**
 * A union (`oneOf`/`anyOf` of several types). With a `discriminator`, the wire value of that
 * property picks the variant through `tags` (value -> variant index); without one, a value is
 * the first variant it matches exactly (strict), else, when reading tolerantly, the first variant
 * of its JSON type (an object: the first model variant), else it stays as it is.
 */
export interface UnionShape<T = unknown> {
  readonly name: string;
  /** The variants' shapes (a thunk: variants may refer to models declared later). */
  readonly variants: () => readonly Shape[];
  readonly discriminator: string | undefined;
  readonly tags: Readonly<Record<string, number>>;
  /** A wire value to the SDK's shape; tolerant unless `strict`. */
  fromWire(value: unknown, options?: { strict?: boolean | undefined }): T;
  /** An SDK value to the wire. */
  toWire(value: unknown): unknown;
}

/** The shape table of one union; `T` is its SDK-side type. */
export function union<T>(
  name: string,
  variants: () => readonly Shape[],
  options: { discriminator?: string; tags?: Readonly<Record<string, number>> } = {},
): UnionShape<T> {
  const shape: UnionShape<T> = {
    name,
    variants,
    discriminator: options.discriminator,
    tags: options.tags ?? {},
    fromWire: (value, opts) => decodeValue<T>({ kind: 'union', union: () => shape }, value, opts, name),
    toWire: (value) => convertOut({ kind: 'union', union: () => shape }, value),
  };
  return shape;
}

/** Builders used by the generated tables. */
export const t = {
  string: { kind: 'string' } as Shape,
  integer: { kind: 'integer' } as Shape,
  number: { kind: 'number' } as Shape,
  boolean: { kind: 'boolean' } as Shape,
  any: { kind: 'any' } as Shape,
  array: (items: Shape): Shape => ({ kind: 'array', items }),
  map: (values: Shape): Shape => ({ kind: 'map', values }),
  model: (model: () => ModelShape<unknown>): Shape => ({ kind: 'model', model }),
  enumOf: (values: readonly (string | number)[]): Shape => ({ kind: 'enum', values }),
  constant: (value: string | number | boolean): Shape => ({ kind: 'const', value }),
  union: (shape: () => UnionShape<unknown>): Shape => ({ kind: 'union', union: shape }),
  nullable: (shape: Shape): Shape => ({ ...shape, nullable: true }),
  field: (
    key: string,
    wire: string,
    shape: Shape,
    required: boolean,
    options: { aliases?: readonly string[]; text?: readonly string[] } = {},
  ): FieldShape => ({ key, wire, shape, required, aliases: options.aliases, text: options.text }),
};

/** The shape table (and converters) of one model; `T` is its SDK-side interface. */
export function model<T>(name: string, fields: readonly FieldShape[], options: ModelOptions = {}): ModelShape<T> {
  const shape: ModelShape<T> = {
    name,
    fields,
    extra: options.extra,
    flatten: options.flatten,
    open: options.open ?? true,
    fromWire: (value, opts) => fromWire<T>(shape, value, opts),
    toWire: (value) => toWire(shape, value),
  };
  return shape;
}

/** A value did not match its schema (strict conversion only). */
export class ShapeError extends Error {
  /** Where, as a JSON path from the converted value (`$`, `$.output`, `$.items[2].id`). */
  readonly path: string;
  /** What is wrong (`required field is missing`, `expected string, got a number`, ...). */
  readonly reason: string;

  constructor(model: string, path: string, reason: string) {
    super(`${model} at ${path}: ${reason}`);
    this.path = path;
    this.reason = reason;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `a string`, `an array`, `null`: how a mismatch names the value it got. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/**
 * A strict mismatch on its way out of the converters: `path` grows (`.field`, `[i]`) as it
 * unwinds through each enclosing model, array and map, and the top level turns it into a
 * `ShapeError`. Paths are only built for a value that fails. Not an `Error`: no stack.
 */
class Mismatch {
  constructor(
    public path: string,
    readonly reason: string,
  ) {}
}

function mismatch(expected: string, value: unknown): Mismatch {
  return new Mismatch('', `expected ${expected}, got ${describe(value)}`);
}

/** Prefix `segment` to the path of a mismatch passing through; anything else is untouched. */
function within(err: unknown, segment: string): unknown {
  if (err instanceof Mismatch) err.path = segment + err.path;
  return err;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** One step of a JSON path: `.name`, or `["odd name"]`. */
function member(key: string): string {
  return IDENT.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/** Own-property assignment of a key taken from the data (`__proto__` stays a plain key). */
function setKey(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

/** What a tolerant converter returns for a value of the wrong JSON type (never escapes). */
const WRONG: unique symbol = Symbol('wrong type');

/** The shapes whose converters return the value they are given (or reject it): read as it came. */
const AS_IS = new Set<Shape['kind']>(['string', 'integer', 'number', 'boolean', 'any', 'enum', 'const']);

/** A compiled converter of one present (not `undefined`) wire value. */
type In = (value: unknown) => unknown;

/**
 * A compiled model reader: `fill` copies (converting) the fields of a wire object into `out`;
 * the caller has checked that `value` is a plain object.
 */
export interface ModelIn {
  readonly strict: boolean;
  fill(out: Record<string, unknown>, value: Record<string, unknown>): void;
  /**
   * Whether the model's wire object can be its SDK value as it is: every field under the same
   * name on both sides, read as it came (strings, numbers, booleans, enums, constants, any JSON),
   * no aliases, no flattening, no extra-keys shape. Then `check` (strict: the checks of `fill`;
   * tolerant: nothing to convert) and the `<key>Text` conveniences replace `fill` into a new object.
   */
  readonly inPlace: boolean;
  /** Read in place with nothing to check or add (tolerant, no text field): `check` does nothing. */
  readonly asIs: boolean;
  check(value: Record<string, unknown>): void;
}

// One compiled reader per model and mode, built on first use (models refer to each other
// through thunks, so compiling is lazy and recursion-safe).
const compiled = [new WeakMap<ModelShape<unknown>, ModelIn>(), new WeakMap<ModelShape<unknown>, ModelIn>()];

/** The compiled reader of `model` (tolerant or strict), cached. */
export function modelIn(model: ModelShape<unknown>, strict: boolean): ModelIn {
  const cache = compiled[strict ? 1 : 0]!;
  let found = cache.get(model);
  if (found === undefined) {
    found = compileModel(model, strict);
    cache.set(model, found);
  }
  return found;
}

/** The `<key>Text` convenience of a value: itself when a string, else its first `keys` entry that is one. */
function textOf(value: unknown, keys: readonly string[]): string | undefined {
  if (typeof value === 'string') return value;
  if (isPlainObject(value)) {
    for (const key of keys) {
      const inner = value[key];
      if (typeof inner === 'string') return inner;
    }
  }
  return undefined;
}

/** `outer` with the keys of `outer[property]` (an object) filling in the keys it lacks. */
function flattened(outer: Record<string, unknown>, property: string): Record<string, unknown> {
  const inner = outer[property];
  if (!isPlainObject(inner)) return outer;
  const merged: Record<string, unknown> = {};
  for (const k of Object.keys(inner)) if (outer[k] === undefined) setKey(merged, k, inner[k]);
  for (const k of Object.keys(outer)) setKey(merged, k, outer[k]);
  return merged;
}

/**
 * The JSON type (`typeof`) of a value that a shape's converter returns as it is, with nothing
 * else to check (`any` for any value); undefined when the converter must run. `fill` reads such
 * values without calling the converter: the outcome is the converter's own.
 */
function asItCame(shape: Shape, strict: boolean): string | undefined {
  switch (shape.kind) {
    case 'any':
      return 'any';
    case 'string':
    case 'boolean':
    case 'number':
      return shape.kind;
    case 'integer':
      return strict ? undefined : 'number';
    case 'enum':
      return strict || shape.values.length === 0 ? undefined : typeof shape.values[0];
    default:
      return undefined;
  }
}

function compileModel(model: ModelShape<unknown>, strict: boolean): ModelIn {
  const fields = model.fields;
  const n = fields.length;
  const keys = fields.map((f) => f.key);
  const wires = fields.map((f) => f.wire);
  const aliases = fields.map((f) => (f.aliases && f.aliases.length > 0 ? f.aliases : undefined));
  const required = fields.map((f) => strict && f.required);
  const types = fields.map((f) => asItCame(f.shape, strict));
  const texts = fields.flatMap((f, i) => (f.text === undefined || f.text.length === 0 ? [] : [[i, f.text, `${f.key}Text`] as const]));
  const flatten = model.flatten;
  const extra = model.extra;
  const keepUnknown = model.open || extra !== undefined;
  // Unknown keys: not a declared wire name, and not a key the SDK itself fills in.
  const known = new Set<string>([...wires, ...keys, ...texts.map(([, , k]) => k)]);
  // Filled on first use (a field's shape may be a model not compiled yet).
  let converters: In[] | undefined;
  let extraIn: In | undefined;
  const inPlace =
    model.open &&
    flatten === undefined &&
    extra === undefined &&
    fields.every((f, i) => f.key === f.wire && aliases[i] === undefined && AS_IS.has(f.shape.kind));
  return {
    strict,
    inPlace,
    asIs: inPlace && !strict && texts.length === 0,
    check(value) {
      if (strict) {
        const convert = (converters ??= fields.map((f) => compileIn(f.shape, strict)));
        let i = 0;
        try {
          for (; i < n; i++) {
            const v = value[wires[i]!];
            if (v === undefined) {
              if (required[i]) throw new Mismatch('', 'required field is missing');
              continue;
            }
            convert[i]!(v);
          }
        } catch (err) {
          throw within(err, member(wires[i]!));
        }
      }
      for (const [index, text, key] of texts) {
        const found = textOf(value[keys[index]!], text);
        // As `fill`: the SDK's own key, never a wire key of the same name.
        if (found !== undefined) value[key] = found;
        else if (value[key] !== undefined) delete value[key];
      }
    },
    fill(out, wire) {
      const value = flatten === undefined ? wire : flattened(wire, flatten);
      const convert = (converters ??= fields.map((f) => compileIn(f.shape, strict)));
      let i = 0;
      let present = 0;
      try {
        for (; i < n; i++) {
          let v = value[wires[i]!];
          if (v !== undefined) {
            present++;
          } else {
            const names = aliases[i];
            if (names !== undefined) {
              for (const name of names) {
                v = value[name];
                if (v !== undefined) break;
              }
            }
            if (v === undefined) {
              if (required[i]) throw new Mismatch('', 'required field is missing');
              continue;
            }
          }
          // A value read as it came, of the right JSON type: no converter call.
          const type = types[i];
          if (type !== undefined && (type === 'any' || typeof v === type)) {
            out[keys[i]!] = v;
            continue;
          }
          const converted = convert[i]!(v);
          // Tolerant: the typed key stays absent; the raw value stays under its wire name.
          if (converted === WRONG) {
            if (value[wires[i]!] !== undefined) setKey(out, wires[i]!, v);
            continue;
          }
          out[keys[i]!] = converted;
        }
      } catch (err) {
        throw within(err, member(wires[i]!));
      }
      for (const [index, text, key] of texts) {
        const found = textOf(out[keys[index]!], text);
        if (found !== undefined) out[key] = found;
      }
      if (!keepUnknown) return;
      const all = Object.keys(value);
      if (all.length === present && extra === undefined) return;
      for (const k of all) {
        if (known.has(k)) continue;
        let v = value[k];
        if (extra !== undefined) {
          const convertExtra = (extraIn ??= compileIn(extra, strict));
          try {
            const converted = convertExtra(v);
            if (converted !== WRONG) v = converted;
          } catch (err) {
            throw within(err, member(k));
          }
        }
        setKey(out, k, v);
      }
    },
  };
}

/**
 * Compile the converter of one shape, for a present value: `null` is accepted only when the
 * shape is nullable (or `any`); otherwise it is a mismatch (strict) or the wrong type (tolerant).
 */
function compileIn(shape: Shape, strict: boolean): In {
  const inner = compileValue(shape, strict);
  if (shape.kind === 'any') return inner;
  const nullable = shape.nullable === true;
  const kind = shape.kind;
  return (value) => {
    if (value === null) {
      if (nullable) return null;
      if (strict) throw mismatch(kind === 'model' ? 'object' : kind, value);
      return WRONG;
    }
    return inner(value);
  };
}

/** The converter of a shape for a value that is not `null`. */
function compileValue(shape: Shape, strict: boolean): In {
  // Strict: a mismatch throws; tolerant: the value is WRONG.
  const wrong = strict ? (expected: string, value: unknown) => fail(expected, value) : () => WRONG;
  switch (shape.kind) {
    case 'any':
      return (value) => value;
    case 'string':
      return (value) => (typeof value === 'string' ? value : wrong('string', value));
    case 'boolean':
      return (value) => (typeof value === 'boolean' ? value : wrong('boolean', value));
    case 'number':
      return (value) => (typeof value === 'number' ? value : wrong('number', value));
    case 'integer':
      return strict
        ? (value) => (Number.isInteger(value) ? value : fail('integer', value))
        : (value) => (typeof value === 'number' ? value : WRONG);
    case 'enum': {
      // Open on read: tolerant mode keeps a value it does not know (of the enum's JSON type).
      const values = new Set<unknown>(shape.values);
      const type = typeof shape.values[0];
      if (strict) {
        const listed = shape.values.map((v) => JSON.stringify(v)).join(', ');
        return (value) => {
          if (values.has(value)) return value;
          if (typeof value !== type) return fail(type, value);
          throw new Mismatch('', `unknown value ${JSON.stringify(value)} (expected one of ${listed})`);
        };
      }
      return (value) => (typeof value === type ? value : WRONG);
    }
    case 'const': {
      const expected = shape.value;
      return (value) => (value === expected ? value : wrong(JSON.stringify(expected), value));
    }
    case 'array': {
      const item = compileIn(shape.items, strict);
      return (value) => {
        if (!Array.isArray(value)) return wrong('array', value);
        const out = new Array<unknown>(value.length);
        let i = 0;
        try {
          for (; i < value.length; i++) {
            const v = value[i];
            const converted = v === undefined ? v : item(v);
            out[i] = converted === WRONG ? v : converted;
          }
        } catch (err) {
          throw within(err, `[${i}]`);
        }
        return out;
      };
    }
    case 'map': {
      const anyValues = shape.values.kind === 'any';
      const item = compileIn(shape.values, strict);
      return (value) => {
        if (!isPlainObject(value)) return wrong('object', value);
        if (anyValues) return value;
        const out: Record<string, unknown> = {};
        for (const k of Object.keys(value)) {
          const v = value[k];
          let converted: unknown;
          try {
            converted = v === undefined ? v : item(v);
          } catch (err) {
            throw within(err, member(k));
          }
          setKey(out, k, converted === WRONG ? v : converted);
        }
        return out;
      };
    }
    case 'union': {
      const thunk = shape.union;
      let exact: In[] | undefined;
      let loose: In[] | undefined;
      return (value) => {
        const u = thunk();
        const variants = u.variants();
        if (u.discriminator !== undefined) {
          if (!isPlainObject(value)) return wrong('object', value);
          const tag = value[u.discriminator];
          const index = typeof tag === 'string' && Object.prototype.hasOwnProperty.call(u.tags, tag) ? u.tags[tag] : undefined;
          if (index === undefined || variants[index] === undefined) {
            if (strict) throw new Mismatch(member(u.discriminator), `unknown value ${JSON.stringify(tag)} (expected one of ${Object.keys(u.tags).map((k) => JSON.stringify(k)).join(', ')})`);
            return value;
          }
          const convert = strict ? (exact ??= variants.map((v) => compileIn(v, true))) : (loose ??= variants.map((v) => compileIn(v, false)));
          return convert[index]!(value);
        }
        const strictIn = (exact ??= variants.map((v) => compileIn(v, true)));
        for (const convert of strictIn) {
          try {
            return convert(value);
          } catch (err) {
            if (!(err instanceof Mismatch)) throw err;
          }
        }
        if (strict) throw new Mismatch('', `expected a variant of ${u.name}, got ${describe(value)}`);
        for (const convert of (loose ??= variants.map((v) => compileIn(v, false)))) {
          const out = convert(value);
          if (out !== WRONG) return out;
        }
        return WRONG;
      };
    }
    case 'model': {
      const thunk = shape.model;
      let target: ModelIn | undefined;
      return (value) => {
        if (!isPlainObject(value)) return wrong('object', value);
        const out: Record<string, unknown> = {};
        (target ??= modelIn(thunk(), strict)).fill(out, value);
        return out;
      };
    }
  }
}

function fail(expected: string, value: unknown): never {
  throw mismatch(expected, value);
}

/**
 * Read a whole wire object with a compiled reader: into `out` when given (the caller's object,
 * e.g. an event already holding its `type`), else into a new object. A strict mismatch becomes
 * a `ShapeError` with the path from `value` (`$.field[0].sub`). A value that is not an object
 * is returned as it is when tolerant, a `ShapeError` at `$` when strict.
 */
/** `run` for a model read in place (`ModelIn.inPlace`): `value` itself, checked. */
export function runInPlace<T>(convert: ModelIn, model: ModelShape<unknown>, value: Record<string, unknown>): T {
  try {
    convert.check(value);
  } catch (err) {
    if (err instanceof Mismatch) throw new ShapeError(model.name, `$${err.path}`, err.reason);
    throw err;
  }
  return value as T;
}

export function run<T>(convert: ModelIn, model: ModelShape<unknown>, value: unknown, out?: Record<string, unknown>): T {
  if (!isPlainObject(value)) {
    if (convert.strict) throw new ShapeError(model.name, '$', mismatch('object', value).reason);
    return value as T;
  }
  const target = out ?? {};
  try {
    convert.fill(target, value);
  } catch (err) {
    if (err instanceof Mismatch) throw new ShapeError(model.name, `$${err.path}`, err.reason);
    throw err;
  }
  return target as T;
}

function convertOut(shape: Shape, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  switch (shape.kind) {
    case 'union': {
      const u = shape.union();
      const variants = u.variants();
      const index = variantOut(u, variants, value);
      return index === -1 ? value : convertOut(variants[index]!, value);
    }
    case 'array':
      return Array.isArray(value) ? value.map((item) => convertOut(shape.items, item)) : value;
    case 'map': {
      if (!isPlainObject(value) || shape.values.kind === 'any') return value;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) setKey(out, k, convertOut(shape.values, v));
      return out;
    }
    case 'model':
      return modelOut(shape.model(), value);
    default:
      return value;
  }
}

/** Which variant of a union an SDK value is written as: -1 when it is written as it is. */
function variantOut(u: UnionShape<unknown>, variants: readonly Shape[], value: unknown): number {
  if (Array.isArray(value)) return variants.findIndex((v) => v.kind === 'array');
  if (!isPlainObject(value)) return -1;
  const models = variants.flatMap((v, i) => (v.kind === 'model' ? [[i, v.model()] as const] : []));
  if (u.discriminator !== undefined) {
    for (const [i, m] of models) {
      const field = m.fields.find((f) => f.wire === u.discriminator);
      const tag = value[field?.key ?? u.discriminator];
      if (typeof tag === 'string' && u.tags[tag] === i) return i;
    }
  }
  for (const [i, m] of models) if (m.fields.every((f) => !f.required || value[f.key] !== undefined)) return i;
  if (models.length > 0) return models[0]![0];
  return variants.findIndex((v) => v.kind === 'map');
}

function modelOut(model: ModelShape<unknown>, value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  const known = new Set<string>();
  for (const f of model.fields) {
    known.add(f.key);
    if (f.text !== undefined) known.add(`${f.key}Text`);
    const v = value[f.key];
    if (v !== undefined) out[f.wire] = convertOut(f.shape, v);
  }
  if (model.open || model.extra) {
    for (const [k, v] of Object.entries(value)) {
      if (known.has(k) || v === undefined || k in out) continue;
      setKey(out, k, model.extra ? convertOut(model.extra, v) : v);
    }
  }
  return out;
}

/** Convert a wire value (the spec's names) to the SDK's shape; `strict` checks it against the contract. */
export function fromWire<T>(model: ModelShape<unknown>, value: unknown, options: { strict?: boolean | undefined } = {}): T {
  return run<T>(modelIn(model, options.strict ?? false), model, value);
}

/** Convert an SDK value (camelCase keys) to the wire shape. */
export function toWire(model: ModelShape<unknown>, value: unknown): Record<string, unknown> {
  return modelOut(model, value) as Record<string, unknown>;
}

/** Convert an SDK value of any shape to the wire. */
export function encodeValue(shape: Shape, value: unknown): unknown {
  return convertOut(shape, value);
}

/**
 * Read a wire value of any shape (a model, an array, a union, a primitive...): tolerant (a value of
 * the wrong JSON type is returned as it is) unless `strict`, where a mismatch throws `ShapeError`.
 */
export function decodeValue<T>(shape: Shape, value: unknown, options: { strict?: boolean | undefined } = {}, name = 'value'): T {
  if (value === undefined) return value as T;
  const convert = compileIn(shape, options.strict ?? false);
  try {
    const out = convert(value);
    return (out === WRONG ? value : out) as T;
  } catch (err) {
    if (err instanceof Mismatch) throw new ShapeError(name, `$${err.path}`, err.reason);
    throw err;
  }
}

/**
 * The value at `path` (wire keys and list indexes, as the spec names them) inside `value`, an SDK
 * value of `shape`: each wire key is looked up under the SDK's own key for it. Undefined when the
 * path leads nowhere.
 */
export function valueAt(shape: Shape | undefined, value: unknown, path: readonly (string | number)[]): unknown {
  let current = value;
  let s = shape;
  for (const step of path) {
    if (current === null || current === undefined) return undefined;
    if (typeof step === 'number') {
      if (!Array.isArray(current)) return undefined;
      current = current[step];
      s = s?.kind === 'array' ? s.items : undefined;
      continue;
    }
    if (!isPlainObject(current)) return undefined;
    const fields = modelFields(s, current);
    const field = fields?.find((f) => f.wire === step);
    if (field !== undefined) {
      current = current[field.key] ?? current[field.wire];
      s = field.shape;
    } else {
      current = current[step];
      s = s?.kind === 'map' ? s.values : undefined;
    }
  }
  return current;
}

/** The fields of the model `shape` stands for (for a union: the variant `value` carries). */
function modelFields(shape: Shape | undefined, value: Record<string, unknown>): readonly FieldShape[] | undefined {
  if (shape === undefined) return undefined;
  if (shape.kind === 'model') return shape.model().fields;
  if (shape.kind !== 'union') return undefined;
  const u = shape.union();
  const variants = u.variants();
  const models = variants.flatMap((v) => (v.kind === 'model' ? [v.model()] : []));
  if (u.discriminator !== undefined) {
    for (const m of models) {
      const field = m.fields.find((f) => f.wire === u.discriminator);
      const tag = value[field?.key ?? u.discriminator];
      if (typeof tag === 'string' && variants[u.tags[tag] ?? -1]?.kind === 'model' && (variants[u.tags[tag]!] as { model: () => ModelShape }).model() === m) return m.fields;
    }
  }
  return models.flatMap((m) => m.fields);
}
