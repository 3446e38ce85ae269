/** Streams: typed events, closing, errors on open, resume after a cut, idle timeout. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  APIConnectionError,
  APITimeoutError,
  AuthenticationError,
  NotFoundError,
  StreamError,
  type ChatStreamFrame,
} from '../src/index.js';
import { RUN, aborted, apiError, fakeFetch, frame, networkError, sse, testClient, type Handler } from './helpers.js';

function setup(...handlers: Handler[]) {
  const f = fakeFetch(...handlers);
  const { client, sleeps } = testClient(f.fetch);
  return { client, sleeps, calls: f.calls };
}

async function collect(stream: AsyncIterable<ChatStreamFrame>): Promise<ChatStreamFrame[]> {
  const events: ChatStreamFrame[] = [];
  for await (const e of stream) events.push(e);
  return events;
}

test('stream: typed events in order, usable without await as in the seed', async () => {
  const { client, calls } = setup(sse({ chunks: RUN }));
  let text = '';
  const types: string[] = [];
  for await (const event of client.chat.sendMessageStream('ses_1', { content: 'Hello!' })) {
    types.push(event.type);
    if (event.type === 'content') text += event.content;
    if (event.type === 'done') break;
  }
  assert.equal(text, 'Hello');
  assert.deepEqual(types, ['execution', 'thinking', 'tool_start', 'tool_end', 'content', 'content', 'done']);
  assert.equal(calls[0]!.method, 'POST');
  assert.equal(calls[0]!.url.pathname, '/api/v1/chat/sessions/ses_1/messages/stream');
  assert.equal(calls[0]!.headers['accept'], 'text/event-stream');
  assert.deepEqual(calls[0]!.body, { content: 'Hello!' });
  assert.match(calls[0]!.headers['idempotency-key']!, /^[0-9a-f-]{36}$/);
});

test('stream: event fields are camelCase, with eventId; unknown usage counters kept under their wire names', async () => {
  const { client } = setup(sse({ chunks: RUN }));
  const events = await client.chat.sendMessageStream('ses_1', { content: 'x' }).toArray();
  assert.deepEqual(events[0], { type: 'execution', executionId: 'ex_1', userMessageId: 'msg_u', eventId: '1' });
  assert.deepEqual(events[3], { type: 'tool_end', id: 'call_1', name: 'search', summary: '3 results', eventId: '4' });
  assert.deepEqual(events[6], {
    type: 'done',
    output: 'Hello',
    outputText: 'Hello',
    tokenUsage: { promptTokens: 3, completionTokens: 2, totalTokens: 5, cachedTokens: 1, future_tokens: 9 },
    time: 0.5,
    eventId: '7',
  });
});

test('stream: nothing is sent until iteration starts', async () => {
  const { client, calls } = setup(sse({ chunks: RUN }));
  const stream = client.chat.sendMessageStream('ses_1', { content: 'x' });
  await Promise.resolve();
  assert.equal(calls.length, 0);
  await stream.toArray();
  assert.equal(calls.length, 1);
});

test('stream: finalResult() returns the done event (output and usage)', async () => {
  const { client } = setup(sse({ chunks: RUN }));
  const done = await client.chat.sendMessageStream('ses_1', { content: 'x' }).finalResult();
  assert.equal(done.type, 'done');
  assert.equal(done.output, 'Hello');
  assert.equal(done.tokenUsage?.totalTokens, 5);
});

test('stream: an error event is delivered as a value and ends the stream; finalResult() throws StreamError', async () => {
  const chunks = [RUN[0]!, frame(2, 'error', { message: 'The agent failed.', code: 'agent_error' }), frame(3, 'content', { content: 'never' })];
  const a = setup(sse({ chunks }));
  const events = await collect(a.client.chat.sendMessageStream('ses_1', { content: 'x' }));
  assert.deepEqual(events.map((e) => e.type), ['execution', 'error']);
  assert.deepEqual(events[1], { type: 'error', message: 'The agent failed.', code: 'agent_error', eventId: '2' });
  const b = setup(sse({ chunks }));
  const err = await b.client.chat.sendMessageStream('ses_1', { content: 'x' }).finalResult().catch((e: unknown) => e);
  assert.ok(err instanceof StreamError);
  assert.match(err.message, /The agent failed/);
  assert.equal((err.event as { type: string }).type, 'error');
});

test('stream: an unknown event name arrives as { type: "unknown" }', async () => {
  const { client } = setup(sse({ chunks: [RUN[0]!, frame(2, 'citation', '{"source": "x"}'), 'data: no name\n\n', ...RUN.slice(6)] }));
  const events = await collect(client.chat.sendMessageStream('ses_1', { content: 'x' }));
  assert.deepEqual(events[1], { type: 'unknown', event: 'citation', data: '{"source": "x"}', eventId: '2' });
  assert.deepEqual(events[2], { type: 'unknown', event: 'message', data: 'no name', eventId: undefined });
  assert.equal(events[3]!.type, 'done');
});

test('stream: malformed JSON in a known event raises StreamError carrying the data', async () => {
  const { client } = setup(sse({ chunks: [RUN[0]!, frame(2, 'content', '{"content": nope')] }));
  const err = await collect(client.chat.sendMessageStream('ses_1', { content: 'x' })).catch((e: unknown) => e);
  assert.ok(err instanceof StreamError);
  assert.equal(err.data, '{"content": nope');
});

test('stream: strict mode: a known event whose data does not match its schema raises StreamError', async () => {
  const f = fakeFetch(sse({ chunks: [RUN[0]!, frame(2, 'content', { content: 42 })] }));
  const { client } = testClient(f.fetch, { strictResponseValidation: true });
  await assert.rejects(collect(client.chat.sendMessageStream('ses_1', { content: 'x' })), /content.*expected string/);
});

test('stream: event data that is not a JSON object raises StreamError in both modes', async () => {
  for (const strict of [false, true]) {
    for (const data of ['[1, 2]', '"text"', '42', 'null']) {
      const f = fakeFetch(sse({ chunks: [RUN[0]!, frame(2, 'content', data)] }));
      const { client } = testClient(f.fetch, { strictResponseValidation: strict });
      const err = await collect(client.chat.sendMessageStream('ses_1', { content: 'x' })).catch((e: unknown) => e);
      assert.ok(err instanceof StreamError, `${data}, strict ${strict}`);
      assert.match(err.message, /not a JSON object/);
      assert.equal(err.data, data);
    }
  }
});

test('stream: break closes the connection (the response body is cancelled)', async () => {
  const cancelled = { value: false };
  const { client } = setup(sse({ chunks: RUN.slice(0, 3), then: 'hang', cancelled }));
  for await (const event of client.chat.sendMessageStream('ses_1', { content: 'x' })) {
    if (event.type === 'thinking') break;
  }
  assert.equal(cancelled.value, true);
});

test('stream: aborting the signal rejects with APIUserAbortError (cause: its reason) and closes the connection', async () => {
  const cancelled = { value: false };
  const { client, calls } = setup(sse({ chunks: RUN.slice(0, 2), then: 'hang', cancelled }));
  const controller = new AbortController();
  const seen: string[] = [];
  const err = await (async () => {
    for await (const event of client.chat.sendMessageStream('ses_1', { content: 'x' }, { signal: controller.signal })) {
      seen.push(event.type);
      if (event.type === 'thinking') controller.abort(new Error('stop'));
    }
  })().catch((e: unknown) => e);
  assert.ok(aborted(/stop/)(err));
  assert.deepEqual(seen, ['execution', 'thinking']);
  assert.equal(cancelled.value, true);
  assert.equal(calls.length, 1);
});

test('stream: abort() on the stream closes it too', async () => {
  const cancelled = { value: false };
  const { client } = setup(sse({ chunks: RUN.slice(0, 2), then: 'hang', cancelled }));
  const stream = client.chat.sendMessageStream('ses_1', { content: 'x' });
  const err = await (async () => {
    for await (const event of stream) if (event.type === 'thinking') stream.abort(new Error('closed by caller'));
  })().catch((e: unknown) => e);
  assert.ok(aborted(/closed by caller/)(err));
  assert.equal(cancelled.value, true);
});

test('stream: a stream can be iterated only once', async () => {
  const { client } = setup(sse({ chunks: RUN }));
  const stream = client.chat.sendMessageStream('ses_1', { content: 'x' });
  await stream.toArray();
  assert.throws(() => stream[Symbol.asyncIterator](), /only once/);
});

test('stream: an HTTP error on open is the typed status error', async () => {
  const a = setup(apiError(404, 'not_found', 'Chat session not found.'));
  await assert.rejects(collect(a.client.chat.sendMessageStream('nope', { content: 'x' })), NotFoundError);
  const b = setup(apiError(401, 'unauthorized', 'Bad key.'));
  await assert.rejects(b.client.executions.stream('ex_1').finalResult(), AuthenticationError);
});

test('stream: opening is retried with the same Idempotency-Key', async () => {
  const { client, calls, sleeps } = setup(apiError(503, 'x', 'x'), networkError(), sse({ chunks: RUN }));
  const events = await collect(client.chat.sendMessageStream('ses_1', { content: 'x' }));
  assert.equal(events.length, 7);
  assert.equal(calls.length, 3);
  assert.equal(new Set(calls.map((c) => c.headers['idempotency-key'])).size, 1);
  assert.deepEqual(sleeps, [500, 1000]);
});

test('resume: a cut after 3 frames resumes from the executions stream with Last-Event-ID, no loss, no duplicates', async () => {
  // The resumed stream replays frame 3 again: it must be skipped.
  const { client, calls, sleeps } = setup(sse({ chunks: RUN.slice(0, 3), then: 'error' }), sse({ chunks: RUN.slice(2) }));
  const events = await collect(client.chat.sendMessageStream('ses_1', { content: 'x' }));
  assert.deepEqual(events.map((e) => e.eventId), ['1', '2', '3', '4', '5', '6', '7']);
  assert.equal(calls.length, 2);
  assert.equal(calls[1]!.method, 'GET');
  assert.equal(calls[1]!.url.pathname, '/api/v1/executions/ex_1/stream');
  assert.equal(calls[1]!.headers['last-event-id'], '3');
  assert.equal(calls[1]!.headers['idempotency-key'], undefined);
  assert.deepEqual(sleeps, [500]);
});

test('resume: a clean end without a terminal event resumes too', async () => {
  const { client, calls } = setup(sse({ chunks: RUN.slice(0, 4) }), sse({ chunks: RUN.slice(4) }));
  const events = await collect(client.chat.sendMessageStream('ses_1', { content: 'x' }));
  assert.equal(events.length, 7);
  assert.equal(calls[1]!.headers['last-event-id'], '4');
});

test('resume: the attempt count resets whenever a frame arrives', async () => {
  const { client, calls } = setup(
    sse({ chunks: RUN.slice(0, 2), then: 'error' }),
    networkError(),
    sse({ chunks: RUN.slice(2, 4), then: 'error' }),
    networkError(),
    sse({ chunks: RUN.slice(4, 5), then: 'error' }),
    apiError(503, 'x', 'x'),
    sse({ chunks: RUN.slice(5) }),
  );
  const events = await collect(client.chat.sendMessageStream('ses_1', { content: 'x' }));
  assert.equal(events.length, 7);
  assert.equal(calls.length, 7);
  assert.deepEqual(calls.slice(1).map((c) => c.headers['last-event-id']), ['2', '2', '4', '4', '5', '5']);
});

test('resume: when reconnects run out, APIConnectionError', async () => {
  const { client, calls } = setup(sse({ chunks: RUN.slice(0, 2), then: 'error' }), networkError());
  const seen: string[] = [];
  const err = await (async () => {
    for await (const e of client.chat.sendMessageStream('ses_1', { content: 'x' })) seen.push(e.type);
  })().catch((e: unknown) => e);
  assert.ok(err instanceof APIConnectionError);
  assert.deepEqual(seen, ['execution', 'thinking']);
  assert.equal(calls.length, 3);
});

test('resume: a server that keeps closing cleanly without a terminal event ends in StreamError', async () => {
  const { client, calls } = setup(sse({ chunks: RUN.slice(0, 2) }), sse({ chunks: [] }));
  await assert.rejects(collect(client.chat.sendMessageStream('ses_1', { content: 'x' })), /without a terminal event/);
  assert.equal(calls.length, 3);
});

test('resume: a non-retryable status on resume is raised as is', async () => {
  const { client } = setup(sse({ chunks: RUN.slice(0, 2), then: 'error' }), apiError(404, 'not_found', 'gone'));
  await assert.rejects(collect(client.chat.sendMessageStream('ses_1', { content: 'x' })), NotFoundError);
});

test('resume: a drop before any event re-sends the request with the same Idempotency-Key', async () => {
  const { client, calls } = setup(sse({ chunks: [], then: 'error' }), sse({ chunks: RUN }));
  const events = await collect(client.chat.sendMessageStream('ses_1', { content: 'x' }));
  assert.equal(events.length, 7);
  assert.equal(calls[1]!.method, 'POST');
  assert.equal(calls[0]!.headers['idempotency-key'], calls[1]!.headers['idempotency-key']);
});

test('resume: without an execution event there is nothing to resume from: the error is raised', async () => {
  const { client, calls } = setup(sse({ chunks: [frame(1, 'content', { content: 'a' })], then: 'error' }), sse({ chunks: RUN }));
  await assert.rejects(collect(client.chat.sendMessageStream('ses_1', { content: 'x' })), APIConnectionError);
  assert.equal(calls.length, 1);
});

test('idle timeout: a silent stream times out and resumes, never early and about 1/16 late at most; out of attempts it is APITimeoutError', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  // The timeout samples on a timer it re-arms; a mocked tick runs only timers due before it
  // starts, so time moves a millisecond per tick.
  const advance = (ms: number) => {
    for (let i = 0; i < ms; i++) t.mock.timers.tick(1);
  };
  const setup = (...handlers: Handler[]) => {
    const f = fakeFetch(...handlers);
    return { client: testClient(f.fetch).client, calls: f.calls };
  };
  const { client, calls } = setup(sse({ chunks: RUN.slice(0, 2), then: 'hang' }), sse({ chunks: RUN.slice(2) }));
  const stream = client.chat.sendMessageStream('ses_1', { content: 'x' }, { timeout: 1000 });
  const it = stream[Symbol.asyncIterator]();
  assert.equal((await it.next()).value?.type, 'execution');
  assert.equal((await it.next()).value?.type, 'thinking');
  const pending = it.next();
  let settled = false;
  void pending.then(() => (settled = true), () => (settled = true));
  await new Promise((resolve) => setImmediate(resolve));
  advance(999);
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(settled, false, 'the idle timeout fired early');
  assert.equal(calls.length, 1);
  advance(100); // one sample (1000 / 16 ms) late at most, plus a millisecond of drift per sample
  assert.equal((await pending).value?.type, 'tool_start');
  assert.equal(calls[1]!.headers['last-event-id'], '2');

  const b = setup(sse({ chunks: RUN.slice(0, 1), then: 'hang' }));
  const it2 = b.client.chat.sendMessageStream('ses_1', { content: 'x' }, { timeout: 1000, maxRetries: 1 })[Symbol.asyncIterator]();
  await it2.next();
  const failing = it2.next();
  for (let i = 0; i < 2; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    advance(1100);
  }
  await assert.rejects(failing, APITimeoutError);
  assert.equal(b.calls.length, 2);
});

test('executions.stream: sends Last-Event-ID when given and subscribes to the run', async () => {
  const { client, calls } = setup(sse({ chunks: RUN.slice(4) }));
  const events = await collect(client.executions.stream('ex_1', { lastEventId: '4' }));
  assert.deepEqual(events.map((e) => e.eventId), ['5', '6', '7']);
  assert.equal(calls[0]!.url.pathname, '/api/v1/executions/ex_1/stream');
  assert.equal(calls[0]!.headers['last-event-id'], '4');
  assert.equal(calls[0]!.method, 'GET');
});

test('stream: CRLF and byte-split frames from the network still dispatch', async () => {
  const bytes = new TextEncoder().encode(RUN.join('').replace(/\n/g, '\r\n'));
  const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.slice(i * 7, i * 7 + 7));
  const { client } = setup(sse({ chunks }));
  const events = await collect(client.chat.sendMessageStream('ses_1', { content: 'x' }));
  assert.equal(events.length, 7);
});

test('resume: the execution id comes from the first event that carries it, not from the first event', async () => {
  // Before `execution`: an unknown event without an id, then a known event lacking the resume fields.
  const first = [
    'event: citation\ndata: {"x":1}\n\n',
    frame(1, 'thinking', { content: 'Hmm.' }),
    frame(2, 'execution', { execution_id: 'ex_9', user_message_id: 'msg_u' }),
    frame(3, 'content', { content: 'a' }),
  ];
  const done = frame(5, 'done', { output: 'ab', token_usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }, time: 0.1 });
  const { client, calls } = setup(
    sse({ chunks: first, then: 'error' }),
    sse({ chunks: [frame(3, 'content', { content: 'a' }), frame(4, 'content', { content: 'b' }), done] }),
  );
  const events = await collect(client.chat.sendMessageStream('ses_1', { content: 'x' }));
  assert.deepEqual(events.map((e) => e.type), ['unknown', 'thinking', 'execution', 'content', 'content', 'done']);
  assert.deepEqual(events.map((e) => e.eventId), [undefined, '1', '2', '3', '4', '5']);
  assert.equal(calls.length, 2);
  assert.equal(calls[1]!.method, 'GET');
  assert.equal(calls[1]!.url.pathname, '/api/v1/executions/ex_9/stream');
  assert.equal(calls[1]!.headers['last-event-id'], '3');
});

test('resume: a cut before any event carrying the execution id still raises (nothing to resume from)', async () => {
  const { client, calls } = setup(
    sse({ chunks: ['event: citation\ndata: {}\n\n', frame(1, 'thinking', { content: 'Hmm.' })], then: 'error' }),
    sse({ chunks: RUN }),
  );
  await assert.rejects(collect(client.chat.sendMessageStream('ses_1', { content: 'x' })), APIConnectionError);
  assert.equal(calls.length, 1);
});

test('resume: a frame without an id has eventId undefined, is never skipped as a repeat, and Last-Event-ID keeps the last id seen', async () => {
  const citation = frame(null, 'citation', '{"x":1}');
  const done = frame(4, 'done', { output: 'abc', token_usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }, time: 0.1 });
  const { client, calls } = setup(
    // The id-less frame follows frame 2: it must not inherit id 2 (and be skipped as its repeat).
    sse({ chunks: [RUN[0]!, frame(2, 'content', { content: 'a' }), citation], then: 'error' }),
    // On resume: frame 2 is replayed (skipped); the id-less frames, even identical ones, are delivered.
    sse({ chunks: [frame(2, 'content', { content: 'a' }), citation, citation, frame(3, 'content', { content: 'b' }), frame(null, 'content', { content: 'c' })], then: 'error' }),
    sse({ chunks: [done] }),
  );
  const events = await collect(client.chat.sendMessageStream('ses_1', { content: 'x' }));
  assert.deepEqual(
    events.map((e) => [e.type, e.eventId]),
    [
      ['execution', '1'],
      ['content', '2'],
      ['unknown', undefined],
      ['unknown', undefined],
      ['unknown', undefined],
      ['content', '3'],
      ['content', undefined],
      ['done', '4'],
    ],
  );
  assert.deepEqual(events[2], { type: 'unknown', event: 'citation', data: '{"x":1}', eventId: undefined });
  assert.equal(calls.length, 3);
  assert.deepEqual(calls.slice(1).map((c) => [c.url.pathname, c.headers['last-event-id']]), [
    ['/api/v1/executions/ex_1/stream', '2'],
    ['/api/v1/executions/ex_1/stream', '3'],
  ]);
});

test('stream: several frames in one chunk: a malformed one raises StreamError after the events before it', async () => {
  const chunk = RUN[0]! + frame(2, 'content', { content: 'a' }) + frame(3, 'content', { content: 7 }) + frame(4, 'content', { content: 'b' });
  const f = fakeFetch(sse({ chunks: [chunk] }));
  const { client } = testClient(f.fetch, { strictResponseValidation: true });
  const seen: (string | undefined)[] = [];
  const err = await (async () => {
    for await (const e of client.chat.sendMessageStream('ses_1', { content: 'x' })) seen.push(e.eventId);
  })().catch((e: unknown) => e);
  assert.ok(err instanceof StreamError);
  assert.match(err.message, /a `content` event does not match the contract at \$\.content: expected string, got a number/);
  assert.deepEqual(seen, ['1', '2']);
});

test('stream: a terminal event in the middle of a chunk ends the stream there', async () => {
  const chunk = RUN.slice(0, 2).join('') + RUN[6]! + frame(8, 'content', { content: 'late' });
  const { client } = setup(sse({ chunks: [chunk] }));
  const events = await collect(client.chat.sendMessageStream('ses_1', { content: 'x' }));
  assert.deepEqual(events.map((e) => e.type), ['execution', 'thinking', 'done']);
});

test('stream: next() calls made without waiting are answered in order', async () => {
  const { client } = setup(sse({ chunks: [RUN.slice(0, 3).join(''), ...RUN.slice(3)] }));
  const it = client.chat.sendMessageStream('ses_1', { content: 'x' })[Symbol.asyncIterator]();
  const results = await Promise.all(Array.from({ length: 9 }, () => it.next()));
  assert.deepEqual(results.map((r) => (r.done ? 'end' : r.value.eventId)), ['1', '2', '3', '4', '5', '6', '7', 'end', 'end']);
});

test('resume: ids that are not increasing integers are de-duplicated exactly', async () => {
  // Out of order, a gap, leading zeros ('007' is not '7'), and non-numeric ids.
  const ids = ['1', '5', '3', '007', 'a'];
  const first = ids.map((id, i) => (i === 0 ? RUN[0]!.replace('id: 1', `id: ${id}`) : `id: ${id}\nevent: content\ndata: {"content":"${id}"}\n\n`));
  const replay = ['3', '7', '007', 'a', '4', '2'].map((id) => `id: ${id}\nevent: content\ndata: {"content":"${id}"}\n\n`);
  const done = frame(9, 'done', { output: 'x', token_usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }, time: 0.1 });
  const { client, calls } = setup(sse({ chunks: [first.join('')], then: 'error' }), sse({ chunks: [replay.join('') + done] }));
  const events = await collect(client.chat.sendMessageStream('ses_1', { content: 'x' }));
  assert.deepEqual(events.map((e) => e.eventId), ['1', '5', '3', '007', 'a', '7', '4', '2', '9']);
  assert.equal(calls[1]!.headers['last-event-id'], 'a');
});

/** Wait (polling, up to 10 s) for a state a correct stream reaches promptly. */
async function eventually(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('lifecycle: after the terminal event the rest of the body is read to its end (kept for reuse), not cancelled', async () => {
  const cancelled = { value: false };
  const { client } = setup(sse({ chunks: [...RUN, ': bye\n\n'], cancelled }));
  for await (const event of client.chat.sendMessageStream('ses_1', { content: 'x' })) if (event.type === 'done') break;
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(cancelled.value, false);
});

test('lifecycle: a server still talking after the terminal event is cut after 64 KiB', async () => {
  const cancelled = { value: false };
  const noise = Array.from({ length: 100 }, () => `: ${'n'.repeat(1024)}\n`);
  const { client } = setup(sse({ chunks: [...RUN, ...noise], then: 'hang', cancelled }));
  assert.equal((await client.chat.sendMessageStream('ses_1', { content: 'x' }).finalResult()).type, 'done');
  await eventually('the body is cancelled', () => cancelled.value);
});

test('lifecycle: a server silent after the terminal event is cut after min(timeout, 1 s)', async () => {
  const cancelled = { value: false };
  const { client } = setup(sse({ chunks: RUN, then: 'hang', cancelled }));
  const events = await client.chat.sendMessageStream('ses_1', { content: 'x' }, { timeout: 30 }).toArray();
  assert.equal(events.at(-1)?.type, 'done');
  await eventually('the body is cancelled', () => cancelled.value);
});

test('lifecycle: abort() drops the events already buffered: the next call rejects', async () => {
  const { client } = setup(sse({ chunks: [RUN.slice(0, 4).join('')], then: 'hang' }));
  const stream = client.chat.sendMessageStream('ses_1', { content: 'x' });
  const it = stream[Symbol.asyncIterator]();
  assert.equal((await it.next()).value?.type, 'execution');
  stream.abort(new Error('enough'));
  await assert.rejects(it.next(), aborted(/enough/));
  assert.deepEqual(await it.next(), { value: undefined, done: true });
});

test('delivered ids: a long stream of increasing ids is one run, however long; repeats are found', async () => {
  const { DeliveredIds } = await import('../src/core/streaming.js');
  const ids = new DeliveredIds();
  for (let i = 1; i <= 1_000_000; i++) assert.equal(ids.add(String(i)), true);
  assert.equal(ids.entries, 1);
  assert.equal(ids.add('1'), false);
  assert.equal(ids.add('999999'), false);
  // Gaps start new runs; filling a gap later is kept apart (exact, never approximate).
  assert.equal(ids.add('1000005'), true);
  assert.equal(ids.add('1000006'), true);
  assert.equal(ids.entries, 2);
  assert.equal(ids.add('1000002'), true);
  assert.equal(ids.add('1000002'), false);
  assert.equal(ids.add('01'), true);
  assert.equal(ids.add('ev-1'), true);
  assert.equal(ids.add('ev-1'), false);
  assert.equal(ids.entries, 5);
});

test('stream: a chunk of many KiB is decoded a piece at a time: every event in order, characters split across pieces intact, nothing read past the terminal event', async () => {
  const words = Array.from({ length: 2000 }, (_, i) => `wörd ${i} ✓😀 `);
  const frames = words.map((w, i) => frame(i + 2, 'content', { content: w }));
  const done = frame(words.length + 2, 'done', { output: words.join(''), token_usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }, time: 0.1 });
  const chunk = RUN[0]! + frames.join('') + done + frame(9999, 'content', { content: 'after the end' });
  assert.ok(new TextEncoder().encode(chunk).length > 4 * 16 * 1024);
  const { client, calls } = setup(sse({ chunks: [chunk], then: 'error' }));
  const events = await collect(client.chat.sendMessageStream('ses_1', { content: 'x' }));
  assert.equal(events.length, words.length + 2);
  assert.deepEqual(events.map((e) => e.eventId), Array.from({ length: words.length + 2 }, (_, i) => String(i + 1)));
  const text = events.flatMap((e) => (e.type === 'content' ? [e.content] : [])).join('');
  assert.equal(text, words.join(''));
  assert.equal(events.at(-1)?.type, 'done');
  assert.equal(calls.length, 1);
});

test('stream: a malformed frame deep in a large chunk raises StreamError after every event before it', async () => {
  const frames = Array.from({ length: 300 }, (_, i) => frame(i + 2, 'content', { content: `w${i} ` }));
  const chunk = RUN[0]! + frames.join('') + frame(302, 'content', '{"content": nope}') + frame(303, 'content', { content: 'never' });
  const { client } = setup(sse({ chunks: [chunk] }));
  const seen: string[] = [];
  const err = await (async () => {
    for await (const e of client.chat.sendMessageStream('ses_1', { content: 'x' })) seen.push(e.eventId!);
  })().catch((e: unknown) => e);
  assert.ok(err instanceof StreamError);
  assert.equal(seen.length, 301);
  assert.equal(seen.at(-1), '301');
});

test('lifecycle: abort() between the pieces of a large chunk drops the rest: the next call rejects', async () => {
  const frames = Array.from({ length: 300 }, (_, i) => frame(i + 2, 'content', { content: `w${i} ` }));
  const { client } = setup(sse({ chunks: [RUN[0]! + frames.join('')], then: 'hang' }));
  const stream = client.chat.sendMessageStream('ses_1', { content: 'x' });
  const it = stream[Symbol.asyncIterator]();
  assert.equal((await it.next()).value?.type, 'execution');
  assert.equal((await it.next()).value?.type, 'content');
  stream.abort(new Error('enough'));
  await assert.rejects(it.next(), aborted(/enough/));
  assert.deepEqual(await it.next(), { value: undefined, done: true });
});

test('stream: a large chunk of CRLF frames and a line longer than a piece: every event intact', async () => {
  const long = 'ü'.repeat(40_000);
  const crlf = (id: number, content: string) => `id: ${id}\r\nevent: content\r\ndata: ${JSON.stringify({ content })}\r\n\r\n`;
  const frames = [crlf(2, 'a'), crlf(3, long), ...Array.from({ length: 1000 }, (_, i) => crlf(i + 4, `w${i}`))];
  const done = frame(1004, 'done', { output: 'x', token_usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }, time: 0.1 });
  const { client } = setup(sse({ chunks: [RUN[0]! + frames.join('') + done] }));
  const events = await collect(client.chat.sendMessageStream('ses_1', { content: 'x' }));
  assert.equal(events.length, 1004);
  assert.deepEqual(events.map((e) => e.eventId), Array.from({ length: 1004 }, (_, i) => String(i + 1)));
  const second = events[2]!;
  assert.equal(second.type === 'content' ? second.content : undefined, long);
  assert.equal(events.at(-1)?.type, 'done');
});
