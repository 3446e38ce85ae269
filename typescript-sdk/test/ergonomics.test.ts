/**
 * generator/RUNTIME.md's "Raw responses and request ids", "Per-request options and the escape
 * hatch" and "Logging" in this SDK (the runtime's own tests of them are in
 * generator/tests/ts_runtime/options.test.ts), and cancellation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { APIUserAbortError, NotFoundError, PromptRails, PromptRailsError } from '../src/index.js';
import { API_KEY, RUN, fakeFetch, json, sse, testClient } from './helpers.js';

const SESSION = { id: 'ses_1', agent_id: 'a', title: 'T', metadata: {}, created_at: 'now', updated_at: 'now' };

test('raw: _request_id on values, pages and streams; withResponse() and asResponse()', async () => {
  const f = fakeFetch(
    json(200, { data: SESSION }, { 'x-request-id': 'req_a' }),
    json(200, { data: [SESSION], meta: { page: 1, limit: 20, total: 1 } }, { 'x-request-id': 'req_b' }),
    json(200, { data: SESSION }, { 'x-request-id': 'req_c' }),
    json(200, { data: SESSION }, { 'x-request-id': 'req_d' }),
    sse({ chunks: RUN }),
  );
  const { client } = testClient(f.fetch);
  const session = await client.chat.getSession('ses_1');
  assert.equal(session._request_id, 'req_a');
  assert.deepEqual(Object.keys(session), ['id', 'agentId', 'title', 'metadata', 'createdAt', 'updatedAt']);
  const page = await client.chat.listSessions();
  assert.equal(page._request_id, 'req_b');
  const { data, response, request_id } = await client.chat.getSession('ses_1').withResponse();
  assert.equal(data.id, 'ses_1');
  assert.equal(request_id, 'req_c');
  assert.equal(response.status, 200);
  const raw = await client.chat.getSession('ses_1').asResponse();
  assert.equal(raw.bodyUsed, false);
  assert.deepEqual(await raw.json(), { data: SESSION });
  const stream = client.chat.sendMessageStream('ses_1', { content: 'x' });
  const opened = await stream.withResponse();
  assert.equal(opened.data, stream);
  assert.equal((await stream.untilDone()).text, 'Hello');
});

test('options: extra query and body fields reach the wire; withOptions() keeps the key', async () => {
  const f = fakeFetch(json(201, { data: { id: 'm', role: 'assistant', content: 'ok', created_at: 'now' } }));
  const { client } = testClient(f.fetch);
  await client.chat.sendMessage('ses_1', { content: 'hi' }, { query: { debug: 1 }, body: { metadata: { via: 'extra' }, beta: true } });
  assert.equal(f.calls[0]!.url.searchParams.get('debug'), '1');
  assert.deepEqual(f.calls[0]!.body, { content: 'hi', metadata: { via: 'extra' }, beta: true });
  const derived = client.withOptions({ timeout: 1234 });
  assert.ok(derived instanceof PromptRails);
  assert.equal(derived.timeout, 1234);
  assert.equal(String(derived), `PromptRails({"baseUrl":"http://api.test","timeout":1234,"maxRetries":2,"apiKey":"***"})`);
  await derived.chat.sendMessage('ses_1', { content: 'again' });
  assert.equal(f.calls[1]!.headers['x-api-key'], API_KEY);
});

test('logging: debug logs attempts, headers and frames, never the key, even echoed back', async () => {
  const lines: string[] = [];
  const logger = { debug: (m: string) => lines.push(m), info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
  const f = fakeFetch(
    json(404, { error: { code: 'not_found', message: `no session for ${API_KEY}` } }, { 'x-request-id': 'req_404', 'x-echo': API_KEY }),
    sse({ chunks: RUN }),
  );
  const { client } = testClient(f.fetch, { logLevel: 'debug', logger });
  const err = await client.chat.getSession('nope').catch((e: unknown) => e);
  assert.ok(err instanceof NotFoundError);
  await client.chat.sendMessageStream('ses_1', { content: 'x' }).toArray();
  const text = lines.join('\n');
  assert.match(text, /PromptRails: GET \/api\/v1\/chat\/sessions\/nope -> 404 in \d+ ms, request_id req_404/);
  assert.match(text, /request headers: .*x-api-key: \*\*\*/);
  assert.match(text, /stream frame: event "done", id "7"/);
  assert.doesNotMatch(text, new RegExp(API_KEY));
});

test('logging: PROMPTRAILS_LOG sets the default level', () => {
  process.env['PROMPTRAILS_LOG'] = 'debug';
  try {
    assert.equal(new PromptRails({ apiKey: 'k', fetch: fakeFetch().fetch }).logLevel, 'debug');
  } finally {
    delete process.env['PROMPTRAILS_LOG'];
  }
  assert.equal(new PromptRails({ apiKey: 'k', fetch: fakeFetch().fetch }).logLevel, 'warn');
});

test('cancel: APIUserAbortError is an APIError and a PromptRailsError, with the reason as cause', async () => {
  const controller = new AbortController();
  controller.abort(new Error('no thanks'));
  const { client } = testClient(fakeFetch(json(200, { data: SESSION })).fetch);
  const err = await client.chat.getSession('ses_1', { signal: controller.signal }).catch((e: unknown) => e);
  assert.ok(err instanceof APIUserAbortError);
  assert.ok(err instanceof PromptRailsError);
  assert.equal((err.cause as Error).message, 'no thanks');
});
