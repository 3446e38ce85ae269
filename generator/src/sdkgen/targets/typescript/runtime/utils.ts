/** Small helpers with no Node-only API: they run on any runtime that has `fetch`. */
import { InvalidArgumentError } from './errors.js';

/** A random UUID4: `crypto.randomUUID` where available, else built from random bytes. */
export function uuid4(): string {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (c && typeof c.randomUUID === 'function') return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (c && typeof c.getRandomValues === 'function') {
    c.getRandomValues(bytes);
  } else {
    for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  }
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** An environment variable, where the runtime has `process.env` (Node, Bun, Deno's shim). */
export function readEnv(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const value = proc?.env?.[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** Bytes or a file to upload: a `Blob` (or `File`), an `ArrayBuffer`, or any typed array. */
export type Uploadable = Blob | ArrayBuffer | ArrayBufferView;

/** Whether `value` is something `Uploadable`. */
export function isUploadable(value: unknown): value is Uploadable {
  return (
    (typeof Blob === 'function' && value instanceof Blob) ||
    value instanceof ArrayBuffer ||
    ArrayBuffer.isView(value)
  );
}

/** A sleep that ends early (rejecting with the signal's reason) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A path parameter, checked and percent-encoded: a non-empty string, a finite number or a
 * boolean (the spec's integer, number and boolean path parameters).
 */
export function pathParam(name: string, value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value !== 'string' || value.length === 0) {
    const got = value === '' ? 'an empty string' : typeof value === 'number' ? String(value) : value === null ? 'null' : typeof value;
    throw new InvalidArgumentError(`${name} must be a non-empty string or a finite number, got ${got}`);
  }
  return encodeURIComponent(value);
}

/** Check that a required argument was given (JavaScript callers have no compiler to do it). */
export function requireArg(name: string, value: unknown): void {
  if (value === undefined || value === null) throw new InvalidArgumentError(`${name} is required`);
}

/** Check that an options/params argument, when given, is an object. */
export function requireObject(name: string, value: unknown, required: boolean): void {
  if (value === undefined && !required) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(`${name} must be an object`);
  }
}

/** A combined signal: aborts when any of `signals` does. */
export function anySignal(signals: (AbortSignal | undefined | null)[]): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const cleanups: (() => void)[] = [];
  for (const s of signals) {
    if (!s) continue;
    if (s.aborted) {
      controller.abort(s.reason);
      break;
    }
    const onAbort = () => controller.abort(s.reason);
    s.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => s.removeEventListener('abort', onAbort));
  }
  return { signal: controller.signal, dispose: () => cleanups.forEach((f) => f()) };
}
