/**
 * A small push-style Server-Sent Events decoder (the WHATWG HTML standard, "Server-sent
 * events", and generator/RUNTIME.md, "Streams"), built on
 * eventsource-parser's `createParser` and fixing, in front of it, what it does not do:
 *
 * - "The stream must be decoded as UTF-8", with "one leading BOM stripped": bytes go
 *   through one streaming `TextDecoder` (`stream: true`), so a code point or the BOM split
 *   across chunks decodes correctly; the decoder strips exactly one leading BOM.
 * - "Lines must be separated by a U+000D CARRIAGE RETURN U+000A LINE FEED (CRLF) character
 *   pair, a single U+000A LINE FEED (LF) character, or a single U+000D CARRIAGE RETURN (CR)
 *   character": a CR that ended a chunk is remembered, so a CRLF split across two chunks is one
 *   line end, and every line end is normalised to LF here before the parser sees it (the parser
 *   itself holds a trailing CR back until more input arrives, which would delay the last
 *   event of a CR-only stream forever). A chunk that ends with a blank line (`\n\n`), the usual
 *   chunk of a server flushing whole events, has no trailing CR: the parser reads its CR and
 *   CRLF line ends itself, and the chunk goes to it unscanned.
 * - "If the field value does not contain U+0000 NULL, then set the last event ID buffer";
 *   "retry: if the field value consists of only ASCII digits"; unknown fields ignored;
 *   comments (`:`) ignored; one leading space of a value stripped; `data` lines joined
 *   with LF; "if the data buffer is an empty string, set the data buffer and the event type
 *   buffer to the empty string and return" (no dispatch without data): eventsource-parser.
 * - "Once the end of the file is reached, any pending data must be discarded": `end()`
 *   flushes the decoder and drops an incomplete event; it never dispatches it.
 * - A cap on the size of one event (`maxEventSize`, counted in UTF-16 code units of the
 *   event's lines, default 16 MiB) throws `StreamError` instead of growing without bound.
 * - Linear time however long a line is: the parser is only ever fed whole lines. The end of a
 *   chunk after its last line end is kept here, as a list of pieces joined once when the line
 *   ends, so a line of N bytes arriving in small chunks costs O(N), whatever the parser
 *   version (eventsource-parser before 3.1 re-scanned its whole pending line on every chunk:
 *   8 MiB in 4 KiB chunks took seconds). The parser's own first-chunk BOM check (which
 *   compares code units 0xEF 0xBB 0xBF, i.e. Latin-1 text, not U+FEFF) is disarmed by an
 *   empty first feed: the decoder above has already stripped the one BOM the spec allows.
 */
import { createParser, type EventSourceParser } from 'eventsource-parser';
import { StreamError } from './errors.js';

export interface ServerSentEvent {
  /** The event name; `message` when the frame had no `event:` line. */
  event: string;
  /** The `data` lines, joined with `\n`. */
  data: string;
  /** The frame's own `id:` value, when it had one. */
  id: string | undefined;
}

export const DEFAULT_MAX_EVENT_SIZE = 16 * 1024 * 1024;

/** A chunk under this size is decoded in one piece (see `write`). */
const SPLIT_BYTES = 4096;

/** The options of every streaming decode (one object, not one per chunk). */
const STREAM: TextDecodeOptions = { stream: true };

export class SSEDecoder {
  readonly maxEventSize: number;
  private readonly parser: EventSourceParser;
  private decoder = new TextDecoder('utf-8');
  private pending: ServerSentEvent[] = [];
  /** Where dispatched events go: `pending` (`feed`), or the caller's function (`write`). */
  private sink: (frame: ServerSentEvent) => void;
  private readonly collect = (frame: ServerSentEvent): void => {
    this.pending.push(frame);
  };
  private lastWasCR = false;
  private atLineStart = true;
  private inComment = false;
  private eventSize = 0;
  private lastId: string | undefined;
  private retryMs: number | undefined;
  /** The current line's text so far (after the chunk's last line end), in pieces. */
  private partial: string[] = [];

  /**
   * `onEvent`: receive each event as it is dispatched, through `write()` and `close()` (no list
   * per chunk); `feed()` and `end()` still return theirs.
   */
  constructor(options: { maxEventSize?: number | undefined; onEvent?: ((frame: ServerSentEvent) => void) | undefined } = {}) {
    this.maxEventSize = options.maxEventSize ?? DEFAULT_MAX_EVENT_SIZE;
    const onEvent = options.onEvent;
    this.sink = this.collect;
    this.parser = createParser({
      onEvent: (message) => {
        if (message.id !== undefined) this.lastId = message.id;
        // The parser's own object (a new one per event) becomes the frame: no copy per event.
        // An empty event type buffer dispatches as `message`.
        const frame = message as ServerSentEvent;
        if (!message.event) frame.event = 'message';
        this.sink(frame);
      },
      onRetry: (ms) => {
        this.retryMs = ms;
      },
      // Invalid `retry` values and unknown fields are ignored, as the spec says.
      onError: () => undefined,
    });
    this.parser.feed('');
    if (onEvent !== undefined) this.sink = onEvent;
  }

  /** The last `id` seen on a dispatched event (the spec's "last event ID buffer"). */
  get lastEventId(): string | undefined {
    return this.lastId;
  }

  /** The last valid `retry:` value, in milliseconds. */
  get retry(): number | undefined {
    return this.retryMs;
  }

  /** Feed raw bytes (or already-decoded text); returns the events completed by this chunk. */
  feed(chunk: Uint8Array | string): ServerSentEvent[] {
    const sink = this.sink;
    this.sink = this.collect;
    try {
      this.write(chunk);
    } finally {
      this.sink = sink;
    }
    return this.take();
  }

  /** End of stream: flush the decoder; an incomplete event is dropped, never dispatched. */
  end(): ServerSentEvent[] {
    const sink = this.sink;
    this.sink = this.collect;
    try {
      const rest = this.decoder.decode();
      if (rest) this.push(rest);
    } finally {
      this.sink = sink;
    }
    const events = this.take();
    this.reset();
    return events;
  }

  /** Feed raw bytes (or already-decoded text): the events it completes go to `onEvent`. */
  write(chunk: Uint8Array | string): void {
    if (typeof chunk === 'string') {
      this.push(chunk);
      return;
    }
    const decoder = this.decoder;
    // A line under way, ended in this chunk: its end, the chunk's other whole lines and what
    // follows them are decoded apart (an LF byte is never part of a multi-byte UTF-8 sequence,
    // so each piece ends on a character boundary), so the line under way is joined with its
    // end alone, not with a copy of the whole chunk. Each piece is read as any chunk is (a CR
    // ending one and an LF starting the next are one line end).
    const first = this.partial.length > 0 && chunk.length > SPLIT_BYTES ? chunk.indexOf(10) : -1;
    if (first === -1) {
      this.push(decoder.decode(chunk, STREAM));
      return;
    }
    const last = chunk.lastIndexOf(10);
    this.push(decoder.decode(chunk.subarray(0, first + 1), STREAM));
    if (last > first) this.push(decoder.decode(chunk.subarray(first + 1, last + 1), STREAM));
    if (last + 1 < chunk.length) this.push(decoder.decode(chunk.subarray(last + 1), STREAM));
  }

  /** End of stream, the events to `onEvent`: as `end()`. */
  close(): void {
    const rest = this.decoder.decode();
    try {
      if (rest) this.push(rest);
    } finally {
      this.reset();
    }
  }

  /** Forget everything buffered (a new connection starts from a clean state). */
  reset(): void {
    this.parser.reset();
    this.parser.feed('');
    this.partial = [];
    this.decoder = new TextDecoder('utf-8');
    this.pending = [];
    this.lastWasCR = false;
    this.atLineStart = true;
    this.inComment = false;
    this.eventSize = 0;
  }

  private take(): ServerSentEvent[] {
    const events = this.pending;
    if (events.length === 0) return [];
    this.pending = [];
    return events;
  }

  private push(text: string): void {
    let len = text.length;
    if (len === 0) return;
    // A CR that ended the previous chunk already counted as a line end: an LF right
    // after it belongs to the same CRLF pair.
    if (this.lastWasCR) {
      this.lastWasCR = false;
      if (text.charCodeAt(0) === 10) {
        text = text.slice(1);
        if (--len === 0) return;
      }
    }
    const last = text.charCodeAt(len - 1);
    // A chunk of whole events (a server flushing each one: the chunk ends with a blank line,
    // no line is under way) goes to the parser as it is, when no event in it can reach the
    // cap: the parser reads CR and CRLF line ends itself when none ends its input.
    if (last === 10 && len > 1 && text.charCodeAt(len - 2) === 10 && this.partial.length === 0 && this.eventSize + len <= this.maxEventSize) {
      this.eventSize = 0;
      this.atLineStart = true;
      this.inComment = false;
      this.parser.feed(text);
      return;
    }
    this.lastWasCR = last === 13;
    if (text.indexOf('\r') !== -1) {
      text = text.replace(/\r\n?/g, '\n');
      len = text.length;
    }
    if (len === 0) return;
    this.checkSize(text);
    const endsLine = text.charCodeAt(len - 1) === 10;
    const lf = endsLine ? len - 1 : text.lastIndexOf('\n');
    const partial = this.partial;
    if (lf === -1) {
      partial.push(text);
      return;
    }
    if (partial.length > 0) {
      partial.push(lf === len - 1 ? text : text.slice(0, lf + 1));
      const lines = partial.join('');
      this.partial = [];
      this.parser.feed(lines);
    } else {
      this.parser.feed(lf === len - 1 ? text : text.slice(0, lf + 1));
    }
    if (lf !== len - 1) this.partial.push(text.slice(lf + 1));
  }

  /**
   * Count the size of the event being built (comment lines excluded, so keep-alive
   * comments never add up); a blank line (dispatch) restarts the count.
   *
   * When the event so far plus the whole chunk is within the cap, no event can reach it in
   * this chunk (comments only lower the counts), so only the event still being built at its
   * end needs counting: the lines after the chunk's last blank line, found by one native
   * scan. Otherwise (an event larger than a chunk, or one near the cap) every line counts.
   */
  private checkSize(text: string): void {
    let start = 0;
    if (this.eventSize + text.length <= this.maxEventSize) {
      const pair = text.lastIndexOf('\n\n');
      const blank = pair !== -1 ? pair + 1 : this.atLineStart && text.charCodeAt(0) === 10 ? 0 : -1;
      if (blank !== -1) {
        this.eventSize = 0;
        this.atLineStart = true;
        this.inComment = false;
        start = blank + 1;
      }
    }
    this.countLines(text, start);
  }

  /** `checkSize` one line at a time, from `start`. */
  private countLines(text: string, start: number): void {
    for (;;) {
      const lf = text.indexOf('\n', start);
      const end = lf === -1 ? text.length : lf;
      if (this.atLineStart && end > start) this.inComment = text.charCodeAt(start) === 58;
      if (lf !== -1 && end === start && this.atLineStart) {
        this.eventSize = 0; // a blank line: the event (if any) is dispatched
      } else if (!this.inComment) {
        this.eventSize += end - start + (lf === -1 ? 0 : 1);
      }
      if (this.eventSize > this.maxEventSize) {
        this.reset();
        throw new StreamError(`an event exceeded the maximum size of ${this.maxEventSize} characters`);
      }
      if (lf === -1) {
        if (end > start) this.atLineStart = false;
        return;
      }
      this.atLineStart = true;
      this.inComment = false;
      start = lf + 1;
    }
  }
}
