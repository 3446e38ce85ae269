// Long lines and long streams through the TypeScript SDK's SSE path (issue 9, part 2).
//
//   cd typescript-sdk && npm run build && cd .. && node --expose-gc bench/bench_ts_longline.mjs [--repeats N]
//
// Prints one JSON object per line (the same row shape as bench_ts.mjs):
//
// - "long line": one event whose single `data:` line is 8 MiB, fed in 4 KiB chunks, against
//   the same event written as short `data:` lines (the same number of bytes, one event):
//   parsing must be linear in the bytes, so the ratio must stay under 2 (the target).
//   The decoder alone (`SSEDecoder.feed`) and the whole typed stream (a `content` event of
//   8 MiB through `client.chat.sendMessageStream` with an injected fetch) are both timed.
// - "peak heap": the largest heap growth while parsing each of the two inputs.
// - "long stream": the heap a stream holds after 200k and after 2M events (ids 1, 2, 3, ...),
//   with every event dropped by the caller: the delivered-id bookkeeping is two numbers, not
//   one entry per event, so the two figures must stay close (target: the ratio under 1.5).
//
// Timing lives here, never in the test suites.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const sdkDir = join(here, '..', 'typescript-sdk');
const sdk = await import(pathToFileURL(join(sdkDir, 'dist', 'esm', 'index.js')).href);

const { values: args } = parseArgs({ options: { repeats: { type: 'string', default: '5' } } });
const repeats = Number(args.repeats);
if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');

const SIZE = 8 * 1024 * 1024;
const CHUNK = 4096;
const SHORT = 76; // characters of payload per short line

const encoder = new TextEncoder();

/**
 * One `content` event of about SIZE bytes, as short `data:` lines: a JSON string cannot hold a
 * raw LF, so its data is an object whose `parts` array has one short string per line (LF
 * between JSON tokens is whitespace).
 */
function shortLines() {
  const lines = [];
  for (let i = 0; i < SIZE; i += SHORT + 10) lines.push(`data: "${'x'.repeat(SHORT)}",`);
  return `id: 1\nevent: content\ndata: {"content":"x","parts":[\n${lines.join('\n')}\ndata: ""]}\n\n`;
}

/** The same number of bytes as one `content` event whose single `data:` line is the whole JSON. */
function longLine(bytes) {
  const head = 'id: 1\nevent: content\ndata: {"content":"';
  const tail = '"}\n\n';
  return `${head}${'x'.repeat(bytes - head.length - tail.length)}${tail}`;
}

const done = 'id: 2\nevent: done\ndata: {}\n\n';
const short = shortLines();
const inputs = {
  long: encoder.encode(longLine(short.length) + done),
  short: encoder.encode(short + done),
};
if (inputs.long.length !== inputs.short.length) throw new Error('the two inputs differ in size');

function chunked(bytes) {
  const out = [];
  for (let i = 0; i < bytes.length; i += CHUNK) out.push(bytes.subarray(i, i + CHUNK));
  return out;
}
const chunks = { long: chunked(inputs.long), short: chunked(inputs.short) };

function decode(which, afterChunk = () => {}) {
  const decoder = new sdk.SSEDecoder();
  let n = 0;
  for (const chunk of chunks[which]) {
    n += decoder.feed(chunk).length;
    afterChunk();
  }
  n += decoder.end().length;
  if (n !== 2) throw new Error(`${which}: ${n} events, want 2`);
  return n;
}

function replayFetch(parts) {
  return async () => {
    let i = 0;
    const body = new ReadableStream({
      pull(controller) {
        if (i < parts.length) controller.enqueue(parts[i++]);
        else controller.close();
      },
    });
    return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  };
}

async function typed(which) {
  const client = new sdk.PromptRails({ apiKey: 'bench', baseUrl: 'http://bench.local', fetch: replayFetch(chunks[which]) });
  let n = 0;
  for await (const event of client.chat.sendMessageStream('s_1', { content: 'x' })) {
    if (event.type === 'unknown') throw new Error(`unexpected ${event.event}`);
    n++;
  }
  if (n !== 2) throw new Error(`${which}: ${n} events, want 2`);
  return n;
}

/** Best of `repeats` (after a warm-up), long and short alternating. */
async function race(long, short) {
  for (let i = 0; i < 2; i++) {
    await long();
    await short();
  }
  globalThis.gc();
  const best = [Infinity, Infinity];
  for (let i = 0; i < repeats; i++) {
    for (const [side, fn] of [long, short].entries()) {
      const t0 = performance.now();
      await fn();
      best[side] = Math.min(best[side], performance.now() - t0);
    }
  }
  return best.map((ms) => ms / 1000);
}

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

const mb = inputs.long.length / 1e6;
for (const [name, long, short] of [
  ['typescript: one 8 MiB line vs the same bytes as short lines, SSEDecoder, 4 KiB chunks', () => decode('long'), () => decode('short')],
  ['typescript: one 8 MiB line vs short lines, typed stream via the SDK', () => typed('long'), () => typed('short')],
]) {
  const [tLong, tShort] = await race(long, short);
  const note = `${(mb / tLong).toFixed(1)} MB/s long line, ${(mb / tShort).toFixed(1)} MB/s short lines`;
  console.log(JSON.stringify({ name, unit: 's', ours: tLong, peer: tShort, target: 2.0, note }));
}
const heap = (which) => Math.min(...Array.from({ length: 3 }, () => peakHeap((after) => decode(which, after))));
const hLong = heap('long');
const hShort = heap('short');
console.log(
  JSON.stringify({
    name: 'typescript: peak heap, 8 MiB line vs short lines (used_heap_size delta)',
    unit: 'B',
    ours: hLong,
    peer: hShort,
    target: 2.0,
    note: `input ${inputs.long.length} B; sampled per chunk`,
  }),
);

// -- a long stream: the heap held after N events ------------------------------------------

/** A body of `events` content frames with increasing ids, then `done`, produced lazily. */
function longStreamFetch(events) {
  return async () => {
    let i = 1;
    const body = new ReadableStream({
      pull(controller) {
        if (i > events) {
          controller.enqueue(encoder.encode(`id: ${i}\nevent: done\ndata: {}\n\n`));
          controller.close();
          return;
        }
        let text = '';
        for (const end = Math.min(events, i + 63); i <= end; i++) text += `id: ${i}\nevent: content\ndata: {"content":"w${i} "}\n\n`;
        controller.enqueue(encoder.encode(text));
      },
    });
    return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  };
}

/** Heap in use (after gc) once `events` events went through one stream, measured just before its end. */
async function heldAfter(events) {
  const client = new sdk.PromptRails({ apiKey: 'bench', baseUrl: 'http://bench.local', fetch: longStreamFetch(events) });
  globalThis.gc();
  const base = getHeapStatistics().used_heap_size;
  let held = 0;
  let n = 0;
  for await (const event of client.chat.sendMessageStream('s_1', { content: 'x' })) {
    if (++n === events) {
      globalThis.gc();
      held = getHeapStatistics().used_heap_size - base;
    }
    if (event.type === 'done') break;
  }
  return Math.max(held, 0);
}

const small = await heldAfter(200_000);
const large = await heldAfter(2_000_000);
console.log(
  JSON.stringify({
    name: 'typescript: heap held by one stream after 2M vs 200k events (ids 1..N)',
    unit: 'B',
    ours: large,
    peer: small,
    target: 1.5,
    note: 'used_heap_size after gc(), mid-stream, events dropped by the caller',
  }),
);
