/**
 * Typed event streams over Server-Sent Events, with resume (generator/RUNTIME.md, "Streams").
 *
 * A `Stream` is returned synchronously and is async-iterable directly:
 * `for await (const event of client.x.yStream(...))`. The request is sent when iteration
 * starts. Opening is retried like any request (same Idempotency-Key) until a first event
 * reached the caller; after that the request is never re-sent: when the connection drops,
 * stays silent longer than the idle timeout, or ends without a terminal event, the stream
 * resumes through the resume route (`Last-Event-ID: <last id seen>`), skipping frames
 * already delivered, so every frame reaches the caller exactly once. Reconnects follow the
 * retry policy (count and backoff); the count restarts whenever a frame arrives.
 *
 * `break`, `return()` and aborting the signal close the connection (the response body is
 * cancelled).
 */
import { APIConnectionError, APIStatusError, APITimeoutError, StreamError } from './errors.js';
import { SSEDecoder, type ServerSentEvent } from './sse.js';
import type { APIClient, RequestOptions, RequestSpec } from './api-client.js';
import { shouldRetry } from './api-client.js';
import { anySignal } from './utils.js';

/** How to type one stream's frames: written by the generator for each event union. */
export interface StreamSpec<E> {
  /** Turn a frame into a typed event; throws `StreamError` for malformed data. */
  decode: (sse: ServerSentEvent) => E;
  eventId: (event: E) => string | undefined;
  /** A terminal event ends the stream. */
  isTerminal: (event: E) => boolean;
  /** A terminal event that reports a failed run (the aggregating helpers throw on it). */
  isFailure: (event: E) => boolean;
  /**
   * The request that resumes this run, when the API has one and `event` carries its
   * parameters (e.g. the execution id of an `execution` event); undefined otherwise. Asked of
   * each delivered event until one answers, so events before it (unknown ones included) do
   * not make the stream unresumable.
   */
  resume?: ((event: E) => RequestSpec | undefined) | undefined;
  /** The header carrying the last event id on resume (e.g. `Last-Event-ID`). */
  lastEventIdHeader?: string | undefined;
  /** The largest event accepted, in characters (default 16 MiB). */
  maxEventSize?: number | undefined;
}

export interface StreamInit<E> {
  client: APIClient;
  request: RequestSpec;
  options: RequestOptions;
  spec: StreamSpec<E>;
  idleTimeout: number;
  maxRetries: number;
  backoff: (attempt: number) => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** The reason a connection was aborted because it stayed silent too long. */
class IdleTimeout {
  constructor(readonly ms: number) {}
}

export class Stream<E, F = E> implements AsyncIterable<E> {
  /** Abort this to close the stream (the same as `abort()`). */
  readonly controller = new AbortController();
  readonly #init: StreamInit<E>;
  #started = false;

  constructor(init: StreamInit<E>) {
    this.#init = init;
  }

  [Symbol.asyncIterator](): AsyncIterator<E> {
    if (this.#started) throw new Error('a stream can be iterated only once');
    this.#started = true;
    return this.#iterate();
  }

  /** Close the stream (and its connection). */
  abort(reason?: unknown): void {
    this.controller.abort(reason);
  }

  /**
   * Consume the stream and return its successful terminal event (e.g. `done`, carrying the
   * output and the token usage). A failure event (e.g. `error`) throws `StreamError` with
   * the event in `error.event`.
   */
  async finalResult(): Promise<F> {
    for await (const event of this) {
      if (this.#init.spec.isTerminal(event)) {
        if (this.#init.spec.isFailure(event)) {
          const message = (event as { message?: unknown }).message;
          throw new StreamError(`the run failed${typeof message === 'string' ? `: ${message}` : ''}`, { event });
        }
        return event as unknown as F;
      }
    }
    throw new StreamError('the stream ended without a terminal event');
  }

  /** Consume the stream and return every event, the terminal one last. */
  async toArray(): Promise<E[]> {
    const events: E[] = [];
    for await (const event of this) events.push(event);
    return events;
  }

  async *#iterate(): AsyncGenerator<E, void, undefined> {
    const init = this.#init;
    const spec = init.spec;
    const user = anySignal([init.options.signal, this.controller.signal]);
    const delivered = new Set<string>();
    let lastId: string | undefined;
    let resumeRequest: RequestSpec | undefined;
    let anyDelivered = false;
    let firstOpen = true;
    let failures = 0;
    try {
      for (;;) {
        const conn = new AbortController();
        const { signal, dispose } = anySignal([user.signal, conn.signal]);
        let error: unknown;
        let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
        try {
          const response = await this.#open(anyDelivered ? resumeRequest : undefined, lastId, signal, firstOpen);
          firstOpen = false;
          if (!response.body) throw new APIConnectionError('the stream response has no body');
          reader = response.body.getReader();
          const decoder = new SSEDecoder({ maxEventSize: spec.maxEventSize });
          for (;;) {
            const { done, value } = await readWithin(reader, signal, conn, init.idleTimeout);
            const frames = done ? decoder.end() : decoder.feed(value);
            for (const frame of frames) {
              const event = spec.decode(frame);
              const id = spec.eventId(event);
              if (id !== undefined) {
                if (delivered.has(id)) continue;
                delivered.add(id);
                lastId = id;
              }
              failures = 0;
              anyDelivered = true;
              // The resume parameters come from the first event that carries them, which need
              // not be the first event of the stream.
              resumeRequest ??= spec.resume?.(event);
              yield event;
              if (spec.isTerminal(event)) return;
            }
            if (done) break;
          }
          error = new StreamError('the stream ended without a terminal event');
        } catch (err) {
          if (firstOpen || err instanceof StreamError) throw err;
          if (user.signal.aborted) throw user.signal.reason;
          if (err instanceof APIStatusError && !shouldRetry(err.response ?? new Response(null, { status: err.status }))) throw err;
          if (conn.signal.reason instanceof IdleTimeout) {
            error = new APITimeoutError(`no data on the stream for ${init.idleTimeout} ms`);
          } else if (err instanceof APIConnectionError || err instanceof APIStatusError) {
            error = err;
          } else {
            error = new APIConnectionError(`the stream's connection failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
          }
        } finally {
          conn.abort();
          dispose();
          reader?.cancel().catch(() => undefined);
        }
        // Reconnect: the same request while nothing reached the caller, else resume.
        if ((anyDelivered && resumeRequest === undefined) || failures >= init.maxRetries) throw error;
        await init.sleep(init.backoff(failures), user.signal);
        failures++;
      }
    } finally {
      user.dispose();
    }
  }

  #open(resume: RequestSpec | undefined, lastId: string | undefined, signal: AbortSignal, first: boolean): Promise<Response> {
    const init = this.#init;
    const options = { ...init.options, signal, maxRetries: init.maxRetries };
    if (resume === undefined) return init.client.openStream(init.request, options, first);
    const header = init.spec.lastEventIdHeader;
    const headers = { ...resume.headers, ...(header && lastId !== undefined ? { [header]: lastId } : {}) };
    return init.client.openStream({ ...resume, headers }, options, false);
  }
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
