/**
 * The conversation runtime (runtime/conversation.ts) on an API that is not ours (specs/threads.yaml):
 * the binding comes from its `x-sdk-conversation` (a session named `thread_id`, a text field
 * `text`, token counters named apart from their fields, a `price`, pages of three, a resume
 * route of its own), served by an in-memory fake of that API.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as talk from '../sdks/threads/src/index.js';
import { quick } from './helpers.js';

interface Msg {
  message_id: string;
  thread_id: string;
  role: string;
  text: string;
  input_tokens?: number;
  output_tokens?: number;
  price?: number;
}

interface Behaviour {
  /** Answer the plain send before the run ends: no text, the run's id (the reply is followed). */
  answerEarly?: boolean;
  /** The stream's connection stops after this many frames and never answers again. */
  hangAfter?: number;
  /** Runs fail (a `failed` event after one delta). */
  fail?: boolean;
  /** How long a send takes, in ms (to see concurrent ones overlap). */
  delay?: number;
}

/** An in-memory Threads API: threads, their messages, runs and their events. */
function fakeApi(behaviour: Behaviour = {}) {
  const threads = new Map<string, { thread: Record<string, unknown>; messages: Msg[] }>();
  const runs = new Map<string, string[]>();
  const calls: { method: string; path: string; query: string; headers: Record<string, string>; body: unknown }[] = [];
  let n = 0;
  let running = 0;
  let peak = 0;
  const json = (status: number, body: unknown) =>
    new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const frame = (id: number, event: string, data: unknown) => `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

  /** Store the user's message and the reply (the server stores the reply when its run ends). */
  const run = (threadId: string, text: string) => {
    const t = threads.get(threadId)!;
    const reply = behaviour.fail ? 'par' : `echo: ${text}`;
    t.messages.push({ message_id: `m${++n}`, thread_id: threadId, role: 'user', text });
    const runId = `r${++n}`;
    const words = reply.match(/\S+\s*/g) ?? [];
    const frames = [frame(1, 'run', { run_id: runId })];
    words.forEach((w, i) => frames.push(frame(i + 2, 'delta', { text: w })));
    if (behaviour.fail) {
      frames.push(frame(words.length + 2, 'failed', { message: 'the model broke' }));
    } else {
      const usage = { input_tokens: text.length, output_tokens: words.length };
      frames.push(frame(words.length + 2, 'finished', usage));
      t.messages.push({ message_id: `m${++n}`, thread_id: threadId, role: 'assistant', text: reply, ...usage, price: words.length / 1000 });
    }
    runs.set(runId, frames);
    return { runId, reply, frames };
  };

  const impl = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => (headers[k] = v));
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    calls.push({ method, path: url.pathname, query: url.search, headers, body });
    const parts = url.pathname.split('/').filter(Boolean);
    if (method === 'POST' && url.pathname === '/threads') {
      const id = `t${++n}`;
      const thread = { thread_id: id, model: body.model, ...(body.tags ? { tags: body.tags } : {}) };
      threads.set(id, { thread, messages: [] });
      return json(201, thread);
    }
    if (parts[0] === 'threads') {
      const t = threads.get(parts[1]!);
      if (t === undefined) return json(404, { error: { code: 'not_found', message: 'No such thread.' } });
      if (parts.length === 2 && method === 'GET') return json(200, t.thread);
      if (parts.length === 2 && method === 'DELETE') {
        threads.delete(parts[1]!);
        return new Response(null, { status: 204 });
      }
      if (parts.length === 3 && method === 'GET') {
        const page = Number(url.searchParams.get('page') ?? 1);
        const per = Number(url.searchParams.get('per_page') ?? 3);
        const data = t.messages.slice((page - 1) * per, page * per);
        return json(200, { data, meta: { page, pages: Math.max(1, Math.ceil(t.messages.length / per)) } });
      }
      if (parts.length === 3 && method === 'POST') {
        peak = Math.max(peak, ++running);
        try {
          if (behaviour.delay) await new Promise((resolve) => setTimeout(resolve, behaviour.delay));
          const { runId, reply } = run(parts[1]!, body.text);
          if (behaviour.fail) return json(502, { error: { code: 'agent_failed', message: 'the model broke' } });
          return json(200, behaviour.answerEarly ? { status: 'running', run_id: runId } : { status: 'done', text: reply, run_id: runId });
        } finally {
          running--;
        }
      }
      if (parts.length === 4 && method === 'POST') {
        const { frames } = run(parts[1]!, body.text);
        return sse(frames, behaviour.hangAfter, init?.signal ?? undefined);
      }
    }
    if (parts[0] === 'runs' && parts[2] === 'events') {
      const frames = runs.get(parts[1]!);
      if (frames === undefined) return json(404, { error: { message: 'No such run.' } });
      const after = Number(headers['last-event-id'] ?? 0);
      return sse(frames.slice(after));
    }
    if (method === 'POST' && url.pathname === '/books') return json(200, { book_id: `b${++n}` });
    if (parts[0] === 'books') {
      const key = `book:${parts[1]}`;
      if (!threads.has(key)) threads.set(key, { thread: {}, messages: [] });
      const t = threads.get(key)!;
      if (method === 'POST') {
        t.messages.push({ note: body.note, role: 'me' } as never, { note: `noted: ${body.note}`, role: 'book' } as never);
        return json(200, { note: `noted: ${body.note}`, role: 'book' });
      }
      return json(200, { data: t.messages, meta: { page: 1, pages: 1 } });
    }
    return json(404, { error: { message: `no route ${method} ${url.pathname}` } });
  };
  return { fetch: impl as typeof fetch, calls, threads, peak: () => peak };
}

/** A text/event-stream response of `frames`; with `hangAfter`, it stops sending after that many. */
function sse(frames: string[], hangAfter?: number, signal?: AbortSignal): Response {
  const encoder = new TextEncoder();
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (hangAfter !== undefined && i >= hangAfter) {
        return new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve()));
      }
      if (i < frames.length) controller.enqueue(encoder.encode(frames[i++]!));
      else controller.close();
      return undefined;
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
}

function client(api: ReturnType<typeof fakeApi>): talk.Talk {
  return new talk.Talk({ apiKey: 'k-threads', baseUrl: 'http://threads.test', ...quick(api.fetch) });
}

test('conversations: the binding follows x-sdk-conversation (session, text, counters, cost, method names)', async () => {
  const api = fakeApi();
  const conv = await client(api).threads.chat({ model: 'm-1', tags: ['x'] }, { headers: { 'x-trace': 'on' } });
  assert.match(conv.sessionId, /^t\d+$/);
  assert.deepEqual(api.calls[0]!.body, { model: 'm-1', tags: ['x'] });
  const reply = await conv.send('hello world', { attachments: ['a.txt'] });
  assert.equal(String(reply), 'echo: hello world');
  assert.equal(reply.message.status, 'done');
  assert.match(reply.executionId ?? '', /^r\d+$/);
  assert.deepEqual(api.calls[1]!.body, { text: 'hello world', attachments: ['a.txt'] });
  assert.equal(api.calls[1]!.headers['x-trace'], 'on');
  assert.deepEqual(reply.usage, { input: 11, output: 3 });
  assert.equal(reply.cost, 0.003);
  const [user, assistant] = conv.history;
  assert.deepEqual([user!.role, user!.content, user!.text], ['user', 'hello world', 'hello world']);
  assert.equal(assistant!['thread_id'], conv.sessionId);
  assert.equal(assistant!['input_tokens'], assistant!.inputTokens);
  assert.equal(assistant!['content'], 'echo: hello world');
  assert.deepEqual(Object.keys(assistant!).sort(), ['inputTokens', 'messageId', 'outputTokens', 'price', 'role', 'text', 'threadId']);
  assert.deepEqual(conv.usage, { input: 11, output: 3 });
  assert.equal(conv.totalCost, 0.003);
  assert.deepEqual(Object.keys(conv.toJSON()).sort(), ['history', 'model', 'session_id', 'tags', 'total_cost', 'usage', 'version']);
  assert.deepEqual(conv.toJSON().usage, { input: 11, output: 3 });
});

test('conversations: after each reply only the messages from the last one held are read (pages of three)', async () => {
  const api = fakeApi();
  const conv = await client(api).threads.chat({ model: 'm' });
  for (const text of ['one', 'two', 'three']) await conv.send(text);
  assert.equal(conv.history.length, 6);
  const lists = api.calls.filter((c) => c.method === 'GET' && c.path.endsWith('/messages')).map((c) => c.query);
  // Empty: all from page 1. Then from the last held: index 1 (page 1, skip 1, and page 2 after
  // it), index 3 (page 2, skip 0).
  assert.deepEqual(lists, ['?page=1&per_page=3', '?page=1&per_page=3', '?per_page=3&page=2', '?page=2&per_page=3']);

  // The stored messages changed under it (one deleted): everything is read again.
  api.threads.get(conv.sessionId)!.messages.splice(0, 1);
  await conv.send('four');
  assert.deepEqual(conv.history.map((m) => m.text), api.threads.get(conv.sessionId)!.messages.map((m) => m.text));
});

test('conversations: a stream left early is followed through the resume route with Last-Event-ID', async () => {
  const api = fakeApi({ hangAfter: 3 });
  const conv = await client(api).threads.chat({ model: 'm' });
  const chunks: string[] = [];
  for await (const chunk of conv.stream('a b c d e f')) {
    chunks.push(chunk);
    break;
  }
  assert.deepEqual(chunks, ['echo: ']);
  const follow = api.calls.find((c) => c.path.startsWith('/runs/'));
  assert.ok(follow, 'the run was followed');
  assert.equal(follow.headers['last-event-id'], '2');
  assert.deepEqual(conv.history.map((m) => m.text), ['a b c d e f', 'echo: a b c d e f']);
  assert.deepEqual(conv.usage, { input: 11, output: 7 });
});

test('conversations: a stream read to its end is not followed; streamEvents gives the typed events', async () => {
  const api = fakeApi();
  const conv = await client(api).threads.chat({ model: 'm' });
  let text = '';
  for await (const chunk of conv.stream('x y')) text += chunk;
  assert.equal(text, 'echo: x y');
  const types: string[] = [];
  for await (const event of conv.streamEvents('z')) types.push(event.type);
  assert.deepEqual(types, ['run', 'delta', 'delta', 'finished']);
  assert.ok(!api.calls.some((c) => c.path.startsWith('/runs/')));
  assert.equal(conv.history.length, 4);
});

test('conversations: an answer given before its run ended is followed to the reply', async () => {
  const api = fakeApi({ answerEarly: true });
  const conv = await client(api).threads.chat({ model: 'm' });
  const reply = await conv.send('p q');
  assert.equal(reply.message.text, undefined);
  assert.equal(String(reply), 'echo: p q');
  const follow = api.calls.find((c) => c.path === `/runs/${reply.executionId}/events`);
  assert.ok(follow, 'the run was followed');
  assert.equal(reply.assistantMessage?.text, 'echo: p q');
});

test('conversations: a failed run throws StreamError from stream(); the send is a status error', async () => {
  const api = fakeApi({ fail: true });
  const conv = await client(api).threads.chat({ model: 'm' });
  await assert.rejects(
    (async () => {
      for await (const _ of conv.stream('q')) {
        // the deltas before the failure
      }
    })(),
    (err: unknown) => err instanceof talk.StreamError && /the model broke/.test(err.message) && (err.event as { type: string }).type === 'failed',
  );
  assert.deepEqual(conv.history.map((m) => m.role), ['user']);
  await assert.rejects(conv.send('r', {}, { maxRetries: 0 }), talk.InternalServerError);
  await conv.sync();
  assert.deepEqual(conv.history.map((m) => m.role), ['user', 'user']);
});

test('conversations: sends run one at a time in call order, or as many as maxConcurrentInvocations', async () => {
  const api = fakeApi({ delay: 20 });
  const conv = await client(api).threads.chat({ model: 'm' });
  const replies = await Promise.all(['1', '2', '3', '4'].map((t) => conv.send(t)));
  assert.deepEqual(replies.map(String), ['echo: 1', 'echo: 2', 'echo: 3', 'echo: 4']);
  assert.equal(api.peak(), 1);
  assert.deepEqual(conv.history.map((m) => m.text).filter((_, i) => i % 2 === 0), ['1', '2', '3', '4']);

  const wide = fakeApi({ delay: 20 });
  const three = await client(wide).threads.chat({ model: 'm' }, { maxConcurrentInvocations: 3 });
  await Promise.all(['1', '2', '3', '4'].map((t) => three.send(t)));
  assert.equal(wide.peak(), 3);
  assert.equal(three.history.length, 8);

  // A waiting send cancelled through its signal leaves the queue.
  const slow = await client(fakeApi({ delay: 20 })).threads.chat({ model: 'm' });
  const controller = new AbortController();
  const first = slow.send('first');
  const second = slow.send('second', {}, { signal: controller.signal });
  controller.abort('changed my mind');
  await assert.rejects(second, talk.APIUserAbortError);
  assert.equal(String(await first), 'echo: first');
  assert.equal(String(await slow.send('third')), 'echo: third');
});

test('conversations: clear, resume, save/load, delete and close with deleteOnExit', async () => {
  const api = fakeApi();
  const c = client(api);
  const conv = await c.threads.chat({ model: 'm-2', tags: ['t'] });
  await conv.send('keep');
  const old = conv.sessionId;
  await conv.clear();
  assert.notEqual(conv.sessionId, old);
  assert.equal(conv.history.length, 0);
  assert.deepEqual(api.threads.get(conv.sessionId)!.thread, { thread_id: conv.sessionId, model: 'm-2', tags: ['t'] });

  const resumed = await c.threads.chat({ threadId: old });
  assert.deepEqual(resumed.history.map((m) => m.text), ['keep', 'echo: keep']);
  await resumed.clear();
  assert.equal(api.threads.get(resumed.sessionId)!.thread['model'], 'm-2');

  const dir = mkdtempSync(join(tmpdir(), 'talk-'));
  try {
    const path = join(dir, 'c.json');
    await conv.send('saved');
    await conv.save(path);
    const doc = JSON.parse(readFileSync(path, 'utf8'));
    assert.deepEqual([doc.version, doc.session_id, doc.model, doc.tags, doc.history.length], [1, conv.sessionId, 'm-2', ['t'], 2]);
    assert.equal(doc.history[1].input_tokens, 5);
    const restored = await c.threads.restore(path, { deleteOnExit: true });
    assert.deepEqual(restored.history, conv.history);
    assert.deepEqual(restored.usage, conv.usage);
    await restored.close();
    assert.equal(api.threads.has(conv.sessionId), false);
    assert.ok(api.calls.some((call) => call.method === 'DELETE' && call.path === `/threads/${conv.sessionId}`));
    await assert.rejects(restored.sync(), talk.InvalidArgumentError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('conversations: an API without a stream, a get or a delete (memo books)', async () => {
  const api = fakeApi();
  const c = client(api);
  const book = await c.memos.conversation({});
  assert.match(book.sessionId, /^b\d+$/);
  const reply = await book.send('milk');
  assert.equal(String(reply), 'noted: milk');
  assert.deepEqual(book.history.map((m) => [m.role, m.content]), [['me', 'milk'], ['book', 'noted: milk']]);
  assert.deepEqual(book.usage, {});
  assert.equal(book.totalCost, 0);
  await assert.rejects(book.stream('x').next(), /streams no replies/);
  await assert.rejects(book.delete(), /cannot delete a session/);
  const again = await c.memos.conversation({ bookId: book.sessionId });
  assert.equal(again.history.length, 2);
  await book.clear();
  assert.notEqual(book.sessionId, again.sessionId);
  const loaded = await c.memos.load(book.toJSON());
  assert.equal(loaded.sessionId, book.sessionId);
});
