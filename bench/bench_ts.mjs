// TypeScript benchmarks: @promptrails/sdk (the built dist/) against what a user would write
// without it, on the same bytes, in the same run. bench/run.py starts it; each part prints one
// JSON object per line (a row of run.py's table, or {"name", "error"} when a side cannot run).
//
//   node --expose-gc bench/bench_ts.mjs --part stream --input stream.sse [--repeats N] [--peers bench/.node-peers]
//   node --expose-gc bench/bench_ts.mjs --part calls --reply reply.json [--repeats N]
//   node bench/bench_ts.mjs --part rss --side ours|peer          (one process per side)
//
// stream: the reply streams.py builds (bench/run.py writes it to --input), at two chunkings
//   (one chunk per frame; 64 KiB): the typed stream against eventsource-parser + JSON.parse,
//   openai-node's `Stream` (from --peers, if installed) against ours, and two diagnostics (the
//   SSE decoder alone, its peak heap).
// calls: a non-streaming `chat.sendMessage` against the same fetch + `res.json()`.
// rss: peak RSS growth while reading a 100 MB reply made as it is read (streams.BigStream).
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';

const here = dirname(fileURLToPath(import.meta.url));
const sdkDir = join(here, '..', 'typescript-sdk');
const sdk = await import(pathToFileURL(join(sdkDir, 'dist', 'esm', 'index.js')).href);
// The very module the SDK's ESM build imports (its `import` export), so both sides run
// the same eventsource-parser code.
const epDir = join(sdkDir, 'node_modules', 'eventsource-parser');
const epPkg = JSON.parse(readFileSync(join(epDir, 'package.json'), 'utf8'));
const { createParser } = await import(pathToFileURL(join(epDir, epPkg.exports['.'].import)).href);

const { values: args } = parseArgs({
  options: {
    part: { type: 'string', default: 'stream' },
    repeats: { type: 'string', default: '5' },
    input: { type: 'string' },
    reply: { type: 'string' },
    peers: { type: 'string', default: join(here, '.node-peers') },
    side: { type: 'string' },
  },
});
const repeats = Number(args.repeats);
const URL_STREAM = 'http://bench.local/api/v1/chat/sessions/s_1/messages/stream';
const URL_SEND = 'http://bench.local/api/v1/chat/sessions/s_1/messages';
const HEADERS = { 'content-type': 'application/json', accept: 'text/event-stream', 'x-api-key': 'bench' };

function emit(row) {
  console.log(JSON.stringify(row));
}

// -- timing -------------------------------------------------------------------------------

/**
 * Warm both sides up (JIT tiers: at least `warm` runs each and half a second), then time them in
 * alternation, at least `repeats` rounds and one second, so both see the same machine; each
 * keeps its best. One full gc() before the timed rounds, none between them: a forced full GC
 * discards optimized code holding weak references to dead objects (`--trace-deopt`: "weak
 * objects"), so a gc() before every run would time every run half-unoptimized.
 */
async function race(ours, peer, { warm = 3, warmMs = 500, minMs = 1000 } = {}) {
  for (let i = 0, start = performance.now(); i < warm || performance.now() - start < warmMs; i++) {
    await ours();
    await peer();
  }
  const best = [Infinity, Infinity];
  globalThis.gc?.();
  for (let i = 0, start = performance.now(); i < repeats || performance.now() - start < minMs; i++) {
    for (const [side, fn] of [ours, peer].entries()) {
      const t0 = performance.now();
      await fn();
      best[side] = Math.min(best[side], performance.now() - t0);
    }
  }
  return best.map((ms) => ms / 1000);
}

// -- stream -------------------------------------------------------------------------------

/** One chunk per frame (split after every blank line), or fixed-size chunks. */
function chunked(data, chunking) {
  const out = [];
  if (chunking === 'frame') {
    let start = 0;
    for (let i = 1; i < data.length; i++) {
      if (data[i] === 0x0a && data[i - 1] === 0x0a) {
        out.push(data.slice(start, i + 1));
        start = i + 1;
      }
    }
    if (start < data.length) out.push(data.slice(start));
  } else {
    const size = 64 * 1024;
    for (let i = 0; i < data.length; i += size) out.push(data.slice(i, i + size));
  }
  return out;
}

/** A `fetch` answering with the chunks, one per read, as a network body would. */
function replayFetch(chunks) {
  return async () => {
    let i = 0;
    const body = new ReadableStream({
      pull(controller) {
        if (i < chunks.length) controller.enqueue(chunks[i++]);
        else controller.close();
      },
    });
    return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  };
}

function makeSides(chunks, openaiStream) {
  const client = new sdk.PromptRails({ apiKey: 'bench', baseUrl: 'http://bench.local', fetch: replayFetch(chunks) });
  const sides = {
    async ours(collect) {
      const seen = collect ? [] : null;
      let n = 0;
      for await (const event of client.chat.sendMessageStream('s_1', { content: 'Hello!' })) {
        if (event.type === 'unknown') throw new Error(`unexpected ${event.event}`);
        n++;
        if (seen) seen.push([event.type, event.type === 'done' ? { output: event.output } : { content: event.content }]);
      }
      return seen ?? n;
    },
    async peer(collect) {
      // What a user writes without the SDK: fetch, decode UTF-8 as it streams, feed the parser.
      const fetch = replayFetch(chunks);
      const response = await fetch(URL_STREAM, { method: 'POST', headers: HEADERS, body: JSON.stringify({ content: 'Hello!' }) });
      const seen = collect ? [] : null;
      let n = 0;
      let done = false;
      const parser = createParser({
        onEvent: (message) => {
          const data = JSON.parse(message.data);
          n++;
          if (seen) seen.push([message.event, data]);
          if (message.event === 'done' || message.event === 'error') done = true;
        },
      });
      const text = new TextDecoder();
      const reader = response.body.getReader();
      while (!done) {
        const { done: end, value } = await reader.read();
        if (end) break;
        parser.feed(text.decode(value, { stream: true }));
      }
      await reader.cancel();
      return seen ?? n;
    },
  };
  if (openaiStream) {
    sides.openai = async (collect) => {
      const fetch = replayFetch(chunks);
      const response = await fetch(URL_STREAM, { method: 'POST', headers: HEADERS, body: JSON.stringify({ content: 'Hello!' }) });
      const stream = openaiStream.fromSSEResponse(response, new AbortController(), undefined, true);
      const seen = collect ? [] : null;
      let n = 0;
      for await (const item of stream) {
        n++;
        if (seen) seen.push([item.event, item.data]);
      }
      return seen ?? n;
    };
  }
  return sides;
}

function check(side, seen, want) {
  const names = seen.map(([name]) => name);
  if (seen.length !== want.events) throw new Error(`${side}: ${seen.length} events, want ${want.events}`);
  if (names.slice(0, 4).join() !== 'execution,thinking,tool_start,tool_end' || names.at(-1) !== 'done') {
    throw new Error(`${side}: events in the wrong order: ${names.slice(0, 4)} ... ${names.at(-1)}`);
  }
  const deltas = seen.filter(([name]) => name === 'content').map(([, p]) => p.content);
  if (deltas.length !== want.contents) throw new Error(`${side}: ${deltas.length} content events, want ${want.contents}`);
  const output = seen.at(-1)[1].output;
  if (!output || output.content !== deltas.join('')) throw new Error(`${side}: the deltas do not join to done.output.content`);
}

async function partStream() {
  if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
  const data = new Uint8Array(readFileSync(args.input));
  const text = new TextDecoder().decode(data);
  const contents = text.split('event: content\n').length - 1;
  const want = { events: contents + 5, contents };
  const mb = data.length / 1e6;

  let openaiStream = null;
  let openaiError = null;
  const openaiFile = join(args.peers, 'node_modules', 'openai', 'core', 'streaming.mjs');
  if (!existsSync(openaiFile)) openaiError = `openai-node is not installed in ${args.peers} (npm ci there)`;
  else {
    try {
      openaiStream = (await import(pathToFileURL(openaiFile).href)).Stream;
    } catch (err) {
      openaiError = `openai-node's Stream does not load: ${err.message}`;
    }
  }
  const openaiVersion = openaiStream
    ? JSON.parse(readFileSync(join(args.peers, 'node_modules', 'openai', 'package.json'), 'utf8')).version
    : null;

  for (const [chunking, label] of [['frame', 'one chunk per frame'], ['64k', '64 KiB chunks']]) {
    const chunks = chunked(data, chunking);
    const sides = makeSides(chunks, openaiStream);
    for (const [name, fn] of Object.entries(sides)) check(name, await fn(true), want);
    const ours = () => sides.ours(false);
    const [tOurs, tPeer] = await race(ours, () => sides.peer(false));
    emit({
      name: `typescript: typed stream / (eventsource-parser + JSON.parse), ${label}`,
      key: `ts-stream-${chunking}`,
      unit: 's', ours: tOurs, peer: tPeer, target: 1.2,
      note: `${(mb / tOurs).toFixed(1)} MB/s ours, ${(mb / tPeer).toFixed(1)} MB/s peer; ${want.events} events, ${chunks.length} chunks`,
    });
    const openaiName = `typescript: openai-node Stream / typed stream, ${label}`;
    if (openaiStream) {
      const [tOurs2, tOpenai] = await race(ours, () => sides.openai(false));
      emit({
        name: openaiName, key: `ts-openai-${chunking}`, unit: 's', ours: tOurs2, peer: tOpenai, invert: true,
        target: null,
        note: `openai ${openaiVersion} Stream.fromSSEResponse (JSON.parse per event, no schema): ${(mb / tOpenai).toFixed(1)} MB/s; ours ${(mb / tOurs2).toFixed(1)} MB/s`,
      });
    } else emit({ name: openaiName, key: `ts-openai-${chunking}`, error: openaiError });
  }

  // Diagnostics: the decoder alone, 64 KiB chunks.
  const chunks = chunked(data, '64k');
  const parseOurs = (afterChunk = () => {}) => {
    const decoder = new sdk.SSEDecoder();
    let n = 0;
    for (const chunk of chunks) {
      n += decoder.feed(chunk).length;
      afterChunk();
    }
    return n + decoder.end().length;
  };
  const parsePeer = (afterChunk = () => {}) => {
    let n = 0;
    const parser = createParser({ onEvent: () => n++ });
    const dec = new TextDecoder();
    for (const chunk of chunks) {
      parser.feed(dec.decode(chunk, { stream: true }));
      afterChunk();
    }
    const rest = dec.decode();
    if (rest) parser.feed(rest);
    return n;
  };
  if (parseOurs() !== want.events || parsePeer() !== want.events) throw new Error('parse: wrong event count');
  const [pOurs, pPeer] = await race(parseOurs, parsePeer, { warm: 20 });
  emit({
    name: 'typescript: SSE decoder alone / eventsource-parser + TextDecoder, 64 KiB chunks', key: 'ts-parse',
    unit: 's', ours: pOurs, peer: pPeer, target: null,
    note: `${(mb / pOurs).toFixed(1)} MB/s ours, ${(mb / pPeer).toFixed(1)} MB/s peer`,
  });
  const peakHeap = (fn) => {
    globalThis.gc();
    globalThis.gc();
    const base = getHeapStatistics().used_heap_size;
    let peak = 0;
    fn(() => {
      peak = Math.max(peak, getHeapStatistics().used_heap_size - base);
    });
    return Math.max(peak, 0);
  };
  const heap = (fn) => Math.min(...Array.from({ length: 3 }, () => peakHeap(fn)));
  emit({
    name: 'typescript: peak heap while decoding, 64 KiB chunks (used_heap_size delta)', key: 'ts-parse-heap',
    unit: 'B', ours: heap(parseOurs), peer: heap(parsePeer), target: null,
    note: `node ${process.version}, --expose-gc, sampled per chunk`,
  });
}

// -- calls --------------------------------------------------------------------------------

async function partCalls() {
  const reply = readFileSync(args.reply, 'utf8');
  const fetch = async () => new Response(reply, { status: 200, headers: { 'content-type': 'application/json' } });
  const client = new sdk.PromptRails({ apiKey: 'bench', baseUrl: 'http://bench.local', fetch });
  const body = { content: 'Hello!' };
  const want = JSON.parse(reply).data;
  const ours = async () => client.chat.sendMessage('s_1', body);
  // The same request the SDK sends (method, URL, headers, JSON body), then the JSON. The peer
  // is the call as a careful hand-written client makes it: bounded by a timeout, as the SDK's
  // calls are by default (60 s) and as the Python row's raw httpx call is (httpx's default
  // timeout). fetch has none of its own, so it takes the usual AbortController + setTimeout;
  // the same call without it is timed too and given in the note.
  const send = (signal) => fetch(URL_SEND, {
    method: 'POST',
    headers: {
      accept: 'application/json', 'content-type': 'application/json', 'x-api-key': 'bench',
      'user-agent': 'bench/1.0', 'idempotency-key': randomUUID(),
    },
    body: JSON.stringify(body),
    signal,
  });
  const read = async (res) => {
    if (!res.ok) throw new Error(`status ${res.status}`);
    return (await res.json()).data;
  };
  const raw = async () => {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), 60_000);
    try {
      return await read(await send(timeout.signal));
    } finally {
      clearTimeout(timer);
    }
  };
  const bare = async () => read(await send(undefined));
  const a = await ours();
  const b = await raw();
  const c = await bare();
  if (a.content !== want.content || b.content !== want.content || c.content !== want.content) {
    throw new Error('calls: the reply was not decoded');
  }
  const N = 500;
  const loop = (fn) => async () => {
    for (let i = 0; i < N; i++) await fn();
  };
  const [tOurs, tRaw] = await race(loop(ours), loop(raw), { warm: 5, warmMs: 500, minMs: 1500 });
  const [, tBare] = await race(loop(raw), loop(bare), { warm: 5, warmMs: 500, minMs: 1000 });
  const us = (t) => (1e6 * t / N).toFixed(1);
  emit({
    name: 'typescript: per-call overhead, sendMessage / raw fetch + res.json() with a timeout', key: 'ts-calls',
    unit: 'call', ours: tOurs / N, peer: tRaw / N, target: 1.3,
    note: `${us(tOurs)} us ours, ${us(tRaw)} us raw per call (AbortController + setTimeout, as ours); `
      + `raw without a timeout ${us(tBare)} us (ours/that ${(tOurs / tBare).toFixed(2)}x); injected fetch, Response of ${reply.length} bytes`,
  });
}

// -- rss ----------------------------------------------------------------------------------

function status() {
  const s = readFileSync('/proc/self/status', 'utf8');
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)[1]) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/**
 * streams.BigStream: execution, 100-character content deltas up to 100 MB, done without output.
 *
 * Made as it is read, and written straight into each chunk's bytes: only the frame id changes
 * from one content frame to the next, so its digits are written into the frame's fixed bytes.
 * The producer shares the process whose RSS is measured; one built from strings (a frame string,
 * `pending += frame`, `slice`, `encode` per chunk) churns ~200 MB of strings through V8's young
 * generation and grows RSS by ~45 MiB with a consumer that reads nothing.
 */
function bigBody(total = 100_000_000, delta = 100, chunk = 64 * 1024) {
  const enc = new TextEncoder();
  const text = 'x'.repeat(delta - 1) + ' ';
  const frame = (id, event, data) => enc.encode(`id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  const head = enc.encode('id: ');
  const tail = enc.encode(`\nevent: content\ndata: ${JSON.stringify({ content: text })}\n\n`);
  const scratch = new Uint8Array(head.length + 20 + tail.length);
  scratch.set(head);
  const digits = new Uint8Array(20);
  /** The content frame `id` in `scratch`, returning its length. */
  const contentFrame = (id) => {
    let d = digits.length;
    for (let v = id; v > 0; v = Math.floor(v / 10)) digits[--d] = 0x30 + (v % 10);
    const n = digits.length - d;
    scratch.set(digits.subarray(d), head.length);
    scratch.set(tail, head.length + n);
    return head.length + n + tail.length;
  };
  let carry = frame(1, 'execution', { execution_id: '2Qm8c7Zz9yXwV8uT7sR6qP5oN4m', user_message_id: '2Qm8c7Hn0pLkJ3sVbX5wR1tY9eA' });
  let sent = 0;
  let id = 2;
  let finished = false;
  const counter = { frames: 1 };
  const body = new ReadableStream({
    pull(controller) {
      const out = new Uint8Array(chunk);
      let used = 0;
      while (used < chunk) {
        if (carry.length > 0) {
          const n = Math.min(carry.length, chunk - used);
          out.set(carry.subarray(0, n), used);
          used += n;
          carry = carry.subarray(n);
          continue;
        }
        if (finished) break;
        if (sent >= total) {
          carry = frame(id, 'done', { token_usage: { prompt_tokens: 1, completion_tokens: id, total_tokens: id + 1 }, time: 1.0 });
          counter.frames++;
          finished = true;
          continue;
        }
        const n = contentFrame(id++);
        counter.frames++;
        sent += n;
        carry = scratch.subarray(0, n);
      }
      if (used === 0) {
        controller.close();
        return;
      }
      // `carry` may still point into `scratch`: the next pull copies it out before rewriting it.
      controller.enqueue(used === chunk ? out : out.subarray(0, used));
    },
  });
  return { body, counter };
}

async function partRss() {
  const side = args.side;
  let counter;
  const fetch = async () => {
    const big = bigBody();
    counter = big.counter;
    return new Response(big.body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  };
  let run;
  if (side === 'ours') {
    const client = new sdk.PromptRails({ apiKey: 'bench', baseUrl: 'http://bench.local', fetch });
    run = async () => {
      let n = 0;
      for await (const event of client.chat.sendMessageStream('s_1', { content: 'Hello!' })) {
        if (event.type === 'unknown') throw new Error(`unexpected ${event.event}`);
        n++;
      }
      return n;
    };
  } else if (side === 'peer') {
    run = async () => {
      const response = await fetch(URL_STREAM, { method: 'POST', headers: HEADERS, body: '{"content":"Hello!"}' });
      let n = 0;
      const parser = createParser({
        onEvent: (message) => {
          JSON.parse(message.data);
          n++;
        },
      });
      const dec = new TextDecoder();
      for await (const value of response.body) parser.feed(dec.decode(value, { stream: true }));
      return n;
    };
  } else throw new Error(`--side ours|peer, not ${side}`);
  let reset = true;
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    reset = false;
  }
  const before = status();
  const t0 = performance.now();
  const n = await run();
  const seconds = (performance.now() - t0) / 1000;
  const after = status();
  if (n !== counter.frames) throw new Error(`${side}: ${n} events, the body had ${counter.frames}`);
  emit({ side, growth: after.hwm - before.rss, baseline: before.rss, peak: after.hwm, events: n, seconds, reset, node: process.version });
}

const parts = { stream: partStream, calls: partCalls, rss: partRss };
if (!parts[args.part]) throw new Error(`--part ${Object.keys(parts).join('|')}, not ${args.part}`);
await parts[args.part]();
