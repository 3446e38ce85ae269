/**
 * The HTTP core every generated client extends: configuration, auth, retries with
 * backoff, idempotency keys, timeouts, typed errors, JSON decoding, and the entry points
 * the generated resource methods call (`request`, `requestPage`, `stream`).
 * The policy is generator/RUNTIME.md's, implemented identically in every SDK.
 */
import {
  APIConnectionError,
  APIResponseValidationError,
  APIStatusError,
  APITimeoutError,
  InvalidArgumentError,
  SDKError,
  redactError,
  withheld,
} from './errors.js';
import { describe, ShapeError, type ModelShape } from './schema.js';
import { PagePromise, Page, type PageRequest } from './pagination.js';
import { Stream, type StreamSpec } from './streaming.js';
import { anySignal, readEnv, sleep as realSleep, uuid4 } from './utils.js';

export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface ClientOptions {
  /** The API key; defaults to the `{PREFIX}_API_KEY` environment variable. */
  apiKey?: string | undefined;
  /** The API's base URL; defaults to `{PREFIX}_BASE_URL`, else the spec's default. */
  baseUrl?: string | undefined;
  /**
   * Milliseconds to wait for a response (headers and body), and the longest silence
   * allowed between two chunks of a stream. Default 60 000.
   */
  timeout?: number | undefined;
  /** Retries after the first attempt. Default 2. */
  maxRetries?: number | undefined;
  /** A `fetch` implementation (default: the global `fetch`). */
  fetch?: Fetch | undefined;
  /** Headers sent with every request. */
  defaultHeaders?: Record<string, string> | undefined;
  /**
   * Check every response body and stream event against the API contract (required fields,
   * JSON types, enum values), throwing `APIResponseValidationError` (in a stream: a
   * `StreamError` caused by one) at the first mismatch. Default false: responses are read
   * tolerantly (generator/RUNTIME.md, "Reading responses").
   */
  strictResponseValidation?: boolean | undefined;
  /** @internal Test hook: how to wait between retries. */
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  /** @internal Test hook: the jitter source, returning a number in [0, 1). */
  random?: (() => number) | undefined;
  /** @internal Test hook: the clock used to read `Retry-After` dates. */
  now?: (() => number) | undefined;
}

/** Options every method accepts as its last argument. */
export interface RequestOptions {
  /** Cancels the call (and closes a stream's connection). */
  signal?: AbortSignal | undefined;
  /** Overrides the client's `timeout` (milliseconds) for this call. */
  timeout?: number | undefined;
  /** Overrides the client's `maxRetries` for this call. */
  maxRetries?: number | undefined;
  /** Extra headers for this call (`null` removes a default header). */
  headers?: Record<string, string | null | undefined> | undefined;
  /** The `Idempotency-Key` of this call (default: a fresh UUID4 per call, reused on retries). */
  idempotencyKey?: string | undefined;
}

/** What the SDK itself is: filled in by the generated client. */
export interface SdkIdentity {
  name: string;
  envPrefix: string;
  defaultBaseUrl: string;
  authHeader: string | null;
  userAgent: string;
}

/** What a decoder of a response body is told besides the body. */
export interface ResponseContext {
  /** `strictResponseValidation`: check the body against the contract. */
  strict: boolean;
  status: number;
  response: Response;
}

/** One HTTP call as a generated method describes it. */
export interface RequestSpec {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  query?: Record<string, unknown> | undefined;
  body?: unknown;
  headers?: Record<string, string | undefined> | undefined;
  /** The operation declares `Idempotency-Key`: send one per call, the same on every retry. */
  idempotent?: boolean | undefined;
  accept?: string | undefined;
}

export const DEFAULT_TIMEOUT = 60_000;
export const DEFAULT_MAX_RETRIES = 2;
const MAX_RETRY_AFTER_SECONDS = 60;

/** Which thing timed out: carried as an abort reason so it is told apart from the caller's. */
class TimeoutReason {
  constructor(readonly ms: number) {}
}

export class APIClient {
  readonly baseUrl: string;
  readonly timeout: number;
  readonly maxRetries: number;
  /** Whether responses are checked against the contract (`strictResponseValidation`). */
  readonly strictResponseValidation: boolean;
  readonly #apiKey: string;
  readonly #identity: SdkIdentity;
  readonly #fetch: Fetch;
  readonly #defaultHeaders: Record<string, string>;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #random: () => number;
  readonly #now: () => number;

  constructor(options: ClientOptions, identity: SdkIdentity) {
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw new InvalidArgumentError('client options must be an object');
    }
    const apiKey: unknown = options.apiKey ?? readEnv(`${identity.envPrefix}_API_KEY`);
    if (apiKey !== undefined && typeof apiKey !== 'string') {
      throw new InvalidArgumentError(`the API key must be a string, got ${apiKey === null ? 'null' : typeof apiKey}`);
    }
    if (!apiKey) {
      throw new InvalidArgumentError(
        `no API key: pass \`apiKey\` to new ${identity.name}() or set ${identity.envPrefix}_API_KEY`,
      );
    }
    const problem = keyProblem(apiKey);
    if (problem !== undefined) throw new InvalidArgumentError(`the API key ${problem}`);
    const fetchImpl = options.fetch ?? (globalThis as { fetch?: Fetch }).fetch;
    if (typeof fetchImpl !== 'function') {
      throw new InvalidArgumentError('no `fetch` in this runtime: pass one as the `fetch` option');
    }
    for (const [name, value] of [['timeout', options.timeout], ['maxRetries', options.maxRetries]] as const) {
      if (value !== undefined && (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value))) {
        throw new InvalidArgumentError(`${name} must be a non-negative number`);
      }
    }
    this.#apiKey = apiKey;
    this.#identity = identity;
    this.#fetch = fetchImpl;
    this.baseUrl = (options.baseUrl ?? readEnv(`${identity.envPrefix}_BASE_URL`) ?? identity.defaultBaseUrl).replace(/\/+$/, '');
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT;
    this.maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
    this.strictResponseValidation = options.strictResponseValidation === true;
    this.#defaultHeaders = { ...(options.defaultHeaders ?? {}) };
    this.#sleep = options.sleep ?? realSleep;
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
  }

  // -- what the generated methods call -------------------------------------------

  /** Send a request (with retries) and decode its JSON body. */
  async request<T>(spec: RequestSpec, options: RequestOptions | undefined, decode?: (body: unknown, context: ResponseContext) => T): Promise<T> {
    const { response, text } = await this.fetchWithRetries(spec, options, false);
    // No decoder (a no-content operation such as a delete): whatever body came is ignored.
    if (!decode) return undefined as T;
    const json = text ? this.#parseJSON(text, response) : undefined;
    return this.#decoding(() => decode(json, { strict: this.strictResponseValidation, status: response.status, response }));
  }

  /** A list call: awaitable to one page, async-iterable over every item of every page. */
  requestPage<T, M>(page: PageRequest<T, M>, options: RequestOptions | undefined): PagePromise<T, M> {
    return new PagePromise(this.#fetchPage(page, options), (next) => this.#fetchPage(next, options));
  }

  async #fetchPage<T, M>(page: PageRequest<T, M>, options: RequestOptions | undefined): Promise<Page<T, M>> {
    const { response, text } = await this.fetchWithRetries(page.spec, options, false);
    const json = text ? this.#parseJSON(text, response) : undefined;
    return this.#decoding(() => Page.from(page, json, { strict: this.strictResponseValidation, status: response.status, response }));
  }

  /** A streaming call: returns at once; the request is sent when iteration starts. */
  stream<E, F>(spec: RequestSpec, options: RequestOptions | undefined, stream: StreamSpec<E>): Stream<E, F> {
    const opts: RequestOptions = { ...(options ?? {}) };
    if (spec.idempotent) opts.idempotencyKey = opts.idempotencyKey ?? uuid4();
    return new Stream<E, F>({
      client: this,
      request: spec,
      options: opts,
      spec: stream,
      idleTimeout: opts.timeout ?? this.timeout,
      maxRetries: opts.maxRetries ?? this.maxRetries,
      strict: this.strictResponseValidation,
      backoff: (attempt) => this.#backoff(attempt),
      sleep: this.#sleep,
    });
  }

  /** Open a stream request (retried as any request when `retries`); the body is left unread. */
  async openStream(spec: RequestSpec, options: RequestOptions, retries: boolean): Promise<Response> {
    const opts = retries ? options : { ...options, maxRetries: 0 };
    const { response } = await this.fetchWithRetries({ ...spec, accept: 'text/event-stream' }, opts, true);
    return response;
  }

  // -- the retry loop -----------------------------------------------------------------

  /**
   * Send `spec`, retrying per the policy. For a stream (`stream`), the successful response
   * is returned with its body unread; otherwise the body is read (within the timeout) and
   * returned as text.
   */
  async fetchWithRetries(spec: RequestSpec, options: RequestOptions | undefined, stream: boolean): Promise<{ response: Response; text: string }> {
    const opts = options ?? {};
    const maxRetries = opts.maxRetries ?? this.maxRetries;
    const timeout = opts.timeout ?? this.timeout;
    const idempotencyKey = spec.idempotent ? opts.idempotencyKey ?? uuid4() : undefined;
    const url = this.buildUrl(spec.path, spec.query);
    const headers = this.buildHeaders(spec, opts, idempotencyKey);
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);

    for (let attempt = 0; ; attempt++) {
      const retriesLeft = maxRetries - attempt;
      const timer = new AbortController();
      const { signal, dispose } = anySignal([opts.signal, timer.signal]);
      const handle = setTimeout(() => timer.abort(new TimeoutReason(timeout)), timeout);
      let response: Response;
      let text: string;
      try {
        response = await this.#fetch(url, { method: spec.method.toUpperCase(), headers, body, signal });
        if (response.ok && stream) {
          // The stream's own idle timeout takes over once the headers arrived.
          clearTimeout(handle);
          return { response, text: '' };
        }
        text = response.ok ? await response.text() : '';
      } catch (err) {
        clearTimeout(handle);
        dispose();
        if (opts.signal?.aborted) throw opts.signal.reason;
        const error = timer.signal.aborted
          ? new APITimeoutError(`Request timed out after ${timeout} ms.`)
          : this.redactError(new APIConnectionError(`Connection error: ${errorText(err)}`, { cause: err }));
        if (retriesLeft <= 0) throw error;
        await this.#sleep(this.#backoff(attempt), opts.signal);
        continue;
      }
      if (response.ok) {
        clearTimeout(handle);
        dispose();
        // The caller parses it: a body that is not JSON is unusable (not retried: the server
        // answered), or ignored where the operation returns nothing.
        return { response, text };
      }
      // An HTTP error status.
      const retry = shouldRetry(response);
      if (retry && retriesLeft > 0) {
        clearTimeout(handle);
        dispose();
        await response.body?.cancel().catch(() => undefined);
        await this.#sleep(this.#retryDelay(attempt, response.headers), opts.signal);
        continue;
      }
      let bodyText = '';
      try {
        bodyText = await response.text();
      } catch {
        // The error body could not be read: the status alone makes the error.
      } finally {
        clearTimeout(handle);
        dispose();
      }
      throw this.#statusError(response, bodyText);
    }
  }

  buildUrl(path: string, query?: Record<string, unknown>): string {
    let url = this.baseUrl + path;
    if (query) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) {
        if (v === undefined || v === null) continue;
        if (Array.isArray(v)) v.forEach((item) => params.append(k, String(item)));
        else params.append(k, String(v));
      }
      const qs = params.toString();
      if (qs) url += `?${qs}`;
    }
    return url;
  }

  buildHeaders(spec: RequestSpec, opts: RequestOptions, idempotencyKey: string | undefined): Record<string, string> {
    const headers: Record<string, string> = {
      accept: spec.accept ?? 'application/json',
      'user-agent': this.#identity.userAgent,
    };
    if (spec.body !== undefined) headers['content-type'] = 'application/json';
    if (this.#identity.authHeader) headers[this.#identity.authHeader.toLowerCase()] = this.#apiKey;
    const merge = (extra: Record<string, string | null | undefined> | undefined) => {
      for (const [k, v] of Object.entries(extra ?? {})) {
        if (v === undefined) continue;
        if (v === null) delete headers[k.toLowerCase()];
        else headers[k.toLowerCase()] = v;
      }
    };
    merge(this.#defaultHeaders);
    merge(spec.headers);
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    merge(opts.headers);
    return headers;
  }

  // -- retry timing -----------------------------------------------------------------

  /** `min(0.5 * 2**n, 8)` seconds times a jitter factor in [0.75, 1]. */
  #backoff(attempt: number): number {
    const base = Math.min(0.5 * 2 ** attempt, 8);
    return Math.round(base * (1 - 0.25 * this.#random()) * 1000);
  }

  #retryDelay(attempt: number, headers: Headers): number {
    const seconds = retryAfterSeconds(headers, this.#now());
    if (seconds !== undefined && seconds >= 0 && seconds <= MAX_RETRY_AFTER_SECONDS) return Math.round(seconds * 1000);
    return this.#backoff(attempt);
  }

  // -- errors -----------------------------------------------------------------------

  #parseJSON(text: string, response: Response): unknown {
    try {
      return JSON.parse(text);
    } catch (err) {
      // The parser's message quotes a few characters of the text: withheld if the key is in it.
      const cause = this.#apiKey && text.includes(this.#apiKey) && err instanceof Error ? withheld(err) : err;
      throw new APIResponseValidationError({
        status: response.status,
        response,
        path: '$',
        reason: `the body is not JSON (${response.headers.get('content-type') ?? 'no content type'})`,
        body: this.#redact(text),
        cause,
      });
    }
  }

  /**
   * The typed error of an HTTP error status (RUNTIME.md, "Reading responses"): the body may be
   * `{"error": {"code", "message", "details"}}`, `{"error": "text"}` (the text is the message),
   * `{"message": "..."}`, or not JSON at all (the message is the status line's reason, and the
   * raw text stays in `body`). The API key, should the server echo it anywhere (body or
   * headers), is replaced by `***`.
   */
  #statusError(response: Response, raw: string): APIStatusError {
    const text = this.#redact(raw);
    let body: unknown = text === '' ? undefined : text;
    try {
      if (text) body = JSON.parse(text);
    } catch {
      // Not JSON: keep the text.
    }
    const obj = isObject(body) ? body : undefined;
    const error = obj?.['error'];
    const inner = isObject(error) ? error : undefined;
    const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
    const message = str(inner?.['message']) ?? str(error) ?? str(obj?.['message']) ?? reasonPhrase(response);
    const details = inner?.['details'];
    let { headers } = response;
    let raw_ = response;
    let echoed = false;
    headers.forEach((v) => (echoed ||= v.includes(this.#apiKey)));
    if (echoed) {
      headers = new Headers();
      response.headers.forEach((v, k) => headers.append(k, this.#redact(v)));
      raw_ = new Response(null, { status: response.status, statusText: response.statusText, headers });
    }
    return APIStatusError.generate({
      status: response.status,
      code: str(inner?.['code']) ?? str(obj?.['code']),
      message,
      details: isObject(details) ? details : undefined,
      requestId: headers.get('x-request-id') ?? undefined,
      headers,
      response: raw_,
      body,
    });
  }

  /** Never let the API key reach an error message. */
  #redact(text: string): string {
    return this.#apiKey ? text.split(this.#apiKey).join('***') : text;
  }

  /** Run a decoder; a validation error it throws is redacted like any other. */
  #decoding<T>(decode: () => T): T {
    try {
      return decode();
    } catch (err) {
      throw this.redactError(err);
    }
  }

  /**
   * @internal The SDK's own error with the API key replaced wherever it shows (message, body,
   * causes); anything else (such as the caller's abort reason) is returned untouched.
   */
  redactError(err: unknown): unknown {
    return err instanceof SDKError ? redactError(err, this.#apiKey) : err;
  }

  // -- the API key never shows ----------------------------------------------------------

  #describe(): Record<string, unknown> {
    const out: Record<string, unknown> = { baseUrl: this.baseUrl, timeout: this.timeout, maxRetries: this.maxRetries, apiKey: '***' };
    if (this.strictResponseValidation) out['strictResponseValidation'] = true;
    return out;
  }

  toJSON(): Record<string, unknown> {
    return this.#describe();
  }

  toString(): string {
    return `${this.#identity.name}(${JSON.stringify(this.#describe())})`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/**
 * Decode a JSON response with a shape table, unwrapping `{data: ...}` when `unwrap` is set. The
 * value the call returns must be there and be an object, in both modes (the call has nothing to
 * return otherwise): else `APIResponseValidationError`. Strict mode checks it against the contract.
 */
export function decodeWith<T>(shape: ModelShape<T>, unwrap: string | null): (body: unknown, context: ResponseContext) => T {
  return (body, context) => {
    const invalid = (path: string, reason: string) =>
      new APIResponseValidationError({ status: context.status, response: context.response, path, reason, body });
    let value = body;
    let base = '$';
    if (unwrap !== null) {
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('$', `expected an object, got ${describe(body)}`);
      value = (body as Record<string, unknown>)[unwrap];
      base = `$.${unwrap}`;
      if (value === undefined) throw invalid(base, 'required field is missing');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(base, `expected an object, got ${describe(value)}`);
    try {
      return shape.fromWire(value, { strict: context.strict });
    } catch (err) {
      if (err instanceof ShapeError) throw invalid(base + err.path.slice(1), err.reason);
      throw err;
    }
  };
}

/** RUNTIME.md: connection errors, timeouts, 408, 409, 429, 5xx; `x-should-retry` overrides. */
export function shouldRetry(response: Response): boolean {
  const override = response.headers.get('x-should-retry');
  if (override === 'true') return true;
  if (override === 'false') return false;
  const s = response.status;
  return s === 408 || s === 409 || s === 429 || s >= 500;
}

/** `retry-after-ms` (milliseconds) or `Retry-After` (seconds or an HTTP date), in seconds. */
export function retryAfterSeconds(headers: Headers, now: number): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms))) return Number(ms) / 1000;
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  if (Number.isFinite(Number(value))) return Number(value);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, (date - now) / 1000);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The reason phrase of the status line (`Bad Gateway`), from the response or the standard list. */
function reasonPhrase(response: Response): string {
  return response.statusText || REASONS[response.status] || `HTTP ${response.status}`;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/**
 * Why `key` cannot be sent as a header value, or undefined when it can. Names the problem,
 * never the key: a control character (a line break left by reading the key from a file is the
 * usual one) or a character outside ASCII, which `fetch` would reject, or worse, quote.
 */
function keyProblem(key: string): string | undefined {
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) {
      const code = `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
      const hint = c === 10 || c === 13 ? ', a line break: was it read from a file with its trailing newline?' : '';
      return `contains a control character (${code}${hint}); pass the key exactly as issued`;
    }
    if (c > 0x7e) return 'contains a non-ASCII character; API keys are printable ASCII';
  }
  return undefined;
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const detail = cause instanceof Error ? `: ${cause.message}` : '';
    return `${err.message}${detail}`;
  }
  return String(err);
}
