/**
 * Wire <-> SDK conversion, driven by the shape tables the generator writes into
 * `models.ts`. Models use camelCase keys in the SDK and the spec's names on the wire.
 *
 * - `fromWire` converts a response value; it is lenient (a response that does not match
 *   the spec is converted as far as it goes, never rejected).
 * - `fromWire(..., { strict: true })` also checks required fields and value types, and
 *   throws `ShapeError` (used for stream events, whose mismatch is a `StreamError`).
 * - `toWire` converts a request body; `undefined` values are left out, `null` is sent.
 * - `map` values (such as `metadata`) and `any` values pass through untouched.
 *
 * Each model's converter is compiled once per mode (closures over its field table, built
 * on first use) so converting a value does no per-field work beyond the checks themselves;
 * the path naming a mismatch is built only when a value fails.
 */

export type Shape =
  | { readonly kind: 'string' | 'integer' | 'number' | 'boolean' | 'any'; readonly nullable?: boolean }
  | { readonly kind: 'array'; readonly items: Shape; readonly nullable?: boolean }
  | { readonly kind: 'map'; readonly values: Shape; readonly nullable?: boolean }
  | { readonly kind: 'model'; readonly model: () => ModelShape<unknown>; readonly nullable?: boolean }
  | { readonly kind: 'enum'; readonly values: readonly (string | number)[]; readonly nullable?: boolean }
  | { readonly kind: 'const'; readonly value: string | number | boolean; readonly nullable?: boolean };

export interface FieldShape {
  /** The SDK-side (camelCase) key. */
  readonly key: string;
  /** The key on the wire. */
  readonly wire: string;
  readonly shape: Shape;
  readonly required: boolean;
}

/** A model's shape table, with its converters. */
export interface ModelShape<T = unknown> {
  readonly name: string;
  readonly fields: readonly FieldShape[];
  /** additionalProperties: extra keys are kept (untouched) when set. */
  readonly extra?: Shape | undefined;
  /** A wire value (the spec's names) to the SDK's shape (camelCase keys); lenient. */
  fromWire(value: unknown): T;
  /** An SDK value (camelCase keys) to the wire (the spec's names); `undefined` keys left out. */
  toWire(value: unknown): Record<string, unknown>;
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
  nullable: (shape: Shape): Shape => ({ ...shape, nullable: true }),
  field: (key: string, wire: string, shape: Shape, required: boolean): FieldShape => ({ key, wire, shape, required }),
};

/** The shape table (and converters) of one model; `T` is its SDK-side interface. */
export function model<T>(name: string, fields: readonly FieldShape[], extra?: Shape): ModelShape<T> {
  let lenient: ModelIn | undefined;
  const shape: ModelShape<T> = {
    name,
    fields,
    extra,
    fromWire: (value) => run<T>((lenient ??= modelIn(shape, false)), shape, value),
    toWire: (value) => toWire(shape, value),
  };
  return shape;
}

/** A value did not match its schema (strict conversion only). */
export class ShapeError extends Error {}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/**
 * A strict mismatch on its way out of the converters: `path` grows (`.field`, `[i]`) as it
 * unwinds through each enclosing model, array and map, and the top level turns it into a
 * `ShapeError` reading `<Model><path>: <detail>`. Paths are only built for a value that
 * fails, never for the values that pass. Not an `Error`: no stack is captured for it.
 */
class Mismatch {
  constructor(
    public path: string,
    readonly detail: string,
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

/** Own-property assignment of a key taken from the data (`__proto__` stays a plain key). */
function setKey(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

/** A compiled converter of one wire value; strict ones throw `Mismatch`. */
type In = (value: unknown) => unknown;

/**
 * A compiled model converter: `fill` copies (converting) the fields of a wire object into
 * `out`; the caller has checked that `value` is a plain object.
 */
export interface ModelIn {
  readonly strict: boolean;
  fill(out: Record<string, unknown>, value: Record<string, unknown>): void;
}

// One compiled converter per model and mode, built on first use (models refer to each other
// through thunks, so compiling is lazy and recursion-safe).
const compiled = [new WeakMap<ModelShape<unknown>, ModelIn>(), new WeakMap<ModelShape<unknown>, ModelIn>()];

/** The compiled converter of `model` (lenient or strict), cached. */
export function modelIn(model: ModelShape<unknown>, strict: boolean): ModelIn {
  const cache = compiled[strict ? 1 : 0]!;
  let found = cache.get(model);
  if (found === undefined) {
    found = compileModel(model, strict);
    cache.set(model, found);
  }
  return found;
}

function compileModel(model: ModelShape<unknown>, strict: boolean): ModelIn {
  const n = model.fields.length;
  const keys = model.fields.map((f) => f.key);
  const wires = model.fields.map((f) => f.wire);
  const required = model.fields.map((f) => strict && f.required);
  // Filled on first use (a field's shape may be a model not compiled yet).
  let converters: In[] | undefined;
  const extra = model.extra;
  let extraIn: In | undefined;
  const known = extra ? new Set(wires) : undefined;
  return {
    strict,
    fill(out, value) {
      const convert = (converters ??= model.fields.map((f) => compileIn(f.shape, strict)));
      let i = 0;
      try {
        for (; i < n; i++) {
          const v = value[wires[i]!];
          if (v === undefined) {
            if (required[i]) throw new Mismatch('', 'required field is missing');
            continue;
          }
          out[keys[i]!] = convert[i]!(v);
        }
      } catch (err) {
        throw within(err, `.${wires[i]!}`);
      }
      if (extra) {
        const convertExtra = (extraIn ??= compileIn(extra, strict));
        for (const k of Object.keys(value)) {
          if (known!.has(k)) continue;
          let v: unknown;
          try {
            v = convertExtra(value[k]);
          } catch (err) {
            throw within(err, `.${k}`);
          }
          setKey(out, k, v);
        }
      }
    },
  };
}

/**
 * Compile the converter of one shape. The compiled function takes any value: `null` and
 * `undefined` are checked here (accepted only when nullable, or for `any`, when strict).
 */
function compileIn(shape: Shape, strict: boolean): In {
  const inner = compileValue(shape, strict);
  if (!strict || shape.kind === 'any') return (value) => (value === null || value === undefined ? value : inner(value));
  const nullable = shape.nullable === true;
  const kind = shape.kind;
  return (value) => {
    if (value === null || value === undefined) {
      if (!(value === null && nullable)) throw mismatch(kind, value);
      return value;
    }
    return inner(value);
  };
}

/** The converter of a shape for a value that is neither `null` nor `undefined`. */
function compileValue(shape: Shape, strict: boolean): In {
  switch (shape.kind) {
    case 'any':
      return (value) => value;
    case 'string':
      return strict ? (value) => (typeof value === 'string' ? value : fail('string', value)) : (value) => value;
    case 'boolean':
      return strict ? (value) => (typeof value === 'boolean' ? value : fail('boolean', value)) : (value) => value;
    case 'number':
      return strict ? (value) => (typeof value === 'number' ? value : fail('number', value)) : (value) => value;
    case 'integer':
      return strict ? (value) => (Number.isInteger(value) ? value : fail('integer', value)) : (value) => value;
    case 'enum':
      // An enum value the SDK does not know yet is passed on, not rejected.
      return strict
        ? (value) => (typeof value === 'string' || typeof value === 'number' ? value : fail('enum', value))
        : (value) => value;
    case 'const': {
      const expected = shape.value;
      return strict ? (value) => (value === expected ? value : fail(JSON.stringify(expected), value)) : (value) => value;
    }
    case 'array': {
      const item = compileIn(shape.items, strict);
      return (value) => {
        if (!Array.isArray(value)) return strict ? fail('array', value) : value;
        const out = new Array<unknown>(value.length);
        let i = 0;
        try {
          for (; i < value.length; i++) out[i] = item(value[i]);
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
        if (!isPlainObject(value)) return strict ? fail('object', value) : value;
        if (anyValues) return value;
        const out: Record<string, unknown> = {};
        for (const k of Object.keys(value)) {
          let v: unknown;
          try {
            v = item(value[k]);
          } catch (err) {
            throw within(err, `.${k}`);
          }
          setKey(out, k, v);
        }
        return out;
      };
    }
    case 'model': {
      const thunk = shape.model;
      let target: ModelIn | undefined;
      return (value) => {
        if (!isPlainObject(value)) return strict ? fail('object', value) : value;
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
 * Convert a whole wire value with a compiled model converter: into `out` when given (the
 * caller's object, e.g. an event already holding its `type`), else into a new object. A
 * strict mismatch becomes a `ShapeError` named by its path (`Model.field[0].sub: ...`).
 */
export function run<T>(convert: ModelIn, model: ModelShape<unknown>, value: unknown, out?: Record<string, unknown>): T {
  if (!isPlainObject(value)) {
    if (convert.strict) throw new ShapeError(`${model.name}: ${mismatch('object', value).detail}`);
    return value as T;
  }
  const target = out ?? {};
  try {
    convert.fill(target, value);
  } catch (err) {
    if (err instanceof Mismatch) throw new ShapeError(`${model.name}${err.path}: ${err.detail}`);
    throw err;
  }
  return target as T;
}

function convertOut(shape: Shape, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  switch (shape.kind) {
    case 'array':
      return Array.isArray(value) ? value.map((item) => convertOut(shape.items, item)) : value;
    case 'map': {
      if (!isPlainObject(value) || shape.values.kind === 'any') return value;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = convertOut(shape.values, v);
      return out;
    }
    case 'model':
      return modelOut(shape.model(), value);
    default:
      return value;
  }
}

function modelOut(model: ModelShape<unknown>, value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  const known = new Set<string>();
  for (const f of model.fields) {
    known.add(f.key);
    const v = value[f.key];
    if (v !== undefined) out[f.wire] = convertOut(f.shape, v);
  }
  if (model.extra) {
    for (const [k, v] of Object.entries(value)) {
      if (!known.has(k) && v !== undefined) out[k] = convertOut(model.extra, v);
    }
  }
  return out;
}

/** Convert a wire value (snake_case keys) to the SDK's shape (camelCase keys). */
export function fromWire<T>(model: ModelShape<unknown>, value: unknown, options: { strict?: boolean } = {}): T {
  return run<T>(modelIn(model, options.strict ?? false), model, value);
}

/** Convert an SDK value (camelCase keys) to the wire shape. */
export function toWire(model: ModelShape<unknown>, value: unknown): Record<string, unknown> {
  return modelOut(model, value) as Record<string, unknown>;
}
