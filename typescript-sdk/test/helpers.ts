/** Test helpers: a scripted fake `fetch`, canned responses, and the mock server launcher. */
import { spawn, type ChildProcess } from 'node:child_process';
import { APIUserAbortError, PromptRails, type ClientOptions } from '../src/index.js';

export interface Call {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: unknown;
  signal: AbortSignal | undefined;
}

export type Handler = (call: Call) => Response | Promise<Response>;

/** A fetch that answers with `handlers` in turn (the last one repeats) and records every call. */
export function fakeFetch(...handlers: Handler[]): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const impl = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => (headers[k] = v));
    const call: Call = {
      url: new URL(String(input)),
      method: init?.method ?? 'GET',
      headers,
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
      signal: init?.signal ?? undefined,
    };
    calls.push(call);
    const handler = handlers[Math.min(calls.length - 1, handlers.length - 1)]!;
    return handler(call);
  };
  return { fetch: impl as typeof fetch, calls };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Handler {
  return () =>
    new Response(body === undefined ? null : JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', ...headers },
    });
}

export function apiError(status: number, code: string, message: string, headers: Record<string, string> = {}): Handler {
  return json(status, { error: { code, message, details: { field: 'x' } } }, headers);
}

export function networkError(message = 'fetch failed'): Handler {
  return () => Promise.reject(new TypeError(message, { cause: new Error('ECONNRESET') }));
}

export interface SSEBody {
  /** Chunks to send, one per pull. */
  chunks: (string | Uint8Array)[];
  /** After the chunks: end cleanly (default), fail with a network error, or never answer again. */
  then?: 'end' | 'error' | 'hang';
  /** Set when the consumer cancelled the body. */
  cancelled?: { value: boolean };
}

/** A `text/event-stream` response sending `chunks` one by one. */
export function sse(body: SSEBody): Handler {
  return (call) => {
    const encoder = new TextEncoder();
    let i = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (i < body.chunks.length) {
          const chunk = body.chunks[i++]!;
          controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
          return;
        }
        if (body.then === 'error') controller.error(new TypeError('terminated'));
        else if (body.then === 'hang') return new Promise<void>((resolve) => call.signal?.addEventListener('abort', () => resolve()));
        else controller.close();
        return;
      },
      cancel() {
        if (body.cancelled) body.cancelled.value = true;
      },
    });
    return new Response(stream, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  };
}

/** One frame of the chat stream, as the API writes it. */
export function frame(id: number | null, event: string, data: unknown): string {
  return `${id === null ? '' : `id: ${id}\n`}event: ${event}\ndata: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
}

export const RUN = [
  frame(1, 'execution', { execution_id: 'ex_1', user_message_id: 'msg_u' }),
  frame(2, 'thinking', { content: 'Hmm.' }),
  frame(3, 'tool_start', { id: 'call_1', name: 'search' }),
  frame(4, 'tool_end', { id: 'call_1', name: 'search', summary: '3 results' }),
  frame(5, 'content', { content: 'Hel' }),
  frame(6, 'content', { content: 'lo' }),
  frame(7, 'done', { output: 'Hello', token_usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5, cached_tokens: 1, future_tokens: 9 }, time: 0.5 }),
];

export const API_KEY = 'sk-test-very-secret-key';

/**
 * Matches the error of a cancelled call: an `APIUserAbortError` (never the raw abort reason or a
 * `DOMException`) whose `cause` is the reason the caller gave, matching `reason`.
 */
export function aborted(reason: RegExp): (err: unknown) => boolean {
  return (err) => {
    if (!(err instanceof APIUserAbortError)) throw new Error(`expected APIUserAbortError, got ${String(err)}`);
    if (!reason.test(String(err.cause))) throw new Error(`the cause ${String(err.cause)} does not match ${reason}`);
    return true;
  };
}

/** A client on a fake fetch; sleeps are recorded, never slept. */
export function testClient(fetchImpl: typeof fetch, options: ClientOptions = {}): { client: PromptRails; sleeps: number[] } {
  const sleeps: number[] = [];
  const client = new PromptRails({
    apiKey: API_KEY,
    baseUrl: 'http://api.test',
    fetch: fetchImpl,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0,
    ...options,
  });
  return { client, sleeps };
}

// -- the mock server ------------------------------------------------------------------------

export const MOCK_ENV = 'PROMPTRAILS_MOCK_CMD';

export interface MockServer {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
  control(method: string, path: string, body?: unknown): Promise<any>;
}

/**
 * Start the mock server from `$PROMPTRAILS_MOCK_CMD` and wait for its listening line.
 * Returns undefined when the variable is unset (the caller skips, saying so); throws when it
 * is set and the server does not start.
 */
export async function startMock(): Promise<MockServer | undefined> {
  const command = process.env[MOCK_ENV];
  if (!command) return undefined;
  const [bin, ...args] = command.split(/\s+/).filter(Boolean);
  const child = spawn(bin!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the mock server did not start within 30 s: ${stderr}`)), 30_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start the mock server (${command}): ${err.message}`));
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the mock server exited with ${code} before listening: ${stderr}`));
    });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /promptrails-mock listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });
  child.removeAllListeners('exit');
  return {
    url,
    process: child,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
    async control(method: string, path: string, body?: unknown) {
      const response = await fetch(url + path, {
        method,
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const parsed: any = await response.json();
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(parsed)}`);
      return parsed.data;
    },
  };
}
