/**
 * Every stream style of the corpus, each in its owners' own framing, from a stub fetch (and one
 * real socket): typed events, a clean end (`[DONE]`, a terminal event, the connection closing),
 * and what `untilDone()` gathers (text, output, usage).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as openai from '../sdks/openai-chat/src/index.js';
import * as anthropic from '../sdks/anthropic-messages/src/index.js';
import * as streams from '../sdks/oas32-itemschema/src/index.js';
import * as notebook from '../sdks/notebook/src/index.js';
import * as ours from '../sdks/openapi/src/index.js';
import * as adversarial from '../sdks/adversarial/src/index.js';
import { fakeFetch, frame, json, quick, server, sse, bytes } from './helpers.js';

// -- OpenAI: data-only chunks ended by `data: [DONE]`, JSON or SSE by the body's `stream` -------

const chunk = (content: string | null, extra: Record<string, unknown> = {}) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'gpt-4o',
  choices: [{ index: 0, delta: content === null ? { role: 'assistant' } : { content }, finish_reason: null }],
  ...extra,
});
const USAGE = { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 };
const OPENAI_FRAMES = [
  `data: ${JSON.stringify(chunk(null))}\n\n`,
  `data: ${JSON.stringify(chunk('Hel'))}\n\n`,
  `data: ${JSON.stringify(chunk('lo'))}\n\n`,
  `data: ${JSON.stringify({ ...chunk(null), choices: [], usage: USAGE })}\n\n`,
  'data: [DONE]\n\n',
];

test('openai: a chat completion stream ends cleanly at [DONE], with its text and usage', async () => {
  const f = fakeFetch(sse({ chunks: OPENAI_FRAMES }));
  const client = new openai.OpenAi({ apiKey: 'sk-openai', baseUrl: 'http://api.test/v1', ...quick(f.fetch) });
  const stream = client.chat.createChatCompletionStream({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] });
  const result = await stream.untilDone();
  assert.equal(result.text, 'Hello');
  assert.deepEqual(result.usage, { promptTokens: 9, completionTokens: 3, totalTokens: 12 });
  assert.equal(result.terminal, undefined);
  assert.equal(result.events.length, 4);
  const first = result.events[0]!;
  assert.equal(first.type, 'message');
  if (first.type === 'message') assert.equal(first.choices[0]?.delta.role, 'assistant');
  const call = f.calls[0]!;
  assert.equal(call.url.pathname, '/v1/chat/completions');
  assert.equal(call.headers['authorization'], 'Bearer sk-openai');
  assert.equal(call.headers['accept'], 'text/event-stream');
  assert.deepEqual(call.body, { messages: [{ role: 'user', content: 'Hi' }], model: 'gpt-4o', stream: true });
});

test('openai: the same operation without streaming sends stream: false and reads the JSON', async () => {
  const completion = {
    id: 'chatcmpl-2', object: 'chat.completion', created: 2, model: 'gpt-4o',
    choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'Hi!', refusal: null }, logprobs: null }],
    usage: USAGE,
  };
  const f = fakeFetch(json(200, completion));
  const client = new openai.OpenAi({ apiKey: 'sk', baseUrl: 'http://api.test', ...quick(f.fetch) });
  const reply = await client.chat.createChatCompletion({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }], maxCompletionTokens: 5 });
  assert.equal(reply.choices[0]?.message.content, 'Hi!');
  assert.equal(reply.usage?.totalTokens, 12);
  assert.deepEqual(f.calls[0]!.body, { messages: [{ role: 'user', content: 'Hi' }], model: 'gpt-4o', max_completion_tokens: 5, stream: false });
  assert.equal(f.calls[0]!.headers['accept'], 'application/json');
});

test('openai: a stream cut before [DONE] is an error the caller sees (no resume route)', async () => {
  const f = fakeFetch(sse({ chunks: OPENAI_FRAMES.slice(0, 3) }));
  const client = new openai.OpenAi({ apiKey: 'sk', baseUrl: 'http://api.test', ...quick(f.fetch) });
  const seen: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const event of client.chat.createChatCompletionStream({ model: 'm', messages: [] })) seen.push(event.type);
    })(),
    openai.StreamError,
  );
  assert.equal(seen.length, 3);
  assert.equal(f.calls.length, 1);
});

test('openai: a chat completion stream over a real socket', async () => {
  const srv = await server((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'x-request-id': 'req_sock' });
    for (const f of OPENAI_FRAMES) res.write(f);
    res.end();
  });
  try {
    const client = new openai.OpenAi({ apiKey: 'sk-sock', baseUrl: srv.url });
    const stream = client.chat.createChatCompletionStream({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] });
    const result = await stream.untilDone();
    assert.equal(result.text, 'Hello');
    assert.equal(result.usage?.totalTokens, 12);
    assert.equal(stream._request_id, 'req_sock');
    assert.equal(srv.requests[0]!.headers['authorization'], 'Bearer sk-sock');
    assert.equal(JSON.parse(srv.requests[0]!.body).stream, true);
  } finally {
    await srv.close();
  }
});

test('openai: speech as audio bytes, or as events told apart by their `type`', async () => {
  const audio = new Uint8Array([1, 2, 3, 255]);
  const f = fakeFetch(
    bytes(200, audio, 'audio/mpeg'),
    sse({
      chunks: [
        frame(null, { type: 'speech.audio.delta', audio: 'AAA=' }),
        frame(null, { type: 'speech.audio.delta', audio: 'BBB=' }),
        frame(null, { type: 'speech.audio.done', usage: { input_tokens: 4, output_tokens: 8, total_tokens: 12 } }),
      ],
    }),
  );
  const client = new openai.OpenAi({ apiKey: 'sk', baseUrl: 'http://api.test', ...quick(f.fetch) });
  const got = await client.audio.createSpeech({ model: 'tts-1', input: 'Hi', voice: 'alloy' });
  assert.deepEqual([...got], [...audio]);
  assert.equal(f.calls[0]!.headers['accept'], 'application/octet-stream');
  assert.equal((f.calls[0]!.body as Record<string, unknown>)['stream_format'], 'audio');
  const result = await client.audio.createSpeechStream({ model: 'tts-1', input: 'Hi', voice: 'alloy' }).untilDone();
  assert.deepEqual(result.events.map((e) => e.type), ['speech.audio.delta', 'speech.audio.delta', 'speech.audio.done']);
  assert.equal(result.terminal?.type, 'speech.audio.done');
  assert.equal(result.usage?.totalTokens, 12);
  assert.equal((f.calls[1]!.body as Record<string, unknown>)['stream_format'], 'sse');
});

// -- Anthropic: `event:` names, and the same name as `type` inside every data object ----------

const anthropicFrame = (data: Record<string, unknown>) => frame(data['type'] as string, data);
const ANTHROPIC_FRAMES = [
  anthropicFrame({
    type: 'message_start',
    message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude', content: [], stop_reason: null, stop_sequence: null,
      usage: { input_tokens: 10, output_tokens: 1, cache_creation_input_tokens: null, cache_read_input_tokens: null } },
  }),
  anthropicFrame({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  anthropicFrame({ type: 'ping' }),
  anthropicFrame({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } }),
  anthropicFrame({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: ' world' } }),
  anthropicFrame({ type: 'content_block_stop', index: 0 }),
  anthropicFrame({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null },
    usage: { output_tokens: 15, input_tokens: null, cache_creation_input_tokens: null, cache_read_input_tokens: null } }),
  anthropicFrame({ type: 'message_stop' }),
];

test('anthropic: events by their type, text deltas through a union, usage, message_stop ends it', async () => {
  const f = fakeFetch(sse({ chunks: [ANTHROPIC_FRAMES.join('')] }));
  const client = new anthropic.Anthropic({ apiKey: 'sk-ant', baseUrl: 'http://api.test', ...quick(f.fetch) });
  const stream = client.messages.messagesPostStream({ model: 'claude', maxTokens: 64, messages: [{ role: 'user', content: 'Hi' }] });
  const seen: string[] = [];
  let text = '';
  for await (const event of stream) {
    seen.push(event.type);
    if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    if (event.type === 'message_start') assert.equal(event.message.usage.inputTokens, 10);
  }
  assert.equal(text, 'Hello world');
  assert.deepEqual(seen, ['message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
  assert.equal(f.calls[0]!.headers['x-api-key'], 'sk-ant');
  assert.equal((f.calls[0]!.body as Record<string, unknown>)['stream'], true);
  assert.equal((f.calls[0]!.body as Record<string, unknown>)['max_tokens'], 64);

  const again = fakeFetch(sse({ chunks: ANTHROPIC_FRAMES }));
  const result = await new anthropic.Anthropic({ apiKey: 'k', baseUrl: 'http://api.test', ...quick(again.fetch) }).messages
    .messagesPostStream({ model: 'claude', maxTokens: 8, messages: [] })
    .untilDone();
  assert.equal(result.text, 'Hello world');
  assert.equal(result.usage?.outputTokens, 15);
  assert.equal(result.terminal?.type, 'message_stop');
});

test('anthropic: an error event ends the stream and the aggregating helpers throw StreamError with it', async () => {
  const error = anthropicFrame({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' }, request_id: null });
  const f = fakeFetch(sse({ chunks: [ANTHROPIC_FRAMES[0]!, error, ANTHROPIC_FRAMES[3]!] }));
  const client = new anthropic.Anthropic({ apiKey: 'k', baseUrl: 'http://api.test', ...quick(f.fetch) });
  const err = await client.messages.messagesPostStream({ model: 'c', maxTokens: 1, messages: [] }).untilDone().catch((e: unknown) => e);
  assert.ok(err instanceof anthropic.StreamError);
  assert.match(err.message, /Overloaded/);
  assert.equal((err.event as { type: string }).type, 'error');
});

test('anthropic: an unknown type is an UnknownEvent; data without a type cannot be dispatched', async () => {
  const f = fakeFetch(
    sse({ chunks: [anthropicFrame({ type: 'brand_new', x: 1 }), ANTHROPIC_FRAMES[7]!] }),
    sse({ chunks: [frame('message_start', { no_type: true })] }),
  );
  const client = new anthropic.Anthropic({ apiKey: 'k', baseUrl: 'http://api.test', ...quick(f.fetch) });
  const events = await client.messages.messagesPostStream({ model: 'c', maxTokens: 1, messages: [] }).toArray();
  assert.deepEqual(events[0], { type: 'unknown', event: 'brand_new', data: '{"type":"brand_new","x":1}', eventId: undefined });
  assert.equal(events[1]!.type, 'message_stop');
  const err = await client.messages.messagesPostStream({ model: 'c', maxTokens: 1, messages: [] }).toArray().catch((e: unknown) => e);
  assert.ok(err instanceof anthropic.StreamError);
  assert.match(err.message, /no event name to dispatch on/);
});

test('anthropic: strict mode checks that a frame\'s event: name matches its type', async () => {
  const f = fakeFetch(sse({ chunks: [frame('message_stop', { type: 'ping' })] }));
  const client = new anthropic.Anthropic({ apiKey: 'k', baseUrl: 'http://api.test', strictResponseValidation: true, ...quick(f.fetch) });
  const err = await client.messages.messagesPostStream({ model: 'c', maxTokens: 1, messages: [] }).toArray().catch((e: unknown) => e);
  assert.ok(err instanceof anthropic.StreamError);
  assert.ok(err.cause instanceof anthropic.APIResponseValidationError);
});

// -- OpenAPI 3.2 itemSchema: text and JSON data, ended by the connection closing ---------------

test('itemSchema: text events and JSON events, the text joined, a clean end at EOF', async () => {
  const f = fakeFetch(sse({
    chunks: [frame('addString', 'Hello, '), frame('addInt64', '42'), frame('addJson', { foo: 7 }), frame('addString', 'world\nagain')],
  }));
  const client = new streams.Streams({ baseUrl: 'http://api.test', ...quick(f.fetch) });
  const result = await client.events.streamTypedData().untilDone();
  assert.deepEqual(result.events.map((e) => e.type), ['addString', 'addInt64', 'addJson', 'addString']);
  assert.equal(result.text, 'Hello, world\nagain');
  const json_ = result.events[2]!;
  assert.ok(json_.type === 'addJson' && json_.foo === 7);
  assert.equal(f.calls[0]!.headers['authorization'], undefined);
});

test('itemSchema: a single-event stream of JSON items, and unions by event name', async () => {
  const todo = (id: number) => frame(null, { id, title: `t${id}`, isComplete: id % 2 === 0 });
  const f = fakeFetch(
    sse({ chunks: [todo(1), todo(2)] }),
    sse({ chunks: [frame('Kitten', { name: 'Tom', meows: true }), frame('Puppy', { name: 'Rex', barks: true })] }),
  );
  const client = new streams.Streams({ baseUrl: 'http://api.test', ...quick(f.fetch) });
  const todos = await client.todos.streamTodos().toArray();
  assert.deepEqual(todos, [
    { type: 'message', id: 1, title: 't1', isComplete: false, eventId: undefined },
    { type: 'message', id: 2, title: 't2', isComplete: true, eventId: undefined },
  ]);
  const pets = await client.todos.streamPets().toArray();
  assert.deepEqual(pets.map((e) => e.type), ['Kitten', 'Puppy']);
  assert.ok(pets[0]!.type === 'Kitten' && typeof pets[0]!.data === 'object');
});

// -- Ours: event-named frames, terminal events, resume by a carrier event -----------------------

test('ours: the reply stream, output text and usage, and resume from the carrier event', async () => {
  const f = fakeFetch(
    sse({
      chunks: [
        frame('execution', { execution_id: 'ex_1', user_message_id: 'm' }, 1),
        frame('content', { content: 'Hel' }, 2),
      ],
      then: 'error',
    }),
    sse({ chunks: [frame('content', { content: 'Hel' }, 2), frame('content', { content: 'lo' }, 3), frame('done', { output: { content: 'Hello' }, token_usage: { total_tokens: 5 } }, 4)] }),
  );
  const client = new ours.PromptRails({ apiKey: 'k', baseUrl: 'http://api.test', ...quick(f.fetch) });
  const result = await client.chat.sendMessageStream('ses_1', { content: 'Hi' }).untilDone();
  assert.equal(result.text, 'Hello');
  assert.equal(result.outputText, 'Hello');
  assert.deepEqual(result.output, { content: 'Hello' });
  assert.equal(result.usage?.totalTokens, 5);
  assert.equal(result.terminal?.type, 'done');
  assert.equal(f.calls[1]!.url.pathname, '/api/v1/executions/ex_1/stream');
  assert.equal(f.calls[1]!.method, 'GET');
  assert.equal(f.calls[1]!.headers['last-event-id'], '2');
  assert.equal(f.calls[1]!.headers['x-api-key'], 'k');
});

test('notebook: a failure event ends the stream; finalResult throws with it', async () => {
  const f = fakeFetch(sse({ chunks: [frame('started', { note_id: 'n1' }), frame('failed', { message: 'no luck' })] }));
  const client = new notebook.Notebook({ apiKey: 'nb', baseUrl: 'http://api.test', ...quick(f.fetch) });
  const err = await client.notes.summarizeNote('n1').finalResult().catch((e: unknown) => e);
  assert.ok(err instanceof notebook.StreamError);
  assert.match(err.message, /no luck/);
});

// -- Adversarial: event names that are payloads, an event named `unknown` --------------------------

test('adversarial: events named like code decode to their own types; a known `unknown` event is not an UnknownEvent', async () => {
  const payload = adversarial.FramesSpec.def.events.at(-1)!.name;
  assert.ok(payload.includes('${process.exit(1)}'));
  const f = fakeFetch(sse({
    chunks: [
      frame('execution', { execution_id: 'ex_9', type: 't', eventId: 'e', event: 'v', EventID: 'x', event_id: 'y' }, 1),
      frame(payload.replace(/\n/g, ''), { execution_id: 'ex_9' }, 2),
      frame('class', { execution_id: 'ex_9' }, 3),
      frame('brand new', {}, 4),
      frame('done */', { execution_id: 'ex_9' }, 5),
    ],
  }));
  const client = new adversarial.StreamClient({ apiKey: 'q', baseUrl: 'http://api.test', ...quick(f.fetch) });
  const events = await client.tagDrop.streamEvents('ex_9').toArray();
  const first = events[0]!;
  assert.ok(first.type === 'execution');
  assert.equal(first.executionId, 'ex_9');
  assert.equal(first.type2, 't');
  assert.equal(first.eventId2, 'e');
  assert.equal(first.eventId, '1');
  // A name with a line break cannot be sent in an `event:` line: that frame is another name.
  assert.deepEqual(events.map((e) => e.type), ['execution', 'unknown', 'class', 'unknown', 'done */']);
  assert.equal(f.calls[0]!.url.searchParams.get('api_key */'), 'q');
  const failure = fakeFetch(sse({ chunks: [frame('unknown', { execution_id: 'ex_9' }, 1)] }));
  const err = await new adversarial.StreamClient({ apiKey: 'q', baseUrl: 'http://api.test', ...quick(failure.fetch) }).tagDrop
    .streamEvents('ex_9')
    .untilDone()
    .catch((e: unknown) => e);
  assert.ok(err instanceof adversarial.StreamError, String(err));
});
