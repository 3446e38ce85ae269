/**
 * generator/RUNTIME.md's "Raw responses and request ids", "Per-request options and the escape
 * hatch" and "Logging", and cancellation: through the generated notebook and PromptRails SDKs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as notebook from '../sdks/notebook/src/index.js';
import * as ours from '../sdks/openapi/src/index.js';
import * as petstore from '../sdks/petstore-3.0/src/index.js';
import { fakeFetch, frame, hang, json, quick, recorder, sse, type Handler } from './helpers.js';

const NOTE = { id: 'n1', title: 'T', body: null, tags: [], priority: 'low', archived: false, attachments: [], created_at: 'now' };
const note = (headers: Record<string, string> = { 'x-request-id': 'req_1' }) => json(200, { data: NOTE }, headers);
const client = (f: { fetch: typeof fetch }, extra: Partial<notebook.ClientOptions> = {}) =>
  new notebook.Notebook({ apiKey: 'nb-secret-key', baseUrl: 'http://nb.test', ...quick(f.fetch), ...extra });

// -- raw responses and request ids ---------------------------------------------------------------

test('raw: a returned object carries _request_id, non-enumerable', async () => {
  const got = await client(fakeFetch(note())).notes.getNote('n1');
  assert.equal(got._request_id, 'req_1');
  assert.equal(Object.keys(got).includes('_request_id'), false);
  assert.equal(JSON.stringify(got).includes('req_1'), false);
  assert.equal('_request_id' in { ...got }, false);
  const none = await client(fakeFetch(note({}))).notes.getNote('n1');
  assert.equal(none._request_id, undefined);
});

test('raw: withResponse() resolves the value, the response and the request id', async () => {
  const { data, response, request_id } = await client(fakeFetch(note())).notes.getNote('n1').withResponse();
  assert.equal(data.title, 'T');
  assert.equal(response.status, 200);
  assert.equal(request_id, 'req_1');
  assert.equal(response.headers.get('x-request-id'), 'req_1');
});

test('raw: asResponse() resolves the response with its body unread, after retries; errors still throw', async () => {
  const f = fakeFetch(json(503, { error: { message: 'busy' } }), note());
  const response = await client(f).notes.getNote('n1').asResponse();
  assert.equal(f.calls.length, 2);
  assert.equal(response.bodyUsed, false);
  assert.deepEqual(await response.json(), { data: NOTE });
  const missing = await client(fakeFetch(json(404, { error: { code: 'not_found', message: 'no' } }))).notes.getNote('x').asResponse().catch((e: unknown) => e);
  assert.ok(missing instanceof notebook.NotFoundError);
  // Read as a value first, then as a response: the same bytes, in a fresh Response.
  const p = client(fakeFetch(note())).notes.getNote('n1');
  assert.equal((await p).id, 'n1');
  const again = await p.asResponse();
  assert.deepEqual(await again.json(), { data: NOTE });
});

test('raw: pages carry _request_id and list calls have withResponse()', async () => {
  const page = json(200, { data: [NOTE], meta: { page: 1, limit: 20, total: 1 } }, { 'x-request-id': 'req_page' });
  const first = await client(fakeFetch(page)).notes.listNotes();
  assert.equal(first._request_id, 'req_page');
  const { data, request_id } = await client(fakeFetch(page)).notes.listNotes().withResponse();
  assert.equal(data.data[0]?.id, 'n1');
  assert.equal(request_id, 'req_page');
});

test('raw: a stream\'s withResponse() opens it and hands it back to iterate; asResponse() gives the raw body', async () => {
  const frames = [frame('started', { note_id: 'n1' }), frame('finished', { summary: 'S', usage: { words: 1 } })];
  const events = sse({ chunks: frames, headers: { 'x-request-id': 'req_s' } });
  const f = fakeFetch(events, events);
  const c = client(f);
  const { data: stream, response, request_id } = await c.notes.summarizeNote('n1').withResponse();
  assert.equal(request_id, 'req_s');
  assert.equal(response.headers.get('content-type'), 'text/event-stream');
  assert.equal(f.calls.length, 1);
  const result = await stream.untilDone();
  assert.equal(result.output, 'S');
  assert.equal(stream._request_id, 'req_s');
  assert.equal(f.calls.length, 1);
  const raw = c.notes.summarizeNote('n1');
  const body = await (await raw.asResponse()).text();
  assert.equal(body, frames.join(''));
  assert.throws(() => raw[Symbol.asyncIterator](), /only once/);
});

// -- per-request options --------------------------------------------------------------------------

test('options: extra headers, query parameters and body fields are sent as given, overriding', async () => {
  const f = fakeFetch(json(200, { data: [], meta: {} }), json(200, { data: NOTE }));
  const c = client(f, { defaultHeaders: { 'x-default': 'd', 'x-gone': 'g' } });
  await c.notes.listNotes({ tag: 'a' }, { query: { tag: 'b', debug: true }, headers: { 'x-extra': '1', 'x-gone': null } });
  const call = f.calls[0]!;
  assert.deepEqual(call.url.searchParams.getAll('tag'), ['b']);
  assert.equal(call.url.searchParams.get('debug'), 'true');
  assert.equal(call.headers['x-extra'], '1');
  assert.equal(call.headers['x-default'], 'd');
  assert.equal(call.headers['x-gone'], undefined);
  await c.notes.archiveNote('n1', { reason: 'r' }, { body: { reason: 'override', extra: [1] }, idempotencyKey: 'idem-1' });
  assert.deepEqual(f.calls[1]!.body, { reason: 'override', extra: [1] });
  assert.equal(f.calls[1]!.headers['idempotency-key'], 'idem-1');
});

test('options: timeout and maxRetries per call; bad options fail before sending', async () => {
  const f = fakeFetch(json(500, {}));
  const c = client(f);
  await assert.rejects(c.notes.getNote('n1', { maxRetries: 0 }), notebook.InternalServerError);
  assert.equal(f.calls.length, 1);
  const slow = fakeFetch(hang);
  await assert.rejects(client(slow).notes.getNote('n1', { timeout: 5, maxRetries: 1 }), notebook.APITimeoutError);
  assert.equal(slow.calls.length, 2);
  assert.throws(() => c.notes.getNote('n1', { timeout: -1 }), notebook.InvalidArgumentError);
  assert.throws(() => c.notes.getNote('n1', { query: 'x' as never }), notebook.InvalidArgumentError);
  const pets = new petstore.Petstore({ petstoreAuth: 't', baseUrl: 'http://p.test', ...quick(f.fetch) });
  assert.throws(() => pets.pet.uploadFile(1, { body: new Uint8Array() }, { body: { x: 1 } }), /cannot be merged into a binary body/);
});

test('options: withOptions() derives a client with other defaults, sharing fetch and credentials', async () => {
  const f = fakeFetch(json(500, {}), json(200, { data: NOTE }));
  const base = client(f, { maxRetries: 0 });
  const derived = base.withOptions({ maxRetries: 1, defaultHeaders: { 'x-derived': 'yes' } });
  assert.ok(derived instanceof notebook.Notebook);
  assert.notEqual(derived, base);
  assert.equal((await derived.notes.getNote('n1')).id, 'n1');
  assert.equal(f.calls.length, 2);
  assert.equal(f.calls[1]!.headers['x-derived'], 'yes');
  assert.equal(f.calls[1]!.headers['x-notebook-token'], 'nb-secret-key');
  assert.equal(base.maxRetries, 0);
  assert.equal(derived.maxRetries, 1);
  assert.equal(derived.withOptions({ baseUrl: 'http://other.test' }).baseUrl, 'http://other.test');
});

// -- logging -----------------------------------------------------------------------------------------

test('logging: info logs each attempt and retry; debug the headers, keys redacted; the key never shows', async () => {
  const { logger, lines } = recorder();
  const f = fakeFetch(json(503, {}, { 'retry-after': '0', 'x-echo': 'nb-secret-key' }), note());
  await client(f, { logLevel: 'debug', logger }).notes.getNote('n1');
  const text = lines.join('\n');
  assert.match(text, /^info Notebook: GET \/v1\/notes\/n1 -> 503 in \d+ ms$/m);
  assert.match(text, /^info Notebook: retrying GET \/v1\/notes\/n1 in 0 ms \(status 503\); retry 1 of 2$/m);
  assert.match(text, /^info Notebook: GET \/v1\/notes\/n1 -> 200 in \d+ ms, request_id req_1$/m);
  assert.match(text, /^debug Notebook: GET \/v1\/notes\/n1 request headers: .*x-notebook-token: \*\*\*/m);
  assert.match(text, /^debug Notebook: GET \/v1\/notes\/n1 response headers: .*x-echo: \*\*\*/m);
  assert.doesNotMatch(text, /nb-secret-key/);
});

test('logging: warn by default logs nothing for a good call; off is silent; the env sets the level', async () => {
  const quiet = recorder();
  await client(fakeFetch(note()), { logger: quiet.logger }).notes.getNote('n1');
  assert.deepEqual(quiet.lines, []);
  const off = recorder();
  await client(fakeFetch(json(500, {}), note()), { logger: off.logger, logLevel: 'off' }).notes.getNote('n1');
  assert.deepEqual(off.lines, []);
  process.env['NOTEBOOK_LOG'] = 'info';
  try {
    const env = recorder();
    const c = client(fakeFetch(note()), { logger: env.logger });
    assert.equal(c.logLevel, 'info');
    await c.notes.getNote('n1');
    assert.equal(env.lines.length, 1);
  } finally {
    delete process.env['NOTEBOOK_LOG'];
  }
  assert.throws(() => client(fakeFetch(note()), { logLevel: 'loud' as never }), notebook.InvalidArgumentError);
  assert.throws(() => client(fakeFetch(note()), { logger: {} as never }), notebook.InvalidArgumentError);
});

test('logging: stream frames at debug, a resume at info with its route and Last-Event-ID', async () => {
  const { logger, lines } = recorder();
  const f = fakeFetch(
    sse({ chunks: [frame('execution', { execution_id: 'ex_1' }, 1), frame('content', { content: 'a' }, 2)], then: 'error' }),
    sse({ chunks: [frame('done', { output: 'a' }, 3)] }),
  );
  const c = new ours.PromptRails({ apiKey: 'pr-secret', baseUrl: 'http://pr.test', logLevel: 'debug', logger, ...quick(f.fetch) });
  await c.chat.sendMessageStream('ses_1', { content: 'x' }).untilDone();
  const text = lines.join('\n');
  assert.match(text, /debug PromptRails: stream frame: event "execution", id "1"/);
  assert.match(text, /info PromptRails: resuming the stream: GET \/api\/v1\/executions\/ex_1\/stream \(execution_id ex_1\), Last-Event-ID 2 \(retry 1 of 2\)/);
  assert.match(text, /POST \/api\/v1\/chat\/sessions\/ses_1\/messages\/stream idempotency key [0-9a-f-]{36}/);
  assert.doesNotMatch(text, /pr-secret/);
});

// -- cancellation -------------------------------------------------------------------------------------

const abortable = (reason: RegExp) => (err: unknown) => {
  assert.ok(err instanceof notebook.APIUserAbortError, `expected APIUserAbortError, got ${String(err)}`);
  assert.ok(err instanceof notebook.APIError);
  assert.match(String(err.cause), reason);
  return true;
};

test('cancel: an aborted call rejects with APIUserAbortError, in flight or while waiting to retry', async () => {
  const inflight = fakeFetch(hang);
  const controller = new AbortController();
  const pending = client(inflight).notes.getNote('n1', { signal: controller.signal });
  while (inflight.calls.length === 0) await new Promise((resolve) => setImmediate(resolve));
  controller.abort(new Error('stop'));
  await assert.rejects(pending, abortable(/stop/));

  const waiting = fakeFetch(json(503, {}));
  const later = new AbortController();
  const sleepUntilAborted = (_ms: number, signal?: AbortSignal) =>
    new Promise<void>((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason)));
  const retrying = client(waiting, { sleep: sleepUntilAborted }).notes.getNote('n1', { signal: later.signal });
  while (waiting.calls.length === 0) await new Promise((resolve) => setImmediate(resolve));
  later.abort(new Error('not any more'));
  await assert.rejects(retrying, abortable(/not any more/));
  assert.equal(waiting.calls.length, 1);

  const already = AbortSignal.abort(new Error('before'));
  await assert.rejects(client(fakeFetch(note())).notes.getNote('n1', { signal: already }), abortable(/before/));
});

test('cancel: an aborted stream rejects with APIUserAbortError, from the signal or abort()', async () => {
  const body: Handler = sse({ chunks: [frame('started', { note_id: 'n1' })], then: 'hang' });
  const controller = new AbortController();
  const stream = client(fakeFetch(body)).notes.summarizeNote('n1', {}, { signal: controller.signal });
  const err = await (async () => {
    for await (const event of stream) if (event.type === 'started') controller.abort(new Error('enough'));
  })().catch((e: unknown) => e);
  assert.ok(abortable(/enough/)(err));
  const other = client(fakeFetch(body)).notes.summarizeNote('n1');
  const it = other[Symbol.asyncIterator]();
  await it.next();
  other.abort(new Error('bye'));
  await assert.rejects(it.next(), abortable(/bye/));
});
