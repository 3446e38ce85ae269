/**
 * The HTTP core every generated client extends: configuration, credentials, retries with
 * backoff, idempotency keys, timeouts, typed errors, request encoding (query styles, JSON, form,
 * multipart, text and binary bodies), response decoding, logging, and the entry points the
 * generated resource methods call (`request`, `requestPage`, `stream`).
 * The policy is generator/RUNTIME.md's, implemented identically in every SDK.
 *
 * Nothing here names one API: the generated client passes its identity (name, environment
 * prefix, default base URL, User-Agent, security schemes) to the constructor.
 */
import {
  APIConnectionError,
  APIResponseValidationError,
  APIStatusError,
  APITimeoutError,
  APIUserAbortError,
  InvalidArgumentError,
  SDKError,
  redactError,
  redactText,
  withheld,
} from './errors.js';
import { APIPromise, withRequestId, type Sent } from './api-promise.js';
import { checkLogOptions, headerLines, isLogLevel, Log, type Logger, type LogLevel } from './log.js';
import { decodeValue, describe, modelIn, run, ShapeError, type ModelIn, type Shape } from './schema.js';
import { PagePromise, Page, type PageRequest } from './pagination.js';
import { Stream, type StreamSpec } from './streaming.js';
import { anySignal, isUploadable, readEnv, sleep as realSleep, uuid4, type Uploadable } from './utils.js';

export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** The options every client takes; the generated `ClientOptions` adds its credentials. */
export interface BaseClientOptions {
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
  /** What is logged: `'off' | 'error' | 'warn' | 'info' | 'debug'`; default `{PREFIX}_LOG`, else `'warn'`. */
  logLevel?: LogLevel | undefined;
  /** Where log lines go (default `console`). */
  logger?: Logger | undefined;
  /** @internal Test hook: how to wait between retries. */
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  /** @internal Test hook: the jitter source, returning a number in [0, 1). */
  random?: (() => number) | undefined;
  /**
   * @internal Test hook: the clock, in milliseconds, used to read `Retry-After` dates (default:
   * `Date.now`).
   */
  now?: (() => number) | undefined;
}

/** Options every method accepts as its last argument. */
export interface RequestOptions {
  /** Cancels the call (and closes a stream's connection): it rejects with `APIUserAbortError`. */
  signal?: AbortSignal | undefined;
  /** Overrides the client's `timeout` (milliseconds) for this call. */
  timeout?: number | undefined;
  /** Overrides the client's `maxRetries` for this call. */
  maxRetries?: number | undefined;
  /** Extra headers for this call (`null` removes a default header). */
  headers?: Record<string, string | null | undefined> | undefined;
  /** Extra query parameters for this call (replacing declared ones of the same name). */
  query?: Record<string, unknown> | undefined;
  /** Extra body fields for this call, merged into the body (overriding), as given. */
  body?: Record<string, unknown> | undefined;
  /** The `Idempotency-Key` of this call (default: a fresh UUID4 per call, reused on retries). */
  idempotencyKey?: string | undefined;
}

/** One security scheme, as the generated client describes it (IR `AuthScheme`). */
export interface AuthSpec {
  /** The scheme's key in the spec (what operations' security requirements name). */
  readonly key: string;
  readonly kind: 'api_key' | 'bearer' | 'basic' | 'oauth2' | 'openid' | 'mutual_tls';
  /** The client option holding the credential (`apiKey`; for basic, `{ username, password }`). */
  readonly option: string;
  readonly location: 'header' | 'query' | 'cookie' | 'transport';
  /** The header, query parameter or cookie name. */
  readonly param: string;
  /** Put before the credential (`Bearer `, `Basic `). */
  readonly prefix: string;
  /** The environment variables read when the option is absent (basic: username, password). */
  readonly env: readonly string[];
}

/** What the SDK itself is: filled in by the generated client. */
export interface SdkIdentity {
  name: string;
  envPrefix: string;
  defaultBaseUrl: string;
  userAgent: string;
  auth: readonly AuthSpec[];
  /** Some operation needs credentials: constructing a client without any is an error. */
  authRequired: boolean;
}

/** What a decoder of a response body is told besides the body. */
export interface ResponseContext {
  /** `strictResponseValidation`: check the body against the contract. */
  strict: boolean;
  status: number;
  response: Response;
}

export type HTTPMethod = 'get' | 'post' | 'put' | 'patch' | 'delete' | 'head' | 'options' | 'trace' | 'query';

/** A query parameter and how it is serialised (OpenAPI `style`/`explode`; default form, exploded). */
export interface QueryParam {
  name: string;
  value: unknown;
  style?: 'form' | 'spaceDelimited' | 'pipeDelimited' | 'deepObject' | undefined;
  explode?: boolean | undefined;
}

/** A request body, by media type (IR `Body.kind`). */
export type RequestBody =
  | { kind: 'json'; value: unknown; contentType?: string | undefined }
  | { kind: 'form'; value: Record<string, unknown> }
  | { kind: 'multipart'; value: Record<string, unknown> }
  | { kind: 'text'; value: string; contentType: string }
  | { kind: 'binary'; value: Uploadable; contentType: string };

/** One HTTP call as a generated method describes it. */
export interface RequestSpec {
  method: HTTPMethod;
  path: string;
  query?: readonly QueryParam[] | undefined;
  headers?: Record<string, unknown> | undefined;
  cookies?: Record<string, unknown> | undefined;
  body?: RequestBody | undefined;
  /** The operation declares `Idempotency-Key`: send one per call, the same on every retry. */
  idempotent?: boolean | undefined;
  accept?: string | undefined;
  /** The security requirement alternatives (scheme keys); `[]`: no credentials. */
  security?: readonly (readonly string[])[] | undefined;
}

/**
 * How a successful response becomes the method's value: `parse` gets the body as JSON (`json`),
 * its text (`text`), its bytes (`bytes`), or nothing (`none`: whatever came is ignored).
 */
export interface ResultSpec<T> {
  kind: 'json' | 'text' | 'bytes' | 'none';
  parse: (body: unknown, context: ResponseContext) => T;
}

export const DEFAULT_TIMEOUT = 60_000;

export const DEFAULT_MAX_RETRIES = 2;
const MAX_RETRY_AFTER_SECONDS = 60;

/** The request line's method of each `HTTPMethod` (no new string per call). */
const METHODS: Readonly<Record<string, string>> = {
  get: 'GET', post: 'POST', put: 'PUT', patch: 'PATCH', delete: 'DELETE', head: 'HEAD', options: 'OPTIONS', trace: 'TRACE', query: 'QUERY',
};

/** Which thing timed out: carried as an abort reason so it is told apart from the caller's. */
class TimeoutReason {
  constructor(readonly ms: number) {}
}

type Credential = string | { username: string; password: string };

export class APIClient<O extends BaseClientOptions = BaseClientOptions> {
  readonly baseUrl: string;
  readonly timeout: number;
  readonly maxRetries: number;
  /** Whether responses are checked against the contract (`strictResponseValidation`). */
  readonly strictResponseValidation: boolean;
  /** The level of the client's log (`logLevel`). */
  readonly logLevel: LogLevel;
  readonly #options: O;
  readonly #credentials: Map<string, Credential>;
  /** `#authFor`'s credentials of each one-scheme requirement, by scheme key. */
  readonly #authOne = new Map<string, AuthParts>();
  readonly #secrets: string[];
  readonly #secretHeaders: Set<string>;
  readonly #identity: SdkIdentity;
  readonly #fetch: Fetch;
  readonly #defaultHeaders: Record<string, string>;
  readonly #hasDefaultHeaders: boolean;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #log: Log;

  constructor(options: O, identity: SdkIdentity) {
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw new InvalidArgumentError('client options must be an object');
    }
    this.#identity = identity;
    this.#options = { ...options };
    const { credentials, secrets } = readCredentials(options as Record<string, unknown>, identity);
    this.#credentials = credentials;
    this.#secrets = secrets;
    this.#secretHeaders = new Set(identity.auth.filter((a) => a.location === 'header').map((a) => a.param.toLowerCase()));
    const fetchImpl = options.fetch ?? (globalThis as { fetch?: Fetch }).fetch;
    if (typeof fetchImpl !== 'function') {
      throw new InvalidArgumentError('no `fetch` in this runtime: pass one as the `fetch` option');
    }
    checkLimits(options, 'client options');
    checkLogOptions(options.logLevel, options.logger);
    if (options.defaultHeaders !== undefined) checkRecord(options.defaultHeaders, 'defaultHeaders');
    this.#fetch = fetchImpl;
    this.baseUrl = (options.baseUrl ?? readEnv(`${identity.envPrefix}_BASE_URL`) ?? identity.defaultBaseUrl).replace(/\/+$/, '');
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT;
    this.maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
    this.strictResponseValidation = options.strictResponseValidation === true;
    this.#defaultHeaders = { ...(options.defaultHeaders ?? {}) };
    this.#hasDefaultHeaders = Object.keys(this.#defaultHeaders).length > 0;
    this.#sleep = options.sleep ?? realSleep;
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
    const envLevel = readEnv(`${identity.envPrefix}_LOG`)?.toLowerCase();
    this.logLevel = options.logLevel ?? (isLogLevel(envLevel) ? envLevel : 'warn');
    this.#log = new Log(this.logLevel, options.logger ?? console, identity.name, (text) => this.#redact(text));
  }

  /**
   * A client with other defaults (base URL, timeout, retries, headers, credentials, logging...),
   * sharing this one's `fetch` and with it its connection pool.
   */
  withOptions(options: Partial<O>): this {
    const Client = this.constructor as new (options: O) => this;
    return new Client({ ...this.#options, fetch: this.#fetch, ...options } as O);
  }

  // -- what the generated methods call -------------------------------------------

  /** Send a request (with retries) and turn its response into the method's value. */
  request<T>(spec: RequestSpec, options: RequestOptions | undefined, result: ResultSpec<T>): APIPromise<T> {
    const opts = checkRequestOptions(options);
    const prepared = this.#prepare(spec, opts);
    const read = result.kind === 'bytes' ? 'bytes' : result.kind === 'none' ? 'none' : 'text';
    return new APIPromise<T>(
      (raw) => this.fetchWithRetries(spec, opts, raw ? 'raw' : read, prepared),
      (sent) =>
        this.#decoding(() => {
          const { response } = sent;
          const body =
            result.kind === 'json' ? this.#json(sent) : result.kind === 'text' ? sent.text ?? '' : result.kind === 'bytes' ? sent.bytes : undefined;
          const value = result.parse(body, { strict: this.strictResponseValidation, status: response.status, response });
          return withRequestId(value, response);
        }),
    );
  }

  /** A list call: awaitable to one page, async-iterable over every item of every page. */
  requestPage<T, M>(page: PageRequest<T, M>, options: RequestOptions | undefined): PagePromise<T, M> {
    const opts = checkRequestOptions(options);
    this.#prepare(page.spec, opts);
    const fetchPage = (request: PageRequest<T, M>, raw: boolean): Promise<Sent> =>
      this.fetchWithRetries(request.spec, opts, raw ? 'raw' : 'text', this.#prepare(request.spec, opts));
    const parsePage = (request: PageRequest<T, M>, sent: Sent): Page<T, M> =>
      this.#decoding(() => {
        const json = this.#json(sent);
        const context = { strict: this.strictResponseValidation, status: sent.response.status, response: sent.response };
        return Page.from(request, json, context);
      });
    return new PagePromise<T, M>(page, fetchPage, parsePage);
  }

  /** A streaming call: returns at once; the request is sent when iteration starts. */
  stream<E, F = undefined, O = unknown, U = unknown>(
    spec: RequestSpec,
    options: RequestOptions | undefined,
    stream: StreamSpec<E>,
  ): Stream<E, F, O, U> {
    const opts: RequestOptions = { ...checkRequestOptions(options) };
    if (spec.idempotent) opts.idempotencyKey = opts.idempotencyKey ?? uuid4();
    this.#prepare(spec, opts);
    return new Stream<E, F, O, U>({
      client: this,
      request: spec,
      options: opts,
      spec: stream,
      idleTimeout: opts.timeout ?? this.timeout,
      maxRetries: opts.maxRetries ?? this.maxRetries,
      strict: this.strictResponseValidation,
      backoff: (attempt) => this.#backoff(attempt),
      sleep: (ms, signal) => this.#sleepFor(ms, signal),
      log: this.#log,
    });
  }

  /** @internal Open a stream request (retried as any request when `retries`); the body is left unread. */
  async openStream(spec: RequestSpec, options: RequestOptions, retries: boolean): Promise<Response> {
    const opts = retries ? options : { ...options, maxRetries: 0 };
    const { response } = await this.fetchWithRetries({ ...spec, accept: 'text/event-stream' }, opts, 'raw');
    return response;
  }

  // -- the retry loop -----------------------------------------------------------------

  /**
   * Send `spec`, retrying per the policy. With `read` `raw`, the successful response is returned
   * with its body unread; otherwise the body is read (within the timeout) as text or bytes, or
   * read and dropped (`none`).
   */
  async fetchWithRetries(
    spec: RequestSpec,
    options: RequestOptions | undefined,
    read: 'text' | 'bytes' | 'none' | 'raw',
    prepared?: Prepared,
  ): Promise<Sent> {
    const opts = options ?? {};
    const ready = prepared ?? this.#prepare(spec, opts);
    const { url, body } = ready;
    const maxRetries = opts.maxRetries ?? this.maxRetries;
    const timeout = opts.timeout ?? this.timeout;
    const idempotencyKey = spec.idempotent ? opts.idempotencyKey ?? uuid4() : undefined;
    const headers = this.buildHeaders(spec, opts, idempotencyKey, ready);
    const method = METHODS[spec.method] ?? spec.method.toUpperCase();
    // Only log lines show it and the times (none below the info level): not made for nothing.
    const logging = this.#log.enabled('info');
    const where = logging ? `${method} ${new URL(url).pathname}` : '';
    if (this.#log.enabled('debug')) {
      this.#log.debug(`${where} request headers: ${headerLines(headers, this.#secretHeaders)}`);
      if (idempotencyKey !== undefined) this.#log.debug(`${where} idempotency key ${idempotencyKey}`);
    }

    for (let attempt = 0; ; attempt++) {
      const retriesLeft = maxRetries - attempt;
      const timer = new AbortController();
      // One signal for the timeout and the caller's, combined only when the caller gave one.
      const { signal, dispose } = opts.signal === undefined ? { signal: timer.signal, dispose: noop } : anySignal([opts.signal, timer.signal]);
      const handle = setTimeout(() => timer.abort(new TimeoutReason(timeout)), timeout);
      const started = logging ? Date.now() : 0;
      let response: Response;
      let sent: Sent;
      try {
        if (opts.signal?.aborted) throw opts.signal.reason;
        response = await this.#fetch(url, { method, headers, body: body as BodyInit | undefined, signal });
        if (logging) this.#logResponse(where, response, started);
        const ok = response.ok;
        if (ok && read === 'raw') {
          // The caller (or the stream's own idle timeout) takes over once the headers arrived.
          clearTimeout(handle);
          return { response, raw: true };
        }
        if (!ok) sent = { response, raw: false };
        else if (read === 'bytes') sent = { response, bytes: new Uint8Array(await response.arrayBuffer()), raw: false };
        else sent = { response, text: await response.text(), raw: false };
      } catch (err) {
        clearTimeout(handle);
        dispose();
        if (opts.signal?.aborted) throw this.#aborted(opts.signal);
        const error = timer.signal.aborted
          ? new APITimeoutError(`Request timed out after ${timeout} ms.`)
          : this.redactError(new APIConnectionError(`Connection error: ${errorText(err)}`, { cause: err }));
        this.#log.info(`${where} -> ${timer.signal.aborted ? 'timed out' : 'connection error'} after ${Date.now() - started} ms`);
        if (retriesLeft <= 0) throw error;
        const delay = this.#backoff(attempt);
        this.#log.info(`retrying ${where} in ${delay} ms (${timer.signal.aborted ? 'timeout' : 'connection error'}); retry ${attempt + 1} of ${maxRetries}`);
        await this.#sleepFor(delay, opts.signal);
        continue;
      }
      if (response.ok) {
        clearTimeout(handle);
        dispose();
        // The caller parses it: a body that is not JSON is unusable (not retried: the server
        // answered), or ignored where the operation returns nothing.
        return sent;
      }
      // An HTTP error status.
      const retry = shouldRetry(response);
      if (retry && retriesLeft > 0) {
        clearTimeout(handle);
        dispose();
        await response.body?.cancel().catch(() => undefined);
        const delay = this.#retryDelay(attempt, response.headers);
        this.#log.info(`retrying ${where} in ${delay} ms (status ${response.status}); retry ${attempt + 1} of ${maxRetries}`);
        await this.#sleepFor(delay, opts.signal);
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
      if (opts.signal?.aborted) throw this.#aborted(opts.signal);
      throw this.#statusError(response, bodyText);
    }
  }

  /** The URL and encoded body of a request: checked once, before anything is sent. */
  #prepare(spec: RequestSpec, opts: RequestOptions): Prepared {
    const auth = this.#authFor(spec);
    // Copied only when something is added to them (the spec's own are never changed).
    let query: readonly QueryParam[] | undefined = spec.query;
    if (auth.query.length > 0 || opts.query !== undefined) {
      const all = [...(spec.query ?? [])];
      for (const [name, value] of auth.query) all.push({ name, value });
      if (opts.query !== undefined) {
        const extra = Object.keys(opts.query);
        const kept = all.filter((q) => !extra.includes(q.name));
        all.length = 0;
        all.push(...kept, ...extra.map((name) => ({ name, value: opts.query![name] })));
      }
      query = all;
    }
    const { body, contentType } = encodeBody(spec.body, opts.body);
    let cookies: Readonly<Record<string, unknown>> = spec.cookies ?? NO_COOKIES;
    if (auth.cookies.length > 0) {
      const all: Record<string, unknown> = { ...cookies };
      for (const [name, value] of auth.cookies) all[name] = value;
      cookies = all;
    }
    return { url: this.buildUrl(spec.path, query), body, contentType, auth, cookies };
  }

  buildUrl(path: string, query?: readonly QueryParam[]): string {
    let url = this.baseUrl + path;
    if (query && query.length > 0) {
      const params = new URLSearchParams();
      for (const q of query) appendQuery(params, q.name, q.value, q.style ?? 'form', q.explode ?? true);
      const qs = params.toString();
      if (qs) url += `?${qs}`;
    }
    return url;
  }

  buildHeaders(spec: RequestSpec, opts: RequestOptions, idempotencyKey: string | undefined, prepared: Prepared): Record<string, string> {
    const headers: Record<string, string> = {
      accept: spec.accept ?? 'application/json',
      'user-agent': this.#identity.userAgent,
    };
    if (prepared.contentType !== undefined) headers['content-type'] = prepared.contentType;
    const auth = prepared.auth.headers;
    for (let i = 0; i < auth.length; i++) headers[auth[i]![0].toLowerCase()] = auth[i]![1];
    if (this.#hasDefaultHeaders) mergeHeaders(headers, this.#defaultHeaders);
    mergeHeaders(headers, spec.headers);
    if (prepared.cookies !== NO_COOKIES) {
      let cookie = '';
      for (const k of Object.keys(prepared.cookies)) {
        const v = prepared.cookies[k];
        if (v === undefined || v === null) continue;
        cookie += `${cookie === '' ? '' : '; '}${k}=${encodeURIComponent(String(v))}`;
      }
      if (cookie) headers['cookie'] = cookie;
    }
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    mergeHeaders(headers, opts.headers);
    return headers;
  }

  // -- credentials --------------------------------------------------------------------

  /**
   * The credentials of the first security alternative of `spec` that this client can satisfy.
   * Those of a requirement of one scheme (`[[key]]`, what most operations have) are made once per
   * client: its credentials never change.
   */
  #authFor(spec: RequestSpec): AuthParts {
    const alternatives = spec.security ?? [];
    if (alternatives.length === 1 && alternatives[0]!.length === 1) {
      const key = alternatives[0]![0]!;
      let parts = this.#authOne.get(key);
      if (parts === undefined) {
        parts = this.#authOf(alternatives);
        this.#authOne.set(key, parts);
      }
      return parts;
    }
    return this.#authOf(alternatives);
  }

  #authOf(alternatives: readonly (readonly string[])[]): AuthParts {
    const parts = { headers: [] as [string, string][], query: [] as [string, string][], cookies: [] as [string, string][] };
    if (alternatives.length === 0) return parts;
    const usable = (alt: readonly string[]) => alt.every((key) => this.#credentials.has(key) || this.#scheme(key)?.kind === 'mutual_tls');
    const chosen = alternatives.find((alt) => alt.length > 0 && usable(alt)) ?? alternatives.find((alt) => alt.length === 0);
    if (chosen === undefined) {
      const options = [...new Set(alternatives.flat().map((key) => this.#scheme(key)?.option ?? key))].map((o) => `\`${o}\``);
      throw new InvalidArgumentError(`this call needs credentials: set ${options.join(' or ')} on the client`);
    }
    for (const key of chosen) {
      const scheme = this.#scheme(key);
      const credential = this.#credentials.get(key);
      if (scheme === undefined || credential === undefined) continue;
      const value =
        typeof credential === 'string' ? scheme.prefix + credential : scheme.prefix + base64(`${credential.username}:${credential.password}`);
      if (scheme.location === 'header') parts.headers.push([scheme.param, value]);
      else if (scheme.location === 'query') parts.query.push([scheme.param, value]);
      else if (scheme.location === 'cookie') parts.cookies.push([scheme.param, value]);
    }
    return parts;
  }

  #scheme(key: string): AuthSpec | undefined {
    return this.#identity.auth.find((a) => a.key === key);
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

  /** Wait between attempts; the caller's abort ends the wait with `APIUserAbortError`. */
  async #sleepFor(ms: number, signal: AbortSignal | undefined): Promise<void> {
    try {
      await this.#sleep(ms, signal);
    } catch (err) {
      if (signal?.aborted) throw this.#aborted(signal);
      throw err;
    }
    if (signal?.aborted) throw this.#aborted(signal);
  }

  #aborted(signal: AbortSignal): APIUserAbortError {
    return this.redactError(new APIUserAbortError(undefined, { cause: signal.reason })) as APIUserAbortError;
  }

  // -- logging ----------------------------------------------------------------------

  #logResponse(where: string, response: Response, started: number): void {
    if (!this.#log.enabled('info')) return;
    const id = response.headers.get('x-request-id');
    this.#log.info(`${where} -> ${response.status} in ${Date.now() - started} ms${id ? `, request_id ${id}` : ''}`);
    if (this.#log.enabled('debug')) this.#log.debug(`${where} response headers: ${headerLines(response.headers, this.#secretHeaders)}`);
  }

  // -- errors -----------------------------------------------------------------------

  #parseJSON(text: string, response: Response): unknown {
    try {
      return JSON.parse(text);
    } catch (err) {
      // The parser's message quotes a few characters of the text: withheld if a secret is in it.
      const cause = this.#secrets.some((s) => text.includes(s)) && err instanceof Error ? withheld(err) : err;
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

  /** A JSON body (the text of a `text` read), parsed; not JSON is `APIResponseValidationError`. */
  #json(sent: Sent): unknown {
    return sent.text ? this.#parseJSON(sent.text, sent.response) : undefined;
  }

  /**
   * The typed error of an HTTP error status (RUNTIME.md, "Reading responses"): the body may be
   * `{"error": {"code", "message", "details"}}`, `{"error": "text"}` (the text is the message),
   * `{"message": "..."}`, or not JSON at all (the message is the status line's reason, and the
   * raw text stays in `body`). The credentials, should the server echo one anywhere (body or
   * headers), are replaced by `***`.
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
    headers.forEach((v) => (echoed ||= this.#secrets.some((s) => v.includes(s))));
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

  /** Never let a credential reach an error message or a log line. */
  #redact(text: string): string {
    return redactText(text, this.#secrets);
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
   * @internal The SDK's own error with the credentials replaced wherever they show (message,
   * body, causes); anything else is returned untouched.
   */
  redactError(err: unknown): unknown {
    return err instanceof SDKError ? redactError(err, this.#secrets) : err;
  }

  // -- the credentials never show -------------------------------------------------------

  #describe(): Record<string, unknown> {
    const out: Record<string, unknown> = { baseUrl: this.baseUrl, timeout: this.timeout, maxRetries: this.maxRetries };
    for (const scheme of this.#identity.auth) if (this.#credentials.has(scheme.key)) out[scheme.option] = '***';
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

/** @internal A request's URL and body, encoded once. */
export interface Prepared {
  url: string;
  body: string | URLSearchParams | FormData | Blob | ArrayBuffer | ArrayBufferView | undefined;
  contentType: string | undefined;
  auth: AuthParts;
  cookies: Readonly<Record<string, unknown>>;
}

/** A request's credentials (shared between requests: never changed once made). */
interface AuthParts {
  readonly headers: readonly (readonly [string, string])[];
  readonly query: readonly (readonly [string, string])[];
  readonly cookies: readonly (readonly [string, string])[];
}

const NO_COOKIES: Readonly<Record<string, unknown>> = Object.freeze({});

// -- results ------------------------------------------------------------------------------

/**
 * A JSON result read with `shape`, unwrapping `{data: ...}` when `unwrap` is set. When the result
 * is a model, the value the call returns must be there and be an object, in both modes (the call
 * has nothing to return otherwise): else `APIResponseValidationError`. Strict mode checks it
 * against the contract; tolerant mode keeps a value of another shape as it came.
 */
export function jsonResult<T>(shape: Shape, unwrap: string | null = null): ResultSpec<T> {
  // A model's compiled readers, [tolerant, strict], looked up on first use (not per call).
  const readers: (ModelIn | undefined)[] = [undefined, undefined];
  return {
    kind: 'json',
    parse: (body, context) => {
      const invalid = (path: string, reason: string) =>
        new APIResponseValidationError({ status: context.status, response: context.response, path, reason, body });
      let value = body;
      let base = '$';
      if (unwrap !== null) {
        if (!isObject(body)) throw invalid('$', `expected an object, got ${describe(body)}`);
        value = body[unwrap];
        base = `$.${unwrap}`;
        if (value === undefined) throw invalid(base, 'required field is missing');
      }
      if (shape.kind === 'model' && !isObject(value)) throw invalid(base, `expected an object, got ${describe(value)}`);
      try {
        // A model (the value is an object: checked above) is read by its compiled reader, cached
        // per model; `decodeValue` would compile the shape's converter again on every call.
        if (shape.kind === 'model') {
          const model = shape.model();
          const mode = context.strict ? 1 : 0;
          return run<T>((readers[mode] ??= modelIn(model, context.strict)), model, value);
        }
        return decodeValue<T>(shape, value, { strict: context.strict });
      } catch (err) {
        if (err instanceof ShapeError) throw invalid(base + err.path.slice(1), err.reason);
        throw err;
      }
    },
  };
}

/** A text result (`text/plain`...): the body's text. */
export const textResult: ResultSpec<string> = { kind: 'text', parse: (body) => body as string };

/** A binary result (`application/octet-stream`, audio, images...): the body's bytes. */
export const bytesResult: ResultSpec<Uint8Array> = { kind: 'bytes', parse: (body) => (body as Uint8Array | undefined) ?? new Uint8Array() };

/** No result (204, or a body the operation does not describe): whatever came is ignored. */
export const noResult: ResultSpec<void> = { kind: 'none', parse: () => undefined };

// -- request encoding ----------------------------------------------------------------------

/**
 * The body as `fetch` sends it, and its content type (none for multipart: `fetch` sets it, with
 * its boundary). `extra` (`options.body`) is merged into a JSON, form or multipart body.
 */
function encodeBody(
  body: RequestBody | undefined,
  extra: Record<string, unknown> | undefined,
): { body: Prepared['body']; contentType: string | undefined } {
  if (body === undefined) {
    return extra === undefined ? { body: undefined, contentType: undefined } : { body: JSON.stringify(extra), contentType: 'application/json' };
  }
  switch (body.kind) {
    case 'json': {
      let value = body.value;
      if (extra !== undefined) {
        if (!isObject(value) && value !== undefined) throw new InvalidArgumentError('options.body needs a body that is a JSON object');
        value = { ...(value ?? {}), ...extra };
      }
      return { body: value === undefined ? undefined : JSON.stringify(value), contentType: body.contentType ?? 'application/json' };
    }
    case 'form': {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries({ ...body.value, ...(extra ?? {}) })) appendForm(params, k, v, true);
      return { body: params.toString(), contentType: 'application/x-www-form-urlencoded' };
    }
    case 'multipart': {
      const form = new FormData();
      for (const [k, v] of Object.entries({ ...body.value, ...(extra ?? {}) })) appendPart(form, k, v);
      return { body: form, contentType: undefined };
    }
    case 'text':
      if (extra !== undefined) throw new InvalidArgumentError('options.body cannot be merged into a text body');
      if (typeof body.value !== 'string') throw new InvalidArgumentError(`the body must be a string, got ${describe(body.value)}`);
      return { body: body.value, contentType: body.contentType };
    case 'binary':
      if (extra !== undefined) throw new InvalidArgumentError('options.body cannot be merged into a binary body');
      if (!isUploadable(body.value)) {
        throw new InvalidArgumentError(`the body must be a Blob, an ArrayBuffer or a typed array, got ${describe(body.value)}`);
      }
      return { body: body.value, contentType: body.contentType };
  }
}

/** One query parameter, as OpenAPI's `style`/`explode` say. */
/** Merge `extra` into `headers` (names lower-cased): `undefined` skips a name, `null` removes it. */
function mergeHeaders(headers: Record<string, string>, extra: Record<string, unknown> | undefined): void {
  if (extra === undefined || extra === null) return;
  for (const k of Object.keys(extra)) {
    const v = extra[k];
    if (v === undefined) continue;
    if (v === null) delete headers[k.toLowerCase()];
    else headers[k.toLowerCase()] = String(v);
  }
}

function noop(): void {}

function appendQuery(params: URLSearchParams, name: string, value: unknown, style: string, explode: boolean): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) {
    const items = value.filter((v) => v !== undefined && v !== null).map(scalar);
    if (style === 'deepObject') items.forEach((v) => params.append(`${name}[]`, v));
    else if (style === 'spaceDelimited') params.append(name, items.join(' '));
    else if (style === 'pipeDelimited') params.append(name, items.join('|'));
    else if (explode) items.forEach((v) => params.append(name, v));
    else params.append(name, items.join(','));
    return;
  }
  if (isObject(value)) {
    if (style === 'deepObject') appendForm(params, name, value, false);
    else if (explode) for (const [k, v] of Object.entries(value)) appendQuery(params, k, v, 'form', true);
    else params.append(name, Object.entries(value).flatMap(([k, v]) => [k, scalar(v)]).join(','));
    return;
  }
  params.append(name, scalar(value));
}

/**
 * A form field (`application/x-www-form-urlencoded`, and `deepObject` query parameters): a list
 * of scalars at the top level repeats its key (OpenAPI's default for forms); objects and nested
 * lists use brackets, `key[sub]=v`, `key[0][sub]=v`.
 */
function appendForm(params: URLSearchParams, key: string, value: unknown, top: boolean): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) {
    if (top && value.every((v) => !isObject(v) && !Array.isArray(v))) {
      value.forEach((v) => v !== undefined && v !== null && params.append(key, scalar(v)));
    } else {
      value.forEach((v, i) => appendForm(params, `${key}[${i}]`, v, false));
    }
    return;
  }
  if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) appendForm(params, `${key}[${k}]`, v, false);
    return;
  }
  params.append(key, scalar(value));
}

/** A multipart part: files as files, lists as repeated parts, objects as JSON. */
function appendPart(form: FormData, key: string, value: unknown): void {
  if (value === undefined || value === null) return;
  if (isUploadable(value)) {
    const blob = value instanceof Blob ? value : new Blob([value as ArrayBuffer]);
    const name = (value as { name?: unknown }).name;
    form.append(key, blob, typeof name === 'string' && name !== '' ? name : key);
  } else if (Array.isArray(value)) {
    value.forEach((v) => appendPart(form, key, v));
  } else if (isObject(value)) {
    form.append(key, new Blob([JSON.stringify(value)], { type: 'application/json' }));
  } else {
    form.append(key, scalar(value));
  }
}

function scalar(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (isObject(value) || Array.isArray(value)) return JSON.stringify(value);
  return String(value);
}

function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

// -- checks -------------------------------------------------------------------------------

/**
 * The client's credentials: each scheme's option, else its environment variables. A credential
 * that cannot be sent as a header value is `InvalidArgumentError` naming the problem, never the
 * value; no credential at all, when some operation needs one, is too.
 */
function readCredentials(options: Record<string, unknown>, identity: SdkIdentity): { credentials: Map<string, Credential>; secrets: string[] } {
  const credentials = new Map<string, Credential>();
  const secrets: string[] = [];
  const wanted: string[] = [];
  for (const scheme of identity.auth) {
    if (scheme.kind === 'mutual_tls') continue;
    const given = options?.[scheme.option];
    if (scheme.kind === 'basic') {
      wanted.push(`pass \`${scheme.option}\` ({ username, password })${scheme.env.length === 2 ? ` or set ${scheme.env[0]} and ${scheme.env[1]}` : ''}`);
      let pair: unknown = given;
      if (pair === undefined && scheme.env.length === 2) {
        const [username, password] = [readEnv(scheme.env[0]!), readEnv(scheme.env[1]!)];
        if (username !== undefined && password !== undefined) pair = { username, password };
      }
      if (pair === undefined) continue;
      const p = pair as Record<string, unknown> | null;
      if (typeof p !== 'object' || p === null || typeof p['username'] !== 'string' || typeof p['password'] !== 'string') {
        throw new InvalidArgumentError(`${scheme.option} must be an object with a string username and password`);
      }
      for (const part of ['username', 'password'] as const) {
        const problem = keyProblem(p[part] as string, part === 'username');
        if (problem !== undefined) throw new InvalidArgumentError(`the ${part} of ${scheme.option} ${problem}`);
      }
      const username = p['username'] as string;
      const password = p['password'] as string;
      credentials.set(scheme.key, { username, password });
      secrets.push(password, `${username}:${password}`, base64(`${username}:${password}`));
      continue;
    }
    wanted.push(`pass \`${scheme.option}\`${scheme.env[0] ? ` or set ${scheme.env[0]}` : ''}`);
    const value: unknown = given ?? (scheme.env[0] ? readEnv(scheme.env[0]) : undefined);
    if (value === undefined) continue;
    const what = scheme.kind === 'api_key' ? 'the API key' : `the ${scheme.option} token`;
    if (typeof value !== 'string') throw new InvalidArgumentError(`${what} must be a string, got ${value === null ? 'null' : typeof value}`);
    if (value === '') throw new InvalidArgumentError(`${what} is empty`);
    const problem = keyProblem(value, false);
    if (problem !== undefined) throw new InvalidArgumentError(`${what} ${problem}`);
    credentials.set(scheme.key, value);
    secrets.push(value);
  }
  if (identity.authRequired && credentials.size === 0 && wanted.length > 0) {
    throw new InvalidArgumentError(`no credentials: ${wanted.join('; or ')} (new ${identity.name}())`);
  }
  // Longest first, so that a secret containing another is replaced whole.
  secrets.sort((a, b) => b.length - a.length);
  return { credentials, secrets: secrets.filter((s) => s.length > 0) };
}

function checkLimits(options: { timeout?: unknown; maxRetries?: unknown }, what: string): void {
  for (const [name, value] of [['timeout', options.timeout], ['maxRetries', options.maxRetries]] as const) {
    if (value !== undefined && (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value))) {
      throw new InvalidArgumentError(`${name} must be a non-negative number (${what})`);
    }
  }
}

function checkRecord(value: unknown, name: string): void {
  if (!isObject(value)) throw new InvalidArgumentError(`${name} must be an object`);
}

/** The per-call options, checked before anything is sent. */
/** The options of a call given none (never changed: read only). */
const NO_OPTIONS: RequestOptions = Object.freeze({});

function checkRequestOptions(options: RequestOptions | undefined): RequestOptions {
  if (options === undefined) return NO_OPTIONS;
  if (!isObject(options)) throw new InvalidArgumentError('options must be an object');
  checkLimits(options, 'request options');
  for (const name of ['headers', 'query', 'body'] as const) if (options[name] !== undefined) checkRecord(options[name], `options.${name}`);
  const signal = options.signal as unknown;
  if (signal !== undefined && !(typeof signal === 'object' && signal !== null && 'aborted' in signal)) {
    throw new InvalidArgumentError('options.signal must be an AbortSignal');
  }
  return options;
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
 * Why `value` cannot be sent as a credential, or undefined when it can. Names the problem,
 * never the value: a control character (a line break left by reading it from a file is the
 * usual one) or a character outside ASCII, which `fetch` would reject, or worse, quote.
 * (`inText`: a basic-auth username, where `:` cannot appear either.)
 */
function keyProblem(value: string, username: boolean): string | undefined {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) {
      const code = `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
      const hint = c === 10 || c === 13 ? ', a line break: was it read from a file with its trailing newline?' : '';
      return `contains a control character (${code}${hint}); pass it exactly as issued`;
    }
    if (c > 0x7e) return 'contains a non-ASCII character; credentials are printable ASCII';
    if (username && c === 0x3a) return 'contains a colon, which basic authentication cannot carry';
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

