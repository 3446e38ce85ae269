/**
 * Logging (generator/RUNTIME.md, "Logging").
 *
 * The client options `logLevel` (`'off' | 'error' | 'warn' | 'info' | 'debug'`) and `logger` (any
 * object with `debug/info/warn/error`, default `console`). Without `logLevel`, the level comes from
 * the environment variable `{PREFIX}_LOG` where `process.env` exists, else `'warn'`.
 *
 * What is logged: `info`, one line per attempt (`POST /v1/things -> 200 in 12 ms, request_id
 * ...`), each retry with its reason and delay, each stream resume with its parameters and
 * `Last-Event-ID`; `debug`, the request and response headers (the credentials' headers, and any
 * header named like a key, token, secret, password or cookie, show `***`), idempotency keys, and
 * the SSE frames' event names and ids. Bodies are never logged, and every line passes through the
 * client's redaction, so no credential ever reaches the logger.
 */
import { InvalidArgumentError } from './errors.js';

export type LogLevel = 'off' | 'error' | 'warn' | 'info' | 'debug';

/** Where log lines go: `console` by default, or any object with these four methods. */
export interface Logger {
  error(message: string, ...rest: unknown[]): void;
  warn(message: string, ...rest: unknown[]): void;
  info(message: string, ...rest: unknown[]): void;
  debug(message: string, ...rest: unknown[]): void;
}

const LEVELS: Record<LogLevel, number> = { off: 0, error: 1, warn: 2, info: 3, debug: 4 };

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(LEVELS, value);
}

/** @internal The client's logger: a level, a sink, and the redaction every line goes through. */
export class Log {
  readonly level: LogLevel;
  readonly #rank: number;
  readonly #sink: Logger;
  readonly #prefix: string;
  readonly #redact: (text: string) => string;

  constructor(level: LogLevel, sink: Logger, prefix: string, redact: (text: string) => string) {
    this.level = level;
    this.#rank = LEVELS[level];
    this.#sink = sink;
    this.#prefix = prefix;
    this.#redact = redact;
  }

  enabled(level: Exclude<LogLevel, 'off'>): boolean {
    return LEVELS[level] <= this.#rank;
  }

  error(message: string): void {
    if (this.enabled('error')) this.#sink.error(this.#line(message));
  }

  warn(message: string): void {
    if (this.enabled('warn')) this.#sink.warn(this.#line(message));
  }

  info(message: string): void {
    if (this.enabled('info')) this.#sink.info(this.#line(message));
  }

  debug(message: string): void {
    if (this.enabled('debug')) this.#sink.debug(this.#line(message));
  }

  #line(message: string): string {
    return this.#redact(`${this.#prefix}: ${message}`);
  }
}

/** @internal Check the `logLevel`/`logger` options (a wrong value is `InvalidArgumentError`). */
export function checkLogOptions(level: unknown, logger: unknown): void {
  if (level !== undefined && !isLogLevel(level)) {
    throw new InvalidArgumentError(`logLevel must be one of ${Object.keys(LEVELS).join(', ')}`);
  }
  if (logger !== undefined) {
    const l = logger as Record<string, unknown> | null;
    if (typeof l !== 'object' || l === null || !['error', 'warn', 'info', 'debug'].every((m) => typeof l[m] === 'function')) {
      throw new InvalidArgumentError('logger must be an object with error, warn, info and debug methods');
    }
  }
}

/** Header names whose values are never logged. */
const SECRET_HEADER = /auth|key|token|secret|passw|cookie|session/i;

/** @internal `name: value` lines of `headers`, with credentials and key-like headers shown as `***`. */
export function headerLines(headers: Headers | Record<string, string>, secretNames: ReadonlySet<string>): string {
  const entries: [string, string][] = [];
  if (headers instanceof Headers) headers.forEach((v, k) => entries.push([k, v]));
  else for (const [k, v] of Object.entries(headers)) entries.push([k.toLowerCase(), v]);
  return entries
    .map(([k, v]) => `${k}: ${secretNames.has(k) || SECRET_HEADER.test(k) ? '***' : v}`)
    .join(', ');
}
