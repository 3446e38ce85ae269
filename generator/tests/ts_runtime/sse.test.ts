/** The Server-Sent Events parsing rules (WHATWG HTML, "Server-sent events"; generator/RUNTIME.md, "Streams"), one test per rule, against the runtime's decoder. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SSEDecoder, StreamError, type ServerSentEvent } from '../sdks/notebook/src/index.js';

const enc = new TextEncoder();

/** What a run of a decoder produced: the events, and the error that stopped it (if any). */
function outcomeOf(run: (events: ServerSentEvent[]) => void): { events: ServerSentEvent[]; error: unknown } {
  const events: ServerSentEvent[] = [];
  try {
    run(events);
    return { events, error: undefined };
  } catch (error) {
    return { events, error };
  }
}

/**
 * The events of `chunks`, decoded both ways the decoder offers (`feed`/`end` returning each chunk's
 * events, `write`/`close` handing them to `onEvent`), which must agree, events and error alike.
 */
function decode(chunks: (string | Uint8Array)[], options: { maxEventSize?: number } = {}): ServerSentEvent[] {
  const bytes = chunks.map((c) => (typeof c === 'string' ? enc.encode(c) : c));
  const fed = outcomeOf((events) => {
    const d = new SSEDecoder(options);
    for (const c of bytes) events.push(...d.feed(c));
    events.push(...d.end());
  });
  const written = outcomeOf((events) => {
    const d = new SSEDecoder({ ...options, onEvent: (e) => events.push(e) });
    for (const c of bytes) d.write(c);
    d.close();
  });
  assert.deepEqual(written.events, fed.events, 'write/onEvent and feed deliver the same events');
  assert.equal(String(written.error), String(fed.error), 'write/onEvent and feed fail the same way');
  if (fed.error !== undefined) throw fed.error;
  return fed.events;
}

test('rule: a leading UTF-8 BOM is stripped', () => {
  const events = decode([new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode('data: x\n\n')])]);
  assert.deepEqual(events, [{ event: 'message', data: 'x', id: undefined }]);
});

test('rule: a BOM split across chunks is stripped', () => {
  const events = decode([new Uint8Array([0xef]), new Uint8Array([0xbb, 0xbf]), 'event: a\ndata: x\n\n']);
  assert.deepEqual(events, [{ event: 'a', data: 'x', id: undefined }]);
});

test('rule: only one BOM is stripped (a second one is part of the field name)', () => {
  const events = decode([new Uint8Array([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, ...enc.encode('data: x\n\ndata: y\n\n')])]);
  assert.deepEqual(events.map((e) => e.data), ['y']);
});

test('rule: CRLF line ends', () => {
  assert.deepEqual(decode(['event: a\r\ndata: 1\r\n\r\n']), [{ event: 'a', data: '1', id: undefined }]);
});

test('rule: CR-only line ends, the last event dispatched without waiting for more input', () => {
  const d = new SSEDecoder();
  assert.deepEqual(d.feed(enc.encode('event: a\rdata: 1\r\r')), [{ event: 'a', data: '1', id: undefined }]);
});

test('rule: a CRLF split across chunks is one line end', () => {
  const events = decode(['data: 1\r', '\ndata: 2\r', '\n\r', '\n']);
  assert.deepEqual(events.map((e) => e.data), ['1\n2']);
});

test('rule: CR and CRLF line ends inside a chunk that ends with a blank line (a whole event per chunk)', () => {
  assert.deepEqual(decode(['event: a\rdata: 1\r\ndata: 2\r\rid: 3\ndata: 4\n\n']), [
    { event: 'a', data: '1\n2', id: undefined },
    { event: 'message', data: '4', id: '3' },
  ]);
  // ... and after a chunk that ended with a CR (the LF starting the next one pairs with it).
  assert.deepEqual(decode(['data: 1\r', '\ndata: 2\r\n\n']).map((e) => e.data), ['1\n2']);
  assert.deepEqual(decode(['data: 1\r', '\n\n']).map((e) => e.data), ['1']);
});

test('rule: mixed line ends in one stream', () => {
  assert.deepEqual(decode(['data: a\ndata: b\r\ndata: c\r\r\n']).map((e) => e.data), ['a\nb\nc']);
});

test('rule: UTF-8 split across chunks decodes whole', () => {
  const bytes = enc.encode('data: héllo €\n\n');
  const events = decode([...bytes].map((b) => new Uint8Array([b])));
  assert.deepEqual(events.map((e) => e.data), ['héllo €']);
});

test('rule: lines starting with a colon are comments', () => {
  assert.deepEqual(decode([': keep-alive\ndata: x\n:another\n\n']).map((e) => e.data), ['x']);
});

test('rule: one leading space of a value is stripped, not more', () => {
  assert.deepEqual(decode(['data:  two\n\ndata:none\n\n']).map((e) => e.data), [' two', 'none']);
});

test('rule: a field with no colon has an empty value', () => {
  assert.deepEqual(decode(['data\ndata\n\n']).map((e) => e.data), ['\n']);
});

test('rule: multi-line data is joined with LF', () => {
  assert.deepEqual(decode(['data: a\ndata: b\ndata: c\n\n']).map((e) => e.data), ['a\nb\nc']);
});

test('rule: an id containing NUL is ignored', () => {
  const events = decode(['id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n']);
  assert.deepEqual(events.map((e) => e.id), ['1', undefined]);
});

test('rule: retry is used only when all ASCII digits', () => {
  const d = new SSEDecoder();
  d.feed(enc.encode('retry: 1500\n\n'));
  assert.equal(d.retry, 1500);
  d.feed(enc.encode('retry: 15x\n\nretry: -1\n\nretry: 1.5\n\n'));
  assert.equal(d.retry, 1500);
});

test('rule: unknown fields are ignored', () => {
  assert.deepEqual(decode(['foo: bar\ndata: x\nData: y\n\n']), [{ event: 'message', data: 'x', id: undefined }]);
});

test('rule: a blank line dispatches only when data was seen', () => {
  assert.deepEqual(decode(['event: a\n\nid: 3\n\n\n\ndata: x\n\n']).map((e) => [e.event, e.data]), [['message', 'x']]);
});

test('rule: an incomplete event at EOF is dropped', () => {
  assert.deepEqual(decode(['data: a\n\ndata: b\n']).map((e) => e.data), ['a']);
  assert.deepEqual(decode(['data: a\n\ndata: b']).map((e) => e.data), ['a']);
});

test('rule: the event name defaults to "message" and is reset after each event', () => {
  assert.deepEqual(decode(['event: a\ndata: 1\n\ndata: 2\n\n']).map((e) => e.event), ['a', 'message']);
});

test('rule: an empty event type (`event:` with no value, or `event` alone) dispatches as "message"', () => {
  assert.deepEqual(decode(['event:\ndata: 1\n\nevent\ndata: 2\n\nevent: \ndata: 3\n\n']), [
    { event: 'message', data: '1', id: undefined },
    { event: 'message', data: '2', id: undefined },
    { event: 'message', data: '3', id: undefined },
  ]);
});

test('rule: an event over the size cap throws StreamError', () => {
  assert.throws(() => decode(['data: ' + 'x'.repeat(100) + '\n\n'], { maxEventSize: 50 }), StreamError);
  // Across chunks, with no line end yet.
  const d = new SSEDecoder({ maxEventSize: 50 });
  d.feed(enc.encode('data: ' + 'x'.repeat(30)));
  assert.throws(() => d.feed(enc.encode('x'.repeat(30))), /maximum size of 50/);
});

test('rule: the size cap counts one event, not the whole stream, and skips comments', () => {
  const chunks = Array.from({ length: 20 }, (_, i) => `: ping ${'p'.repeat(40)}\ndata: ${i}${'x'.repeat(20)}\n\n`);
  assert.equal(decode(chunks, { maxEventSize: 50 }).length, 20);
});

test('rule: events split at every byte decode the same as whole', () => {
  const text = 'id: 7\r\nevent: content\r\ndata: {"content":"ü"}\r\n\r\n';
  const whole = decode([text]);
  const bytes = enc.encode(text);
  assert.deepEqual(decode([...bytes].map((b) => new Uint8Array([b]))), whole);
  assert.deepEqual(whole, [{ event: 'content', data: '{"content":"ü"}', id: '7' }]);
});

test('rule: the size cap gives the same result however the stream is cut', () => {
  // Comments, blank lines and events of 49, 50 and 51 characters (the cap is 50).
  const text = ': ping\n\n' + 'data: ' + 'x'.repeat(42) + '\n\n:' + 'c'.repeat(60) + '\ndata: ' + 'y'.repeat(43) + '\n\n\ndata: ' + 'z'.repeat(44) + '\n\n';
  const outcome = (chunks: string[]) => {
    const events: string[] = [];
    try {
      decode(chunks, { maxEventSize: 50 }).forEach((e) => events.push(e.data));
      return events;
    } catch (err) {
      assert.ok(err instanceof StreamError);
      return [...events, 'too big'];
    }
  };
  assert.deepEqual(outcome([text]), ['too big']);
  assert.deepEqual(outcome([text.slice(0, text.lastIndexOf('data'))]), ['x'.repeat(42), 'y'.repeat(43)]);
  for (let cut = 1; cut < text.length; cut++) {
    assert.deepEqual(outcome([text.slice(0, cut), text.slice(cut)]), ['too big'], `cut at ${cut}`);
    for (const size of [3, 17]) {
      const chunks = Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, i * size + size));
      assert.deepEqual(outcome(chunks), ['too big']);
    }
  }
});

test('rule: text that merely looks like UTF-8 BOM bytes read as Latin-1 ("ï»¿") is not stripped', () => {
  // U+00EF U+00BB U+00BF at the very start, after the real BOM: part of the first field's name.
  const bom = new Uint8Array([0xef, 0xbb, 0xbf]);
  assert.deepEqual(decode([bom, 'ï»¿data: x\n\ndata: y\n\n']).map((e) => e.data), ['y']);
  assert.deepEqual(decode(['ï»¿data: x\n\ndata: y\n\n']).map((e) => e.data), ['y']);
  // ... also after reset(), when the next connection starts.
  const d = new SSEDecoder();
  d.feed(enc.encode('data: a\n\n'));
  d.reset();
  assert.deepEqual([...d.feed(enc.encode('ï»¿data: x\n\ndata: y\n\n'))].map((e) => e.data), ['y']);
});

test('long lines: a line split over many chunks (and across a code point) decodes whole, whatever the cuts', () => {
  const payload = 'é'.repeat(50_000) + '€';
  const text = `id: 9\nevent: content\ndata: {"content":"${payload}"}\n\n`;
  const bytes = enc.encode(text);
  const expected = [{ event: 'content', data: `{"content":"${payload}"}`, id: '9' }];
  for (const size of [1, 7, 4096]) {
    const chunks = Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.slice(i * size, i * size + size));
    assert.deepEqual(decode(chunks), expected, `chunks of ${size}`);
  }
  // The pending piece of a line is forgotten when the stream ends or the decoder resets.
  const d = new SSEDecoder();
  d.feed(enc.encode('data: abc'));
  assert.deepEqual(d.end(), []);
  assert.deepEqual(d.feed(enc.encode('data: z\n\n')), [{ event: 'message', data: 'z', id: undefined }]);
  d.feed(enc.encode('data: abc'));
  d.reset();
  assert.deepEqual(d.feed(enc.encode('def\ndata: z\n\n')), [{ event: 'message', data: 'z', id: undefined }]);
});

test('onEvent: write() and close() hand each event over as it is dispatched; feed() and end() still return theirs', () => {
  const seen: string[] = [];
  const d = new SSEDecoder({ onEvent: (e) => seen.push(e.data) });
  d.write(enc.encode('data: 1\n\ndata: 2\n'));
  assert.deepEqual(seen, ['1']);
  d.write('\ndata: 3');
  assert.deepEqual(seen, ['1', '2']);
  // feed() returns the events of its chunk and leaves onEvent alone.
  assert.deepEqual(d.feed(enc.encode('\n\ndata: 4\n\n')).map((e) => e.data), ['3', '4']);
  assert.deepEqual(seen, ['1', '2']);
  d.write(enc.encode('data: 5\n\ndata: incomplete'));
  d.close();
  assert.deepEqual(seen, ['1', '2', '5']);
  assert.equal(d.lastEventId, undefined);
  // close() starts over, as end() does.
  d.write(enc.encode('id: 6\ndata: 6\n\n'));
  assert.deepEqual(seen, ['1', '2', '5', '6']);
  assert.equal(d.lastEventId, '6');
});

test('large chunks: a line under way ended in a large chunk decodes the same however the bytes are cut', () => {
  // Large chunks whose first line completes the line under way are decoded in pieces at their
  // LF bytes; CR, CRLF and LF line ends, comments, multi-byte characters and a CRLF split
  // across chunks must come out as from one chunk.
  const ends = ['\n', '\r\n', '\r'];
  let text = '';
  for (let i = 0; i < 600; i++) {
    const end = ends[i % 3]!;
    text += `id: ${i}${end}event: e${i % 7}${end}`;
    if (i % 5 === 0) text += `: comment é ${i}${end}`;
    text += `data: {"n":${i},"s":"héllo € 😀 ${'x'.repeat(i % 40)}"}${end}`;
    if (i % 4 === 0) text += `data: second line ${i}${end}`;
    text += end;
  }
  const bytes = enc.encode(text);
  const whole = decode([bytes]);
  assert.equal(whole.length, 600);
  assert.deepEqual(whole[1], { event: 'e1', data: '{"n":1,"s":"héllo € 😀 x"}', id: '1' });
  for (const [head, size] of [[1, 4097], [13, 5000], [4099, 4100], [77, 9999], [2, 65536]] as const) {
    const chunks = [bytes.slice(0, head)];
    for (let at = head; at < bytes.length; at += size) chunks.push(bytes.slice(at, at + size));
    assert.deepEqual(decode(chunks), whole, `first chunk of ${head} bytes, then ${size}`);
  }
  // Every cut of one large chunk after a small one (a code point, a CRLF, a line split anywhere).
  for (let cut = 1; cut < 200; cut++) {
    assert.deepEqual(decode([bytes.slice(0, cut), bytes.slice(cut)]), whole, `cut at ${cut}`);
  }
});
