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
  const shape: ModelShape<T> = {
    name,
    fields,
    extra,
    fromWire: (value) => fromWire<T>(shape, value),
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

function mismatch(path: string, expected: string, value: unknown): ShapeError {
  return new ShapeError(`${path}: expected ${expected}, got ${describe(value)}`);
}

function convertIn(shape: Shape, value: unknown, strict: boolean, path: string): unknown {
  if (value === null || value === undefined) {
    if (strict && !(value === null && shape.nullable) && shape.kind !== 'any') {
      throw mismatch(path, shape.kind, value);
    }
    return value;
  }
  switch (shape.kind) {
    case 'any':
      return value;
    case 'string':
    case 'boolean':
      if (strict && typeof value !== shape.kind) throw mismatch(path, shape.kind, value);
      return value;
    case 'number':
      if (strict && typeof value !== 'number') throw mismatch(path, 'number', value);
      return value;
    case 'integer':
      if (strict && !Number.isInteger(value)) throw mismatch(path, 'integer', value);
      return value;
    case 'enum':
      // An enum value the SDK does not know yet is passed on, not rejected.
      if (strict && typeof value !== 'string' && typeof value !== 'number') throw mismatch(path, 'enum', value);
      return value;
    case 'const':
      if (strict && value !== shape.value) throw mismatch(path, JSON.stringify(shape.value), value);
      return value;
    case 'array':
      if (!Array.isArray(value)) {
        if (strict) throw mismatch(path, 'array', value);
        return value;
      }
      return value.map((item, i) => convertIn(shape.items, item, strict, `${path}[${i}]`));
    case 'map': {
      if (!isPlainObject(value)) {
        if (strict) throw mismatch(path, 'object', value);
        return value;
      }
      if (shape.values.kind === 'any') return value;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = convertIn(shape.values, v, strict, `${path}.${k}`);
      return out;
    }
    case 'model':
      return modelIn(shape.model(), value, strict, path);
  }
}

function modelIn(model: ModelShape<unknown>, value: unknown, strict: boolean, path: string): unknown {
  if (!isPlainObject(value)) {
    if (strict) throw mismatch(path, 'object', value);
    return value;
  }
  const out: Record<string, unknown> = {};
  const known = new Set<string>();
  for (const f of model.fields) {
    known.add(f.wire);
    if (!(f.wire in value) || value[f.wire] === undefined) {
      if (strict && f.required) throw new ShapeError(`${path}.${f.wire}: required field is missing`);
      continue;
    }
    out[f.key] = convertIn(f.shape, value[f.wire], strict, `${path}.${f.wire}`);
  }
  if (model.extra) {
    for (const [k, v] of Object.entries(value)) {
      if (!known.has(k)) out[k] = convertIn(model.extra, v, strict, `${path}.${k}`);
    }
  }
  return out;
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
  return modelIn(model, value, options.strict ?? false, model.name) as T;
}

/** Convert an SDK value (camelCase keys) to the wire shape. */
export function toWire(model: ModelShape<unknown>, value: unknown): Record<string, unknown> {
  return modelOut(model, value) as Record<string, unknown>;
}
