/**
 * Test helpers for the runtime tests: a scripted fake `fetch`, canned responses (JSON, text,
 * bytes, Server-Sent Events), and a node:http server for the tests that want a real socket.
 * Nothing here knows any one API.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Call {
  url: URL;
  method: string;
  headers: Record<string, string>;
  /** The body as sent: a string, URLSearchParams, FormData or bytes. */
  raw: unknown;
  /** The body parsed as JSON, when it was a JSON string. */
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
    let body: unknown;
    if (typeof init?.body === 'string') {
      try {
        body = JSON.parse(init.body);
      } catch {
        body = undefined;
      }
    }
    const call: Call = { url: new URL(String(input)), method: init?.method ?? 'GET', headers, raw: init?.body, body, signal: init?.signal ?? undefined };
    calls.push(call);
    if (init?.signal?.aborted) throw init.signal.reason;
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

export function bytes(status: number, data: Uint8Array, type = 'application/octet-stream'): Handler {
  return () => new Response(data as Uint8Array<ArrayBuffer>, { status, headers: { 'content-type': type } });
}

export function text(status: number, body: string, type = 'text/plain'): Handler {
  return () => new Response(body, { status, headers: { 'content-type': type } });
}

/** A response that never comes: it waits for the request's signal and rejects as fetch does. */
export const hang: Handler = (call) =>
  new Promise((_, reject) => call.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));

export interface SSEBody {
  /** Chunks to send, one per pull. */
  chunks: (string | Uint8Array)[];
  /** After the chunks: end cleanly (default), fail with a network error, or never answer again. */
  then?: 'end' | 'error' | 'hang';
  headers?: Record<string, string>;
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
    });
    return new Response(stream, { status: 200, headers: { 'content-type': 'text/event-stream', ...body.headers } });
  };
}

/**
 * An SSE frame: `event:` (unless null), `id:` (unless null) and the data (JSON unless a string),
 * one `data:` line per line of it.
 */
export function frame(event: string | null, data: unknown, id: string | number | null = null): string {
  const lines = (typeof data === 'string' ? data : JSON.stringify(data)).split('\n').map((l) => `data: ${l}\n`).join('');
  return `${id === null ? '' : `id: ${id}\n`}${event === null ? '' : `event: ${event}\n`}${lines}\n`;
}

/** Test-hook options every client takes: no real sleeps, no jitter. */
export function quick(fetchImpl: typeof fetch): { fetch: typeof fetch; sleep: (ms: number) => Promise<void>; random: () => number } {
  return { fetch: fetchImpl, sleep: async () => undefined, random: () => 0 };
}

/** A node:http server answering each request with `handle`; `url` is its base URL. */
export async function server(
  handle: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<{ url: string; requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[]; close: () => Promise<void> }> {
  const requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  const srv: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handle(req, res, body);
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        srv.closeAllConnections();
        srv.close(() => resolve());
      }),
  };
}

/** The lines a logger received, by level. */
export function recorder(): { logger: { error: (m: string) => void; warn: (m: string) => void; info: (m: string) => void; debug: (m: string) => void }; lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (m: string) => lines.push(`${level} ${m}`);
  return { logger: { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') }, lines };
}
