/**
 * Stream lifecycle against a real HTTP server and a bounded connection pool (issue 9): every
 * way of leaving a stream early gives its connection back (no hang on a pool of one, sockets
 * back to where they started, no timer left behind); a stream read to its end leaves its
 * connection in the pool for the next call (keep-alive).
 *
 * The server is a local node:http server counting sockets on its side; the client fetches
 * through undici with an `Agent` of one or two connections.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Agent, fetch as undiciFetch } from 'undici';
import { PromptRails, type ChatStreamFrame } from '../src/index.js';
import { MOCK_ENV, aborted, startMock, type MockServer } from './helpers.js';

const FRAMES = [
  'id: 1\nevent: execution\ndata: {"execution_id":"ex_1","user_message_id":"m_1"}\n\n',
  'id: 2\nevent: content\ndata: {"content":"Hel"}\n\n',
  'id: 3\nevent: content\ndata: {"content":"lo"}\n\n',
];
const DONE = 'id: 4\nevent: done\ndata: {"output":{"content":"Hello"}}\n\n';

interface Server {
  url: string;
  /** Sockets ever accepted, sockets open now, requests answered. */
  counts(): { accepted: number; open: number; requests: number };
  close(): Promise<void>;
}

/**
 * Sessions named `endless` stream three frames then keep-alive comments until the client goes;
 * `full` sends the run with its `done` and ends the response in a later write (as servers do:
 * the terminating chunk is a separate packet), so only a client that reads to the end of the
 * body can reuse the connection.
 */
async function startServer(): Promise<Server> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      for (const f of FRAMES) res.write(f);
      if (req.url?.includes('/full/')) {
        res.write(DONE);
        setTimeout(() => res.end(), 5);
        return;
      }
      const ping = setInterval(() => res.write(': ping\n\n'), 10);
      res.on('close', () => clearInterval(ping));
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket: Socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts: () => ({ accepted, open: sockets.size, requests }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function pooledClient(server: Server, connections: number): { client: PromptRails; agent: Agent } {
  const agent = new Agent({ connections, keepAliveTimeout: 60_000 });
  const fetchVia = ((input: string | URL | Request, init?: RequestInit) =>
    undiciFetch(input as string, { ...(init as object), dispatcher: agent })) as unknown as typeof fetch;
  return { client: new PromptRails({ apiKey: 'sk-lifecycle', baseUrl: server.url, fetch: fetchVia, maxRetries: 0 }), agent };
}

/** Wait (up to 10 s, polling) for `condition`: the state a correct client reaches promptly. */
async function eventually(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The process's timers and sockets, by kind (what would keep it alive). */
function resources(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) out[kind] = (out[kind] ?? 0) + 1;
  return out;
}

const STREAMS = 100;

describe('stream lifecycle on a bounded pool', { timeout: 120_000 }, () => {
  let server: Server;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server.close();
  });

  /** Run `leave` on STREAMS streams in a row with a one-connection pool: none may hang. */
  async function leaveEarly(leave: (client: PromptRails, i: number) => Promise<void>): Promise<void> {
    const { client, agent } = pooledClient(server, 1);
    const timersBefore = resources()['Timeout'] ?? 0;
    const start = server.counts();
    try {
      for (let i = 0; i < STREAMS; i++) await leave(client, i);
      assert.equal(server.counts().requests - start.requests, STREAMS);
      // Every connection the streams used is closed: the server's socket count is back.
      await eventually('the server sees every stream socket closed', () => server.counts().open === start.open);
      assert.ok((resources()['Timeout'] ?? 0) <= timersBefore, `timers left: ${JSON.stringify(resources())}`);
    } finally {
      await agent.destroy();
    }
  }

  test('a for-await left with break closes each connection: 100 streams on a pool of one, no hang', async () => {
    await leaveEarly(async (client) => {
      for await (const event of client.chat.sendMessageStream('endless', { content: 'x' })) {
        if (event.type === 'content') break;
      }
    });
  });

  test('a for-await left by an exception closes each connection', async () => {
    await leaveEarly(async (client, i) => {
      const err = await (async () => {
        for await (const event of client.chat.sendMessageStream('endless', { content: 'x' })) {
          if (event.type === 'content') throw new Error(`caller gave up on ${i}`);
        }
      })().catch((e: unknown) => e);
      assert.match(String(err), /caller gave up/);
    });
  });

  test('an aborted signal closes each connection and rejects with its reason', async () => {
    await leaveEarly(async (client) => {
      const controller = new AbortController();
      const err = await (async () => {
        for await (const event of client.chat.sendMessageStream('endless', { content: 'x' }, { signal: controller.signal })) {
          if (event.type === 'execution') controller.abort(new Error('stop'));
        }
      })().catch((e: unknown) => e);
      assert.ok(aborted(/stop/)(err));
    });
  });

  test('a signal aborted while the stream waits for data closes it too', async () => {
    await leaveEarly(async (client) => {
      const controller = new AbortController();
      const it = client.chat.sendMessageStream('endless', { content: 'x' }, { signal: controller.signal })[Symbol.asyncIterator]();
      for (let i = 0; i < FRAMES.length; i++) await it.next();
      const waiting = it.next(); // only keep-alive comments come now
      controller.abort(new Error('stop while waiting'));
      await assert.rejects(waiting, aborted(/stop while waiting/));
    });
  });

  test('return() on a hand-driven iterator and stream.abort() close the connection', async () => {
    await leaveEarly(async (client, i) => {
      const stream = client.chat.sendMessageStream('endless', { content: 'x' });
      const it = stream[Symbol.asyncIterator]();
      await it.next();
      if (i % 2 === 0) {
        assert.deepEqual(await it.return!(), { value: undefined, done: true });
      } else {
        stream.abort(new Error('closed'));
        await assert.rejects(it.next(), aborted(/closed/));
      }
    });
  });

  test('a stream created and never iterated sends nothing and holds nothing', async () => {
    const { client, agent } = pooledClient(server, 1);
    const before = server.counts();
    const timers = resources()['Timeout'] ?? 0;
    for (let i = 0; i < STREAMS; i++) client.chat.sendMessageStream('endless', { content: 'x' });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(server.counts(), before);
    assert.ok((resources()['Timeout'] ?? 0) <= timers);
    // The pool is free: a stream used now gets its connection at once.
    const events: ChatStreamFrame[] = await client.chat.sendMessageStream('full', { content: 'x' }).toArray();
    assert.equal(events.at(-1)?.type, 'done');
    await agent.destroy();
  });

  test('streams read to their end reuse their connection (keep-alive): 100 streams, at most 2 sockets', async () => {
    const { client, agent } = pooledClient(server, 2);
    const start = server.counts();
    try {
      for (let i = 0; i < STREAMS; i++) {
        const way = i % 3;
        if (way === 0) {
          let text = '';
          for await (const e of client.chat.sendMessageStream('full', { content: 'x' })) if (e.type === 'content') text += e.content;
          assert.equal(text, 'Hello');
        } else if (way === 1) {
          assert.equal((await client.chat.sendMessageStream('full', { content: 'x' }).finalResult()).type, 'done');
        } else {
          // Leaving at the terminal event itself still counts as reading the stream to its end.
          for await (const e of client.chat.sendMessageStream('full', { content: 'x' })) if (e.type === 'done') break;
        }
      }
      const now = server.counts();
      assert.equal(now.requests - start.requests, STREAMS);
      assert.ok(now.accepted - start.accepted <= 2, `${now.accepted - start.accepted} sockets for ${STREAMS} streams`);
      // The pooled connections stay open for the next call: they were not cut.
      await eventually('the pool holds its connections, idle', () => {
        const stats = Object.values(agent.stats)[0] as { running: number; connected: number; free: number } | undefined;
        return stats !== undefined && stats.running === 0 && stats.connected === stats.free && stats.connected >= 1;
      });
    } finally {
      await agent.destroy();
    }
    await eventually('the sockets close with the pool', () => server.counts().open === 0);
  });

  test('a hand-driven stream dropped unfinished is closed when its iterator is collected', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const { client, agent } = pooledClient(server, 2);
    const start = server.counts();
    try {
      // Read one event, then drop everything without return(): no break, no abort.
      const leave = async () => {
        const it = client.chat.sendMessageStream('endless', { content: 'x' })[Symbol.asyncIterator]();
        assert.equal((await it.next()).value?.type, 'execution');
      };
      await leave();
      await leave();
      assert.equal(server.counts().open - start.open, 2);
      await eventually('the dropped streams are closed', () => {
        gc();
        return server.counts().open === start.open;
      });
      // The pool (2 connections) is usable again.
      assert.equal((await client.chat.sendMessageStream('full', { content: 'x' }).finalResult()).type, 'done');
    } finally {
      await agent.destroy();
    }
  });
});

describe('stream lifecycle against the mock server', { timeout: 180_000, skip: process.env[MOCK_ENV] ? false : `${MOCK_ENV} is not set` }, () => {
  let mock: MockServer;
  before(async () => {
    const started = await startMock();
    if (!started) throw new Error(`${MOCK_ENV} is set but no server was started`);
    mock = started;
  });
  after(async () => {
    await mock?.stop();
  });

  /** A pooled client on a fresh workspace, counting the connections its pool opens. */
  async function mockClient(connections: number): Promise<{ client: PromptRails; agent: Agent; connects: () => number }> {
    const { api_key: apiKey } = await mock.control('POST', '/__mock/workspaces', {});
    const agent = new Agent({ connections, keepAliveTimeout: 60_000 });
    let connects = 0;
    agent.on('connect', () => connects++);
    const fetchVia = ((input: string | URL | Request, init?: RequestInit) =>
      undiciFetch(input as string, { ...(init as object), dispatcher: agent })) as unknown as typeof fetch;
    const client = new PromptRails({ apiKey, baseUrl: mock.url, fetch: fetchVia, maxRetries: 0 });
    return { client, agent, connects: () => connects };
  }

  test('100 streams left with break or an exception on a pool of one: no hang, nothing left open', async () => {
    const { client, agent } = await mockClient(1);
    try {
      const session = await client.chat.createSession({ agentId: 'storyteller' });
      for (let i = 0; i < STREAMS; i++) {
        const stream = client.chat.sendMessageStream(session.id, { content: `tell me ${i}` });
        if (i % 2 === 0) {
          for await (const event of stream) if (event.type === 'content') break;
        } else {
          await assert.rejects(
            (async () => {
              for await (const event of stream) if (event.type === 'content') throw new Error('caller gave up');
            })(),
            /caller gave up/,
          );
        }
      }
      // The one connection is free: an ordinary call goes through at once.
      assert.equal((await client.chat.getSession(session.id)).id, session.id);
      await eventually('the pool has nothing running', () => {
        const stats = Object.values(agent.stats)[0] as { running: number; pending: number } | undefined;
        return stats === undefined || (stats.running === 0 && stats.pending === 0);
      });
    } finally {
      await agent.destroy();
    }
  });

  test('100 streams read to their end share the pool connections (keep-alive)', async () => {
    const { client, agent, connects } = await mockClient(2);
    try {
      const session = await client.chat.createSession({ agentId: 'echo' });
      const before = connects();
      for (let i = 0; i < STREAMS; i++) {
        const done = await client.chat.sendMessageStream(session.id, { content: `hello ${i}` }).finalResult();
        assert.equal(done.type, 'done');
      }
      assert.ok(connects() - before <= 2, `${connects() - before} connections for ${STREAMS} streams`);
    } finally {
      await agent.destroy();
    }
  });
});
