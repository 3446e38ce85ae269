/** Every method, error status and retry path, against a fake fetch (no network, no sleeping). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { readFileSync } from 'node:fs';

// The version `sdkgen release` wrote into package.json (the spec's info.x-sdk.version).
const PACKAGE_VERSION: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url) /* from build/test/ */, 'utf8')).version;
import {
  PromptRails,
  PromptRailsError,
  APIError,
  APIConnectionError,
  APITimeoutError,
  APIStatusError,
  BadRequestError,
  AuthenticationError,
  PaymentRequiredError,
  PermissionDeniedError,
  NotFoundError,
  ConflictError,
  UnprocessableEntityError,
  RateLimitError,
  InternalServerError,
  InvalidArgumentError,
  Page,
} from '../src/index.js';
import type { SubmitFeedbackParams } from '../src/index.js';
import { API_KEY, aborted, apiError, fakeFetch, json, networkError, testClient, type Handler } from './helpers.js';

const SESSION = {
  id: 'ses_1',
  workspace_id: 'ws_1',
  agent_id: 'agent_1',
  user_id: null,
  title: 'Support',
  metadata: { channel: 'web', user_id: 'external-user-123', nested_key: { keep_me: 1 } },
  created_at: '2025-01-01T00:00:00Z',
  updated_at: '2025-01-01T00:00:00Z',
};
const MESSAGE = {
  id: 'msg_1',
  session_id: 'ses_1',
  role: 'user',
  content: 'Hi',
  metadata: {},
  token_count: 1,
  created_at: '2025-01-01T00:00:00Z',
};
const REPLY = { ...MESSAGE, id: 'msg_2', role: 'assistant', content: 'Hello!', execution_id: 'ex_1', user_message: MESSAGE, prompt_tokens: 3 };
const EXECUTION = {
  id: 'ex_1',
  workspace_id: 'ws_1',
  session_id: 'ses_1',
  agent_id: 'agent_1',
  status: 'completed',
  input: 'Hi',
  output: 'Hello!',
  error: null,
  token_usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
  user_message_id: 'msg_1',
  assistant_message_id: 'msg_2',
  last_event_id: '9',
  created_at: '2025-01-01T00:00:00Z',
  completed_at: '2025-01-01T00:00:01Z',
};
const meta = (page: number, totalPages: number, limit = 2) => ({ total: totalPages * limit, page, limit, total_pages: totalPages });

function setup(...handlers: Handler[]) {
  const f = fakeFetch(...handlers);
  const { client, sleeps } = testClient(f.fetch);
  return { client, sleeps, calls: f.calls };
}

// -- methods ----------------------------------------------------------------------------

test('chat.createSession: POST with snake_case body, returns a camelCase session, metadata untouched', async () => {
  const { client, calls } = setup(json(201, { data: SESSION }));
  const session = await client.chat.createSession({ agentId: 'agent_1', title: 'Support', metadata: { user_id: 'u', deep: { a_b: 1 } } });
  assert.equal(calls[0]!.method, 'POST');
  assert.equal(calls[0]!.url.pathname, '/api/v1/chat/sessions');
  assert.deepEqual(calls[0]!.body, { agent_id: 'agent_1', title: 'Support', metadata: { user_id: 'u', deep: { a_b: 1 } } });
  assert.equal(session.workspaceId, 'ws_1');
  assert.equal(session.userId, null);
  assert.deepEqual(session.metadata, SESSION.metadata);
  assert.match(calls[0]!.headers['idempotency-key']!, /^[0-9a-f-]{36}$/);
  assert.equal(calls[0]!.headers['x-api-key'], API_KEY);
  assert.equal(calls[0]!.headers['user-agent'], `promptrails-typescript/${PACKAGE_VERSION}`);
  assert.equal(calls[0]!.headers['content-type'], 'application/json');
});

test('chat.getSession: GET by id, the id percent-encoded', async () => {
  const { client, calls } = setup(json(200, { data: SESSION }));
  const session = await client.chat.getSession('a/b c');
  assert.equal(calls[0]!.url.pathname, '/api/v1/chat/sessions/a%2Fb%20c');
  assert.equal(calls[0]!.method, 'GET');
  assert.equal(calls[0]!.headers['idempotency-key'], undefined);
  assert.equal(session.id, 'ses_1');
});

test('chat.listSessions: awaitable to a page with data and meta', async () => {
  const { client, calls } = setup(json(200, { data: [SESSION], meta: meta(1, 1) }));
  const page = await client.chat.listSessions({ page: 1, limit: 20 });
  assert.ok(page instanceof Page);
  assert.equal(calls[0]!.url.search, '?page=1&limit=20');
  assert.equal(page.data[0]!.agentId, 'agent_1');
  // `pages` and `total_pages` alias each other: both are read whichever the API sent.
  assert.deepEqual(page.meta, { total: 2, page: 1, limit: 2, pages: 1, totalPages: 1 });
  assert.equal(page.hasNextPage(), false);
});

test('chat.listSessions: async-iterable over every item across pages', async () => {
  const { client, calls } = setup(
    json(200, { data: [SESSION, { ...SESSION, id: 's2' }], meta: meta(1, 2) }),
    json(200, { data: [{ ...SESSION, id: 's3' }], meta: meta(2, 2) }),
  );
  const ids: string[] = [];
  for await (const s of client.chat.listSessions({ limit: 2 })) ids.push(s.id);
  assert.deepEqual(ids, ['ses_1', 's2', 's3']);
  assert.deepEqual(calls.map((c) => [c.url.searchParams.get('page'), c.url.searchParams.get('limit')]), [[null, '2'], ['2', '2']]);
});

test('pages: without total_pages, a short page is the last', async () => {
  const { client, calls } = setup(json(200, { data: [MESSAGE, MESSAGE], meta: { limit: 2 } }), json(200, { data: [MESSAGE], meta: { limit: 2 } }));
  let n = 0;
  for await (const _ of client.chat.listMessages('ses_1', { limit: 2 })) n++;
  assert.equal(n, 3);
  assert.equal(calls.length, 2);
});

test('chat.updateSession: PATCH with only the given fields; null is sent', async () => {
  const { client, calls } = setup(json(200, { data: { ...SESSION, title: null } }));
  const session = await client.chat.updateSession('ses_1', { title: null });
  assert.equal(calls[0]!.method, 'PATCH');
  assert.deepEqual(calls[0]!.body, { title: null });
  assert.equal(session.title, null);
});

test('chat.deleteSession: DELETE, resolves to undefined on 204', async () => {
  const { client, calls } = setup(() => new Response(null, { status: 204 }));
  assert.equal(await client.chat.deleteSession('ses_1'), undefined);
  assert.equal(calls[0]!.method, 'DELETE');
  assert.equal(calls[0]!.url.pathname, '/api/v1/chat/sessions/ses_1');
});

test('chat.listMessages: paginated messages, optional fields absent stay absent', async () => {
  const { client, calls } = setup(json(200, { data: [MESSAGE], meta: meta(1, 1, 100) }));
  const page = await client.chat.listMessages('ses_1', { page: 1, limit: 100 });
  assert.equal(calls[0]!.url.pathname, '/api/v1/chat/sessions/ses_1/messages');
  assert.equal(page.data[0]!.sessionId, 'ses_1');
  assert.equal(page.data[0]!.tokenCount, 1);
  assert.equal('toolCalls' in page.data[0]!, false);
});

test('chat.sendMessage: returns the assistant message with executionId and userMessage', async () => {
  const { client, calls } = setup(json(200, { data: REPLY }));
  const reply = await client.chat.sendMessage('ses_1', { content: 'Hi' });
  assert.deepEqual(calls[0]!.body, { content: 'Hi' });
  assert.equal(reply.content, 'Hello!');
  assert.equal(reply.executionId, 'ex_1');
  assert.equal(reply.userMessage?.content, 'Hi');
  assert.equal(reply.promptTokens, 3);
});

test('chat.deleteMessage: DELETE of one message', async () => {
  const { client, calls } = setup(() => new Response(null, { status: 204 }));
  await client.chat.deleteMessage('ses_1', 'msg_1');
  assert.equal(calls[0]!.url.pathname, '/api/v1/chat/sessions/ses_1/messages/msg_1');
});

test('chat.submitFeedback: POST {execution_id, value}', async () => {
  const { client, calls } = setup(json(200, { data: { submitted: true } }));
  // @ts-expect-error a rating is 1 or -1 (the schema's enum), so tsc --strict rejects 2
  const notARating: SubmitFeedbackParams = { executionId: 'ex_1', value: 2 };
  assert.equal(notARating.value, 2);
  const result = await client.chat.submitFeedback('ses_1', { executionId: 'ex_1', value: -1 });
  assert.deepEqual(calls[0]!.body, { execution_id: 'ex_1', value: -1 });
  assert.deepEqual(result, { submitted: true });
});

test('executions.get: the execution with nested token usage', async () => {
  const { client, calls } = setup(json(200, { data: EXECUTION }));
  const ex = await client.executions.get('ex_1');
  assert.equal(calls[0]!.url.pathname, '/api/v1/executions/ex_1');
  assert.equal(ex.tokenUsage?.totalTokens, 5);
  assert.equal(ex.lastEventId, '9');
});

// -- arguments ------------------------------------------------------------------------------

test('invalid arguments fail before any request', async () => {
  const { client, calls } = setup(json(200, {}));
  assert.throws(() => client.chat.getSession(''), InvalidArgumentError);
  assert.throws(() => client.chat.sendMessage('ses_1', {} as never), /params.content is required/);
  assert.throws(() => client.chat.createSession(undefined as never), InvalidArgumentError);
  assert.throws(() => client.chat.sendMessageStream('', { content: 'x' }), InvalidArgumentError);
  assert.throws(() => client.chat.deleteMessage('ses_1', undefined as never), InvalidArgumentError);
  assert.ok(new InvalidArgumentError('x') instanceof PromptRailsError);
  assert.equal(calls.length, 0);
});

// -- configuration ----------------------------------------------------------------------------

test('config: apiKey and baseUrl from the environment', async () => {
  const saved = { key: process.env['PROMPTRAILS_API_KEY'], url: process.env['PROMPTRAILS_BASE_URL'] };
  process.env['PROMPTRAILS_API_KEY'] = 'env-key';
  process.env['PROMPTRAILS_BASE_URL'] = 'http://env.test/';
  try {
    const f = fakeFetch(json(200, { data: SESSION }));
    const client = new PromptRails({ fetch: f.fetch });
    assert.equal(client.baseUrl, 'http://env.test');
    await client.chat.getSession('s');
    assert.equal(f.calls[0]!.headers['x-api-key'], 'env-key');
    assert.equal(f.calls[0]!.url.origin, 'http://env.test');
  } finally {
    for (const [name, value] of [['PROMPTRAILS_API_KEY', saved.key], ['PROMPTRAILS_BASE_URL', saved.url]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
});

test('config: a missing API key is an InvalidArgumentError at construction', () => {
  const saved = process.env['PROMPTRAILS_API_KEY'];
  delete process.env['PROMPTRAILS_API_KEY'];
  try {
    assert.throws(() => new PromptRails({ fetch: fakeFetch(json(200, {})).fetch }), InvalidArgumentError);
  } finally {
    if (saved !== undefined) process.env['PROMPTRAILS_API_KEY'] = saved;
  }
});

test('config: default base URL, default headers, per-call headers and removal', async () => {
  const f = fakeFetch(json(200, { data: SESSION }));
  const client = new PromptRails({ apiKey: 'k', fetch: f.fetch, defaultHeaders: { 'X-Team': 'a', 'X-Drop': 'b' } });
  assert.equal(client.baseUrl, 'https://api.promptrails.ai');
  await client.chat.getSession('s', { headers: { 'X-Call': 'c', 'X-Drop': null } });
  assert.equal(f.calls[0]!.headers['x-team'], 'a');
  assert.equal(f.calls[0]!.headers['x-call'], 'c');
  assert.equal(f.calls[0]!.headers['x-drop'], undefined);
});

test('config: the API key never shows in inspect, toString, JSON or errors', async () => {
  const { client } = setup(apiError(401, 'unauthorized', `bad key ${API_KEY}`));
  for (const text of [inspect(client, { depth: 5, showHidden: true }), String(client), JSON.stringify(client)]) {
    assert.equal(text.includes(API_KEY), false, text);
  }
  const err = await client.chat.getSession('s').catch((e: unknown) => e);
  assert.ok(err instanceof AuthenticationError);
  assert.equal(inspect(err).includes(API_KEY), false);
  assert.equal(String(err).includes(API_KEY), false);
  const conn = setup(networkError(`connect to ${API_KEY} failed`));
  const err2 = await conn.client.chat.getSession('s', { maxRetries: 0 }).catch((e: unknown) => e);
  assert.ok(err2 instanceof APIConnectionError);
  assert.equal(String(err2).includes(API_KEY), false);
});

// -- errors ------------------------------------------------------------------------------------

const STATUS_CLASSES: [number, new (...a: never[]) => APIStatusError][] = [
  [400, BadRequestError],
  [401, AuthenticationError],
  [402, PaymentRequiredError],
  [403, PermissionDeniedError],
  [404, NotFoundError],
  [409, ConflictError],
  [422, UnprocessableEntityError],
  [429, RateLimitError],
  [500, InternalServerError],
  [503, InternalServerError],
];

for (const [status, cls] of STATUS_CLASSES) {
  test(`errors: ${status} is ${cls.name} with code, message, details and request id`, async () => {
    const { client } = setup(apiError(status, 'some_code', 'Something failed.', { 'x-request-id': 'req_9' }));
    const err = await client.chat.getSession('s', { maxRetries: 0 }).catch((e: unknown) => e);
    assert.ok(err instanceof cls);
    assert.ok(err instanceof APIStatusError && err instanceof APIError && err instanceof PromptRailsError);
    assert.equal(err.status, status);
    assert.equal(err.statusCode, status);
    assert.equal(err.code, 'some_code');
    assert.equal(err.errorMessage, 'Something failed.');
    assert.deepEqual(err.details, { field: 'x' });
    assert.equal(err.requestId, 'req_9');
    assert.equal(err.message, `${status} some_code: Something failed. (request_id: req_9)`);
    assert.equal(err.name, cls.name);
  });
}

test('errors: a non-JSON error body: the message is the status line, the raw text stays in body', async () => {
  const { client } = setup(() => new Response('upstream exploded', { status: 418, statusText: "I'm a teapot" }));
  const err = await client.chat.getSession('s').catch((e: unknown) => e);
  assert.ok(err instanceof APIStatusError);
  assert.equal(err.constructor, APIStatusError);
  assert.equal(err.errorMessage, "I'm a teapot");
  assert.equal(err.body, 'upstream exploded');
  assert.equal(err.message, "418: I'm a teapot");
  // Without a reason phrase on the response, the standard one.
  const b = setup(() => new Response('<html>bad gateway</html>', { status: 502 }));
  const err2 = await b.client.chat.getSession('s', { maxRetries: 0 }).catch((e: unknown) => e);
  assert.ok(err2 instanceof InternalServerError);
  assert.equal(err2.errorMessage, 'Bad Gateway');
  assert.equal(err2.body, '<html>bad gateway</html>');
});

// -- retries ---------------------------------------------------------------------------------------

for (const status of [408, 409, 429, 500, 502, 503]) {
  test(`retries: ${status} is retried, then succeeds`, async () => {
    const { client, calls, sleeps } = setup(apiError(status, 'x', 'x'), json(200, { data: SESSION }));
    const session = await client.chat.getSession('s');
    assert.equal(session.id, 'ses_1');
    assert.equal(calls.length, 2);
    assert.deepEqual(sleeps, [500]);
  });
}

for (const status of [400, 401, 402, 403, 404, 422]) {
  test(`retries: ${status} is not retried`, async () => {
    const { client, calls } = setup(apiError(status, 'x', 'x'), json(200, { data: SESSION }));
    await assert.rejects(client.chat.getSession('s'), APIStatusError);
    assert.equal(calls.length, 1);
  });
}

test('retries: backoff min(0.5 * 2^n, 8) s with jitter in [0.75, 1], attempts = 1 + maxRetries', async () => {
  const f = fakeFetch(apiError(503, 'x', 'x'));
  const sleeps: number[] = [];
  const client = new PromptRails({ apiKey: 'k', baseUrl: 'http://x', fetch: f.fetch, maxRetries: 6, random: () => 1, sleep: async (ms) => void sleeps.push(ms) });
  await assert.rejects(client.chat.getSession('s'), InternalServerError);
  assert.equal(f.calls.length, 7);
  assert.deepEqual(sleeps, [375, 750, 1500, 3000, 6000, 6000]);
});

test('retries: Retry-After in seconds, fractional seconds, retry-after-ms and an HTTP date', async () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  const f = fakeFetch(
    apiError(429, 'rate_limited', 'slow down', { 'retry-after': '3' }),
    apiError(429, 'rate_limited', 'slow down', { 'retry-after': '0.25' }),
    apiError(503, 'x', 'x', { 'retry-after-ms': '1200', 'retry-after': '9' }),
    apiError(503, 'x', 'x', { 'retry-after': 'Wed, 01 Jan 2025 00:00:07 GMT' }),
    apiError(503, 'x', 'x', { 'retry-after': '3600' }),
    json(200, { data: SESSION }),
  );
  const sleeps: number[] = [];
  const client = new PromptRails({ apiKey: 'k', baseUrl: 'http://x', fetch: f.fetch, maxRetries: 5, random: () => 0, now: () => now, sleep: async (ms) => void sleeps.push(ms) });
  await client.chat.getSession('s');
  // The last Retry-After (an hour) is out of [0, 60] s: the backoff applies instead.
  assert.deepEqual(sleeps, [3000, 250, 1200, 7000, 8000]);
});

test('retries: x-should-retry overrides the status rule both ways', async () => {
  const a = setup(apiError(400, 'x', 'x', { 'x-should-retry': 'true' }), json(200, { data: SESSION }));
  await a.client.chat.getSession('s');
  assert.equal(a.calls.length, 2);
  const b = setup(apiError(503, 'x', 'x', { 'x-should-retry': 'false' }), json(200, { data: SESSION }));
  await assert.rejects(b.client.chat.getSession('s'), InternalServerError);
  assert.equal(b.calls.length, 1);
});

test('retries: connection errors are retried, then raise APIConnectionError', async () => {
  const { client, calls, sleeps } = setup(networkError());
  const err = await client.chat.getSession('s').catch((e: unknown) => e);
  assert.ok(err instanceof APIConnectionError);
  assert.equal(calls.length, 3);
  assert.deepEqual(sleeps, [500, 1000]);
});

test('retries: per-call maxRetries overrides the client', async () => {
  const { client, calls } = setup(networkError());
  await assert.rejects(client.chat.getSession('s', { maxRetries: 0 }), APIConnectionError);
  assert.equal(calls.length, 1);
});

test('retries: a POST keeps one Idempotency-Key across every retry; each call gets a new one', async () => {
  const { client, calls } = setup(networkError(), apiError(503, 'x', 'x'), json(200, { data: REPLY }), json(200, { data: REPLY }));
  await client.chat.sendMessage('ses_1', { content: 'Hi' });
  await client.chat.sendMessage('ses_1', { content: 'Hi' });
  const keys = calls.map((c) => c.headers['idempotency-key']);
  assert.equal(keys[0], keys[1]);
  assert.equal(keys[1], keys[2]);
  assert.notEqual(keys[2], keys[3]);
});

test('retries: the caller\'s idempotencyKey is sent on every attempt', async () => {
  const { client, calls } = setup(apiError(500, 'x', 'x'), json(201, { data: SESSION }));
  await client.chat.createSession({ agentId: 'a' }, { idempotencyKey: 'my-key' });
  assert.deepEqual(calls.map((c) => c.headers['idempotency-key']), ['my-key', 'my-key']);
});

test('timeouts: a request that outlives `timeout` raises APITimeoutError (after retries)', async () => {
  const hang: Handler = (call) =>
    new Promise((_, reject) => call.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
  const { client, calls, sleeps } = setup(hang);
  const err = await client.chat.getSession('s', { timeout: 1, maxRetries: 1 }).catch((e: unknown) => e);
  assert.ok(err instanceof APITimeoutError);
  assert.ok(err instanceof APIConnectionError);
  assert.equal(calls.length, 2);
  assert.equal(sleeps.length, 1);
});

test('cancellation: an aborted signal rejects with APIUserAbortError (cause: its reason) and is not retried', async () => {
  const hang: Handler = (call) =>
    new Promise((_, reject) => call.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
  // Aborted while the request is in flight: that request ends, no other is sent.
  const late = setup(hang);
  const controller = new AbortController();
  const pending = late.client.chat.getSession('s', { signal: controller.signal });
  while (late.calls.length === 0) await new Promise((resolve) => setImmediate(resolve));
  controller.abort(new Error('user cancelled'));
  await assert.rejects(pending, aborted(/user cancelled/));
  assert.equal(late.calls.length, 1);
  // Aborted before the request went out: nothing is sent at all.
  const early = setup(hang);
  const before = new AbortController();
  const never = early.client.chat.getSession('s', { signal: before.signal });
  before.abort(new Error('changed my mind'));
  await assert.rejects(never, aborted(/changed my mind/));
  assert.equal(early.calls.length, 0);
});
