/**
 * The runtime's shape tables (core/schema.ts) beyond plain models: unions with and without a
 * discriminator, read tolerantly and strictly and written back; values of any shape; and paths
 * of wire names looked up in SDK values (what stream text/output/usage and resume read).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeValue, encodeValue, model, ShapeError, t, union, valueAt, type ModelShape, type UnionShape } from '../sdks/notebook/src/core/schema.js';

interface Cat { kind: 'cat'; meowLevel?: number }
interface Dog { kind: 'dog'; barkVolume: number }
const Cat: ModelShape<Cat> = model<Cat>('Cat', [t.field('kind', 'kind', t.constant('cat'), true), t.field('meowLevel', 'meow_level', t.integer, false)]);
const Dog: ModelShape<Dog> = model<Dog>('Dog', [t.field('kind', 'kind', t.constant('dog'), true), t.field('barkVolume', 'bark_volume', t.number, true)]);
const Pet: UnionShape<Cat | Dog> = union<Cat | Dog>('Pet', () => [t.model(() => Cat), t.model(() => Dog)], { discriminator: 'kind', tags: { cat: 0, dog: 1 } });
const Loose: UnionShape<Dog | string | number[]> = union('Loose', () => [t.model(() => Dog), t.string, t.array(t.integer)]);

test('a discriminated union reads the variant its tag names', () => {
  assert.deepEqual(Pet.fromWire({ kind: 'dog', bark_volume: 3 }), { kind: 'dog', barkVolume: 3 });
  assert.deepEqual(Pet.fromWire({ kind: 'cat', meow_level: 1, extra: true }), { kind: 'cat', meowLevel: 1, extra: true });
  // An unknown tag: kept as it came (tolerant), a mismatch naming the tags (strict).
  assert.deepEqual(Pet.fromWire({ kind: 'fox' }), { kind: 'fox' });
  assert.throws(() => Pet.fromWire({ kind: 'fox' }, { strict: true }), (err: unknown) => err instanceof ShapeError && err.path === '$.kind' && /"cat", "dog"/.test(err.reason));
  assert.throws(() => Pet.fromWire('cat', { strict: true }), ShapeError);
  assert.deepEqual(Pet.toWire({ kind: 'dog', barkVolume: 2 }), { kind: 'dog', bark_volume: 2 });
});

test('a union without a discriminator is the first variant the value matches', () => {
  assert.deepEqual(Loose.fromWire({ kind: 'dog', bark_volume: 1 }), { kind: 'dog', barkVolume: 1 });
  assert.equal(Loose.fromWire('text'), 'text');
  assert.deepEqual(Loose.fromWire([1, 2]), [1, 2]);
  assert.equal(Loose.fromWire(true), true); // no variant: tolerant keeps it
  assert.throws(() => Loose.fromWire(true, { strict: true }), /expected a variant of Loose/);
  // A value that matches no variant exactly is read as the first of its JSON type.
  assert.deepEqual(Loose.fromWire({ bark_volume: 'loud' }), { bark_volume: 'loud' });
  assert.deepEqual(Loose.toWire({ kind: 'dog', barkVolume: 5 }), { kind: 'dog', bark_volume: 5 });
  assert.equal(Loose.toWire('x'), 'x');
});

test('values of any shape: arrays of models, maps, nullable unions', () => {
  const list = t.array(t.model(() => Dog));
  assert.deepEqual(decodeValue(list, [{ kind: 'dog', bark_volume: 1 }]), [{ kind: 'dog', barkVolume: 1 }]);
  assert.deepEqual(encodeValue(list, [{ kind: 'dog', barkVolume: 1 }]), [{ kind: 'dog', bark_volume: 1 }]);
  assert.equal(decodeValue(t.nullable(t.union(() => Pet)), null, { strict: true }), null);
  assert.deepEqual(decodeValue(t.map(t.integer), { a: 1, b: 'x' }), { a: 1, b: 'x' });
  assert.throws(() => decodeValue(t.map(t.integer), { a: 1, b: 'x' }, { strict: true }), (e: unknown) => e instanceof ShapeError && e.path === '$.b');
  assert.equal(decodeValue(t.string, 5), 5); // tolerant: as it came
});

test('a path of wire names finds values in SDK values, through models, arrays, maps and unions', () => {
  const Chunk = model('Chunk', [
    t.field('choices', 'choices', t.array(t.model(() => model('Choice', [t.field('delta', 'delta', t.model(() => model('Delta', [t.field('content', 'content', t.string, false)])), true)]))), true),
    t.field('pet', 'the_pet', t.union(() => Pet), false),
    t.field('meta', 'meta', t.map(t.any), false),
  ]);
  const value = Chunk.fromWire({ choices: [{ delta: { content: 'Hi' } }], the_pet: { kind: 'dog', bark_volume: 9 }, meta: { a_b: { c: 1 } } }) as Record<string, unknown>;
  const shape = t.model(() => Chunk);
  assert.equal(valueAt(shape, value, ['choices', 0, 'delta', 'content']), 'Hi');
  assert.equal(valueAt(shape, value, ['the_pet', 'bark_volume']), 9);
  assert.equal(valueAt(shape, value, ['meta', 'a_b', 'c']), 1);
  assert.equal(valueAt(shape, value, ['choices', 1, 'delta']), undefined);
  assert.equal(valueAt(shape, value, ['nope', 'x']), undefined);
  assert.equal(valueAt(t.string, 'text', []), 'text');
});

test('scalar fields read as they came keep each converter outcome: right type, wrong type, null', () => {
  interface Row { shortName?: string; hitCount?: number; wholeCount?: number; isOn?: boolean; petKind?: string; anyValue?: unknown; maybeName?: string | null }
  const Row: ModelShape<Row> = model<Row>('Row', [
    t.field('shortName', 'short_name', t.string, true),
    t.field('hitCount', 'hit_count', t.number, false),
    t.field('wholeCount', 'whole_count', t.integer, false),
    t.field('isOn', 'is_on', t.boolean, false),
    t.field('petKind', 'pet_kind', t.enumOf(['cat', 'dog']), false),
    t.field('anyValue', 'any_value', t.any, false),
    t.field('maybeName', 'maybe_name', t.nullable(t.string), false),
  ]);
  const good = { short_name: 'a', hit_count: 1.5, whole_count: 2, is_on: false, pet_kind: 'fox', any_value: null, maybe_name: null };
  const read = { shortName: 'a', hitCount: 1.5, wholeCount: 2, isOn: false, petKind: 'fox', anyValue: null, maybeName: null };
  assert.deepEqual(Row.fromWire(good), read);
  // Strict: the same, except the unknown enum value.
  assert.throws(() => Row.fromWire(good, { strict: true }), (e: unknown) => e instanceof ShapeError && e.path === '$.pet_kind');
  assert.deepEqual(Row.fromWire({ ...good, pet_kind: 'cat' }, { strict: true }), { ...read, petKind: 'cat' });
  // Wrong types and null where not nullable: tolerant keeps the raw value under its wire name.
  const bad = { short_name: 1, hit_count: '1', whole_count: 2.5, is_on: 'no', pet_kind: 3, maybe_name: 7 };
  assert.deepEqual(Row.fromWire(bad), { short_name: 1, hit_count: '1', wholeCount: 2.5, is_on: 'no', pet_kind: 3, maybe_name: 7 });
  assert.deepEqual(Row.fromWire({ short_name: null }), { short_name: null });
  for (const [key, value] of Object.entries(bad)) {
    if (key === 'whole_count') continue;
    assert.throws(() => Row.fromWire({ ...good, pet_kind: 'cat', [key]: value }, { strict: true }), (e: unknown) => e instanceof ShapeError && e.path === `$.${key}`, key);
  }
  // Strict integers are whole numbers.
  assert.throws(() => Row.fromWire({ ...good, pet_kind: 'cat', whole_count: 2.5 }, { strict: true }), (e: unknown) => e instanceof ShapeError && e.path === '$.whole_count');
  assert.throws(() => Row.fromWire({ short_name: null }, { strict: true }), (e: unknown) => e instanceof ShapeError && e.path === '$.short_name');
});
