/**
 * The SDK's error hierarchy (generator/RUNTIME.md, "Errors").
 *
 * ```
 * SDKError                              base of everything the SDK throws (exported under the
 * │                                     SDK's own name, `<Client>Error`)
 * ├── APIError                          the server or the network failed the request
 * │   ├── APIUserAbortError             the caller cancelled (its `AbortSignal`, `stream.abort()`)
 * │   ├── APIConnectionError            no HTTP answer (refused, reset, DNS, TLS)
 * │   │   └── APITimeoutError           request timeout, or a stream idle timeout
 * │   ├── APIStatusError                an HTTP answer with status >= 400
 * │   │   ├── BadRequestError           400
 * │   │   ├── AuthenticationError       401
 * │   │   ├── PaymentRequiredError      402
 * │   │   ├── PermissionDeniedError     403
 * │   │   ├── NotFoundError             404
 * │   │   ├── ConflictError             409
 * │   │   ├── UnprocessableEntityError  422
 * │   │   ├── RateLimitError            429
 * │   │   └── InternalServerError       >= 500
 * │   ├── APIResponseValidationError    a response the SDK cannot use (a list without its
 * │   │                                 `data` array, a body that is not an object where one
 * │   │                                 is due), or, with `strictResponseValidation`, any
 * │   │                                 response that does not match the contract
 * │   └── StreamError                   the stream broke its contract: event data that is not
 * │                                     a JSON object, an event over the size cap, no terminal
 * │                                     event even after resuming, a strict-mode mismatch (its
 * │                                     cause is the APIResponseValidationError), or (from the
 * │                                     aggregating helpers) a run that ended with a failure
 * │                                     event
 * └── InvalidArgumentError              a bad argument, thrown before any request is sent
 * ```
 *
 * Cancelling a call through its `AbortSignal` (or a stream with `abort()`) rejects with
 * `APIUserAbortError`, whose `cause` is the signal's reason: never a raw `DOMException`.
 */

export class SDKError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    Object.defineProperty(this, 'name', { value: new.target.name, enumerable: false, configurable: true });
  }
}

export class InvalidArgumentError extends SDKError {}

export class APIError extends SDKError {}

/** The caller cancelled the call or the stream; `cause` is the abort reason it gave. */
export class APIUserAbortError extends APIError {
  constructor(message = 'Request was aborted.', options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class APIConnectionError extends APIError {
  constructor(message = 'Connection error.', options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class APITimeoutError extends APIConnectionError {
  constructor(message = 'Request timed out.', options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface APIStatusErrorInit {
  status: number;
  code?: string | undefined;
  message?: string | undefined;
  details?: Record<string, unknown> | undefined;
  requestId?: string | undefined;
  headers: Headers;
  response?: Response | undefined;
  body?: unknown;
}

export class APIStatusError extends APIError {
  /** The HTTP status code. */
  readonly status: number;
  /** The API's error code (`error.code` in the body), e.g. `not_found`. */
  readonly code: string | undefined;
  /** The API's error message (`error.message`), without the status prefix. */
  readonly errorMessage: string | undefined;
  /** `error.details`, when the API sent any. */
  readonly details: Record<string, unknown> | undefined;
  /** The `X-Request-ID` response header. */
  readonly requestId: string | undefined;
  /** The response headers. */
  readonly headers: Headers;
  /** The raw response (its body was already read into `body`). */
  readonly response: Response | undefined;
  /** The decoded response body (JSON when it parsed, else the text). */
  readonly body: unknown;

  constructor(init: APIStatusErrorInit) {
    super(APIStatusError.formatMessage(init));
    this.status = init.status;
    this.code = init.code;
    this.errorMessage = init.message;
    this.details = init.details;
    this.requestId = init.requestId;
    this.headers = init.headers;
    this.response = init.response;
    this.body = init.body;
  }

  /** Same as `status` (RUNTIME.md calls it `status_code`). */
  get statusCode(): number {
    return this.status;
  }

  static formatMessage(init: Pick<APIStatusErrorInit, 'status' | 'code' | 'message' | 'requestId'>): string {
    let text = String(init.status);
    if (init.code) text += ` ${init.code}`;
    text += init.message ? `: ${init.message}` : ': (no error message)';
    if (init.requestId) text += ` (request_id: ${init.requestId})`;
    return text;
  }

  /** The subclass of APIStatusError for a status code. */
  static generate(init: APIStatusErrorInit): APIStatusError {
    const s = init.status;
    if (s === 400) return new BadRequestError(init);
    if (s === 401) return new AuthenticationError(init);
    if (s === 402) return new PaymentRequiredError(init);
    if (s === 403) return new PermissionDeniedError(init);
    if (s === 404) return new NotFoundError(init);
    if (s === 409) return new ConflictError(init);
    if (s === 422) return new UnprocessableEntityError(init);
    if (s === 429) return new RateLimitError(init);
    if (s >= 500) return new InternalServerError(init);
    return new APIStatusError(init);
  }
}

export class BadRequestError extends APIStatusError {}
export class AuthenticationError extends APIStatusError {}
export class PaymentRequiredError extends APIStatusError {}
export class PermissionDeniedError extends APIStatusError {}
export class NotFoundError extends APIStatusError {}
export class ConflictError extends APIStatusError {}
export class UnprocessableEntityError extends APIStatusError {}
export class RateLimitError extends APIStatusError {}
export class InternalServerError extends APIStatusError {}

export interface APIResponseValidationErrorInit {
  /** The HTTP status of the response. */
  status: number;
  /** The raw response (its body already read), when there is one. */
  response?: Response | undefined;
  /** The JSON path of the first mismatch, from the top of the body (`$.data.status`). */
  path: string;
  /** What is wrong there (`required field is missing`, `expected string, got a number`, ...). */
  reason: string;
  /** The decoded body (or, in a stream, the event's data). */
  body?: unknown;
  /** What was read, for the message (`a `done` event`, `the response`). */
  what?: string | undefined;
  cause?: unknown;
}

/**
 * A response the SDK cannot use, or (strict mode, `strictResponseValidation: true`) one that
 * does not match the contract. In a stream it is the `cause` of a `StreamError`.
 */
export class APIResponseValidationError extends APIError {
  readonly status: number;
  readonly response: Response | undefined;
  readonly path: string;
  readonly reason: string;
  readonly body: unknown;

  constructor(init: APIResponseValidationErrorInit) {
    super(
      `${init.what ?? 'the response'} does not match the contract at ${init.path}: ${init.reason}`,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.status = init.status;
    this.response = init.response;
    this.path = init.path;
    this.reason = init.reason;
    this.body = init.body;
  }
}

export class StreamError extends APIError {
  /** The raw `data` of the offending frame, when one frame was at fault. */
  readonly data: string | undefined;
  /** The failure event (e.g. an `error` event) that ended the run, for the aggregating helpers. */
  readonly event: unknown;

  constructor(message: string, options?: { data?: string | undefined; event?: unknown; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.data = options?.data;
    this.event = options?.event;
  }
}

/**
 * @internal `err` with every occurrence of each of `secrets` (the credentials) replaced by `***`:
 * in the SDK's own errors (message, stack, the string fields, the body) in place, and in any
 * cause they carry, which is replaced by a redacted copy (`Error` with the same name, message,
 * code and stack) when its text holds one. Errors that never held one come back untouched.
 */
export function redactError<T>(err: T, secrets: readonly string[]): T {
  const list = secrets.filter((s) => s.length > 0);
  if (list.length === 0) return err;
  return redactValue(err, list, 0) as T;
}

/** @internal `text` with every occurrence of each secret replaced by `***` (longest first). */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret && out.includes(secret)) out = out.split(secret).join('***');
  return out;
}

function holdsText(text: string, secrets: readonly string[]): boolean {
  return secrets.some((s) => text.includes(s));
}

function holds(value: unknown, secrets: readonly string[], depth: number): boolean {
  if (typeof value === 'string') return holdsText(value, secrets);
  if (typeof value !== 'object' || value === null || depth > 8) return false;
  if (value instanceof Error) {
    const { message, stack } = value;
    if (holds(message, secrets, depth) || holds(stack, secrets, depth)) return true;
    if (holds((value as { code?: unknown }).code, secrets, depth)) return true;
    const errors = (value as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.some((e) => holds(e, secrets, depth + 1))) return true;
    return holds((value as { cause?: unknown }).cause, secrets, depth + 1);
  }
  try {
    const text = JSON.stringify(value);
    return text !== undefined && holdsText(text, secrets);
  } catch {
    return false;
  }
}

function redactValue(value: unknown, secrets: readonly string[], depth: number): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (typeof value !== 'object' || value === null || depth > 8) return value;
  if (value instanceof SDKError) {
    const fields = value as unknown as Record<string, unknown>;
    // A cause derived from a text that held a secret (JSON.parse quotes a few characters of it)
    // is withheld: its message may hold a fragment of the secret that no search would find.
    const tainted = holds(fields['data'], secrets, depth) || holds(fields['body'], secrets, depth);
    for (const key of ['message', 'stack', 'data', 'errorMessage', 'code']) {
      if (typeof fields[key] === 'string') set(value, key, redactText(fields[key] as string, secrets));
    }
    for (const key of ['body', 'event', 'details']) if (holds(fields[key], secrets, depth)) set(value, key, redactValue(fields[key], secrets, depth + 1));
    const cause = fields['cause'];
    if (tainted && cause instanceof Error) set(value, 'cause', withheld(cause));
    else if (holds(cause, secrets, depth)) set(value, 'cause', redactValue(cause, secrets, depth + 1));
    return value;
  }
  if (!holds(value, secrets, depth)) return value;
  if (value instanceof Error) {
    const cause = (value as { cause?: unknown }).cause;
    const copy = new Error(redactText(value.message, secrets), cause === undefined ? undefined : { cause: redactValue(cause, secrets, depth + 1) });
    Object.defineProperty(copy, 'name', { value: value.name, enumerable: false, configurable: true, writable: true });
    copy.stack = redactText(value.stack ?? '', secrets);
    const code = (value as { code?: unknown }).code;
    if (code !== undefined) (copy as { code?: unknown }).code = redactValue(code, secrets, depth + 1);
    return copy;
  }
  try {
    return JSON.parse(redactText(JSON.stringify(value), secrets));
  } catch {
    return undefined;
  }
}

/** @internal A stand-in for an error whose text may hold a fragment of a secret. */
export function withheld(err: Error): Error {
  const copy = new Error(`${err.name} (its message is withheld: it was derived from a text holding a credential)`);
  Object.defineProperty(copy, 'name', { value: err.name, enumerable: false, configurable: true, writable: true });
  copy.stack = `${err.name}: ${copy.message}`;
  return copy;
}

function set(target: object, key: string, value: unknown): void {
  const own = Object.getOwnPropertyDescriptor(target, key);
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: own ? own.enumerable : key !== 'stack' && key !== 'message' });
}
