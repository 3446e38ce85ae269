// Conformance driver for the TypeScript SDK (@promptrails/sdk, the built typescript-sdk/dist).
//
// Reads one JSON request per line on stdin, calls the SDK, writes one JSON answer per line
// on stdout (protocol: conformance-tests/CONFORMANCE.md). No assertions: it only maps
// language-neutral operations to SDK calls and puts outcomes in wire form, using the SDK's
// own model shape tables (`Model.toWire`) for that.

import { readFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const sdkDir = resolve(here, '../../../typescript-sdk');
const pkg = JSON.parse(readFileSync(resolve(sdkDir, 'package.json'), 'utf8'));
const entry = pkg.exports?.['.']?.import?.default ?? pkg.exports?.['.']?.import ?? pkg.module ?? pkg.main;
const sdk = await import(pathToFileURL(resolve(sdkDir, entry)).href);

const {
  PromptRails,
  APIStatusError,
  APITimeoutError,
  APIConnectionError,
  StreamError,
  InvalidArgumentError,
  PromptRailsError,
} = sdk;
// Strict response validation (RUNTIME.md, "Reading responses"): its error class.
const { APIResponseValidationError, ChatStreamFrameSpec } = sdk;

class DriverProblem extends Error {}

// The wire shape of each operation's result, and of each event's data.
const RESULT_MODEL = {
  'chat.create_session': 'ChatSession',
  'chat.get_session': 'ChatSession',
  'chat.update_session': 'ChatSession',
  'chat.list_sessions': 'ChatSession',
  'chat.list_sessions.all': 'ChatSession',
  'chat.list_messages': 'ChatMessage',
  'chat.list_messages.all': 'ChatMessage',
  'chat.send_message': 'ChatReply',
  'chat.submit_feedback': 'Feedback',
  'executions.list': 'Execution',
  'executions.list.all': 'Execution',
  'executions.cancel': 'Execution',
  'executions.get': 'Execution',
};

function shape(name) {
  const model = sdk[name];
  if (!model || typeof model.toWire !== 'function') throw new DriverProblem(`the SDK exports no shape ${name}`);
  return model;
}

const toWire = (name, value) => (value === undefined || value === null ? value ?? null : shape(name).toWire(value));

function wireEvent(event) {
  if (event.type === 'unknown') {
    return { type: event.event, id: event.eventId ?? null, data: event.data, unknown: true };
  }
  // The stream's own definition puts an event's data back in wire form.
  const out = { type: event.type, id: event.eventId ?? null, data: ChatStreamFrameSpec.eventData(event) };
  if (event.type === 'done' && 'outputText' in event) {
    // The SDK's text convenience (x-sdk-text); never part of the wire data.
    out.output_text = event.outputText ?? null;
    delete out.data.outputText;
    delete out.data.output_text;
  }
  return out;
}

// The APIResponseValidationError `err` is, or was caused by (a strict stream error).
function validationError(err) {
  const seen = new Set();
  for (let current = err; current && !seen.has(current) && APIResponseValidationError; current = current.cause) {
    if (current instanceof APIResponseValidationError) return current;
    seen.add(current);
  }
  return null;
}

function wireError(err) {
  const base = { class: err?.constructor?.name ?? typeof err, display: String(err?.message ?? err) };
  const invalid = validationError(err);
  if (invalid) {
    const out = { ...base, kind: 'response_validation', message: invalid.message };
    if (err instanceof StreamError) out.data = err.data ?? null;
    return out;
  }
  if (err instanceof InvalidArgumentError) return { ...base, kind: 'invalid_argument', message: err.message };
  if (err instanceof APITimeoutError) return { ...base, kind: 'timeout', message: err.message };
  if (err instanceof APIStatusError) {
    return {
      ...base,
      kind: `status:${err.status}`,
      status_code: err.status,
      code: err.code ?? null,
      message: err.errorMessage ?? null,
      request_id: err.requestId ?? null,
      details: err.details ?? null,
    };
  }
  if (err instanceof StreamError) return { ...base, kind: 'stream', message: err.message, data: err.data ?? null };
  if (err instanceof APIConnectionError) return { ...base, kind: 'connection', message: err.message };
  if (err instanceof PromptRailsError) return { ...base, kind: 'unclassified', message: err.message };
  return { ...base, kind: 'foreign', message: `${base.class}: ${base.display}` };
}

let client = null;

function describe() {
  return { ok: true, result: { sdk: pkg.name, version: pkg.version, modes: ['tolerant', 'strict'], unsupported: {} } };
}

async function configure(settings) {
  const options = { apiKey: settings.api_key, baseUrl: settings.base_url };
  if (settings.strict) {
    // The constructor ignores options it does not know, so check the switch exists.
    if (!APIResponseValidationError) {
      throw new DriverProblem('strict mode: the TypeScript SDK has no strictResponseValidation (no APIResponseValidationError export)');
    }
    options.strictResponseValidation = true;
  }
  if ('max_retries' in settings) options.maxRetries = settings.max_retries;
  if ('timeout' in settings) options.timeout = Math.round(settings.timeout * 1000);
  await forgetConversations();
  client = new PromptRails(options);
  return { ok: true, result: { sdk: pkg.name, version: pkg.version } };
}

// Wire-form arguments to the SDK's camelCase params, keeping only those given.
function params(args, mapping) {
  const out = {};
  for (const [wire, name] of Object.entries(mapping)) if (wire in args) out[name] = args[wire];
  return out;
}

function operation(op, args, options) {
  if (client === null) throw new DriverProblem('call before configure');
  const opts = {};
  if ('max_retries' in options) opts.maxRetries = options.max_retries;
  if ('timeout' in options) opts.timeout = Math.round(options.timeout * 1000);
  if ('idempotency_key' in options) opts.idempotencyKey = options.idempotency_key;
  const { chat, executions } = client;
  const page = { page: 'page', limit: 'limit' };
  const filters = { agent_id: 'agentId', session_id: 'sessionId', status: 'status' };
  switch (op) {
    case 'chat.list_sessions':
      return ['page', () => chat.listSessions(params(args, page), opts)];
    case 'chat.list_sessions.all':
      return ['all', () => chat.listSessions(params(args, page), opts)];
    case 'chat.create_session':
      return ['result', () => chat.createSession(params(args, { agent_id: 'agentId', title: 'title', metadata: 'metadata' }), opts)];
    case 'chat.get_session':
      return ['result', () => chat.getSession(args.session_id, opts)];
    case 'chat.update_session':
      return ['result', () => chat.updateSession(args.session_id, params(args, { title: 'title', metadata: 'metadata' }), opts)];
    case 'chat.delete_session':
      return ['result', () => chat.deleteSession(args.session_id, opts)];
    case 'chat.list_messages':
      return ['page', () => chat.listMessages(args.session_id, params(args, page), opts)];
    case 'chat.list_messages.all':
      return ['all', () => chat.listMessages(args.session_id, params(args, page), opts)];
    case 'chat.send_message':
      return ['result', () => chat.sendMessage(args.session_id, params(args, { content: 'content', metadata: 'metadata' }), opts)];
    case 'chat.send_message_stream':
      return ['stream', () => chat.sendMessageStream(args.session_id, params(args, { content: 'content', metadata: 'metadata' }), opts)];
    case 'chat.delete_message':
      return ['result', () => chat.deleteMessage(args.session_id, args.message_id, opts)];
    case 'chat.submit_feedback':
      return [
        'result',
        () => chat.submitFeedback(args.session_id, params(args, { execution_id: 'executionId', value: 'value', comment: 'comment' }), opts),
      ];
    case 'executions.list':
      return ['page', () => executions.list(params(args, { ...page, ...filters }), opts)];
    case 'executions.list.all':
      return ['all', () => executions.list(params(args, { ...page, ...filters }), opts)];
    case 'executions.cancel':
      return ['result', () => executions.cancel(args.execution_id, opts)];
    case 'executions.get':
      return ['result', () => executions.get(args.execution_id, opts)];
    case 'executions.stream':
      return ['stream', () => executions.stream(args.execution_id, params(args, { last_event_id: 'lastEventId' }), opts)];
    default:
      if (op.startsWith('conversation.')) return conversationOperation(op, args);
      throw new DriverProblem(`unknown operation ${op}`);
  }
}

// The conversation operations (CONFORMANCE.md): conversations live in the driver by name, as do
// the files they were saved to.
const conversations = new Map();
const savedFiles = new Map();
let filesDir = null;

async function forgetConversations() {
  for (const conv of conversations.values()) await conv.close();
  conversations.clear();
  savedFiles.clear();
}

const snakeKeys = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v]));
const wireMessage = (m) => ({ id: m.id, role: m.role, content: m.content });
const wireReply = (r) => ({ text: String(r), execution_id: r.executionId ?? null });

function conversationOperation(op, args) {
  const { chat } = client;
  const name = args.name;
  if (op === 'conversation.open') {
    return ['result', async () => {
      const options = 'max_concurrent_invocations' in args ? { maxConcurrentInvocations: args.max_concurrent_invocations } : {};
      const conv = 'session_id' in args
        ? await chat.conversation({ sessionId: args.session_id }, options)
        : await chat.conversation(params(args, { agent_id: 'agentId', title: 'title', metadata: 'metadata' }), options);
      conversations.set(name, conv);
      return { session_id: conv.sessionId };
    }];
  }
  if (op === 'conversation.load') {
    const path = savedFiles.get(args.from);
    if (path === undefined) throw new DriverProblem(`nothing was saved as ${args.from}`);
    return ['result', async () => {
      const conv = await chat.load(path);
      conversations.set(name, conv);
      return { session_id: conv.sessionId };
    }];
  }
  const conv = conversations.get(name);
  if (conv === undefined) throw new DriverProblem(`no conversation named ${name}`);
  switch (op) {
    case 'conversation.send':
      return ['result', async () => wireReply(await conv.send(args.content, params(args, { metadata: 'metadata' })))];
    case 'conversation.send_concurrent':
      return ['result', async () => (await Promise.all(args.contents.map((text) => conv.send(text)))).map(wireReply)];
    case 'conversation.stream':
      return ['result', async () => {
        const chunks = [];
        for await (const chunk of conv.stream(args.content)) {
          chunks.push(chunk);
          if (chunks.length === args.take) break; // leave the stream early
        }
        return { chunks, text: chunks.join('') };
      }];
    case 'conversation.stream_events':
      return ['stream', () => conv.streamEvents(args.content)];
    case 'conversation.history':
      return ['result', async () => conv.history.map(wireMessage)];
    case 'conversation.totals':
      // The SDK names the counters in camelCase (promptTokens); the wire names are snake_case.
      return ['result', async () => ({ usage: snakeKeys(conv.usage), total_cost: conv.totalCost })];
    case 'conversation.clear':
      return ['result', async () => {
        await conv.clear();
        return { session_id: conv.sessionId };
      }];
    case 'conversation.save':
      return ['result', async () => {
        filesDir ??= await mkdtemp(join(tmpdir(), 'conformance-ts-'));
        const path = join(filesDir, `${name}-${savedFiles.size}.json`);
        await conv.save(path, { includeHistory: args.include_history ?? true });
        savedFiles.set(name, path);
        return JSON.parse(await readFile(path, 'utf8'));
      }];
    case 'conversation.delete':
      return ['result', async () => (await conv.delete()) ?? null];
    case 'conversation.close':
      return ['result', async () => (await conv.close()) ?? null];
    default:
      throw new DriverProblem(`unknown operation ${op}`);
  }
}

async function call(op, args, options) {
  const [kind, thunk] = operation(op, args, options);
  const model = RESULT_MODEL[op];
  if (kind === 'stream') {
    const events = [];
    try {
      const stream = thunk();
      for await (const event of stream) {
        events.push(wireEvent(event));
        if (events.length === args.take) break; // leave the stream early
      }
    } catch (err) {
      if (err instanceof DriverProblem) throw err;
      return { ok: false, events, error: wireError(err) };
    }
    return { ok: true, events };
  }
  try {
    let result;
    if (kind === 'all') {
      result = [];
      for await (const item of thunk()) result.push(toWire(model, item));
    } else if (kind === 'page') {
      const page = await thunk();
      result = { data: page.data.map((item) => toWire(model, item)), meta: toWire('PaginationMeta', page.meta) };
    } else {
      const value = await thunk();
      result = model ? toWire(model, value) : value ?? null;
    }
    return { ok: true, result };
  } catch (err) {
    if (err instanceof DriverProblem) throw err;
    return { ok: false, error: wireError(err) };
  }
}

// One request at a time, in order: a queue of lines, each answered before the next starts.
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  let seq = null;
  let answer;
  try {
    const request = JSON.parse(line);
    seq = request.seq ?? null;
    if (request.cmd === 'describe') answer = describe();
    else if (request.cmd === 'configure') answer = await configure(request.client);
    else if (request.cmd === 'call') answer = await call(request.op, request.args ?? {}, request.options ?? {});
    else throw new DriverProblem(`unknown command ${request.cmd}`);
  } catch (err) {
    process.stderr.write(`${err?.stack ?? err}\n`);
    answer = { ok: false, error: { kind: 'driver', message: `${err?.constructor?.name}: ${err?.message ?? err}` } };
  }
  process.stdout.write(JSON.stringify({ seq, ...answer }) + '\n');
}
