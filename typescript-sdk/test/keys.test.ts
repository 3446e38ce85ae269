/**
 * Key hygiene (issue 9): the API key is checked at construction, and never shows through any
 * surface the SDK hands out: `util.inspect` (with and without custom inspection), `String`,
 * `JSON.stringify`, `stack`, an error's `cause` chain, its headers and raw response, stream
 * objects, and the process's output (console, stdout/stderr, and Node's own debug logs).
 *
 * The server here is hostile on purpose: it echoes the key back in bodies, headers, stream
 * frames and error events, as a buggy proxy or API might.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import {
  APIConnectionError,
  AuthenticationError,
  InternalServerError,
  InvalidArgumentError,
  PromptRails,
  StreamError,
} from '../src/index.js';
import { fakeFetch } from './helpers.js';

const KEY = 'sk-live-0123456789abcdefSECRET';

// -- construction --------------------------------------------------------------------------

const BAD_KEYS: [string, string, RegExp][] = [
  ['a trailing newline (read from a file)', `${KEY}\n`, /control character \(U\+000A, a line break/],
  ['a trailing CRLF', `${KEY}\r\n`, /control character \(U\+000D, a line break/],
  ['a tab inside', `sk-live\t${KEY}`, /control character \(U\+0009\)/],
  ['a NUL', `${KEY}\0`, /control character \(U\+0000\)/],
  ['DEL', `${KEY}\x7f`, /control character \(U\+007F\)/],
  ['a non-ASCII letter', `${KEY}é`, /non-ASCII character/],
  ['a non-BMP character', `${KEY}😀`, /non-ASCII character/],
  ['a no-break space', `${KEY}\u00a0`, /non-ASCII character/],
];

for (const [what, key, problem] of BAD_KEYS) {
  test(`construction: a key with ${what} is InvalidArgumentError naming the problem, not the key`, () => {
    const f = fakeFetch(() => new Response('{}'));
    let err: unknown;
    try {
      new PromptRails({ apiKey: key, fetch: f.fetch });
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof InvalidArgumentError, String(err));
    assert.match(err.message, /^the API key /);
    assert.match(err.message, problem);
    for (const text of [err.message, String(err), err.stack ?? '', inspect(err, { showHidden: true, depth: null })]) {
      assert.equal(text.includes(KEY), false, text);
      assert.equal(text.includes('sk-live'), false, text);
    }
    assert.equal(f.calls.length, 0);
  });
}

test('construction: a key that is not a string, or empty, is InvalidArgumentError', () => {
  const f = fakeFetch(() => new Response('{}'));
  assert.throws(() => new PromptRails({ apiKey: 42 as unknown as string, fetch: f.fetch }), /API key must be a string, got number/);
  assert.throws(() => new PromptRails({ apiKey: '', fetch: f.fetch }), InvalidArgumentError);
  // Printable ASCII, spaces and punctuation included, is accepted.
  assert.ok(new PromptRails({ apiKey: 'sk_A-z.0~9 +/=', fetch: f.fetch }));
});

test('construction: the environment variable is trimmed (a trailing newline there is not the key)', () => {
  const saved = process.env['PROMPTRAILS_API_KEY'];
  process.env['PROMPTRAILS_API_KEY'] = `${KEY}\n`;
  try {
    const f = fakeFetch(() => new Response('{}'));
    assert.ok(new PromptRails({ fetch: f.fetch }));
  } finally {
    if (saved === undefined) delete process.env['PROMPTRAILS_API_KEY'];
    else process.env['PROMPTRAILS_API_KEY'] = saved;
  }
});

// -- every surface of representative calls ---------------------------------------------------

/** Every text a value shows through: inspect (both ways), String, JSON, and, for errors, stack and causes. */
function texts(value: unknown, seen = new Set<unknown>()): string[] {
  if (typeof value !== 'object' || value === null || seen.has(value)) return typeof value === 'string' ? [value] : [];
  seen.add(value);
  const out = [
    inspect(value, { showHidden: true, depth: null, getters: true }),
    inspect(value, { showHidden: true, depth: null, customInspect: false }),
  ];
  try {
    out.push(String(value));
  } catch {
    // An object without a string form.
  }
  try {
    out.push(JSON.stringify(value) ?? '');
  } catch {
    // Cyclic: inspect covered it.
  }
  if (value instanceof Error) {
    out.push(value.stack ?? '', value.message);
    out.push(...texts((value as { cause?: unknown }).cause, seen));
    for (const key of ['headers', 'response', 'body', 'data', 'event']) out.push(...texts((value as unknown as Record<string, unknown>)[key], seen));
    const headers = (value as { headers?: unknown }).headers;
    if (headers instanceof Headers) headers.forEach((v, k) => out.push(`${k}: ${v}`));
  }
  return out;
}

/** Every 8-character piece of the key: a parser's error message may quote a few characters of it. */
const FRAGMENTS = Array.from({ length: KEY.length - 7 }, (_, i) => KEY.slice(i, i + 8));

function assertClean(what: string, value: unknown): void {
  for (const text of texts(value)) {
    const found = FRAGMENTS.find((f) => text.includes(f));
    assert.equal(found, undefined, `${what} shows (part of) the key:\n${text}`);
  }
}

/** A server that echoes the key it receives wherever it can. */
async function hostileServer(): Promise<{ url: string; close: () => Promise<void>; hits: () => number }> {
  let hits = 0;
  let flaky = 0;
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    hits++;
    const key = String(req.headers['x-api-key']);
    const path = req.url ?? '';
    req.resume();
    const jsonBody = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (path.endsWith('/ok')) return jsonBody(200, { data: { id: 'ok', workspace_id: 'w', agent_id: 'a', created_at: 'x', updated_at: 'x' } });
    if (path.endsWith('/unauthorized')) {
      return jsonBody(401, { error: { code: 'unauthorized', message: `bad key ${key}`, details: { key } } }, { 'x-echo-key': key, 'x-request-id': `req-${key}` });
    }
    if (path.endsWith('/text-error')) return jsonBody(403, { error: `key ${key} is not allowed` });
    if (path.endsWith('/flaky')) {
      flaky++;
      return jsonBody(flaky % 3 === 0 ? 500 : 503, { error: { code: 'down', message: `down for ${key}` } }, { 'retry-after-ms': '0' });
    }
    if (path.endsWith('/not-json')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(`${key} is not JSON`);
    }
    if (path.includes('/stream')) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('id: 1\nevent: execution\ndata: {"execution_id":"ex_1"}\n\n');
      if (path.includes('/malformed/')) return res.end(`id: 2\nevent: content\ndata: {"content": ${key}}\n\n`);
      if (path.includes('/failed/')) return res.end(`id: 2\nevent: error\ndata: {"message": "agent saw ${key}"}\n\n`);
      if (path.includes('/cut/')) return res.destroy();
      res.write(`id: 2\nevent: content\ndata: {"content":"hi"}\n\n`);
      return res.end(`id: 3\nevent: done\ndata: {"output":{"content":"hi"}}\n\n`);
    }
    jsonBody(404, { error: { code: 'not_found', message: path } });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A free port with nothing listening. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Capture everything written to stdout/stderr while `fn` runs (which, in a node:test child
 * process, includes the runner's own reports), and the console calls made.
 */
async function captureOutput(fn: () => Promise<void>): Promise<{ output: string; consoleCalls: number }> {
  let out = '';
  let consoleCalls = 0;
  const saved = { stdout: process.stdout.write, stderr: process.stderr.write, console: { ...console } };
  const record = (chunk: unknown) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString();
  };
  // Written through: the test runner reports on stdout too.
  const tee = (original: typeof process.stdout.write, stream: NodeJS.WriteStream) =>
    ((chunk: unknown, ...rest: unknown[]) => {
      record(chunk);
      return (original as (...a: unknown[]) => boolean).call(stream, chunk, ...rest);
    }) as typeof process.stdout.write;
  const write = (chunk: unknown) => void record(chunk);
  process.stdout.write = tee(saved.stdout, process.stdout);
  process.stderr.write = tee(saved.stderr, process.stderr);
  for (const m of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    console[m] = (...args: unknown[]) => {
      consoleCalls++;
      write(`${args.map(String).join(' ')}\n`);
    };
  }
  try {
    await fn();
  } finally {
    process.stdout.write = saved.stdout;
    process.stderr.write = saved.stderr;
    Object.assign(console, saved.console);
  }
  return { output: out, consoleCalls };
}

describe('key hygiene: every surface of representative calls', () => {
  let server: Awaited<ReturnType<typeof hostileServer>>;
  before(async () => {
    server = await hostileServer();
  });
  after(async () => {
    await server.close();
  });

  test('ok, 4xx, 5xx after retries, connection errors, a non-JSON body, streams and stream errors: no surface shows the key', async () => {
    const options = { apiKey: KEY, baseUrl: server.url, sleep: async () => undefined };
    const client = new PromptRails(options);
    const shown: [string, unknown][] = [];
    const fail = async (what: string, call: () => Promise<unknown>) => {
      const err = await call().then(
        () => assert.fail(`${what} did not fail`),
        (e: unknown) => e,
      );
      shown.push([what, err]);
      return err;
    };
    const { output, consoleCalls } = await captureOutput(async () => {
      shown.push(['a session', await client.chat.getSession('ok')]);
      const unauthorized = await fail('401', () => client.chat.getSession('unauthorized'));
      assert.ok(unauthorized instanceof AuthenticationError);
      assert.equal(unauthorized.errorMessage, 'bad key ***');
      assert.equal(unauthorized.headers.get('x-echo-key'), '***');
      assert.deepEqual(unauthorized.details, { key: '***' });
      const textError = await fail('403 {error: text}', () => client.chat.getSession('text-error'));
      assert.match(String(textError), /key \*\*\* is not allowed/);
      const flaky = await fail('5xx after retries', () => client.chat.getSession('flaky'));
      assert.ok(flaky instanceof InternalServerError);
      assert.equal(server.hits() >= 4, true);
      await fail('a body that is not JSON', () => client.chat.getSession('not-json'));
      const refused = new PromptRails({ ...options, baseUrl: `http://127.0.0.1:${await closedPort()}`, maxRetries: 1 });
      const connection = await fail('connection refused', () => refused.chat.getSession('ok'));
      assert.ok(connection instanceof APIConnectionError);
      // A transport that quotes the key in its error and its cause (as fetch does with a header
      // value it rejects).
      const quoting = fakeFetch(() => Promise.reject(new TypeError(`Headers.append: "${KEY}" is an invalid header value.`, { cause: new Error(`value ${KEY}`) })));
      const viaQuoting = new PromptRails({ ...options, fetch: quoting.fetch, maxRetries: 0 });
      shown.push(['a quoting transport', viaQuoting]);
      const quoted = await fail('a transport error quoting the key', () => viaQuoting.chat.getSession('ok'));
      assert.ok(quoted instanceof APIConnectionError);

      const stream = client.chat.sendMessageStream('good', { content: 'x' });
      const events = await stream.toArray();
      assert.equal(events.at(-1)?.type, 'done');
      shown.push(['a consumed stream', stream], ['its events', events]);
      const malformed = await fail('malformed stream data echoing the key', () => client.chat.sendMessageStream('malformed', { content: 'x' }).toArray());
      assert.ok(malformed instanceof StreamError);
      const failed = await fail('an error event echoing the key', () => client.chat.sendMessageStream('failed', { content: 'x' }).finalResult());
      assert.ok(failed instanceof StreamError);
      await fail('a stream cut before its end', () => client.chat.sendMessageStream('cut', { content: 'x' }, { maxRetries: 0 }).toArray());
      shown.push(['the client', client], ['its resources', [client.chat, client.executions]], ['an unopened stream', client.chat.sendMessageStream('x', { content: 'y' })]);
    });
    for (const [what, value] of shown) assertClean(what, value);
    assert.equal(output.includes(KEY), false, output);
    assert.equal(consoleCalls, 0, 'the SDK writes nothing to the console');
  });

  test("Node's own debug output (NODE_DEBUG=http,net,fetch,undici) never shows the key", async () => {
    const sdk = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'esm', 'index.js');
    const script = `
      const { PromptRails } = await import(${JSON.stringify(sdk)});
      const client = new PromptRails({ apiKey: ${JSON.stringify(KEY)}, baseUrl: ${JSON.stringify(server.url)}, maxRetries: 1, sleep: async () => {} });
      await client.chat.getSession('ok');
      await client.chat.getSession('unauthorized').catch(() => {});
      await client.chat.getSession('flaky').catch(() => {});
      await client.chat.sendMessageStream('good', { content: 'x' }).toArray();
      await client.chat.sendMessageStream('malformed', { content: 'x' }).toArray().catch(() => {});
      console.log('done');
    `;
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, NODE_DEBUG: 'http,net,fetch,undici,stream' } }, (err, stdout, stderr) =>
        err ? reject(err) : resolve({ stdout, stderr }),
      ),
    );
    assert.match(stdout, /done/);
    assert.ok(stderr.length > 0, 'NODE_DEBUG produced output');
    assert.equal(`${stdout}${stderr}`.includes(KEY), false, stderr);
  });
});
