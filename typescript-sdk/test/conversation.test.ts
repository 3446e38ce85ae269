/**
 * Conversations end to end against the mock server (generator/RUNTIME.md, "Conversations"):
 * open and resume, send, stream, history after an abandoned stream, clear, save/load, concurrent
 * sends serialised, totals equal to the sum of the stored messages, close and `await using`.
 * Needs $PROMPTRAILS_MOCK_CMD (set by `make test-typescript`); skipped without it, saying why.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  APIUserAbortError,
  Conversation,
  ConversationReply,
  InternalServerError,
  InvalidArgumentError,
  NotFoundError,
  PromptRails,
  StreamError,
  type ChatConversation,
  type ChatStreamFrame,
} from '../src/index.js';
import { MOCK_ENV, startMock, type MockServer } from './helpers.js';

const enabled = Boolean(process.env[MOCK_ENV]);

describe('conversations against the mock server', { skip: enabled ? false : `${MOCK_ENV} is not set` }, () => {
  let mock: MockServer;
  let dir: string;
  before(async () => {
    const started = await startMock();
    if (!started) throw new Error(`${MOCK_ENV} is set but no server was started`);
    mock = started;
    dir = mkdtempSync(join(tmpdir(), 'conversations-'));
  });
  after(async () => {
    await mock?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A strict client on a fresh workspace; `inflight` counts the sends running at once. */
  async function fresh(): Promise<{ client: PromptRails; key: string; peak: () => number }> {
    const { api_key: key } = await mock.control('POST', '/__mock/workspaces', {});
    let running = 0;
    let peak = 0;
    const counting: typeof fetch = async (input, init) => {
      const send = init?.method === 'POST' && /\/messages(\/stream)?$/.test(String(input));
      if (send) peak = Math.max(peak, ++running);
      try {
        const response = await fetch(input, init);
        if (send && !String(input).endsWith('/stream')) await response.clone().arrayBuffer();
        return response;
      } finally {
        if (send) running--;
      }
    };
    const client = new PromptRails({ apiKey: key, baseUrl: mock.url, fetch: counting, strictResponseValidation: true, sleep: async () => undefined });
    return { client, key, peak: () => peak };
  }

  /** The totals of the stored messages, read directly. */
  async function stored(client: PromptRails, sessionId: string): Promise<{ roles: string[]; contents: string[]; cost: number; prompt: number; completion: number }> {
    const out = { roles: [] as string[], contents: [] as string[], cost: 0, prompt: 0, completion: 0 };
    for await (const m of client.chat.listMessages(sessionId, { limit: 2 })) {
      out.roles.push(m.role);
      out.contents.push(m.content);
      out.cost += m.cost ?? 0;
      out.prompt += m.promptTokens ?? 0;
      out.completion += m.completionTokens ?? 0;
    }
    return out;
  }

  function assertTotals(conv: ChatConversation, totals: { cost: number; prompt: number; completion: number }): void {
    assert.ok(Math.abs(conv.totalCost - totals.cost) < 1e-12, `${conv.totalCost} != ${totals.cost}`);
    assert.deepEqual(conv.usage, { promptTokens: totals.prompt, completionTokens: totals.completion });
  }

  test('open and send: the reply is its text; history holds both messages, by field and by wire name', async () => {
    const { client } = await fresh();
    const conv = await client.chat.conversation({ agentId: 'echo', title: 'Support', metadata: { user_id: 'u-1' } });
    assert.ok(conv instanceof Conversation);
    assert.ok(conv.sessionId);
    assert.equal(conv.history.length, 0);
    assert.equal(conv.totalCost, 0);
    assert.deepEqual(conv.usage, { promptTokens: 0, completionTokens: 0 });

    const reply = await conv.send('Hello there');
    assert.ok(reply instanceof ConversationReply);
    assert.equal(String(reply), 'You said: Hello there');
    assert.equal(`${reply}`, reply.content);
    assert.equal(reply.message.role, 'assistant');
    assert.ok(reply.executionId);
    assert.equal(reply.userMessage?.content, 'Hello there');
    assert.equal(reply.assistantMessage?.content, 'You said: Hello there');
    assert.ok(reply.cost > 0);
    assert.ok((reply.usage['completionTokens'] ?? 0) > 0);

    const history = conv.history;
    assert.deepEqual(history.map((m) => [m.role, m.content]), [['user', 'Hello there'], ['assistant', 'You said: Hello there']]);
    const [user, assistant] = history;
    assert.equal(user!['role'], 'user');
    assert.equal(user!['content'], 'Hello there');
    assert.equal(assistant!['session_id'], conv.sessionId);
    assert.equal(assistant!['session_id'], assistant!.sessionId);
    assert.equal(assistant!['prompt_tokens'], assistant!.promptTokens);
    assert.equal(String(assistant), 'assistant: You said: Hello there');
    assert.deepEqual(conv.allMessages, history);
    // No request per look at the history.
    assert.notEqual(conv.history, conv.history);
    assertTotals(conv, await stored(client, conv.sessionId));
    assert.ok(conv.totalCost > 0);

    const session = await client.chat.getSession(conv.sessionId);
    assert.equal(session.agentId, 'echo');
    assert.equal(session.title, 'Support');
    assert.equal(await conv.invoke('again').then(String), 'You said: again');
    assert.equal(conv.history.length, 4);
  });

  test('stream: text chunks as they come; the history and totals follow; streamEvents gives typed events', async () => {
    const { client } = await fresh();
    const conv = await client.chat.conversation({ agentId: 'thinker' });
    const chunks: string[] = [];
    for await (const chunk of conv.stream('What is 2+2?')) chunks.push(chunk);
    assert.ok(chunks.length > 1);
    const history = conv.history;
    assert.deepEqual(history.map((m) => m.role), ['user', 'assistant']);
    assert.equal(history[1]!.content, chunks.join(''));

    const events: ChatStreamFrame[] = [];
    for await (const event of conv.streamEvents('And 3+3?')) events.push(event);
    assert.equal(events[0]?.type, 'execution');
    assert.equal(events.at(-1)?.type, 'done');
    assert.equal(conv.history.length, 4);
    const text = events.map((e) => (e.type === 'content' ? e.content : '')).join('');
    assert.equal(conv.history[3]!.content, text);
    assertTotals(conv, await stored(client, conv.sessionId));
  });

  test('a stream left early: the loop exits with the whole exchange in the history, followed through the executions stream', async () => {
    const { client, key } = await fresh();
    const conv = await client.chat.conversation({ agentId: 'storyteller' });
    const chunks: string[] = [];
    for await (const chunk of conv.stream('a story about a lighthouse', { metadata: { delay_ms: 5 } })) {
      chunks.push(chunk);
      if (chunks.length === 3) break;
    }
    const history = conv.history;
    assert.deepEqual(history.map((m) => m.role), ['user', 'assistant']);
    assert.equal(history[0]!.content, 'a story about a lighthouse');
    assert.ok(history[1]!.content.startsWith(chunks.join('')));
    assert.ok(history[1]!.content.length > chunks.join('').length);
    const totals = await stored(client, conv.sessionId);
    assert.deepEqual(totals.contents, history.map((m) => m.content));
    assertTotals(conv, totals);
    const follows = await mock.control('GET', `/__mock/requests?${new URLSearchParams({ method: 'GET', api_key: key, limit: '1000' })}`);
    const followed = follows.filter((r: any) => /^\/api\/v1\/executions\/[^/]+\/stream$/.test(r.path));
    assert.equal(followed.length, 1, JSON.stringify(follows.map((r: any) => r.path)));
    assert.ok(Number(followed[0].headers['last-event-id']) >= 4);

    // The next send goes on in the same session, after the story.
    await conv.send('thanks');
    assert.equal(conv.history.length, 4);
  });

  test('a stream left on its first event (before any text) is followed too', async () => {
    const { client } = await fresh();
    const conv = await client.chat.conversation({ agentId: 'echo' });
    for await (const event of conv.streamEvents('one two three four', { metadata: { delay_ms: 5 } })) {
      assert.equal(event.type, 'execution');
      break;
    }
    assert.deepEqual(conv.history.map((m) => m.content), ['one two three four', 'You said: one two three four']);
  });

  test('a stream cancelled through its signal is followed in the background; sync() waits for it', async () => {
    const { client } = await fresh();
    const conv = await client.chat.conversation({ agentId: 'storyteller' });
    const controller = new AbortController();
    await assert.rejects(
      (async () => {
        for await (const _ of conv.stream('a story', { metadata: { delay_ms: 5 } }, { signal: controller.signal })) controller.abort('enough');
      })(),
      APIUserAbortError,
    );
    await conv.sync();
    assert.deepEqual(conv.history.map((m) => m.role), ['user', 'assistant']);
    assertTotals(conv, await stored(client, conv.sessionId));
  });

  test('a failed run: stream() throws StreamError with the error event; the history holds what was stored', async () => {
    const { client } = await fresh();
    const conv = await client.chat.conversation({ agentId: 'faulty' });
    const chunks: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const chunk of conv.stream('x')) chunks.push(chunk);
      })(),
      (err: unknown) => err instanceof StreamError && (err.event as { type?: string }).type === 'error',
    );
    assert.equal(chunks.length, 2);
    const totals = await stored(client, conv.sessionId);
    assert.deepEqual(conv.history.map((m) => m.content), totals.contents);
    // The non-streaming send of a failing run is a 502.
    await assert.rejects(conv.send('y'), InternalServerError);
    await conv.sync();
    assert.deepEqual(conv.history.map((m) => m.content), (await stored(client, conv.sessionId)).contents);
  });

  test('resume with { sessionId }: its history is read at once; the conversation continues on that session', async () => {
    const { client } = await fresh();
    const first = await client.chat.conversation({ agentId: 'echo', title: 'T' });
    await first.send('one');
    const conv = await client.chat.conversation({ sessionId: first.sessionId }, { maxRetries: 0 });
    assert.equal(conv.sessionId, first.sessionId);
    assert.deepEqual(conv.history.map((m) => m.content), ['one', 'You said: one']);
    assertTotals(conv, await stored(client, conv.sessionId));
    await conv.send('two');
    assert.equal((await stored(client, first.sessionId)).roles.length, 4);
    await assert.rejects(client.chat.conversation({ sessionId: 'no-such-session' }), NotFoundError);
  });

  test('clear(): a fresh session with the same agent, title and metadata; the old one stays', async () => {
    const { client } = await fresh();
    const conv = await client.chat.conversation({ agentId: 'echo', title: 'Keep me', metadata: { team: 'blue' } });
    await conv.send('remember this');
    const old = conv.sessionId;
    await conv.clear();
    assert.notEqual(conv.sessionId, old);
    assert.equal(conv.history.length, 0);
    assert.equal(conv.totalCost, 0);
    assert.deepEqual(conv.usage, { promptTokens: 0, completionTokens: 0 });
    const session = await client.chat.getSession(conv.sessionId);
    assert.deepEqual([session.agentId, session.title, session.metadata], ['echo', 'Keep me', { team: 'blue' }]);
    assert.equal((await stored(client, old)).roles.length, 2);
    const reply = await conv.send('hello');
    assert.equal(String(reply), 'You said: hello');
    assert.equal(conv.history.length, 2);

    // A resumed conversation clears with the fields read from its session.
    const resumed = await client.chat.conversation({ sessionId: old });
    await resumed.clear();
    const again = await client.chat.getSession(resumed.sessionId);
    assert.deepEqual([again.agentId, again.title, again.metadata], ['echo', 'Keep me', { team: 'blue' }]);
  });

  test('save() and load(): a round trip continues on the same server session', async () => {
    const { client } = await fresh();
    const conv = await client.chat.conversation({ agentId: 'echo', title: 'Saved', metadata: { n: 1 } });
    await conv.send('first');
    for await (const _ of conv.stream('second')) {
      // read to the end
    }
    const path = join(dir, 'conversation.json');
    await conv.save(path);
    const doc = JSON.parse(readFileSync(path, 'utf8'));
    assert.deepEqual(Object.keys(doc).sort(), ['agent_id', 'history', 'metadata', 'session_id', 'title', 'total_cost', 'usage', 'version']);
    assert.equal(doc.version, 1);
    assert.equal(doc.session_id, conv.sessionId);
    assert.deepEqual([doc.agent_id, doc.title, doc.metadata], ['echo', 'Saved', { n: 1 }]);
    assert.deepEqual(doc.usage, { prompt_tokens: conv.usage['promptTokens'], completion_tokens: conv.usage['completionTokens'] });
    assert.equal(doc.total_cost, conv.totalCost);
    assert.equal(doc.history.length, 4);
    assert.ok('session_id' in doc.history[0] && 'created_at' in doc.history[0], 'messages are saved by their wire names');
    assert.ok(!readFileSync(path, 'utf8').includes(mock.url), 'no base URL in the document');

    const loaded = await client.chat.load(path);
    assert.equal(loaded.sessionId, conv.sessionId);
    assert.deepEqual(loaded.history.map((m) => m.content), conv.history.map((m) => m.content));
    assert.equal(loaded.history[3]!['session_id'], conv.sessionId);
    assert.deepEqual(loaded.usage, conv.usage);
    assert.equal(loaded.totalCost, conv.totalCost);
    await loaded.send('third');
    assert.equal(loaded.history.length, 6);
    assert.equal((await stored(client, conv.sessionId)).roles.length, 6);
    assertTotals(loaded, await stored(client, conv.sessionId));

    // Without the history, load() reads it from the server; toJSON() is the same document.
    await loaded.save(path, { includeHistory: false });
    assert.equal(JSON.parse(readFileSync(path, 'utf8')).history, undefined);
    const reread = await client.chat.load(path);
    assert.equal(reread.history.length, 6);
    const fromDoc = await client.chat.load(JSON.parse(JSON.stringify(loaded)));
    assert.equal(fromDoc.history.length, 6);
    await fromDoc.clear();
    assert.equal((await client.chat.getSession(fromDoc.sessionId)).title, 'Saved');
  });

  test('load() refuses what is not a saved conversation, naming why', async () => {
    const { client } = await fresh();
    const bad = join(dir, 'bad.json');
    for (const [content, why] of [
      ['not json', /not JSON/],
      ['[]', /not a JSON object/],
      ['{"version": 2, "session_id": "s"}', /version 2/],
      ['{"version": 1}', /no session_id/],
      ['{"version": 1, "session_id": "s", "history": {}}', /history is not a list/],
      ['{"version": 1, "session_id": "s", "history": [1]}', /history\[0\]/],
    ] as const) {
      writeFileSync(bad, content);
      await assert.rejects(client.chat.load(bad), (err: unknown) => err instanceof InvalidArgumentError && why.test(err.message));
    }
    await assert.rejects(client.chat.load(join(dir, 'missing.json')), InvalidArgumentError);
  });

  test('concurrent sends are serialised in call order; maxConcurrentInvocations lets more run at once', async () => {
    const { client, peak } = await fresh();
    const conv = await client.chat.conversation({ agentId: 'echo', metadata: { delay_ms: 20 } });
    const replies = await Promise.all(['a b', 'c d', 'e f'].map((text) => conv.send(text)));
    assert.deepEqual(replies.map(String), ['You said: a b', 'You said: c d', 'You said: e f']);
    assert.equal(peak(), 1);
    assert.deepEqual(conv.history.map((m) => m.content), ['a b', 'You said: a b', 'c d', 'You said: c d', 'e f', 'You said: e f']);
    assertTotals(conv, await stored(client, conv.sessionId));

    // A stream takes its turn too.
    const streamed: string[] = [];
    await Promise.all([
      conv.send('g'),
      (async () => {
        for await (const chunk of conv.stream('h')) streamed.push(chunk);
      })(),
      conv.send('i'),
    ]);
    assert.equal(peak(), 1);
    assert.deepEqual(conv.history.slice(6).map((m) => m.content), ['g', 'You said: g', 'h', 'You said: h', 'i', 'You said: i']);

    const other = await fresh();
    const wide = await other.client.chat.conversation({ agentId: 'echo', metadata: { delay_ms: 50 } }, { maxConcurrentInvocations: 2 });
    await Promise.all(['x', 'y'].map((text) => wide.send(text)));
    assert.equal(other.peak(), 2);
    assert.equal(wide.history.length, 4);
    assertTotals(wide, await stored(other.client, wide.sessionId));
  });

  test('close(): open streams stop; with deleteOnExit the session is deleted; await using closes', async () => {
    const { client } = await fresh();
    const conv = await client.chat.conversation({ agentId: 'slow' });
    const iterator = conv.stream('slowly now')[Symbol.asyncIterator]();
    const first = await iterator.next();
    assert.equal(first.done, false);
    const pending = iterator.next();
    await conv.close();
    await assert.rejects(pending, APIUserAbortError);
    await assert.rejects(conv.send('after'), InvalidArgumentError);
    await conv.close(); // twice: nothing more

    let id = '';
    {
      await using scoped = await client.chat.conversation({ agentId: 'echo' }, { deleteOnExit: true });
      id = scoped.sessionId;
      await scoped.send('hi');
    }
    await assert.rejects(client.chat.getSession(id), NotFoundError);

    const kept = await client.chat.conversation({ agentId: 'echo' });
    await kept.close();
    assert.equal((await client.chat.getSession(kept.sessionId)).id, kept.sessionId);
    const removed = await client.chat.conversation({ agentId: 'echo' });
    await removed.delete();
    await assert.rejects(client.chat.getSession(removed.sessionId), NotFoundError);
  });

  test('bad arguments fail before any request', async () => {
    const { client } = await fresh();
    await assert.rejects(client.chat.conversation({ sessionId: 's', agentId: 'echo' } as never), InvalidArgumentError);
    await assert.rejects(client.chat.conversation({ sessionId: '' }), InvalidArgumentError);
    await assert.rejects(client.chat.conversation({} as never), /params\.agentId is required/);
    await assert.rejects(client.chat.conversation({ agentId: 'echo' }, { maxConcurrentInvocations: 0 }), /maxConcurrentInvocations/);
    const conv = await client.chat.conversation({ agentId: 'echo' });
    await assert.rejects(conv.send(42 as never), InvalidArgumentError);
    await assert.rejects(conv.stream(null as never).next(), InvalidArgumentError);
    await assert.rejects(conv.save(''), InvalidArgumentError);
    assert.equal(conv.history.length, 0);
  });
});
