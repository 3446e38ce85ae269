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
import type { DecodeContext, Decoded, StreamSpec } from './events.js';
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
  #started = false;
  #first: Promise<Response> | undefined;
  #firstConn: AbortController | undefined;
  #response: Response | undefined;
  #requestId: string | undefined;
  // What `followUp()` needs: kept up to date by the connection loop.
  #resumeRequest: RequestSpec | undefined;
  #resumeParams = '';
  #lastId: string | undefined;
  #delivered: DeliveredIds | undefined;
  #clean = false;

  constructor(init: StreamInit<E>) {
    this.#init = init;
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
    return this.#iterator((d) => d.event);
  }

  #iterator<T>(map: (decoded: Decoded<E>) => T): AsyncIterator<T> {
    if (this.#started) throw new Error('a stream can be iterated only once');
    this.#started = true;
    const user = this.#init.options.signal;
    const aborted = () => this.controller.signal.aborted || user?.aborted === true;
    const events = new Events<Decoded<E>, T>(this.#iterate(), map, aborted, () => dropped?.unregister(events));
    dropped?.register(events, this.controller, events);
    return events;
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
    const iterator = this.#iterator((d) => d);
    try {
      for (;;) {
        const { done, value } = await iterator.next();
        if (done) break;
        if (value.def?.terminal) {
          this.#judge(value);
          return value.event as unknown as F;
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
    const iterator = this.#iterator((d) => d);
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

  async #collect(iterator: AsyncIterator<Decoded<E>>, result: StreamResult<E, F, O, U>, pieces: string[]): Promise<void> {
    const spec = this.#init.spec;
    const { text, output, usage } = spec.def;
    for (;;) {
      const { done, value } = await iterator.next();
      if (done) break;
      result.events.push(value.event);
      const name = value.def?.name;
      if (name === undefined) continue;
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
      if (value.def?.terminal) {
        this.#judge(value);
        result.terminal = value.event as unknown as F;
      }
    }
  }

  /** A terminal event that reports a failed run throws `StreamError` carrying it. */
  #judge(decoded: Decoded<E>): void {
    if (!decoded.def?.failure) return;
    const message = failureMessage(decoded.event);
    throw this.#init.client.redactError(new StreamError(`the run failed${message ? `: ${message}` : ''}`, { event: decoded.event }));
  }

  /** Consume the stream and return every event, the terminal one last. */
  async toArray(): Promise<E[]> {
    const events: E[] = [];
    for await (const event of this) events.push(event);
    return events;
  }

  /**
   * The connection loop. It yields the events of each chunk as one batch (`Events` hands
   * them out one by one), so the generator is resumed once per chunk, not once per event;
   * the events of a batch are decoded up to and including a terminal one, and a frame that
   * fails to decode ends the batch before it and throws when the caller asks past it, so
   * every event and error reaches the caller in the order of the frames.
   */
  async *#iterate(): AsyncGenerator<Decoded<E>[], void, undefined> {
    const init = this.#init;
    const spec = init.spec;
    const def = spec.def;
    const user = anySignal([init.options.signal, this.controller.signal]);
    const seed = init.seed;
    const delivered = seed?.delivered ?? new DeliveredIds();
    this.#delivered = delivered;
    let lastId = seed?.lastId;
    let resumeRequest = seed?.request;
    let resumeParams = seed?.params ?? '';
    // A follow-up stream starts by resuming; its first connection is retried as a resume is.
    let anyDelivered = seed !== undefined;
    let firstOpen = seed === undefined;
    this.#resumeRequest = resumeRequest;
    this.#resumeParams = resumeParams;
    this.#lastId = lastId;
    let failures = 0;
    try {
      for (;;) {
        const pre = firstOpen ? this.#firstConn : undefined;
        const conn = pre ?? new AbortController();
        const { signal, dispose } = anySignal([user.signal, conn.signal]);
        let error: unknown;
        let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
        // The stream ended cleanly: the connection is drained and given back, not cut.
        let ended = false;
        try {
          const response = await (pre !== undefined && this.#first !== undefined
            ? this.#first
            : this.#open(anyDelivered ? resumeRequest : undefined, lastId, signal, firstOpen));
          firstOpen = false;
          this.#response = response;
          this.#requestId ??= response.headers.get('x-request-id') ?? undefined;
          if (!response.body) throw new APIConnectionError('the stream response has no body');
          reader = response.body.getReader();
          const context: DecodeContext = { strict: init.strict, response };
          const decoder = new SSEDecoder({ maxEventSize: def.maxEventSize });
          const debug = init.log.enabled('debug');
          for (;;) {
            const { done, value } = await readWithin(reader, signal, conn, init.idleTimeout);
            const frames = done ? decoder.end() : decoder.feed(value);
            const batch: Decoded<E>[] = [];
            let terminal = false;
            try {
              for (const frame of frames) {
                if (debug) init.log.debug(`stream frame: event ${JSON.stringify(frame.event)}, id ${frame.id === undefined ? '(none)' : JSON.stringify(frame.id)}`);
                const decoded = spec.decode(frame, context);
                if (decoded === END) {
                  terminal = true;
                  break;
                }
                const id = frame.id;
                if (id !== undefined) {
                  if (!delivered.add(id)) continue;
                  lastId = id;
                  this.#lastId = id;
                }
                failures = 0;
                anyDelivered = true;
                // The resume parameters come from the first event that carries them, which need
                // not be the first event of the stream.
                if (resumeRequest === undefined) {
                  const found = this.#resumeFrom(decoded);
                  if (found !== undefined) {
                    [resumeRequest, resumeParams] = found;
                    this.#resumeRequest = resumeRequest;
                    this.#resumeParams = resumeParams;
                  }
                }
                batch.push(decoded);
                if (decoded.def?.terminal) {
                  terminal = true;
                  break;
                }
              }
            } catch (err) {
              // The events before the failing frame are delivered first.
              if (batch.length > 0) yield batch;
              throw err;
            }
            ended = terminal || (done && def.eofEnds === true);
            if (ended) this.#clean = true;
            if (batch.length > 0) yield batch;
            if (ended) return;
            if (done) break;
          }
          error = new StreamError('the stream ended without a terminal event');
        } catch (err) {
          if (user.signal.aborted) throw new APIUserAbortError(undefined, { cause: user.signal.reason });
          if (firstOpen || err instanceof StreamError || err instanceof APIUserAbortError) throw err;
          if (err instanceof APIStatusError && !shouldRetry(err.response ?? new Response(null, { status: err.status }))) throw err;
          if (conn.signal.reason instanceof IdleTimeout) {
            error = new APITimeoutError(`no data on the stream for ${init.idleTimeout} ms`);
          } else if (err instanceof APIConnectionError || err instanceof APIStatusError) {
            error = err;
          } else {
            error = new APIConnectionError(`the stream's connection failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
          }
        } finally {
          if (ended && reader) {
            release(reader, conn, Math.min(init.idleTimeout, DRAIN_MS), dispose);
          } else {
            conn.abort();
            dispose();
            reader?.cancel().catch(() => undefined);
          }
        }
        // Reconnect: the same request while nothing reached the caller, else resume.
        if ((anyDelivered && resumeRequest === undefined) || failures >= init.maxRetries) throw error;
        await init.sleep(init.backoff(failures), user.signal);
        failures++;
        if (anyDelivered && resumeRequest !== undefined) {
          init.log.info(
            `resuming the stream: ${resumeRequest.method.toUpperCase()} ${resumeRequest.path} (${resumeParams}), Last-Event-ID ${lastId ?? '(none)'} (retry ${failures} of ${init.maxRetries})`,
          );
        } else {
          init.log.info(`reopening the stream (retry ${failures} of ${init.maxRetries})`);
        }
      }
    } catch (err) {
      throw init.client.redactError(err);
    } finally {
      user.dispose();
    }
  }

  /**
   * The request that resumes this stream, and its parameters as `name value` text (for the log),
   * when `decoded` is a carrier of every bound field.
   */
  #resumeFrom(decoded: Decoded<E>): [RequestSpec, string] | undefined {
    const route = this.#init.spec.def.resume;
    const name = decoded.def?.name;
    if (route === undefined || name === undefined || !route.carriers.includes(name)) return undefined;
    let path = route.path;
    const params: string[] = [];
    for (const [param, field] of route.bindings) {
      const value = this.#init.spec.valueAt(decoded, [field]);
      if (!((typeof value === 'string' && value !== '') || (typeof value === 'number' && Number.isFinite(value)))) return undefined;
      path = path.split(`{${param}}`).join(encodeURIComponent(String(value)));
      params.push(`${param} ${String(value)}`);
    }
    return [{ method: route.method, path, security: route.security }, params.join(', ')];
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
 * The async iterator of a `Stream`: hands out the events of each batch the connection loop
 * yields, one per `next()`, from an already-settled promise; the loop is resumed only when
 * a batch is used up. Calls made while a batch is being fetched wait their turn, in order.
 * `return()` (a `break`) and `throw()` go to the loop as on the generator itself.
 */
class Events<D, E> implements AsyncIterator<E> {
  readonly #source: AsyncGenerator<D[], void, undefined>;
  readonly #map: (item: D) => E;
  readonly #aborted: () => boolean;
  readonly #finished: () => void;
  #batch: D[] = [];
  #next = 0;
  #pulling: Promise<IteratorResult<E, undefined>> | undefined;

  /**
   * `aborted`: whether the caller cancelled (the events still buffered are then dropped and the
   * loop throws the reason); `finished` is called once the loop is over (it holds no connection).
   */
  constructor(source: AsyncGenerator<D[], void, undefined>, map: (item: D) => E, aborted: () => boolean, finished: () => void) {
    this.#source = source;
    this.#map = map;
    this.#aborted = aborted;
    this.#finished = finished;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<E, undefined>> {
    if (this.#pulling !== undefined) {
      const after = (): Promise<IteratorResult<E, undefined>> => this.next();
      return this.#pulling.then(after, after);
    }
    if (this.#next < this.#batch.length && !this.#aborted()) {
      const value = this.#map(this.#batch[this.#next++]!);
      return Promise.resolve({ value, done: false });
    }
    this.#batch = [];
    this.#next = 0;
    const pulling = this.#pull();
    this.#pulling = pulling;
    const settled = () => {
      if (this.#pulling === pulling) this.#pulling = undefined;
    };
    pulling.then(settled, settled);
    return pulling;
  }

  async #pull(): Promise<IteratorResult<E, undefined>> {
    let result: IteratorResult<D[], void>;
    try {
      result = await this.#source.next();
    } catch (err) {
      this.#finished();
      throw err;
    }
    if (result.done) {
      this.#finished();
      return { value: undefined, done: true };
    }
    this.#batch = result.value;
    this.#next = 1;
    return { value: this.#map(result.value[0]!), done: false };
  }

  async return(): Promise<IteratorResult<E, undefined>> {
    this.#batch = [];
    this.#next = 0;
    try {
      await this.#source.return(undefined);
    } finally {
      this.#finished();
    }
    return { value: undefined, done: true };
  }

  async throw(err?: unknown): Promise<IteratorResult<E, undefined>> {
    this.#batch = [];
    this.#next = 0;
    let result: IteratorResult<D[], void>;
    try {
      result = await this.#source.throw(err);
    } catch (error) {
      this.#finished();
      throw error;
    }
    if (result.done) {
      this.#finished();
      return { value: undefined, done: true };
    }
    this.#batch = result.value;
    this.#next = 1;
    return { value: this.#map(result.value[0]!), done: false };
  }
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

/** One read, bounded by the idle timeout and cancellable by `signal`. */
function readWithin(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  signal: AbortSignal,
  conn: AbortController,
  idleTimeout: number,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => conn.abort(new IdleTimeout(idleTimeout)), idleTimeout);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    reader.read().then(
      (result) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(result);
      },
      (err: unknown) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

export type { ServerSentEvent };
