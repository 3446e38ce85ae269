/**
 * Typed event streams over Server-Sent Events, with resume (generator/RUNTIME.md, "Streams").
 *
 * A `Stream` is returned synchronously and is async-iterable directly:
 * `for await (const event of client.x.yStream(...))`. The request is sent when iteration
 * starts (or at `withResponse()` / `asResponse()`). What each frame is, and how the stream ends,
 * is the stream's definition (`events.ts`, from the IR): a terminal event (delivered, then the
 * stream ends), the sentinel data (`[DONE]`: the stream just ends), or, where the spec says so,
 * the connection closing. Any other end is an error the caller sees, unless the stream can resume.
 *
 * Opening is retried like any request (same Idempotency-Key) until a first event reached the
 * caller; after that the request is never re-sent: when the connection drops, stays silent
 * longer than the idle timeout, or ends without a clean end, the stream resumes through its
 * resume route (the IR's: the operation, its path parameters read from the first carrier event
 * delivered, `Last-Event-ID: <last id seen>`), skipping frames already delivered, so every frame
 * reaches the caller exactly once. A stream without a resume route fails instead. Reconnects
 * follow the retry policy (count and backoff); the count restarts whenever a frame arrives.
 *
 * `untilDone()` consumes the stream and returns what its definition names: the text pieces
 * joined, the output and usage, the successful terminal event, every event; `finalResult()`
 * the successful terminal event; both throw `StreamError` (carrying the event) on a failure
 * event. Cancelling (`abort()`, the call's `AbortSignal`) rejects with `APIUserAbortError`.
 *
 * Connections (generator/RUNTIME.md, "Careless callers cost nothing"):
 * - A stream read to its clean end gives its connection back to the pool: the rest of the
 *   body (the server ends it right after the terminal frame) is read in the background, at most
 *   64 KiB and `min(idle timeout, 1 s)`, then the connection is reusable (keep-alive). A server
 *   that keeps talking past that is cut.
 * - `break`, `return()`, an exception thrown out of a `for await` body, `abort()` and the
 *   caller's `AbortSignal` close the connection at once (the request is aborted and the
 *   response body cancelled); no timer or listener is left behind.
 * - A stream never iterated sends no request: creating one and dropping it costs nothing.
 * - A stream iterated partly by hand (`next()`) and then dropped without `return()` is closed
 *   when its iterator is garbage-collected (a `FinalizationRegistry` aborts the connection);
 *   that may be late, so call `return()` or `abort()` when stopping early by hand.
 */
import { APIConnectionError, APIStatusError, APITimeoutError, APIUserAbortError, StreamError } from './errors.js';
import { SSEDecoder, type ServerSentEvent } from './sse.js';
import type { APIClient, RequestOptions, RequestSpec } from './api-client.js';
import type { DecodeContext, EventDef, StreamSpec } from './events.js';
import { END } from './events.js';
import type { Log } from './log.js';
import { shouldRetry } from './api-client.js';
import { anySignal } from './utils.js';

export type { StreamSpec };

export interface StreamInit<E> {
  client: APIClient;
  request: RequestSpec;
  options: RequestOptions;
  spec: StreamSpec<E>;
  idleTimeout: number;
  maxRetries: number;
  /** Check every event against the contract (`strictResponseValidation`). */
  strict: boolean;
  backoff: (attempt: number) => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  log: Log;
  /**
   * @internal Where a stream that follows another one starts (`followUp()`): its resume request,
   * the last id seen and the ids delivered, so it continues after the last frame delivered.
   */
  seed?: StreamSeed | undefined;
}

/** @internal The state a follow-up stream starts from (see `Stream.followUp`). */
export interface StreamSeed {
  request: RequestSpec;
  params: string;
  lastId: string | undefined;
  delivered: DeliveredIds;
}

/**
 * What a whole stream produced (`untilDone()`): the text pieces joined, the output and usage the
 * stream's spec names (the last value each carried), the terminal event, and every event.
 */
export interface StreamResult<E, F, O, U> {
  /** The text pieces joined, in order (`''` when the stream carries no text). */
  text: string;
  /** The finished stream's output (`undefined` when no event carried one). */
  output: O | undefined;
  /** The output as text: itself when a string, else the first of its text keys that is a string. */
  outputText: string | undefined;
  /** The token usage (`undefined` when no event carried it). */
  usage: U | undefined;
  /** The successful terminal event (`undefined` for a stream ended by a sentinel or the connection). */
  terminal: F | undefined;
  /** Every event, in order. */
  events: E[];
}

/** `withResponse()` on a stream: the stream, with the response of its first connection. */
export interface StreamWithResponse<S> {
  data: S;
  response: Response;
  request_id: string | undefined;
}

/** The reason a connection was aborted because it stayed silent too long. */
class IdleTimeout {
  constructor(readonly ms: number) {}
}

/** The reason a connection is aborted when its iterator was dropped unfinished. */
class Dropped {}

/** What is drained after a terminal event, at most, before the connection is given back. */
const DRAIN_BYTES = 64 * 1024;
const DRAIN_MS = 1000;
/** About the most bytes of a chunk decoded at once (`Stream.#decodeBytes`, `pieceEnd`). */
const PIECE = 16 * 1024;
/** How finely the idle timeout is sampled: it fires about `1 / IDLE_SAMPLES` of itself late at most. */
const IDLE_SAMPLES = 16;

/**
 * Aborts the connection of an iterator that was garbage-collected before it finished. The held
 * value is the stream's own controller, which references neither the iterator nor the stream.
 */
const dropped =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry<AbortController>((controller) => controller.abort(new Dropped()))
    : undefined;

export class Stream<E, F = undefined, O = unknown, U = unknown> implements AsyncIterable<E> {
  /** Abort this to close the stream (the same as `abort()`). */
  readonly controller = new AbortController();
  readonly #init: StreamInit<E>;
  readonly #spec: StreamSpec<E>;
  #started = false;
  #first: Promise<Response> | undefined;
  #firstConn: AbortController | undefined;
  #response: Response | undefined;
  #requestId: string | undefined;
  // The iteration (see "the connection loop"); `followUp()` reads the resume state.
  #resumeRequest: RequestSpec | undefined;
  #resumeParams = '';
  #lastId: string | undefined;
  #delivered: DeliveredIds | undefined;
  #clean = false;
  #anyDelivered = false;
  #firstOpen = true;
  #failures = 0;
  #debug = false;
  /** The caller's signal and the stream's own, combined. */
  #user: { signal: AbortSignal; dispose: () => void } | undefined;
  /** The caller cancelled: buffered events are dropped, the next read throws. */
  #stopped = false;
  /** No more events: the stream ended or failed. */
  #finished = false;
  /**
   * The events of the last chunk: `#batch[0..#count)`, handed out from `#index`. The array is
   * reused from chunk to chunk (its slots overwritten; no new array, no `length` write per chunk).
   */
  #batch: (E | undefined)[] = [];
  /** The part of the last chunk not decoded yet (see `#decodeBytes`). */
  #rest: Uint8Array | undefined;
  #count = 0;
  #index = 0;
  /** The error of a frame that failed to decode, thrown once the events before it are handed out. */
  #failure: unknown = NONE;
  /** The frames of the chunk being decoded (`#frames[0..#frameCount)`; the array reused). */
  #frames: (ServerSentEvent | undefined)[] = [];
  #frameCount = 0;
  /** Why the last connection ended without a clean end (the next round reconnects or throws it). */
  #pendingError: unknown = undefined;
  /** The read under way (`#filling`): calls made meanwhile wait for it. */
  #pulling: Promise<IteratorResult<E, undefined>> | undefined;
  #filling = false;
  /** The current connection was aborted (the caller, the idle watchdog): its read ends at once. */
  #connAborted = false;
  #watch: Watchdog | undefined;
  // The current connection.
  #conn: AbortController | undefined;
  #signal: AbortSignal | undefined;
  #dispose: (() => void) | undefined;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #decoder: SSEDecoder | undefined;
  #context: DecodeContext | undefined;

  constructor(init: StreamInit<E>) {
    this.#init = init;
    this.#spec = init.spec;
  }

  /**
   * @internal For a caller that stops reading before the end (a conversation following the run
   * its stream left): `'ended'` when the stream already ended cleanly; a new stream that continues
   * after the last frame delivered, through the resume route (with `Last-Event-ID`), reconnecting
   * as any stream does, cancelled by `signal`; or `undefined` when it cannot continue (no resume
   * route, or no event carrying its parameters delivered yet).
   */
  followUp(signal?: AbortSignal): Stream<E, F, O, U> | 'ended' | undefined {
    if (this.#clean) return 'ended';
    const request = this.#resumeRequest;
    if (request === undefined || this.#delivered === undefined) return undefined;
    const { signal: _signal, ...options } = this.#init.options;
    return new Stream<E, F, O, U>({
      ...this.#init,
      options: { ...options, signal },
      seed: { request, params: this.#resumeParams, lastId: this.#lastId, delivered: this.#delivered },
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<E> {
    return this.#iterator();
  }

  /**
   * The stream's one iterator: `next()` hands out the events of the chunk read last, one by one,
   * from an already-settled promise, and reads on (`#fill`) only when they are used up; calls
   * made while a read is under way wait their turn, in order. `return()` (a `break`) closes the
   * connection; `throw()` too, then rejects with the error it was given.
   */
  #iterator(): AsyncIterator<E> {
    if (this.#started) throw new Error('a stream can be iterated only once');
    this.#started = true;
    this.#begin();
    const iterator: AsyncIterator<E> & { [Symbol.asyncIterator](): AsyncIterator<E> } = {
      next: () => {
        if (this.#filling) {
          const after = (): Promise<IteratorResult<E, undefined>> => iterator.next() as Promise<IteratorResult<E, undefined>>;
          return this.#pulling!.then(after, after);
        }
        if (this.#index < this.#count && !this.#stopped) {
          // The slot is emptied as the event is handed out: the batch holds no event the caller dropped.
          const batch = this.#batch;
          const value = batch[this.#index]!;
          batch[this.#index++] = undefined;
          return Promise.resolve({ value, done: false });
        }
        // The batch is used up: read on, straight from the open connection when nothing else is
        // pending (no async frame per chunk), else through the connection loop.
        this.#count = 0;
        this.#index = 0;
        const plain = this.#reader !== undefined && this.#failure === NONE && !this.#finished && !this.#stopped;
        return (this.#pulling = plain ? this.#read() : this.#fill());
      },
      return: async () => {
        if (this.#filling) await this.#pulling!.then(noop, noop);
        this.#end();
        return { value: undefined, done: true };
      },
      throw: async (err?: unknown) => {
        if (this.#filling) await this.#pulling!.then(noop, noop);
        this.#end();
        throw err;
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    dropped?.register(iterator, this.controller, this.controller);
    return iterator;
  }

  /** Close the stream (and its connection); the iteration rejects with `APIUserAbortError`. */
  abort(reason?: unknown): void {
    this.controller.abort(reason);
  }

  /** The response of the stream's latest connection, once it is open. */
  get response(): Response | undefined {
    return this.#response;
  }

  /** The `X-Request-ID` of the stream's first response, once it is open. */
  get _request_id(): string | undefined {
    return this.#requestId;
  }

  /**
   * Open the stream now and resolve the response of its first connection (body unread), with the
   * stream itself to iterate after.
   */
  async withResponse(): Promise<StreamWithResponse<this>> {
    if (this.#started) throw new Error('withResponse() must be called before iterating the stream');
    const response = await this.#openFirst();
    return { data: this, response, request_id: response.headers.get('x-request-id') ?? undefined };
  }

  /** The raw `Response` of the stream's request, its body unread: read it yourself (the stream is then used up). */
  async asResponse(): Promise<Response> {
    if (this.#started) throw new Error('asResponse() must be called before iterating the stream');
    this.#started = true;
    return this.#openFirst();
  }

  #openFirst(): Promise<Response> {
    if (this.#first === undefined) {
      const conn = new AbortController();
      const { signal } = anySignal([this.#init.options.signal, this.controller.signal, conn.signal]);
      this.#firstConn = conn;
      this.#first = this.#open(undefined, undefined, signal, true);
      this.#first.catch(() => undefined);
    }
    return this.#first;
  }

  /**
   * Consume the stream and return its successful terminal event (e.g. `done`, carrying the
   * output and the token usage); `undefined` for a stream that ends by a sentinel or its
   * connection closing. A failure event (e.g. `error`) throws `StreamError` with the event in
   * `error.event`.
   */
  async finalResult(): Promise<F> {
    const iterator = this.#iterator();
    const spec = this.#init.spec;
    try {
      for (;;) {
        const { done, value } = await iterator.next();
        if (done) break;
        const def = spec.defOf(value);
        if (def?.terminal) {
          this.#judge(value, def);
          return value as unknown as F;
        }
      }
    } finally {
      // Ends the connection loop (which gives the connection back after a terminal event).
      await iterator.return?.();
    }
    if (this.#init.spec.def.events.some((e) => e.success)) throw new StreamError('the stream ended without a terminal event');
    return undefined as F;
  }

  /**
   * Consume the stream and return what it produced: the text, output and usage its spec names,
   * the terminal event and every event. A failure event throws `StreamError` (`error.event`).
   */
  async untilDone(): Promise<StreamResult<E, F, O, U>> {
    const spec = this.#init.spec;
    const { output } = spec.def;
    const pieces: string[] = [];
    const result: StreamResult<E, F, O, U> = { text: '', output: undefined, outputText: undefined, usage: undefined, terminal: undefined, events: [] };
    const iterator = this.#iterator();
    try {
      await this.#collect(iterator, result, pieces);
    } finally {
      await iterator.return?.();
    }
    if (result.terminal === undefined && spec.def.events.some((e) => e.success)) {
      throw new StreamError('the stream ended without a terminal event');
    }
    result.text = pieces.join('');
    result.outputText = textOf(result.output, output?.text ?? []);
    return result;
  }

  async #collect(iterator: AsyncIterator<E>, result: StreamResult<E, F, O, U>, pieces: string[]): Promise<void> {
    const spec = this.#init.spec;
    const { text, output, usage } = spec.def;
    for (;;) {
      const { done, value: event } = await iterator.next();
      if (done) break;
      result.events.push(event);
      const def = spec.defOf(event);
      const name = def?.name;
      if (name === undefined) continue;
      const value = { event, def };
      if (text !== undefined && name === text.event) {
        const piece = spec.valueAt(value, text.path);
        if (typeof piece === 'string') pieces.push(piece);
      }
      if (output !== undefined && name === output.event) {
        const v = spec.valueAt(value, output.path);
        if (v !== undefined && v !== null) result.output = v as O;
      }
      if (usage !== undefined && name === usage.event) {
        const v = spec.valueAt(value, usage.path);
        if (v !== undefined && v !== null) result.usage = v as U;
      }
      if (def?.terminal) {
        this.#judge(event, def);
        result.terminal = event as unknown as F;
      }
    }
  }

  /** A terminal event that reports a failed run throws `StreamError` carrying it. */
  #judge(event: E, def: EventDef): void {
    if (!def.failure) return;
    const message = failureMessage(event);
    throw this.#init.client.redactError(new StreamError(`the run failed${message ? `: ${message}` : ''}`, { event }));
  }

  /** Consume the stream and return every event, the terminal one last. */
  async toArray(): Promise<E[]> {
    const events: E[] = [];
    for await (const event of this) events.push(event);
    return events;
  }

  // -- the connection loop ----------------------------------------------------------------
  //
  // The state of the one iteration lives on the stream: `#fill()` reads chunks from the current
  // connection until one yields events (the batch `next()` hands out), opening, reopening and
  // resuming connections as RUNTIME.md says; what is per chunk is one `read()` and the decoding.
  // A frame that fails to decode ends the batch before it, and its error is thrown when the
  // caller asks past the batch, so events and errors reach the caller in the order of the frames.

  /** Set up the iteration: the caller's signals, the idle watchdog. */
  #begin(): void {
    const init = this.#init;
    const seed = init.seed;
    const user = anySignal([init.options.signal, this.controller.signal]);
    this.#user = user;
    if (user.signal.aborted) this.#stopped = true;
    else user.signal.addEventListener('abort', () => (this.#stopped = true), { once: true });
    this.#watch = new Watchdog(init.idleTimeout, () => this.#conn?.abort(new IdleTimeout(init.idleTimeout)));
    this.#delivered = seed?.delivered ?? new DeliveredIds();
    this.#lastId = seed?.lastId;
    this.#resumeRequest = seed?.request;
    this.#resumeParams = seed?.params ?? '';
    // A follow-up stream starts by resuming; its first connection is retried as a resume is.
    this.#anyDelivered = seed !== undefined;
    this.#firstOpen = seed === undefined;
    this.#debug = init.log.enabled('debug');
  }

  /**
   * The common round of `#fill`, without its loop: one read from the open connection, decoded;
   * anything else (no events in the chunk, a failed or aborted read) goes on in `#fill`.
   */
  #read(): Promise<IteratorResult<E, undefined>> {
    this.#filling = true;
    const rest = this.#rest;
    if (rest !== undefined) {
      // The chunk read last is not all decoded: its next piece, with no read.
      this.#rest = undefined;
      try {
        return Promise.resolve(this.#onChunk({ done: false, value: rest }));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    this.#watch!.reading();
    return this.#reader!.read().then(this.#onChunk, this.#onReadError);
  }

  readonly #onChunk = (chunk: ReadableStreamReadResult<Uint8Array>): IteratorResult<E, undefined> | Promise<IteratorResult<E, undefined>> => {
    this.#watch!.idle();
    if (this.#connAborted) return this.#fill(this.#signal!.reason);
    let ready: boolean;
    try {
      ready = this.#decode(chunk);
    } catch (err) {
      this.#filling = false;
      this.#end();
      throw this.#init.client.redactError(err);
    }
    if (!ready) return this.#fill();
    this.#filling = false;
    this.#index = 1;
    return { value: this.#first0(), done: false };
  };

  readonly #onReadError = (err: unknown): Promise<IteratorResult<E, undefined>> => {
    this.#watch!.idle();
    return this.#fill(err);
  };

  /**
   * Read until events are ready (resolves the first), the stream ends (done), or it fails (throws);
   * `readError`: the read `#read` made failed with it (the connection is broken).
   */
  async #fill(readError: unknown = NONE): Promise<IteratorResult<E, undefined>> {
    this.#filling = true;
    try {
      if (readError !== NONE) await this.#broken(readError);
      for (;;) {
        if (this.#failure !== NONE) {
          const failure = this.#failure;
          this.#failure = NONE;
          throw failure;
        }
        if (this.#finished) return { value: undefined, done: true };
        if (this.#stopped) throw new APIUserAbortError(undefined, { cause: this.#user!.signal.reason });
        const reader = this.#reader;
        if (reader === undefined) {
          await this.#connect();
          continue;
        }
        let chunk: ReadableStreamReadResult<Uint8Array>;
        const rest = this.#rest;
        if (rest !== undefined) {
          // The chunk read last is not all decoded: its next piece, with no read.
          this.#rest = undefined;
          chunk = { done: false, value: rest };
        } else {
          const watch = this.#watch!;
          try {
            watch.reading();
            chunk = await reader.read();
            watch.idle();
            if (this.#connAborted) throw this.#signal!.reason;
          } catch (err) {
            watch.idle();
            await this.#broken(err);
            continue;
          }
        }
        if (this.#decode(chunk)) {
          this.#index = 1;
          return { value: this.#first0(), done: false };
        }
      }
    } catch (err) {
      this.#end();
      throw this.#init.client.redactError(err);
    } finally {
      this.#filling = false;
    }
  }

  /**
   * Decode one chunk into the batch; true when it holds events. At a clean end the connection is
   * given back (or closed) and the stream is finished; at an end without one, the stream reconnects
   * on the next `#fill` round (see `#ended`).
   */
  #decode(chunk: ReadableStreamReadResult<Uint8Array>): boolean {
    return chunk.done ? this.#decodePiece(undefined) : this.#decodeBytes(chunk.value);
  }

  /**
   * Decode a chunk's bytes a piece (about `PIECE` bytes, see `pieceEnd`) at a time, up to the
   * first piece that yields events; what is left waits in `#rest` until the caller has taken them
   * (no read meanwhile).
   * A network chunk can hold hundreds of events: decoded at once, they would all be alive
   * together, and a garbage collection meanwhile would keep them (and the chunk's text) a while
   * longer; a piece at a time bounds what a stream holds to about one piece's events, which keeps
   * the engine's young generation small on a long stream (bench/README.md, peak RSS).
   */
  #decodeBytes(value: Uint8Array): boolean {
    for (;;) {
      const end = pieceEnd(value);
      const ready = this.#decodePiece(end === value.length ? value : value.subarray(0, end));
      // The piece ended the connection (the stream's end, a failure): the rest is not read.
      if (end === value.length || this.#reader === undefined) return ready;
      value = value.subarray(end);
      if (ready) {
        this.#rest = value;
        return true;
      }
    }
  }

  /** Decode one piece of a chunk (`undefined`: the end of the body) into the batch. */
  #decodePiece(bytes: Uint8Array | undefined): boolean {
    const init = this.#init;
    const done = bytes === undefined;
    const frames = this.#frames;
    let failure: unknown = NONE;
    let terminal = false;
    try {
      // The decoder appends the piece's frames to `#frames` (`#onFrame`).
      if (bytes === undefined) this.#decoder!.close();
      else this.#decoder!.write(bytes);
    } catch (err) {
      // The size cap: the events before it are delivered first (below).
      failure = err;
    }
    const n = this.#frameCount;
    this.#frameCount = 0;
    // Each frame's event joins the batch, unless it was delivered before (a resumed stream
    // replays); the stream ends with a terminal event or the sentinel; a frame that does not
    // decode ends the batch before it.
    const spec = this.#spec;
    const context = this.#context!;
    const delivered = this.#delivered!;
    const batch = this.#batch;
    const debug = this.#debug;
    let count = this.#count;
    let lastId = this.#lastId;
    let i = 0;
    try {
      while (i < n) {
        const frame = frames[i]!;
        frames[i++] = undefined;
        if (debug) init.log.debug(`stream frame: event ${JSON.stringify(frame.event)}, id ${frame.id === undefined ? '(none)' : JSON.stringify(frame.id)}`);
        const event = spec.decode(frame, context);
        if (event === END) {
          terminal = true;
          break;
        }
        const def = spec.lastDef;
        const id = frame.id;
        if (id !== undefined) {
          if (!delivered.add(id)) continue;
          lastId = id;
        }
        // The resume parameters come from the first event that carries them, which need not be
        // the first event of the stream.
        if (def !== undefined && this.#resumeRequest === undefined) this.#resumeFrom(event, def);
        batch[count++] = event;
        if (def !== undefined && def.terminal === true) {
          terminal = true;
          break;
        }
      }
    } catch (err) {
      failure = err;
    }
    this.#lastId = lastId;
    if (count > this.#count) {
      this.#count = count;
      this.#failures = 0;
      this.#anyDelivered = true;
    }
    // Frames after the stream's end or a failed frame are not read.
    while (i < n) frames[i++] = undefined;
    if (failure !== NONE) {
      // The events before the failing frame are delivered first; the connection is closed now.
      this.#close();
      if (count === 0) throw failure;
      this.#failure = failure;
      return true;
    }
    if (terminal || (done && init.spec.def.eofEnds === true)) {
      this.#clean = true;
      this.#finished = true;
      const reader = this.#reader!;
      const conn = this.#conn!;
      const dispose = this.#dispose!;
      this.#detach();
      release(reader, conn, Math.min(init.idleTimeout, DRAIN_MS), dispose);
    } else if (done) {
      this.#close();
      this.#pendingError = new StreamError('the stream ended without a terminal event');
    }
    return count > 0;
  }

  /** The batch's first event, handed out (its slot emptied). */
  #first0(): E {
    const batch = this.#batch;
    const value = batch[0]!;
    batch[0] = undefined;
    return value;
  }

  /** Where the decoder puts a chunk's frames (`#frames[0..#frameCount)`, the array reused). */
  readonly #onFrame = (frame: ServerSentEvent): void => {
    this.#frames[this.#frameCount++] = frame;
  };

  /** Open the next connection: the first request, or the resume request after the last id seen. */
  async #connect(): Promise<void> {
    if (this.#pendingError !== undefined) {
      // The last connection ended without a clean end: reconnect (or give up) first.
      const error = this.#pendingError;
      this.#pendingError = undefined;
      await this.#retry(error);
    }
    const init = this.#init;
    const pre = this.#firstOpen ? this.#firstConn : undefined;
    const conn = pre ?? new AbortController();
    const { signal, dispose } = anySignal([this.#user!.signal, conn.signal]);
    this.#conn = conn;
    this.#signal = signal;
    this.#dispose = dispose;
    let response: Response;
    try {
      response = await (pre !== undefined && this.#first !== undefined
        ? this.#first
        : this.#open(this.#anyDelivered ? this.#resumeRequest : undefined, this.#lastId, signal, this.#firstOpen));
      this.#firstOpen = false;
      this.#response = response;
      this.#requestId ??= response.headers.get('x-request-id') ?? undefined;
      if (!response.body) throw new APIConnectionError('the stream response has no body');
      const reader = response.body.getReader();
      this.#reader = reader;
      // An abort (the caller's, the idle watchdog's) ends a pending read at once.
      this.#connAborted = false;
      signal.addEventListener(
        'abort',
        () => {
          if (this.#reader === reader) this.#connAborted = true;
          reader.cancel().catch(noop);
        },
        { once: true },
      );
      if (signal.aborted) throw signal.reason;
    } catch (err) {
      await this.#broken(err);
      return;
    }
    this.#context = { strict: init.strict, response };
    this.#decoder = new SSEDecoder({ maxEventSize: init.spec.def.maxEventSize, onEvent: this.#onFrame });
  }

  /**
   * The connection failed (`err`): close it, then throw what the caller must see, or wait and let
   * the next `#fill` round reconnect (RUNTIME.md: the same request while nothing reached the
   * caller, else the resume request).
   */
  async #broken(err: unknown): Promise<void> {
    const conn = this.#conn;
    this.#close();
    const user = this.#user!.signal;
    if (user.aborted) throw new APIUserAbortError(undefined, { cause: user.reason });
    if (this.#firstOpen || err instanceof StreamError || err instanceof APIUserAbortError) throw err;
    if (err instanceof APIStatusError && !shouldRetry(err.response ?? new Response(null, { status: err.status }))) throw err;
    let error: unknown;
    if (conn?.signal.reason instanceof IdleTimeout) {
      error = new APITimeoutError(`no data on the stream for ${this.#init.idleTimeout} ms`);
    } else if (err instanceof APIConnectionError || err instanceof APIStatusError) {
      error = err;
    } else {
      error = new APIConnectionError(`the stream's connection failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    await this.#retry(error);
  }

  /** Wait before reconnecting, or throw `error` when the stream cannot (or may no more) reconnect. */
  async #retry(error: unknown): Promise<void> {
    const init = this.#init;
    if ((this.#anyDelivered && this.#resumeRequest === undefined) || this.#failures >= init.maxRetries) throw error;
    await init.sleep(init.backoff(this.#failures), this.#user!.signal);
    this.#failures++;
    const resume = this.#resumeRequest;
    if (this.#anyDelivered && resume !== undefined) {
      init.log.info(
        `resuming the stream: ${resume.method.toUpperCase()} ${resume.path} (${this.#resumeParams}), Last-Event-ID ${this.#lastId ?? '(none)'} (retry ${this.#failures} of ${init.maxRetries})`,
      );
    } else {
      init.log.info(`reopening the stream (retry ${this.#failures} of ${init.maxRetries})`);
    }
  }

  /** Forget the current connection (its reader, decoder, signals) without closing it. */
  #detach(): void {
    this.#reader = undefined;
    this.#rest = undefined;
    this.#decoder = undefined;
    this.#context = undefined;
    this.#conn = undefined;
    this.#signal = undefined;
    this.#dispose = undefined;
    this.#watch?.off();
  }

  /** Close the current connection at once (the request aborted, the body cancelled). */
  #close(): void {
    const reader = this.#reader;
    const conn = this.#conn;
    const dispose = this.#dispose;
    this.#detach();
    conn?.abort();
    dispose?.();
    reader?.cancel().catch(noop);
  }

  /** The iteration is over (its end, an error, `return()`): close what is open, forget the caller. */
  #end(): void {
    this.#batch = [];
    this.#count = 0;
    this.#index = 0;
    this.#failure = NONE;
    this.#pendingError = undefined;
    this.#finished = true;
    this.#close();
    this.#user?.dispose();
    dropped?.unregister(this.controller);
  }

  /**
   * Keep the request that resumes this stream, and its parameters as `name value` text (for the
   * log), when `event` is a carrier of every bound field.
   */
  #resumeFrom(event: E, def: EventDef): void {
    const route = this.#init.spec.def.resume;
    if (route === undefined || !route.carriers.includes(def.name)) return;
    const decoded = { event, def };
    let path = route.path;
    const params: string[] = [];
    for (const [param, field] of route.bindings) {
      const value = this.#init.spec.valueAt(decoded, [field]);
      if (!((typeof value === 'string' && value !== '') || (typeof value === 'number' && Number.isFinite(value)))) return;
      path = path.split(`{${param}}`).join(encodeURIComponent(String(value)));
      params.push(`${param} ${String(value)}`);
    }
    this.#resumeRequest = { method: route.method, path, security: route.security };
    this.#resumeParams = params.join(', ');
  }

  #open(resume: RequestSpec | undefined, lastId: string | undefined, signal: AbortSignal, first: boolean): Promise<Response> {
    const init = this.#init;
    const options = { ...init.options, signal, maxRetries: init.maxRetries };
    if (resume === undefined) return init.client.openStream(init.request, options, first);
    const header = init.spec.def.resume?.header;
    const headers = { ...resume.headers, ...(header && lastId !== undefined ? { [header]: lastId } : {}) };
    // A resume sends none of the first request's own extras (its body, query or headers).
    const { body: _body, query: _query, headers: _headers, ...rest } = options;
    return init.client.openStream({ ...resume, headers }, rest, false);
  }
}

/** A value's text: itself when a string, else the first of `keys` holding a string. */
function textOf(value: unknown, keys: readonly string[]): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const key of keys) {
      const inner = (value as Record<string, unknown>)[key];
      if (typeof inner === 'string') return inner;
    }
  }
  return undefined;
}

/** @internal What a failure event says: its `message`, `error.message` or `error`, when a string. */
export function failureMessage(event: unknown): string | undefined {
  const e = event as Record<string, unknown> | null;
  if (typeof e !== 'object' || e === null) return undefined;
  if (typeof e['message'] === 'string') return e['message'];
  const error = e['error'];
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && error !== null && typeof (error as Record<string, unknown>)['message'] === 'string') {
    return (error as Record<string, string>)['message'];
  }
  return undefined;
}

/**
 * The ids of the frames delivered so far, to skip a frame replayed on resume (RUNTIME.md:
 * every frame reaches the caller exactly once). Exact, not approximate: an id that is a
 * decimal integer in canonical form (no sign, no leading zero, at most 15 digits, so it
 * maps to one number and back) is kept in runs of consecutive numbers, so the usual
 * increasing ids `1, 2, 3, ...` take two numbers in all, and a membership test is a
 * comparison (a binary search when ids went back); any other id, and a number arriving
 * below the highest one (out of order), is kept in a `Set` of strings (which no canonical
 * id in a run can equal).
 */
export class DeliveredIds {
  /** Sorted, disjoint runs of consecutive numbers: `[lo0, hi0, lo1, hi1, ...]`. */
  readonly #runs: number[] = [];
  readonly #other = new Set<string>();

  /** How many entries are kept: runs plus ids kept one by one (what the memory grows with). */
  get entries(): number {
    return this.#runs.length / 2 + this.#other.size;
  }

  /** Record `id`; false when it was already delivered. */
  add(id: string): boolean {
    const n = canonicalNumber(id);
    const runs = this.#runs;
    const last = runs.length - 1;
    if (n >= 0) {
      if (last < 0 || n > runs[last]! + 1) {
        runs.push(n, n);
        return true;
      }
      if (n === runs[last]! + 1) {
        runs[last] = n;
        return true;
      }
      if (inRuns(runs, n)) return false;
    }
    if (this.#other.has(id)) return false;
    this.#other.add(id);
    return true;
  }
}

/** `id` as a number when it is a canonical decimal integer (`0`, `7`, `120`), else -1. */
function canonicalNumber(id: string): number {
  const len = id.length;
  if (len === 0 || len > 15 || (len > 1 && id.charCodeAt(0) === 48)) return -1;
  let n = 0;
  for (let i = 0; i < len; i++) {
    const d = id.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Whether `n` lies in one of the sorted runs (binary search). */
function inRuns(runs: readonly number[], n: number): boolean {
  let lo = 0;
  let hi = runs.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (n < runs[2 * mid]!) hi = mid - 1;
    else if (n > runs[2 * mid + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

/**
 * After a terminal event: read what is left of the body (the server ends it right away) so the
 * connection goes back to the pool, within `ms` and DRAIN_BYTES; else cut it. In the background:
 * the caller's loop ends at once, and the timer does not keep the process alive.
 */
function release(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  conn: AbortController,
  ms: number,
  dispose: () => void,
): void {
  let bytes = 0;
  const finish = (cut: boolean) => {
    clearTimeout(timer);
    if (cut) {
      conn.abort();
      reader.cancel().catch(() => undefined);
    }
    dispose();
  };
  const timer = setTimeout(() => finish(true), ms);
  (timer as { unref?: () => void }).unref?.();
  const step = (): Promise<void> =>
    reader.read().then(
      ({ done, value }) => {
        if (done) return finish(false);
        bytes += value.byteLength;
        if (bytes > DRAIN_BYTES) return finish(true);
        return step();
      },
      () => finish(false),
    );
  void step();
}

/**
 * The idle timeout of a stream's reads (the longest silence allowed between two chunks), with no
 * clock read per read: a read only counts itself. One timer, armed when a read starts with none
 * armed, samples every `ms / IDLE_SAMPLES`: when the same read is found pending `IDLE_SAMPLES`
 * samples after it was first seen, it has waited at least `ms` (at most one sample more, plus the
 * timers' own drift) and `onIdle` fires. A sample that finds no read pending lets the timer lapse
 * (the caller's own time between two events is not silence), so no timer is armed or cleared per
 * read.
 */
class Watchdog {
  readonly #step: number;
  readonly #onIdle: () => void;
  /** Reads started on this connection: the number of the read pending, if one is. */
  #reads = 0;
  #pending = false;
  /** The read the samples follow, and how many samples found it still pending. */
  #seen = -1;
  #samples = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(ms: number, onIdle: () => void) {
    this.#step = Math.max(1, ms / IDLE_SAMPLES);
    this.#onIdle = onIdle;
  }

  /** A read starts. */
  reading(): void {
    this.#reads++;
    this.#pending = true;
    if (this.#timer === undefined) this.#timer = setTimeout(this.#sample, this.#step);
  }

  /** The read ended. */
  idle(): void {
    this.#pending = false;
  }

  /** No more reads on this connection. */
  off(): void {
    this.#pending = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  readonly #sample = (): void => {
    this.#timer = undefined;
    // A read that is not pending now is over: the next one has another number.
    if (!this.#pending) return;
    if (this.#reads !== this.#seen) {
      this.#seen = this.#reads;
      this.#samples = 0;
    } else if (++this.#samples >= IDLE_SAMPLES) {
      this.#onIdle();
      return;
    }
    this.#timer = setTimeout(this.#sample, this.#step);
  };
}

/**
 * Where the first piece of `bytes` ends (`Stream.#decodeBytes`): after the first blank line
 * (`\n\n`, the end of a frame) at or past `PIECE` bytes, so the decoder mostly sees whole
 * frames; else after the first line end past `PIECE`; else (a line longer than the rest) the
 * whole of it. The search for a frame's end stops after another `PIECE` bytes.
 */
function pieceEnd(bytes: Uint8Array): number {
  const length = bytes.length;
  if (length <= PIECE) return length;
  let lf = bytes.indexOf(10, PIECE - 1);
  if (lf === -1) return length;
  const first = lf;
  const limit = Math.min(length - 1, 2 * PIECE);
  while (lf !== -1 && lf < limit) {
    if (bytes[lf + 1] === 10) return lf + 2;
    lf = bytes.indexOf(10, lf + 1);
  }
  return first + 1;
}

/** No error pending (`#failure`). */
const NONE: unique symbol = Symbol('none');

function noop(): void {}

export type { ServerSentEvent };
