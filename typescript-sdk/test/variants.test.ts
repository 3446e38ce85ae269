/**
 * Every evidenced variant of the real wire format (the mock's `variant` faults), through the
 * SDK against the mock server, in the default tolerant mode and with
 * `strictResponseValidation: true`. The two variants outside the contract (a list `meta`
 * without a page count is inside it now; an execution status the contract does not list is
 * not) read in tolerant mode and are an `APIResponseValidationError` in strict mode.
 *
 * Needs $PROMPTRAILS_MOCK_CMD (set by `make test-typescript`); skipped without it, saying why.
 */
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { APIResponseValidationError, NotFoundError, PromptRails, StreamError } from '../src/index.js';
import { MOCK_ENV, startMock, type MockServer } from './helpers.js';

const enabled = Boolean(process.env[MOCK_ENV]);

describe('evidenced variants against the mock server', { skip: enabled ? false : `${MOCK_ENV} is not set` }, () => {
  let mock: MockServer;
  before(async () => {
    const started = await startMock();
    if (!started) throw new Error(`${MOCK_ENV} is set but no server was started`);
    mock = started;
  });
  afterEach(async () => {
    await mock.control('DELETE', '/__mock/faults');
  });
  after(async () => {
    await mock?.stop();
  });

  async function fresh(strict: boolean): Promise<PromptRails> {
    const { api_key: apiKey } = await mock.control('POST', '/__mock/workspaces', {});
    return new PromptRails({ apiKey, baseUrl: mock.url, strictResponseValidation: strict, sleep: async () => undefined });
  }

  const variant = (method: string, path: string, variants: string[], extra: Record<string, unknown> = {}) =>
    mock.control('POST', '/__mock/faults', { action: 'variant', method, path, count: 1000, variants, ...extra });

  for (const [mode, strict] of [
    ['tolerant', false],
    ['strict', true],
  ] as const) {
    test(`${mode}: the send answered 201 {user_message, assistant_message}`, async () => {
      const client = await fresh(strict);
      const session = await client.chat.createSession({ agentId: 'echo' });
      await variant('POST', `/api/v1/chat/sessions/${session.id}/messages`, ['send_201']);
      const reply = await client.chat.sendMessage(session.id, { content: 'Hello there' });
      assert.equal(reply.role, 'assistant');
      assert.match(reply.content ?? '', /Hello there/);
      assert.equal(reply.userMessage?.content, 'Hello there');
      assert.equal(reply.assistantMessage?.id, reply.id);
    });

    for (const meta of ['meta_pages_only', 'meta_total_pages_only', 'meta_no_page_count']) {
      test(`${mode}: list meta variant ${meta}: auto-paging walks every page, no more`, async () => {
        const client = await fresh(strict);
        const created: string[] = [];
        for (let i = 0; i < 5; i++) created.push((await client.chat.createSession({ agentId: 'echo', title: `s${i}` })).id);
        await variant('GET', '/api/v1/chat/sessions', [meta]);
        const seen: string[] = [];
        for await (const s of client.chat.listSessions({ limit: 2 })) seen.push(s.id);
        assert.deepEqual([...seen].sort(), [...created].sort());
        const page = await client.chat.listSessions({ limit: 2 });
        assert.equal(page.pageCount, meta === 'meta_no_page_count' ? undefined : 3);
      });
    }

    test(`${mode}: error bodies {"error": "text"} keep their message`, async () => {
      const client = await fresh(strict);
      await variant('GET', '/api/v1/chat/sessions/*', ['error_string']);
      const err = await client.chat.getSession('no-such-session').catch((e: unknown) => e);
      assert.ok(err instanceof NotFoundError, String(err));
      assert.ok(err.errorMessage && err.errorMessage.length > 0);
      assert.equal(err.code, undefined);
    });

    test(`${mode}: executions with only id and status, and with a status the contract does not list`, async () => {
      const client = await fresh(strict);
      const session = await client.chat.createSession({ agentId: 'echo' });
      const reply = await client.chat.sendMessage(session.id, { content: 'Hi' });
      const id = reply.executionId;
      assert.ok(id);
      await variant('GET', `/api/v1/executions/${id}`, ['execution_sparse']);
      assert.deepEqual(await client.executions.get(id), { id, status: 'completed' });
      await mock.control('DELETE', '/__mock/faults');
      await variant('GET', `/api/v1/executions/${id}`, ['execution_unknown_status'], { execution_status: 'paused_by_operator' });
      if (strict) {
        const err = await client.executions.get(id).catch((e: unknown) => e);
        assert.ok(err instanceof APIResponseValidationError, String(err));
        assert.equal(err.path, '$.data.status');
      } else {
        assert.equal((await client.executions.get(id)).status, 'paused_by_operator');
      }
    });

    test(`${mode}: stream frames done {}, tool_end without summary, execution without user_message_id`, async () => {
      const client = await fresh(strict);
      const session = await client.chat.createSession({ agentId: 'thinker' });
      await variant('POST', `/api/v1/chat/sessions/${session.id}/messages/stream`, ['done_empty', 'tool_end_no_summary', 'execution_frame_no_user_message_id']);
      const events = await client.chat.sendMessageStream(session.id, { content: 'Hello!' }).toArray();
      const first = events[0];
      assert.ok(first?.type === 'execution' && first.executionId);
      assert.equal('userMessageId' in first, false);
      const toolEnd = events.find((e) => e.type === 'tool_end');
      assert.ok(toolEnd?.type === 'tool_end' && toolEnd.summary === undefined);
      assert.deepEqual(events.at(-1), { type: 'done', eventId: events.at(-1)?.eventId });
    });

    for (const [output, expected] of [
      ['done_output_string', 'text'],
      ['done_output_null', 'null'],
    ] as const) {
      test(`${mode}: stream variant ${output} (with partial usage)`, async () => {
        const client = await fresh(strict);
        const session = await client.chat.createSession({ agentId: 'echo' });
        await variant('POST', `/api/v1/chat/sessions/${session.id}/messages/stream`, [output, 'done_partial_usage']);
        const events = await client.chat.sendMessageStream(session.id, { content: 'Hello!' }).toArray();
        const text = events.map((e) => (e.type === 'content' ? e.content : '')).join('');
        const done = events.at(-1);
        assert.ok(done?.type === 'done');
        if (expected === 'text') {
          assert.equal(done.output, text);
          assert.equal(done.outputText, text);
        } else {
          assert.equal(done.output, null);
          assert.equal(done.outputText, undefined);
        }
        assert.deepEqual(Object.keys(done.tokenUsage ?? {}), ['totalTokens']);
        assert.equal(done.time, undefined);
      });
    }

    test(`${mode}: error frames naming their message "error"`, async () => {
      const client = await fresh(strict);
      const session = await client.chat.createSession({ agentId: 'faulty' });
      await variant('POST', `/api/v1/chat/sessions/${session.id}/messages/stream`, ['error_frame_error']);
      const last = (await client.chat.sendMessageStream(session.id, { content: 'x' }).toArray()).at(-1);
      assert.ok(last?.type === 'error');
      assert.ok(last.message && last.message.length > 0, JSON.stringify(last));
      const err = await client.chat.sendMessageStream(session.id, { content: 'x' }).finalResult().catch((e: unknown) => e);
      assert.ok(err instanceof StreamError);
      assert.equal(err.message, `the run failed: ${last.message}`);
    });

    test(`${mode}: executions.list and cancel against the mock`, async () => {
      const client = await fresh(strict);
      const session = await client.chat.createSession({ agentId: 'echo' });
      const reply = await client.chat.sendMessage(session.id, { content: 'Hi' });
      const runs = [];
      for await (const run of client.executions.list({ sessionId: session.id })) runs.push(run);
      assert.deepEqual(runs.map((r) => r.id), [reply.executionId]);
      const cancelled = await client.executions.cancel(reply.executionId!);
      assert.equal(cancelled.id, reply.executionId);
      assert.equal(cancelled.status, 'completed');
    });
  }
});
