/**
 * End to end against the mock server (conformance-tests), including its faults.
 * Needs $PROMPTRAILS_MOCK_CMD (set by `make test-typescript`); when it is set and the server
 * does not start, these tests fail. Without it they are skipped, saying why.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NotFoundError, PromptRails, StreamError, type ChatStreamFrame } from '../src/index.js';
import { MOCK_ENV, startMock, type MockServer } from './helpers.js';

const enabled = Boolean(process.env[MOCK_ENV]);

describe('e2e against the mock server', { skip: enabled ? false : `${MOCK_ENV} is not set` }, () => {
  let mock: MockServer;
  before(async () => {
    const started = await startMock();
    if (!started) throw new Error(`${MOCK_ENV} is set but no server was started`);
    mock = started;
  });
  after(async () => {
    await mock?.stop();
  });

  /** A client on a fresh workspace; retry sleeps are recorded, not slept. */
  async function fresh(): Promise<{ client: PromptRails; sleeps: number[]; key: string }> {
    const { api_key: key } = await mock.control('POST', '/__mock/workspaces', {});
    const sleeps: number[] = [];
    // Strict: the mock must keep to the contract it serves.
    const client = new PromptRails({ apiKey: key, baseUrl: mock.url, sleep: async (ms) => void sleeps.push(ms), strictResponseValidation: true });
    return { client, sleeps, key };
  }

  /** The requests of one workspace the mock received (its log redacts the key, and filters by it). */
  async function requests(method: string, path: string, key: string): Promise<any[]> {
    const query = new URLSearchParams({ method, path, api_key: key, limit: '1000' });
    return mock.control('GET', `/__mock/requests?${query}`);
  }

  test('every chat and execution call, end to end', async () => {
    const { client } = await fresh();
    const session = await client.chat.createSession({ agentId: 'echo', title: 'E2E', metadata: { user_id: 'u-1', n: 1 } });
    assert.deepEqual(session.metadata, { user_id: 'u-1', n: 1 });
    assert.equal((await client.chat.getSession(session.id)).title, 'E2E');
    const updated = await client.chat.updateSession(session.id, { title: null });
    assert.equal(updated.title, null);
    const reply = await client.chat.sendMessage(session.id, { content: 'Hi there' });
    assert.equal(reply.role, 'assistant');
    assert.equal(reply.userMessage?.content, 'Hi there');
    const executionId = reply.executionId;
    assert.ok(executionId);
    const execution = await client.executions.get(executionId);
    assert.equal(execution.status, 'completed');
    assert.deepEqual(await client.chat.submitFeedback(session.id, { executionId, value: 1 }), { submitted: true });
    const page = await client.chat.listMessages(session.id);
    assert.deepEqual(page.data.map((m) => m.role), ['user', 'assistant']);
    await client.chat.deleteMessage(session.id, page.data[0]!.id);
    assert.equal((await client.chat.listMessages(session.id)).data.length, 1);
    const sessions = await client.chat.listSessions({ page: 1, limit: 20 });
    assert.ok(sessions.data.some((s) => s.id === session.id));
    await client.chat.deleteSession(session.id);
    await assert.rejects(client.chat.getSession(session.id), NotFoundError);
  });

  test('pagination: iterating a list walks every page', async () => {
    const { client } = await fresh();
    const created = [];
    for (let i = 0; i < 5; i++) created.push((await client.chat.createSession({ agentId: 'echo', title: `s${i}` })).id);
    const seen: string[] = [];
    for await (const s of client.chat.listSessions({ limit: 2 })) seen.push(s.id);
    assert.deepEqual([...seen].sort(), [...created].sort());
  });

  test('stream: typed events from the thinker agent, then done', async () => {
    const { client } = await fresh();
    const session = await client.chat.createSession({ agentId: 'thinker' });
    const events: ChatStreamFrame[] = [];
    for await (const e of client.chat.sendMessageStream(session.id, { content: 'Hello!' })) events.push(e);
    const types = events.map((e) => e.type);
    assert.equal(types[0], 'execution');
    assert.ok(types.includes('thinking') && types.includes('tool_start') && types.includes('tool_end'));
    assert.equal(types.at(-1), 'done');
    const text = events.map((e) => (e.type === 'content' ? e.content : '')).join('');
    const done = events.at(-1);
    assert.ok(done?.type === 'done');
    assert.equal(done.outputText, text);
  });

  test('stream: the faulty agent ends with an error event; finalResult() raises StreamError', async () => {
    const { client } = await fresh();
    const session = await client.chat.createSession({ agentId: 'faulty' });
    const events = await client.chat.sendMessageStream(session.id, { content: 'x' }).toArray();
    assert.equal(events.at(-1)?.type, 'error');
    await assert.rejects(client.chat.sendMessageStream(session.id, { content: 'x' }).finalResult(), StreamError);
  });

  test('stream: opening on an unknown session raises NotFoundError', async () => {
    const { client } = await fresh();
    await assert.rejects(client.chat.sendMessageStream('no-such-session', { content: 'x' }).toArray(), NotFoundError);
  });

  test('fault: 429 with Retry-After is retried after exactly that delay', async () => {
    const { client, sleeps, key } = await fresh();
    const session = await client.chat.createSession({ agentId: 'echo' });
    await mock.control('POST', '/__mock/faults', {
      method: 'GET',
      path: `/api/v1/chat/sessions/${session.id}`,
      count: 1,
      action: 'status',
      status: 429,
      headers: { 'Retry-After': '2' },
    });
    assert.equal((await client.chat.getSession(session.id)).id, session.id);
    assert.deepEqual(sleeps, [2000]);
    assert.equal((await requests('GET', `/api/v1/chat/sessions/${session.id}`, key)).length, 2);
  });

  test('fault: 503 twice, then success', async () => {
    const { client, sleeps, key } = await fresh();
    const session = await client.chat.createSession({ agentId: 'echo' });
    await mock.control('POST', '/__mock/faults', { method: 'GET', path: `/api/v1/chat/sessions/${session.id}/messages`, count: 2, action: 'status', status: 503 });
    const page = await client.chat.listMessages(session.id);
    assert.equal(page.data.length, 0);
    assert.equal(sleeps.length, 2);
    assert.equal((await requests('GET', `/api/v1/chat/sessions/${session.id}/messages`, key)).length, 3);
  });

  test('fault: a reset after the server processed a send: retried, no duplicated message, one Idempotency-Key', async () => {
    const { client, key } = await fresh();
    const session = await client.chat.createSession({ agentId: 'echo' });
    const path = `/api/v1/chat/sessions/${session.id}/messages`;
    await mock.control('POST', '/__mock/faults', { method: 'POST', path, count: 1, action: 'reset', when: 'after' });
    const reply = await client.chat.sendMessage(session.id, { content: 'only once' });
    assert.equal(reply.role, 'assistant');
    const messages = await client.chat.listMessages(session.id);
    assert.deepEqual(messages.data.map((m) => m.role), ['user', 'assistant']);
    const posts = await requests('POST', path, key);
    assert.equal(posts.length, 2);
    assert.ok(posts[0].headers['idempotency-key']);
    assert.equal(posts[0].headers['idempotency-key'], posts[1].headers['idempotency-key']);
  });

  test('fault: a stream cut after 3 frames resumes without loss or duplicates', async () => {
    const { client, key } = await fresh();
    const session = await client.chat.createSession({ agentId: 'storyteller' });
    await mock.control('POST', '/__mock/faults', {
      method: 'POST',
      path: `/api/v1/chat/sessions/${session.id}/messages/stream`,
      count: 1,
      action: 'cut_stream',
      after_frames: 3,
    });
    const events = await client.chat.sendMessageStream(session.id, { content: 'Tell me a story' }).toArray();
    const ids = events.map((e) => Number(e.eventId));
    assert.deepEqual(ids, Array.from({ length: ids.length }, (_, i) => i + 1));
    assert.equal(events.at(-1)?.type, 'done');
    const text = events.map((e) => (e.type === 'content' ? e.content : '')).join('');
    const done = events.at(-1);
    assert.ok(done?.type === 'done');
    assert.equal(done.outputText, text);
    const first = events[0];
    assert.ok(first?.type === 'execution');
    const resumed = await requests('GET', `/api/v1/executions/${first.executionId}/stream`, key);
    assert.equal(resumed.length, 1);
    assert.equal(resumed[0].headers['last-event-id'], '3');
    assert.equal((await requests('POST', `/api/v1/chat/sessions/${session.id}/messages/stream`, key)).length, 1);
  });
});
