/**
 * Reading responses (generator/RUNTIME.md, "Reading responses"): every shape the evidence shows
 * the real API sending reads without error, in the default tolerant mode and with
 * `strictResponseValidation: true`; tolerant reading keeps what it does not know; strict mode
 * turns contract mismatches into `APIResponseValidationError`; unusable data is an error in
 * both modes.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  APIResponseValidationError,
  APIStatusError,
  BadRequestError,
  ChatReply,
  ChatSession,
  Execution,
  InternalServerError,
  NotFoundError,
  PaginationMeta,
  StreamError,
  type ChatStreamFrame,
  type DoneEvent,
} from '../src/index.js';
import { model, ShapeError, t } from '../src/core/schema.js';
import { fakeFetch, frame, json, sse, testClient, type Handler } from './helpers.js';

const MODES = [
  ['tolerant', false],
  ['strict', true],
] as const;

function client(strict: boolean, ...handlers: Handler[]) {
  const f = fakeFetch(...handlers);
  return { ...testClient(f.fetch, { strictResponseValidation: strict }), calls: f.calls };
}

const EXECUTION_FRAME = frame(1, 'execution', { execution_id: 'ex_1', user_message_id: 'msg_u' });

/** The events of a stream made of `frames`. */
async function events(strict: boolean, ...frames: string[]): Promise<ChatStreamFrame[]> {
  const { client: c } = client(strict, sse({ chunks: frames }));
  return c.chat.sendMessageStream('ses_1', { content: 'x' }).toArray();
}

async function doneOf(strict: boolean, data: unknown): Promise<DoneEvent> {
  const all = await events(strict, EXECUTION_FRAME, frame(2, 'done', data));
  const done = all.at(-1);
  assert.ok(done?.type === 'done', JSON.stringify(done));
  return done;
}

const SESSION = {
  id: 'ses_1',
  workspace_id: 'ws_1',
  agent_id: 'agent_1',
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
};
const USER_MESSAGE = { id: 'msg_u', session_id: 'ses_1', role: 'user', content: 'Hi', metadata: {}, created_at: '2026-01-01T00:00:00Z' };
const ASSISTANT_MESSAGE = { id: 'msg_a', session_id: 'ses_1', role: 'assistant', content: 'Hello!', metadata: {}, created_at: '2026-01-01T00:00:01Z' };

const COUNTERS = ['prompt_tokens', 'completion_tokens', 'total_tokens', 'cached_tokens', 'cache_creation_tokens', 'reasoning_tokens'];
const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

for (const [mode, strict] of MODES) {
  describe(`reading, ${mode}`, () => {
    // -- stream events ----------------------------------------------------------------------

    test('done as {}: no output, no usage, no time, no error', async () => {
      const done = await doneOf(strict, {});
      assert.deepEqual(done, { type: 'done', eventId: '2' });
      assert.equal(done.output, undefined);
      assert.equal(done.outputText, undefined);
    });

    test('done with an object output: the JSON value as it is, outputText its content', async () => {
      const done = await doneOf(strict, { output: { content: 'Hello world', citations: [1] }, token_usage: { total_tokens: 42 } });
      assert.deepEqual(done.output, { content: 'Hello world', citations: [1] });
      assert.equal(done.outputText, 'Hello world');
      assert.deepEqual(done.tokenUsage, { totalTokens: 42 });
      assert.equal(done.time, undefined);
    });

    test('done with a string, null, or other output; text under `content` or `text`', async () => {
      assert.equal((await doneOf(strict, { output: 'Hello' })).outputText, 'Hello');
      assert.equal((await doneOf(strict, { output: { text: 'Hi there' } })).outputText, 'Hi there');
      assert.equal((await doneOf(strict, { output: { content: 'first', text: 'second' } })).outputText, 'first');
      assert.equal((await doneOf(strict, { output: { content: 7, text: 'second' } })).outputText, 'second');
      const nul = await doneOf(strict, { output: null });
      assert.equal(nul.output, null);
      assert.equal(nul.outputText, undefined);
      const other = await doneOf(strict, { output: { message: 'no text key' } });
      assert.deepEqual(other.output, { message: 'no text key' });
      assert.equal(other.outputText, undefined);
      assert.deepEqual((await doneOf(strict, { output: [1, 2] })).output, [1, 2]);
    });

    test('a data key named like a text convenience never stands in for it', async () => {
      const none = await doneOf(strict, { output: { message: 'no text key' }, outputText: 'not from the server' });
      assert.equal(none.outputText, undefined);
      const some = await doneOf(strict, { output: 'Hello', outputText: 'not from the server' });
      assert.equal(some.outputText, 'Hello');
    });

    test('done with every subset of the six token counters, and more', async () => {
      for (let mask = 0; mask < 1 << COUNTERS.length; mask++) {
        const usage: Record<string, number> = {};
        const expected: Record<string, number> = {};
        COUNTERS.forEach((name, i) => {
          if (mask & (1 << i)) {
            usage[name] = i + 1;
            expected[camel(name)] = i + 1;
          }
        });
        if (mask % 7 === 0) {
          usage['audio_tokens'] = 5;
          expected['audio_tokens'] = 5;
        }
        const done = await doneOf(strict, { output: { content: 'x' }, token_usage: usage, time: 0.5 });
        assert.deepEqual(done.tokenUsage, expected, `mask ${mask}`);
      }
    });

    test('error frames carrying message or error', async () => {
      for (const data of [{ message: 'The agent failed.' }, { error: 'The agent failed.' }, { error: 'The agent failed.', code: 'agent_error' }]) {
        const last = (await events(strict, EXECUTION_FRAME, frame(2, 'error', data))).at(-1);
        assert.ok(last?.type === 'error');
        assert.equal(last.message, 'The agent failed.');
        const { client: c } = client(strict, sse({ chunks: [EXECUTION_FRAME, frame(2, 'error', data)] }));
        const err = await c.chat.sendMessageStream('ses_1', { content: 'x' }).finalResult().catch((e: unknown) => e);
        assert.ok(err instanceof StreamError);
        assert.equal(err.message, 'the run failed: The agent failed.');
      }
    });

    test('tool_end without summary; execution without user_message_id (and resume still works)', async () => {
      const all = await events(
        strict,
        frame(1, 'execution', { execution_id: 'ex_1' }),
        frame(2, 'tool_start', { id: 'c1', name: 'search' }),
        frame(3, 'tool_end', { id: 'c1', name: 'search' }),
        frame(4, 'done', {}),
      );
      assert.deepEqual(all[0], { type: 'execution', executionId: 'ex_1', eventId: '1' });
      assert.deepEqual(all[2], { type: 'tool_end', id: 'c1', name: 'search', eventId: '3' });
      const { client: c, calls } = client(
        strict,
        sse({ chunks: [frame(1, 'execution', { execution_id: 'ex_1' })], then: 'error' }),
        sse({ chunks: [frame(2, 'done', {})] }),
      );
      assert.deepEqual((await c.chat.sendMessageStream('ses_1', { content: 'x' }).toArray()).map((e) => e.type), ['execution', 'done']);
      assert.equal(calls[1]!.url.pathname, '/api/v1/executions/ex_1/stream');
    });

    test('unknown event names arrive as unknown events; unknown data keys are kept', async () => {
      const all = await events(
        strict,
        EXECUTION_FRAME,
        frame(2, 'citation', { url: 'https://x' }),
        frame(3, 'content', { content: 'a', index: 0, type: 'not the union tag', eventId: 'not the id' }),
        frame(4, 'done', { output: { content: 'a' }, trace_id: 'tr_1' }),
      );
      assert.deepEqual(all[1], { type: 'unknown', event: 'citation', data: '{"url":"https://x"}', eventId: '2' });
      assert.deepEqual(all[2], { type: 'content', content: 'a', index: 0, eventId: '3' });
      assert.equal((all[3] as unknown as Record<string, unknown>)['trace_id'], 'tr_1');
    });

    // -- lists ------------------------------------------------------------------------------

    const pageOf = (ids: string[], meta: Record<string, unknown>) => json(200, { data: ids.map((id) => ({ ...SESSION, id })), meta });

    test('list meta with pages (API v2): auto-paging goes on while page < pages', async () => {
      const { client: c, calls } = client(
        strict,
        pageOf(['a', 'b'], { total: 6, page: 1, limit: 2, pages: 3 }),
        pageOf(['c', 'd'], { total: 6, page: 2, limit: 2, pages: 3 }),
        pageOf(['e', 'f'], { total: 6, page: 3, limit: 2, pages: 3 }),
        pageOf([], { total: 6, page: 4, limit: 2, pages: 3 }),
      );
      const ids: string[] = [];
      for await (const s of c.chat.listSessions({ limit: 2 })) ids.push(s.id);
      assert.deepEqual(ids, ['a', 'b', 'c', 'd', 'e', 'f']);
      assert.equal(calls.length, 3);
      const page = await c.chat.listSessions({ limit: 2 });
      assert.equal(page.meta.pages, 3);
      assert.equal(page.meta.totalPages, 3);
      assert.equal(page.pageCount, 3);
    });

    test('list meta with total_pages (older API): the same', async () => {
      const { client: c, calls } = client(
        strict,
        pageOf(['a', 'b'], { total: 3, page: 1, limit: 2, total_pages: 2 }),
        pageOf(['c'], { total: 3, page: 2, limit: 2, total_pages: 2 }),
      );
      const ids: string[] = [];
      for await (const s of c.chat.listSessions({ limit: 2 })) ids.push(s.id);
      assert.deepEqual(ids, ['a', 'b', 'c']);
      assert.equal(calls.length, 2);
      assert.equal((await c.chat.listSessions()).meta.pages, 2);
    });

    test('a short page before the last one: pages decides, not the page size', async () => {
      const { client: c, calls } = client(
        strict,
        pageOf(['a'], { total: 3, page: 1, limit: 2, pages: 2 }),
        pageOf(['b', 'c'], { total: 3, page: 2, limit: 2, pages: 2 }),
      );
      const ids: string[] = [];
      for await (const s of c.chat.listSessions({ limit: 2 })) ids.push(s.id);
      assert.deepEqual(ids, ['a', 'b', 'c']);
      assert.equal(calls.length, 2);
    });

    test('executions.list: the filters as query parameters, executions as they come', async () => {
      const { client: c, calls } = client(
        strict,
        json(200, { data: [{ id: 'ex_1', status: 'waiting_approval', input: { message: 'Hi' } }], meta: { total: 1, page: 1, limit: 20, pages: 1 } }),
      );
      const page = await c.executions.list({ agentId: 'agent_1', sessionId: 'ses_1', status: 'waiting_approval' });
      assert.equal(calls[0]!.url.pathname, '/api/v1/executions');
      assert.equal(calls[0]!.url.search, '?agent_id=agent_1&session_id=ses_1&status=waiting_approval');
      assert.deepEqual(page.data, [{ id: 'ex_1', status: 'waiting_approval', input: { message: 'Hi' } }]);
    });

    // -- the non-streaming send ---------------------------------------------------------------

    test('send answered 200 with the message itself (execution_id and user_message beside it)', async () => {
      const { client: c } = client(strict, json(200, { data: { ...ASSISTANT_MESSAGE, execution_id: 'ex_1', user_message: USER_MESSAGE } }));
      const reply = await c.chat.sendMessage('ses_1', { content: 'Hi' });
      assert.equal(reply.content, 'Hello!');
      assert.equal(reply.id, 'msg_a');
      assert.equal(reply.executionId, 'ex_1');
      assert.equal(reply.userMessage?.content, 'Hi');
    });

    test('send answered 201 with {user_message, assistant_message}: the reply is the assistant message', async () => {
      const { client: c } = client(strict, json(201, { data: { user_message: USER_MESSAGE, assistant_message: ASSISTANT_MESSAGE } }));
      const reply = await c.chat.sendMessage('ses_1', { content: 'Hi' });
      assert.equal(reply.content, 'Hello!');
      assert.equal(reply.id, 'msg_a');
      assert.equal(reply.role, 'assistant');
      assert.equal(reply.createdAt, '2026-01-01T00:00:01Z');
      assert.equal(reply.executionId, undefined);
      assert.equal(reply.userMessage?.id, 'msg_u');
      assert.equal(reply.assistantMessage?.id, 'msg_a');
    });

    test('send answered {user_message, assistant_message: null, execution_id} (an asynchronous run)', async () => {
      const { client: c } = client(strict, json(201, { data: { user_message: USER_MESSAGE, assistant_message: null, execution_id: 'ex_9' } }));
      const reply = await c.chat.sendMessage('ses_1', { content: 'Hi' });
      assert.equal(reply.executionId, 'ex_9');
      assert.equal(reply.content, undefined);
      assert.equal(reply.assistantMessage, null);
      assert.equal(reply.userMessage?.id, 'msg_u');
    });

    test('list meta with only total, or no meta at all', async () => {
      const onlyTotal = client(strict, pageOf(['a', 'b'], { total: 5 }), pageOf(['c', 'd'], { total: 5 }), pageOf(['e'], { total: 5 }), pageOf([], { total: 5 }));
      const ids: string[] = [];
      for await (const s of onlyTotal.client.chat.listSessions({ limit: 2 })) ids.push(s.id);
      assert.deepEqual(ids, ['a', 'b', 'c', 'd', 'e']);
      assert.equal(onlyTotal.calls.length, 3);
      // total says there is no more, though the page is full.
      const exact = client(strict, pageOf(['a', 'b'], { total: 4, page: 1, limit: 2 }), pageOf(['c', 'd'], { total: 4, page: 2, limit: 2 }));
      let n = 0;
      for await (const _ of exact.client.chat.listSessions({ limit: 2 })) n++;
      assert.equal(n, 4);
      assert.equal(exact.calls.length, 2);
      const none = client(strict, json(200, { data: [SESSION, SESSION] }), json(200, { data: [SESSION] }));
      let m = 0;
      for await (const _ of none.client.chat.listSessions({ limit: 2 })) m++;
      assert.equal(m, 3);
      assert.equal((await none.client.chat.listSessions({ limit: 2 })).pageCount, undefined);
    });

    test('messages whose tool_calls / tool_results are a list or an object', async () => {
      const messages = [
        { ...ASSISTANT_MESSAGE, tool_calls: [{ id: 't1', name: 'search', arguments: {} }], tool_results: [{ id: 't1', name: 'search', summary: '3' }] },
        { ...ASSISTANT_MESSAGE, id: 'msg_b', tool_calls: { search: { q: 'x' } }, tool_results: null },
      ];
      const { client: c } = client(strict, json(200, { data: messages, meta: { total: 2 } }));
      const page = await c.chat.listMessages('ses_1');
      assert.deepEqual(page.data[0]!.toolCalls, [{ id: 't1', name: 'search', arguments: {} }]);
      assert.deepEqual(page.data[1]!.toolCalls, { search: { q: 'x' } });
      assert.equal(page.data[1]!.toolResults, null);
    });

    test('executions with null input and output', async () => {
      const { client: c } = client(strict, json(200, { data: { id: 'ex_1', status: 'pending', input: null, output: null } }));
      const ex = await c.executions.get('ex_1');
      assert.equal(ex.input, null);
      assert.equal(ex.output, null);
      assert.equal(ex.outputText, undefined);
    });

    test('a delete answered 204, or 200 with a body (JSON or not): the body is ignored', async () => {
      for (const handler of [
        () => new Response(null, { status: 204 }),
        json(200, { data: { deleted: true } }),
        () => new Response('deleted', { status: 200, headers: { 'content-type': 'text/plain' } }),
      ] as Handler[]) {
        const { client: c } = client(strict, handler);
        assert.equal(await c.chat.deleteSession('ses_1'), undefined);
      }
    });

    test('every 2xx is a success', async () => {
      for (const status of [200, 201, 202, 203]) {
        const { client: c } = client(strict, json(status, { data: SESSION }));
        assert.equal((await c.chat.getSession('ses_1')).id, 'ses_1');
      }
      const { client: c } = client(strict, () => new Response(null, { status: 204 }));
      assert.equal(await c.chat.deleteSession('ses_1'), undefined);
    });

    // -- executions ----------------------------------------------------------------------------

    test('executions with object input/output, only id and status, more statuses', async () => {
      const full = { id: 'ex_1', status: 'completed', input: { message: 'Hi' }, output: { content: 'Hello!' }, cost: 0.01, duration_ms: 12, metadata: null };
      const { client: c } = client(strict, json(200, { data: full }), json(200, { data: { id: 'ex_2', status: 'running' } }), json(200, { data: { id: 'ex_3', status: 'cancel_requested' } }));
      const ex = await c.executions.get('ex_1');
      assert.deepEqual(ex.input, { message: 'Hi' });
      assert.equal(ex.outputText, 'Hello!');
      assert.equal(ex.durationMs, 12);
      assert.equal(ex.metadata, null);
      assert.deepEqual(await c.executions.get('ex_2'), { id: 'ex_2', status: 'running' });
      assert.equal((await c.executions.get('ex_3')).status, 'cancel_requested');
    });

    test('executions.cancel: POST with an Idempotency-Key, the execution as it stands', async () => {
      const { client: c, calls } = client(strict, json(200, { data: { id: 'ex_1', status: 'cancel_requested', input: { message: 'Hi' } } }));
      const ex = await c.executions.cancel('ex_1');
      assert.equal(calls[0]!.method, 'POST');
      assert.equal(calls[0]!.url.pathname, '/api/v1/executions/ex_1/cancel');
      assert.match(calls[0]!.headers['idempotency-key']!, /^[0-9a-f-]{36}$/);
      assert.equal(ex.status, 'cancel_requested');
    });

    // -- error bodies ----------------------------------------------------------------------------

    test('error bodies: {error: {...}}, {error: "text"}, {message}, non-JSON, empty: the message kept', async () => {
      const cases: [Handler, string, string | undefined][] = [
        [json(404, { error: { code: 'not_found', message: 'session not found', details: { id: 'x' } } }), 'session not found', 'not_found'],
        [json(404, { error: 'session not found' }), 'session not found', undefined],
        [json(404, { message: 'session not found' }), 'session not found', undefined],
        [json(404, { error: { message: 'session not found' } }), 'session not found', undefined],
        [() => new Response('<h1>Not Found</h1>', { status: 404, statusText: 'Not Found' }), 'Not Found', undefined],
        [() => new Response(null, { status: 404 }), 'Not Found', undefined],
      ];
      for (const [handler, message, code] of cases) {
        const { client: c } = client(strict, handler);
        const err = await c.chat.getSession('x').catch((e: unknown) => e);
        assert.ok(err instanceof NotFoundError, String(err));
        assert.equal(err.errorMessage, message);
        assert.equal(err.code, code);
        assert.equal(err.message, `404${code ? ` ${code}` : ''}: ${message}`);
      }
      const { client: c } = client(strict, () => new Response('upstream timeout', { status: 504 }));
      const err = await c.chat.getSession('x', { maxRetries: 0 }).catch((e: unknown) => e);
      assert.ok(err instanceof InternalServerError);
      assert.equal(err.body, 'upstream timeout');
      assert.equal(err.errorMessage, 'Gateway Timeout');
      const bad = client(strict, json(400, { error: 'content must not be empty', code: 'validation_error' }));
      const err2 = await bad.client.chat.getSession('x').catch((e: unknown) => e);
      assert.ok(err2 instanceof BadRequestError && err2 instanceof APIStatusError);
      assert.equal(err2.code, 'validation_error');
    });

    // -- unusable data: an error in both modes ---------------------------------------------------------

    test('a body that is not JSON where JSON is due: APIResponseValidationError, not retried', async () => {
      const { client: c, calls } = client(strict, () => new Response('<html>ok</html>', { status: 200, headers: { 'content-type': 'text/html' } }));
      const err = await c.chat.getSession('x').catch((e: unknown) => e);
      assert.ok(err instanceof APIResponseValidationError, String(err));
      assert.equal(err.status, 200);
      assert.equal(err.path, '$');
      assert.match(err.reason, /not JSON \(text\/html\)/);
      assert.equal(err.body, '<html>ok</html>');
      assert.equal(calls.length, 1);
    });

    test('a list without its data array, a call without its data object: APIResponseValidationError', async () => {
      const cases: [unknown, string, RegExp][] = [
        [{ meta: { total: 0, page: 1, limit: 20, pages: 0 } }, '$.data', /required field is missing/],
        [{ data: { id: 'x' }, meta: { total: 0, page: 1, limit: 20, pages: 0 } }, '$.data', /expected an array, got an object/],
        [[], '$', /expected an object, got an array/],
      ];
      for (const [body, path, reason] of cases) {
        const { client: c } = client(strict, json(200, body));
        const err = await c.chat.listSessions().catch((e: unknown) => e);
        assert.ok(err instanceof APIResponseValidationError, String(err));
        assert.equal(err.path, path);
        assert.match(err.reason, reason);
      }
      for (const [body, path] of [
        [{ session: SESSION }, '$.data'],
        [{ data: null }, '$.data'],
        [{ data: 'ses_1' }, '$.data'],
      ] as const) {
        const { client: c } = client(strict, json(200, body));
        const err = await c.chat.getSession('ses_1').catch((e: unknown) => e);
        assert.ok(err instanceof APIResponseValidationError, String(err));
        assert.equal(err.path, path);
      }
    });
  });
}

// -- what the two modes do differently -------------------------------------------------------------

describe('tolerant reading keeps what it does not know', () => {
  test('unknown fields are kept under their wire names, and written back by toWire', async () => {
    const { client: c } = client(false, json(200, { data: { ...SESSION, archived: true, labels: { a: 1 } } }));
    const session = await c.chat.getSession('ses_1');
    const raw = session as unknown as Record<string, unknown>;
    assert.equal(raw['archived'], true);
    assert.deepEqual(raw['labels'], { a: 1 });
    assert.deepEqual(ChatSession.toWire(session), { ...SESSION, archived: true, labels: { a: 1 } });
  });

  test('missing fields, required ones included, are absent', async () => {
    const { client: c } = client(false, json(200, { data: { id: 'ses_1' } }));
    const session = await c.chat.getSession('ses_1');
    assert.deepEqual(session, { id: 'ses_1' });
    assert.equal(session.createdAt, undefined);
  });

  test('a value of the wrong JSON type: the typed key absent, the raw value under its wire name', async () => {
    const { client: c } = client(false, json(200, { data: { ...SESSION, created_at: 1767225600, title: 42, metadata: 'none' } }));
    const session = await c.chat.getSession('ses_1');
    const raw = session as unknown as Record<string, unknown>;
    assert.equal(session.createdAt, undefined);
    assert.equal(raw['created_at'], 1767225600);
    // Spelled alike on both sides: the raw value is the one there.
    assert.equal(raw['title'], 42);
    assert.equal(raw['metadata'], 'none');
    assert.equal(session.workspaceId, 'ws_1');
  });

  test('unknown enum values are kept as strings', async () => {
    const { client: c } = client(false, json(200, { data: { id: 'ex_1', status: 'paused_by_operator' } }));
    assert.equal((await c.executions.get('ex_1')).status, 'paused_by_operator');
    const m = client(false, json(200, { data: [{ ...USER_MESSAGE, role: 'system' }], meta: { total: 1, page: 1, limit: 20, pages: 1 } }));
    assert.equal((await m.client.chat.listMessages('ses_1')).data[0]!.role, 'system');
  });

  test('nested wrong types are handled the same way, at every depth', async () => {
    const message = { ...ASSISTANT_MESSAGE, token_count: '7' };
    const { client: c } = client(false, json(200, { data: [message], meta: { total: 1, page: 1, limit: 20, pages: 1 } }));
    const got = (await c.chat.listMessages('ses_1')).data[0]!;
    assert.equal(got.tokenCount, undefined);
    assert.equal((got as unknown as Record<string, unknown>)['token_count'], '7');
    const ex = client(false, json(200, { data: { id: 'ex_1', status: 'completed', token_usage: { total_tokens: 'many', prompt_tokens: 3 } } }));
    assert.deepEqual((await ex.client.executions.get('ex_1')).tokenUsage, { total_tokens: 'many', promptTokens: 3 });
  });

  test('inside arrays and maps, an item of the wrong type stays in place, raw', () => {
    const Item = model<{ id: string }>('Item', [t.field('id', 'id', t.string, true)]);
    const Box = model<{ items: unknown[]; counts: Record<string, number> }>('Box', [
      t.field('items', 'items', t.array(t.model(() => Item)), true),
      t.field('counts', 'counts', t.map(t.integer), true),
    ]);
    const wire = { items: [{ id: 'a' }, 'junk', { id: 7 }], counts: { a: 1, b: 'two' } };
    assert.deepEqual(Box.fromWire(wire), { items: [{ id: 'a' }, 'junk', { id: 7 }], counts: { a: 1, b: 'two' } });
    assert.throws(() => Box.fromWire(wire, { strict: true }), (err: unknown) => err instanceof ShapeError && err.path === '$.items[1]' && err.reason === 'expected object, got a string');
    assert.throws(() => Box.fromWire({ ...wire, items: [{ id: 'a' }, { id: 7 }] }, { strict: true }), (err: unknown) => err instanceof ShapeError && err.path === '$.items[1].id');
    assert.throws(() => Box.fromWire({ items: [], counts: { 'a b': 1.5 } }, { strict: true }), (err: unknown) => err instanceof ShapeError && err.path === '$.counts["a b"]' && err.reason === 'expected integer, got a number');
  });

  test('list meta with neither pages nor total_pages: pages go on while full, stop at the first short or empty page', async () => {
    const pageOf = (ids: string[]) => json(200, { data: ids.map((id) => ({ ...SESSION, id })), meta: { total: 5, page: 1, limit: 2 } });
    const a = client(false, pageOf(['a', 'b']), pageOf(['c', 'd']), pageOf(['e']));
    const ids: string[] = [];
    for await (const s of a.client.chat.listSessions({ limit: 2 })) ids.push(s.id);
    assert.deepEqual(ids, ['a', 'b', 'c', 'd', 'e']);
    assert.equal(a.calls.length, 3);
    const b = client(false, pageOf(['a', 'b']), pageOf([]));
    const seen: string[] = [];
    for await (const s of b.client.chat.listSessions({ limit: 2 })) seen.push(s.id);
    assert.deepEqual(seen, ['a', 'b']);
    assert.equal(b.calls.length, 2);
    assert.deepEqual(b.calls.map((call) => call.url.searchParams.get('page')), [null, '2']);
    // No meta at all: the asked limit decides.
    const c = client(false, json(200, { data: [SESSION, SESSION] }), json(200, { data: [SESSION] }));
    let n = 0;
    for await (const _ of c.client.chat.listSessions({ limit: 2 })) n++;
    assert.equal(n, 3);
  });

  test('the shape tables read tolerantly unless told otherwise', () => {
    assert.deepEqual(PaginationMeta.fromWire({ total: 1, page: 1, limit: 20, total_pages: 1 }), { total: 1, page: 1, limit: 20, pages: 1, totalPages: 1 });
    assert.deepEqual(ChatReply.fromWire({ assistant_message: ASSISTANT_MESSAGE }).content, 'Hello!');
    assert.deepEqual(Execution.fromWire({ id: 'x', status: 'odd' }), { id: 'x', status: 'odd' });
    assert.throws(() => Execution.fromWire({ id: 'x', status: 'odd' }, { strict: true }), /\$\.status: unknown value "odd"/);
  });
});

describe('strict mode turns contract mismatches into APIResponseValidationError', () => {
  test('a missing required field, with its path, status and raw response', async () => {
    const { client: c } = client(true, json(200, { data: { id: 'ses_1', workspace_id: 'ws_1', agent_id: 'a', created_at: 'x' } }));
    const err = await c.chat.getSession('ses_1').catch((e: unknown) => e);
    assert.ok(err instanceof APIResponseValidationError, String(err));
    assert.equal(err.path, '$.data.updated_at');
    assert.equal(err.reason, 'required field is missing');
    assert.equal(err.status, 200);
    assert.ok(err.response instanceof Response);
    assert.equal(err.message, 'the response does not match the contract at $.data.updated_at: required field is missing');
  });

  test('a wrong JSON type, deep in a list item', async () => {
    const runs = [{ id: 'ex_1', status: 'completed' }, { id: 'ex_2', status: 'completed', token_usage: { total_tokens: 'many' } }];
    const { client: c } = client(true, json(200, { data: runs, meta: { total: 2, page: 1, limit: 20, pages: 1 } }));
    const err = await c.executions.list().catch((e: unknown) => e);
    assert.ok(err instanceof APIResponseValidationError, String(err));
    assert.equal(err.path, '$.data[1].token_usage.total_tokens');
    assert.equal(err.reason, 'expected integer, got a string');
  });

  test('an unknown enum value', async () => {
    const { client: c } = client(true, json(200, { data: { id: 'ex_1', status: 'paused_by_operator' } }));
    const err = await c.executions.get('ex_1').catch((e: unknown) => e);
    assert.ok(err instanceof APIResponseValidationError, String(err));
    assert.equal(err.path, '$.data.status');
    assert.match(err.reason, /^unknown value "paused_by_operator" \(expected one of "pending", /);
  });

  test('list meta: not an object, or a key of the wrong type', async () => {
    for (const [body, path] of [
      [{ data: [], meta: [] }, '$.meta'],
      [{ data: [], meta: { total: 0, page: '1', limit: 20, pages: 0 } }, '$.meta.page'],
    ] as const) {
      const { client: c } = client(true, json(200, body));
      const err = await c.chat.listSessions().catch((e: unknown) => e);
      assert.ok(err instanceof APIResponseValidationError, String(err));
      assert.equal(err.path, path);
    }
  });

  test('in a stream: StreamError caused by the validation error', async () => {
    const { client: c } = client(true, sse({ chunks: [EXECUTION_FRAME, frame(2, 'done', { token_usage: { total_tokens: 'many' } })] }));
    const err = await c.chat.sendMessageStream('ses_1', { content: 'x' }).toArray().catch((e: unknown) => e);
    assert.ok(err instanceof StreamError, String(err));
    assert.ok(err.cause instanceof APIResponseValidationError);
    assert.equal(err.cause.path, '$.token_usage.total_tokens');
    assert.equal(err.cause.status, 200);
    assert.deepEqual(err.cause.body, { token_usage: { total_tokens: 'many' } });
    assert.equal(err.data, '{"token_usage":{"total_tokens":"many"}}');
    // Tolerant: the same frame reads, the counter absent, its raw value kept.
    const done = await doneOf(false, { token_usage: { total_tokens: 'many' } });
    assert.deepEqual(done.tokenUsage, { total_tokens: 'many' });
  });

  test('unknown fields and unknown event names are accepted in strict mode too', async () => {
    const { client: c } = client(true, json(200, { data: { ...SESSION, archived: true } }));
    assert.equal(((await c.chat.getSession('ses_1')) as unknown as Record<string, unknown>)['archived'], true);
  });

  test('the client says which mode it reads in', () => {
    const { client: c } = client(true, json(200, {}));
    assert.equal(c.strictResponseValidation, true);
    assert.match(String(c), /"strictResponseValidation":true/);
    assert.equal(client(false, json(200, {})).client.strictResponseValidation, false);
  });
});
