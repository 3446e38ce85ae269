/**
 * Requests of every kind the corpus describes, as the wire sees them: typed path and query
 * parameters (each OpenAPI style), headers, JSON, form, multipart, text and binary bodies;
 * credentials of every scheme, chosen per operation; and responses bare, wrapped, arrays, maps,
 * strings and unions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as petstore from '../sdks/petstore-3.0/src/index.js';
import * as petstore31 from '../sdks/petstore-3.1/src/index.js';
import * as stripe from '../sdks/stripe-customers/src/index.js';
import * as openai from '../sdks/openai-chat/src/index.js';
import * as anthropic from '../sdks/anthropic-messages/src/index.js';
import * as adversarial from '../sdks/adversarial/src/index.js';
import * as notebook from '../sdks/notebook/src/index.js';
import { fakeFetch, json, quick } from './helpers.js';

const PET = { id: 7, name: 'Rex', category: { id: 1, name: 'Dogs' }, photoUrls: ['u'], tags: [{ id: 2, name: 'good' }], status: 'available' };

test('petstore: a bare response, an integer path parameter, the API key header of the first usable scheme', async () => {
  const f = fakeFetch(json(200, PET));
  const client = new petstore.Petstore({ apiKey: 'pk', baseUrl: 'http://pets.test/api/v3', ...quick(f.fetch) });
  const pet = await client.pet.getPetById(7);
  assert.equal(pet.name, 'Rex');
  assert.equal(pet.category?.name, 'Dogs');
  assert.equal(f.calls[0]!.url.pathname, '/api/v3/pet/7');
  assert.equal(f.calls[0]!.headers['api_key'], 'pk');
  assert.equal(f.calls[0]!.headers['authorization'], undefined);
  assert.throws(() => client.pet.getPetById(Number.NaN), petstore.InvalidArgumentError);
  assert.throws(() => client.pet.getPetById(null as unknown as number), /petId must be a non-empty string or a finite number, got null/);
});

test('petstore: an OAuth token is a bearer header; an operation with no security sends no credential', async () => {
  const f = fakeFetch(json(200, PET), json(200, { id: 1, petId: 7, quantity: 1, status: 'placed', complete: false }));
  const client = new petstore.Petstore({ petstoreAuth: 'tok', baseUrl: 'http://pets.test', ...quick(f.fetch) });
  await client.pet.addPet({ name: 'Rex', photoUrls: ['u'], category: { id: 1, name: 'Dogs' } });
  assert.equal(f.calls[0]!.headers['authorization'], 'Bearer tok');
  assert.deepEqual(f.calls[0]!.body, { name: 'Rex', photoUrls: ['u'], category: { id: 1, name: 'Dogs' } });
  const order = await client.store.placeOrder({ petId: 7, quantity: 1 });
  assert.equal(order.status, 'placed');
  assert.equal(f.calls[1]!.headers['authorization'], undefined);
});

test('petstore: a call whose schemes have no credential fails before sending; so does a client with none', () => {
  const f = fakeFetch(json(200, {}));
  const client = new petstore.Petstore({ apiKey: 'pk', baseUrl: 'http://pets.test', ...quick(f.fetch) });
  assert.throws(() => client.pet.addPet({ name: 'x', photoUrls: [] }), /needs credentials: set `petstoreAuth`/);
  assert.equal(f.calls.length, 0);
  const saved = [process.env['PETSTORE_API_KEY'], process.env['PETSTORE_PETSTORE_AUTH']];
  delete process.env['PETSTORE_API_KEY'];
  delete process.env['PETSTORE_PETSTORE_AUTH'];
  try {
    assert.throws(() => new petstore.Petstore({ fetch: f.fetch }), /no credentials: pass `petstoreAuth` or set PETSTORE_PETSTORE_AUTH; or pass `apiKey`/);
    process.env['PETSTORE_API_KEY'] = 'from-env';
    assert.equal(new petstore.Petstore({ fetch: f.fetch }).toJSON()['apiKey'], '***');
  } finally {
    if (saved[0] === undefined) delete process.env['PETSTORE_API_KEY'];
    else process.env['PETSTORE_API_KEY'] = saved[0];
    if (saved[1] !== undefined) process.env['PETSTORE_PETSTORE_AUTH'] = saved[1];
  }
});

test('petstore: arrays in the query (exploded), array, map and string results', async () => {
  const f = fakeFetch(json(200, [PET, { ...PET, id: 8 }]), json(200, { available: 3, sold: 1 }), json(200, 'session-token'));
  const client = new petstore.Petstore({ apiKey: 'pk', petstoreAuth: 't', baseUrl: 'http://pets.test', ...quick(f.fetch) });
  const pets = await client.pet.findPetsByTags({ tags: ['a', 'b c'] });
  assert.deepEqual(pets.map((p) => p.id), [7, 8]);
  assert.equal(f.calls[0]!.url.search, '?tags=a&tags=b+c');
  const inventory = await client.store.getInventory();
  assert.deepEqual({ ...inventory }, { available: 3, sold: 1 });
  const token = await client.user.loginUser({ username: 'u', password: 'p' });
  assert.equal(token, 'session-token');
  assert.equal(f.calls[2]!.url.search, '?username=u&password=p');
});

test('petstore: a binary body is sent as bytes with its media type; a required unnamed body is checked', async () => {
  const f = fakeFetch(json(200, { code: 200, type: 'ok', message: 'stored' }));
  const client = new petstore.Petstore({ petstoreAuth: 't', baseUrl: 'http://pets.test', ...quick(f.fetch) });
  const image = new Uint8Array([137, 80, 78, 71]);
  const answer = await client.pet.uploadFile(7, { body: image, additionalMetadata: 'front' });
  assert.equal(answer.message, 'stored');
  const call = f.calls[0]!;
  assert.equal(call.headers['content-type'], 'application/octet-stream');
  assert.deepEqual([...(call.raw as Uint8Array)], [...image]);
  assert.equal(call.url.search, '?additionalMetadata=front');
  assert.throws(() => client.pet.uploadFile(7, { body: 'not bytes' as unknown as Uint8Array }), petstore.InvalidArgumentError);
  const strict = new adversarial.StreamClient({ apiKey: 'q', baseUrl: 'http://a.test', ...quick(f.fetch) });
  assert.throws(() => strict.pet.upload({} as never), /params\.body is required/);
});

test('petstore 3.1: a mutual-TLS scheme needs nothing from the SDK', async () => {
  const f = fakeFetch(json(200, PET));
  const client = new petstore31.Petstore({ petstoreAuth: 't', baseUrl: 'http://pets.test', ...quick(f.fetch) });
  await client.pet.getPetById(1);
  assert.equal(f.calls[0]!.headers['authorization'], 'Bearer t');
});

test('stripe: deepObject query parameters, a form body with nested keys, basic auth', async () => {
  const customer = { id: 'cus_1', object: 'customer', created: 1, livemode: false, metadata: { k: 'v' } };
  const f = fakeFetch(json(200, { object: 'list', data: [customer], has_more: false, url: '/v1/customers' }), json(200, customer));
  const client = new stripe.Stripe({ basicAuth: { username: 'sk_test', password: 'pw:x' }, baseUrl: 'http://stripe.test', ...quick(f.fetch) });
  const list = await client.default_.getCustomers({ created: { gt: 5, lte: 9 }, expand: ['data.discount'], limit: 3 });
  assert.equal(list.data[0]?.id, 'cus_1');
  const q = f.calls[0]!.url.searchParams;
  assert.equal(q.get('created[gt]'), '5');
  assert.equal(q.get('created[lte]'), '9');
  assert.deepEqual(q.getAll('expand[]'), ['data.discount']);
  assert.equal(q.get('limit'), '3');
  assert.equal(f.calls[0]!.headers['authorization'], `Basic ${btoa('sk_test:pw:x')}`);
  await client.default_.postCustomers({ name: 'N', metadata: { plan: 'gold' }, expand: ['a', 'b'], address: { city: 'Paris', line1: '1 rue' } });
  const call = f.calls[1]!;
  assert.equal(call.headers['content-type'], 'application/x-www-form-urlencoded');
  const form = new URLSearchParams(call.raw as string);
  assert.equal(form.get('name'), 'N');
  assert.equal(form.get('metadata[plan]'), 'gold');
  assert.deepEqual(form.getAll('expand'), ['a', 'b']);
  assert.equal(form.get('address[city]'), 'Paris');
  assert.throws(() => new stripe.Stripe({ basicAuth: { username: 'a:b', password: 'p' }, fetch: f.fetch }), /colon/);
});

test('stripe: a union result is the variant the value matches; the password never shows in an error', async () => {
  const f = fakeFetch(json(200, { id: 'cus_1', object: 'customer', deleted: true }), json(401, { error: { message: 'bad pw:secret-pass' } }));
  const client = new stripe.Stripe({ basicAuth: { username: 'u', password: 'secret-pass' }, baseUrl: 'http://stripe.test', strictResponseValidation: true, ...quick(f.fetch) });
  const gone = await client.default_.getCustomersCustomer('cus_1');
  assert.deepEqual({ ...gone }, { id: 'cus_1', object: 'customer', deleted: true });
  const err = await client.default_.getCustomersCustomer('cus_1').catch((e: unknown) => e);
  assert.ok(err instanceof stripe.AuthenticationError);
  assert.doesNotMatch(`${err.message} ${JSON.stringify(err.body)}`, /secret-pass/);
});

test('openai: a multipart body carries the file as a file part and the other fields as text', async () => {
  const f = fakeFetch(json(200, { id: 'file-1', object: 'file', bytes: 3, created_at: 1, filename: 'a.jsonl', purpose: 'batch', status: 'uploaded' }));
  const client = new openai.OpenAi({ apiKey: 'sk', baseUrl: 'http://api.test', ...quick(f.fetch) });
  const file = await client.files.createFile({ file: new Blob(['{}\n'], { type: 'application/jsonl' }), purpose: 'batch' });
  assert.equal(file.id, 'file-1');
  const form = f.calls[0]!.raw as FormData;
  assert.ok(form instanceof FormData);
  assert.equal(form.get('purpose'), 'batch');
  const part = form.get('file');
  assert.ok(part instanceof Blob);
  assert.equal(await part.text(), '{}\n');
  assert.equal(f.calls[0]!.headers['content-type'], undefined); // fetch sets it, with the boundary
});

test('anthropic: discriminated unions read into their variants, both ways', async () => {
  const message = {
    id: 'msg_1', type: 'message', role: 'assistant', model: 'claude', stop_reason: 'tool_use', stop_sequence: null,
    content: [{ type: 'text', text: 'Let me check.' }, { type: 'tool_use', id: 'tu_1', name: 'search', input: { q: 'x' } }, { type: 'future_block', z: 1 }],
    usage: { input_tokens: 3, output_tokens: 5, cache_creation_input_tokens: null, cache_read_input_tokens: null },
  };
  const f = fakeFetch(json(200, message));
  const client = new anthropic.Anthropic({ apiKey: 'k', baseUrl: 'http://api.test', ...quick(f.fetch) });
  const got = await client.messages.messagesPost({ model: 'claude', maxTokens: 10, messages: [{ role: 'user', content: 'hi' }], system: [{ type: 'text', text: 'Be brief.' }] });
  const [textBlock, tool, future] = got.content;
  assert.ok(textBlock?.type === 'text' && textBlock.text === 'Let me check.');
  assert.ok(tool?.type === 'tool_use' && tool.name === 'search');
  assert.deepEqual(future, { type: 'future_block', z: 1 }); // an unknown variant is kept as it came
  assert.equal(got.usage.outputTokens, 5);
  assert.deepEqual((f.calls[0]!.body as Record<string, unknown>)['system'], [{ type: 'text', text: 'Be brief.' }]);
  assert.equal((f.calls[0]!.body as Record<string, unknown>)['stream'], false);
});

test('adversarial: a query API key, keyword-named parameters and headers', async () => {
  const f = fakeFetch(json(200, { id: 1 }));
  const client = new adversarial.StreamClient({ apiKey: 'q-key', baseUrl: 'http://a.test', ...quick(f.fetch) });
  await client.pet.getItem(3, { class_: 'c', ctx: true, timeout: 2.5, class_2: 'header' });
  const call = f.calls[0]!;
  assert.equal(call.url.searchParams.get('api_key */'), 'q-key');
  assert.equal(call.url.searchParams.get('class'), 'c');
  assert.equal(call.url.searchParams.get('ctx'), 'true');
  assert.equal(call.url.searchParams.get('timeout'), '2.5');
  assert.equal(call.headers['class'], 'header');
  assert.equal(call.headers['authorization'], undefined);
  // Body fields go to the body, parameters to the query: never one into the other.
  await client.pet.class_('p1', { message: 'm', class_: null, params: 'x', options: 'y', self: 'z' });
  assert.deepEqual(f.calls[1]!.body, { message: 'm', 'class */': null });
  assert.equal(f.calls[1]!.url.search, '?params=x&options=y&self=z&api_key+*%2F=q-key');
  const bearer = new adversarial.StreamClient({ bearer: 'b-tok', baseUrl: 'http://a.test', ...quick(f.fetch) });
  await bearer.pet.getItem(3);
  assert.equal(f.calls[2]!.headers['authorization'], 'Bearer b-tok');
  assert.equal(f.calls[2]!.url.searchParams.get('api_key */'), null);
});

test('notebook: a {data} envelope is unwrapped; a page is read from {data, meta}', async () => {
  const note = { id: 'n1', title: 'T', body: null, tags: [], priority: 'low', archived: false, attachments: [], created_at: 'now' };
  const f = fakeFetch(json(201, { data: note }), json(200, { data: [note], meta: { page: 1, limit: 1, total: 1 } }));
  const client = new notebook.Notebook({ apiKey: 'nb', baseUrl: 'http://nb.test', ...quick(f.fetch) });
  const created = await client.notes.createNote({ title: 'T', priority: notebook.Priority.Low });
  assert.equal(created.createdAt, 'now');
  assert.equal(f.calls[0]!.headers['x-notebook-token'], 'nb');
  assert.ok(f.calls[0]!.headers['idempotency-key']);
  const titles: string[] = [];
  for await (const n of client.notes.listNotes({ tag: 'x', limit: 1 })) titles.push(n.title);
  assert.deepEqual(titles, ['T']);
});
