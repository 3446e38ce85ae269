// TypeScript benchmarks: @promptrails/sdk's SSE path (the built dist/) against the bare
// eventsource-parser (`createParser`) + JSON.parse, on the same bytes, in the same run.
//
//   node --expose-gc bench/bench_ts.mjs [--repeats N] [--input stream.sse]
//
// Prints one JSON object per line, the rows bench/run.py puts in its table. Without
// --input the stream is built here, the same as bench_python._stream_bytes.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { parseArgs } from 'node:util';

const EVENTS = 20_000;
const CHUNK = 4096;

const here = dirname(fileURLToPath(import.meta.url));
const sdkDir = join(here, '..', 'typescript-sdk');
const sdk = await import(pathToFileURL(join(sdkDir, 'dist', 'esm', 'index.js')).href);
// The very module the SDK's ESM build imports (its `import` export), so both sides run
// the same eventsource-parser code.
const epDir = join(sdkDir, 'node_modules', 'eventsource-parser');
const epPkg = JSON.parse(readFileSync(join(epDir, 'package.json'), 'utf8'));
const { createParser } = await import(pathToFileURL(join(epDir, epPkg.exports['.'].import)).href);

const { values: args } = parseArgs({
  options: { repeats: { type: 'string', default: '5' }, input: { type: 'string' } },
});
const repeats = Number(args.repeats);
if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');

function streamBytes(events = EVENTS) {
  const parts = ['id: 1\nevent: execution\ndata: {"execution_id":"ex_1","user_message_id":"m_1"}\n\n'];
  for (let i = 2; i < events; i++) parts.push(`id: ${i}\nevent: content\ndata: {"content": "word${i} "}\n\n`);
  parts.push(
    `id: ${events}\nevent: done\ndata: {"output": "...", "token_usage": {"prompt_tokens": 1, ` +
      `"completion_tokens": ${events}, "total_tokens": ${events + 1}}, "time": 1.0}\n\n`,
  );
  return new TextEncoder().encode(parts.join(''));
}

const data = args.input ? new Uint8Array(readFileSync(args.input)) : streamBytes();
const chunks = [];
for (let i = 0; i < data.length; i += CHUNK) chunks.push(data.slice(i, i + CHUNK));

// -- parse: bytes in, events out --------------------------------------------------------

// `afterChunk` is the peak-heap probe (a no-op when timing).
function parseOurs(afterChunk = () => {}) {
  const decoder = new sdk.SSEDecoder();
  let n = 0;
  for (const chunk of chunks) {
    n += decoder.feed(chunk).length;
    afterChunk();
  }
  n += decoder.end().length;
  return n;
}

function parsePeer(afterChunk = () => {}) {
  // What a user writes without the SDK: decode UTF-8 as it streams, feed the parser.
  let n = 0;
  const parser = createParser({ onEvent: () => n++ });
  const text = new TextDecoder();
  for (const chunk of chunks) {
    parser.feed(text.decode(chunk, { stream: true }));
    afterChunk();
  }
  const rest = text.decode();
  if (rest) parser.feed(rest);
  return n;
}

// -- typed: a streamed reply through fetch ----------------------------------------------

/** A `fetch` answering with the stream, 4 KiB per read, as a network body would. */
function replayFetch() {
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

async function typedOurs() {
  const client = new sdk.PromptRails({ apiKey: 'bench', baseUrl: 'http://bench.local', fetch: replayFetch() });
  let n = 0;
  for await (const event of client.chat.sendMessageStream('s_1', { content: 'Hello!' })) {
    if (event.type === 'unknown') throw new Error(`unexpected ${event.event}`);
    n++;
  }
  return n;
}

async function typedPeer() {
  const fetch = replayFetch();
  const response = await fetch('http://bench.local/api/v1/chat/sessions/s_1/messages/stream', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-api-key': 'bench' },
    body: JSON.stringify({ content: 'Hello!' }),
  });
  let n = 0;
  let done = false;
  const parser = createParser({
    onEvent: (message) => {
      JSON.parse(message.data);
      n++;
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
  return n;
}

// -- measuring --------------------------------------------------------------------------

/**
 * Warm both sides up (JIT tiers: at least 20 runs each and half a second), then time them
 * in alternation, at least `repeats` rounds and one second, so both see the same machine
 * (a busy 2-core box starves the background compiler and the GC); each keeps its best.
 *
 * One full gc() before the timed rounds, none between them: a forced full GC discards
 * optimized code that holds weak references to dead objects (`--trace-deopt`: "weak
 * objects"), so a gc() before every run would time every run half-unoptimized (a median
 * of 22 ms instead of 5 ms for our parser here), which no real process does.
 */
async function race(ours, peer) {
  for (let i = 0, start = performance.now(); i < 20 || performance.now() - start < 500; i++) {
    await ours();
    await peer();
  }
  const best = [Infinity, Infinity];
  globalThis.gc();
  for (let i = 0, start = performance.now(); i < repeats || performance.now() - start < 1000; i++) {
    for (const [side, fn] of [ours, peer].entries()) {
      const t0 = performance.now();
      await fn();
      best[side] = Math.min(best[side], performance.now() - t0);
    }
  }
  return best.map((ms) => ms / 1000);
}

/**
 * Peak heap while parsing: the largest `used_heap_size` above a post-gc() baseline,
 * sampled after every chunk (garbage not yet collected counts too, as it occupies the heap).
 */
function peakHeap(fn) {
  globalThis.gc();
  globalThis.gc();
  const base = getHeapStatistics().used_heap_size;
  let peak = 0;
  fn(() => {
    peak = Math.max(peak, getHeapStatistics().used_heap_size - base);
  });
  return Math.max(peak, 0);
}

function check(name, n) {
  if (n !== EVENTS) throw new Error(`${name}: ${n} events, want ${EVENTS}`);
}

check('parse ours', parseOurs());
check('parse peer', parsePeer());
check('typed ours', await typedOurs());
check('typed peer', await typedPeer());
const mb = data.length / 1e6;
const rows = [
  ['typescript: SSE parse, 20k events, 4 KiB chunks', parseOurs, parsePeer, 1.5],
  ['typescript: typed stream via the SDK vs eventsource-parser + JSON.parse', typedOurs, typedPeer, 2.5],
];
for (const [name, ours, peer, target] of rows) {
  const [tOurs, tPeer] = await race(ours, peer);
  const note = `${(mb / tOurs).toFixed(1)} MB/s ours, ${(mb / tPeer).toFixed(1)} MB/s peer`;
  console.log(JSON.stringify({ name, unit: 's', ours: tOurs, peer: tPeer, target, note }));
}
const heap = (fn) => Math.min(...Array.from({ length: 3 }, () => peakHeap(fn)));
const mOurs = heap(parseOurs);
const mPeer = heap(parsePeer);
console.log(
  JSON.stringify({
    name: 'typescript: peak heap while parsing (used_heap_size delta)',
    unit: 'B',
    ours: mOurs,
    peer: mPeer,
    target: 2.0,
    note: `node ${process.version}, --expose-gc, sampled per chunk`,
  }),
);
