/**
 * What every non-streaming method returns (generator/RUNTIME.md, "Raw responses and request ids").
 *
 * An `APIPromise<T>` is awaited like any promise for the parsed value. Two more ways to read it:
 *
 * - `.withResponse()` resolves `{ data, response, request_id }`: the same value, the `Response`
 *   (its body already read) and its `X-Request-ID`.
 * - `.asResponse()` resolves the `Response` itself with its body unread (status errors still
 *   throw, and the call is retried as any other): for downloads, or to read a body yourself.
 *
 * The request is sent at once (on the next microtask), whether or not the promise is awaited, so
 * that `.asResponse()` chained right after the call can ask for the body to be left unread.
 * Parsed values that are objects carry the request id as `_request_id`, a non-enumerable property
 * (it does not show in `JSON.stringify` or in a spread).
 */

/** What the transport hands back: the response and, unless `raw`, its body already read. */
export interface Sent {
  response: Response;
  /** The body's text (JSON and text results), when it was read. */
  text?: string | undefined;
  /** The body's bytes (binary results), when they were read. */
  bytes?: Uint8Array | undefined;
  /** The body was left unread (`.asResponse()`). */
  raw: boolean;
}

/** A parsed value, typed with the `_request_id` it carries when it is an object. */
export type WithRequestId<T> = T extends object ? T & { readonly _request_id?: string | undefined } : T;

/** `.withResponse()`: the parsed value with the response it came in. */
export interface WithResponse<T> {
  data: WithRequestId<T>;
  response: Response;
  /** The `X-Request-ID` response header, when the server sent one. */
  request_id: string | undefined;
}

const RESOLVED: Promise<void> = Promise.resolve();

function noop(): void {}

export class APIPromise<T> implements PromiseLike<WithRequestId<T>> {
  readonly #send: (raw: boolean) => Promise<Sent>;
  readonly #parse: (sent: Sent) => T | Promise<T>;
  #sent: Promise<Sent> | undefined;
  #parsed: Promise<WithRequestId<T>> | undefined;

  /**
   * @internal `send(raw)` sends the request (with retries), reading the body unless `raw`;
   * `parse` turns what it read into the value.
   */
  constructor(send: (raw: boolean) => Promise<Sent>, parse: (sent: Sent) => T | Promise<T>) {
    this.#send = send;
    this.#parse = parse;
    // A native microtask (Node's `queueMicrotask` wraps each callback in an async resource,
    // which costs more than the rest of this constructor).
    void RESOLVED.then(() => {
      // Started unless a chained `.asResponse()` already did; the parse waits for `then`.
      this.#start(false).catch(noop);
    });
  }

  #start(raw: boolean): Promise<Sent> {
    return (this.#sent ??= this.#send(raw));
  }

  #value(): Promise<WithRequestId<T>> {
    // No `await` of a value already there: each would cost a microtask per call.
    return (this.#parsed ??= this.#start(false).then(
      (sent) => (sent.raw ? readAll(sent).then((read) => this.#parse(read)) : this.#parse(sent)) as WithRequestId<T> | Promise<WithRequestId<T>>,
    ));
  }

  /** The `Response`, with its body unread (unless the call was already being read as a value). */
  asResponse(): Promise<Response> {
    return this.#start(true).then((sent) => (sent.raw ? sent.response : rebuild(sent)));
  }

  /** The parsed value, the `Response` (body read) and the request id. */
  async withResponse(): Promise<WithResponse<T>> {
    const [data, sent] = await Promise.all([this.#value(), this.#start(false)]);
    return { data, response: sent.response, request_id: sent.response.headers.get('x-request-id') ?? undefined };
  }

  then<R1 = WithRequestId<T>, R2 = never>(
    onfulfilled?: ((value: WithRequestId<T>) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#value().then(onfulfilled, onrejected);
  }

  catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<WithRequestId<T> | R> {
    return this.#value().catch(onrejected);
  }

  finally(onfinally?: (() => void) | null): Promise<WithRequestId<T>> {
    return this.#value().finally(onfinally);
  }

  get [Symbol.toStringTag](): string {
    return 'APIPromise';
  }
}

/** A raw response read after all, for a caller that asked for the value too. */
async function readAll(sent: Sent): Promise<Sent> {
  const bytes = new Uint8Array(await sent.response.arrayBuffer());
  return { response: sent.response, bytes, text: new TextDecoder().decode(bytes), raw: false };
}

/** A response whose body was already read, as a fresh `Response` with that body unread. */
function rebuild(sent: Sent): Response {
  const body = (sent.bytes ?? sent.text ?? null) as BodyInit | null;
  const init = { status: sent.response.status, statusText: sent.response.statusText, headers: sent.response.headers };
  const status = sent.response.status;
  // A status that cannot have a body (204, 304) cannot be given one, even an empty one.
  return new Response(status === 204 || status === 205 || status === 304 ? null : body, init);
}

/** @internal Attach the request id to a parsed value, as a non-enumerable `_request_id`. */
export function withRequestId<T>(value: T, response: Response): T {
  if (typeof value === 'object' && value !== null && Object.isExtensible(value)) {
    Object.defineProperty(value, '_request_id', {
      value: response.headers.get('x-request-id') ?? undefined,
      enumerable: false,
      configurable: true,
      writable: true,
    });
  }
  return value;
}
