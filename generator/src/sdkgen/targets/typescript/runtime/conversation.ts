/**
 * Conversations (generator/RUNTIME.md, "Conversations"): a thin, stateful view of one server
 * session of a chat API. The server holds the state; the conversation keeps what it has seen
 * (the stored messages, oldest first), so reading the history or the totals costs no request.
 *
 * Nothing here names one API: the spec binds a resource's operations to a conversation
 * (`x-sdk-conversation`), and the generated resource hands the runtime a `ConversationBinding`
 * (which operation creates, reads, sends to, streams, lists and deletes a session; which fields
 * carry the text, the token counters and the cost).
 *
 * After every reply the conversation reads the messages the server stored since the last one it
 * holds (one request, from that last one, which must read the same, else every message is read
 * again): the history, the usage and the cost are the server's own records, whichever way the
 * reply came (sent, streamed, left early, or answered before the run ended). A resumed or loaded
 * conversation reads its session when it opens (TypeScript's getters cannot wait for a request).
 *
 * A stream left early (`break`, an exception in the loop, `return()`) closes its connection at
 * once; the loop exits once the conversation has followed the run to its end through the
 * stream's resume route (the server goes on and stores the reply) and read what it stored, so the
 * history right after the loop holds the whole exchange. A stream cancelled through its
 * `AbortSignal` is followed in the background instead (the next call waits for it); `close()`
 * stops every stream and follow-up at once.
 *
 * At most `maxConcurrentInvocations` sends and streams of a conversation run at once (default 1:
 * one after another, in the order they were called; a stream takes its turn when its iteration
 * starts). `clear()` takes its turn too.
 */
import type { APIClient, HTTPMethod, RequestOptions, RequestSpec } from './api-client.js';
import { APIResponseValidationError, APIUserAbortError, InvalidArgumentError, SDKError, StreamError } from './errors.js';
import type { EventDef, ResumeRoute, StreamSpec } from './events.js';
import { describe, type ModelShape } from './schema.js';
import { failureMessage, Stream } from './streaming.js';
import { uuid4 } from './utils.js';

/**
 * A stored message of a conversation: the API's message type (camelCase fields) with every field
 * also readable under its wire name (`msg['created_at']`), and the text as `content`.
 */
export type ConversationMessage<M> = M & {
  /** Who wrote the message (its `role` field). */
  readonly role?: unknown;
  /** The message's text. */
  readonly content?: unknown;
  /** Any field by its wire name. */
  readonly [wireName: string]: unknown;
};

/** The options of a conversation (`<resource>.conversation(params, options)`, `load(source, options)`). */
export interface ConversationOptions {
  /** How many sends and streams may run at once (default 1: one after another, in call order). */
  maxConcurrentInvocations?: number | undefined;
  /** Retries of each call the conversation makes (default: the client's). */
  maxRetries?: number | undefined;
  /** The timeout of each call, in milliseconds (for streams, the longest silence; default: the client's). */
  timeout?: number | undefined;
  /** Headers sent with each call the conversation makes. */
  headers?: Record<string, string | null | undefined> | undefined;
  /** Delete the server session on `close()` (and at the end of an `await using` block). Default false. */
  deleteOnExit?: boolean | undefined;
}

/** `save()` options. */
export interface SaveOptions {
  /** Write the stored messages too (default true); without them, `load` reads them from the server. */
  includeHistory?: boolean | undefined;
}

/**
 * What `save()` writes and `load()` reads (version 1): the session's id, the fields it was created
 * with (by their wire names), the usage (by the API's counter names), the total cost and,
 * unless left out, the stored messages as the server sent them. No credential, no base URL.
 */
export interface ConversationDocument {
  version: 1;
  session_id: string;
  usage: Record<string, number>;
  total_cost: number;
  history?: unknown[];
  [createField: string]: unknown;
}

/** @internal What the generated resource tells the runtime about its sessions (`x-sdk-conversation`). */
export interface ConversationBinding<Msg, Reply, Ev, Extra> {
  readonly client: APIClient;
  /** `<resource>.<open method>`, for messages. */
  readonly name: string;
  /** The wire name of the text: the send body's field, and the messages' field. */
  readonly textField: string;
  /** The wire names of the create operation's body fields (kept for `clear()` and `save()`). */
  readonly createFields: readonly string[];
  /** The token counters: `[key in usage, name in a saved document, the message's wire field]`. */
  readonly usage: readonly (readonly [string, string, string])[];
  /** The wire name of a message's cost, when the API has one. */
  readonly costField: string | undefined;
  /** The stored message model. */
  readonly message: ModelShape<Msg>;
  /** The send operation's answer model. */
  readonly reply: ModelShape<Reply>;
  /** The streamed reply's definition (undefined: the API streams no replies). */
  readonly streamSpec: StreamSpec<Ev> | undefined;
  /** The stream of the resume route (a run answered before it ended is followed through it). */
  readonly followSpec: StreamSpec<Ev> | undefined;
  /** The field of the created session holding its id (wire name). */
  readonly sessionIdField: string;
  /** Create a session with these body fields (wire names); resolves the session (wire names) and the response. */
  create(fields: Record<string, unknown>, options: RequestOptions): Promise<{ wire: Record<string, unknown>; response: Response }>;
  /** Read a session's create fields (wire names), when the API can read a session. */
  readonly get: ((id: string, options: RequestOptions) => Promise<Record<string, unknown>>) | undefined;
  send(id: string, text: string, extra: Extra | undefined, options: RequestOptions): PromiseLike<Reply>;
  readonly stream: ((id: string, text: string, extra: Extra | undefined, options: RequestOptions) => Stream<Ev, unknown, unknown, unknown>) | undefined;
  /** The stored messages from index `from` (0: the oldest) on. */
  history(id: string, from: number, options: RequestOptions): Promise<Msg[]>;
  readonly delete: ((id: string, options: RequestOptions) => PromiseLike<void>) | undefined;
}

/** The reply to a message sent in a conversation; `String(reply)` is its text. */
export class ConversationReply<Msg, Reply> {
  /** The reply's text. */
  readonly content: string;
  /** The send operation's answer, as the API sent it. */
  readonly message: Reply;
  /** The run that produced the reply, when the answer names it. */
  readonly executionId: string | undefined;
  /** The message sent, as the server stored it (undefined when it could not be read back). */
  readonly userMessage: ConversationMessage<Msg> | undefined;
  /** The reply as the server stored it (undefined when it could not be read back). */
  readonly assistantMessage: ConversationMessage<Msg> | undefined;
  /** The token counters of the reply (its stored message's). */
  readonly usage: Record<string, number>;
  /** What producing the reply cost (0 when the API says nothing). */
  readonly cost: number;

  /** @internal */
  constructor(init: {
    content: string;
    message: Reply;
    executionId: string | undefined;
    userMessage: ConversationMessage<Msg> | undefined;
    assistantMessage: ConversationMessage<Msg> | undefined;
    usage: Record<string, number>;
    cost: number;
  }) {
    this.content = init.content;
    this.message = init.message;
    this.executionId = init.executionId;
    this.userMessage = init.userMessage;
    this.assistantMessage = init.assistantMessage;
    this.usage = init.usage;
    this.cost = init.cost;
  }

  toString(): string {
    return this.content;
  }
}

/** The reason the streams and follow-ups of a closed conversation are aborted with. */
class Closed {
  toString(): string {
    return 'the conversation was closed';
  }
}

/**
 * A conversation stream iterated by hand and dropped unfinished: when the garbage collector takes
 * it, its connection is closed, its invocation slot given back, and the stored messages are read
 * at the next call (that may be late: call `return()` when stopping early by hand).
 */
interface Ticket {
  done: boolean;
  cleanup: (() => void) | undefined;
}

const dropped =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry<Ticket>((ticket) => {
        if (ticket.done) return;
        ticket.done = true;
        ticket.cleanup?.();
      })
    : undefined;

const SKIP: unique symbol = Symbol('skip');

export class Conversation<Msg, Reply, Ev = never, Extra = Record<string, never>> {
  readonly #b: ConversationBinding<Msg, Reply, Ev, Extra>;
  readonly #options: RequestOptions;
  readonly #gate: Gate;
  readonly #deleteOnExit: boolean;
  /** Aborted by `close()`: the follow-ups end. */
  readonly #life = new AbortController();
  #sessionId = '';
  #create: Record<string, unknown> = {};
  #history: ConversationMessage<Msg>[] = [];
  /** The stored messages must be read again (a call failed, or a follow-up could not finish). */
  #stale = false;
  #closed = false;
  #deleted = false;
  /** The streams open now (the callers' and the follow-ups'), closed by `close()`. */
  readonly #open = new Set<Stream<unknown, unknown, unknown, unknown>>();
  /** The follow-ups of streams left early, still running. */
  readonly #pending = new Set<Promise<void>>();
  /** One reading of the stored messages at a time. */
  #syncing: Promise<void> = Promise.resolve();

  private constructor(binding: ConversationBinding<Msg, Reply, Ev, Extra>, options: ConversationOptions | undefined) {
    const o = checkOptions(options);
    this.#b = binding;
    this.#gate = new Gate(o.maxConcurrentInvocations ?? 1);
    this.#deleteOnExit = o.deleteOnExit === true;
    this.#options = {};
    if (o.maxRetries !== undefined) this.#options.maxRetries = o.maxRetries;
    if (o.timeout !== undefined) this.#options.timeout = o.timeout;
    if (o.headers !== undefined) this.#options.headers = { ...o.headers };
  }

  /** @internal Open a conversation on a new session created with `fields` (wire names). */
  static async create<Msg, Reply, Ev, Extra>(
    binding: ConversationBinding<Msg, Reply, Ev, Extra>,
    fields: Record<string, unknown>,
    options: ConversationOptions | undefined,
  ): Promise<Conversation<Msg, Reply, Ev, Extra>> {
    const conv = new Conversation(binding, options);
    conv.#create = pick(fields, binding.createFields);
    conv.#sessionId = await conv.#createSession(conv.#opts());
    return conv;
  }

  /** @internal Open a conversation on the session `id`: its create fields and stored messages are read now. */
  static async resume<Msg, Reply, Ev, Extra>(
    binding: ConversationBinding<Msg, Reply, Ev, Extra>,
    id: string,
    options: ConversationOptions | undefined,
  ): Promise<Conversation<Msg, Reply, Ev, Extra>> {
    const conv = new Conversation(binding, options);
    conv.#sessionId = id;
    if (binding.get !== undefined) conv.#create = pick(await binding.get(id, conv.#opts()), binding.createFields);
    await conv.#sync(id);
    return conv;
  }

  /**
   * @internal Continue the conversation `save()` wrote to `source` (a path; Node's file system) or
   * that `toJSON()` returned, on the same server session (its stored messages read from the
   * server when the document has none).
   */
  static async load<Msg, Reply, Ev, Extra>(
    binding: ConversationBinding<Msg, Reply, Ev, Extra>,
    source: string | ConversationDocument,
    options: ConversationOptions | undefined,
  ): Promise<Conversation<Msg, Reply, Ev, Extra>> {
    let doc: unknown = source;
    let where = 'the document';
    if (typeof source === 'string') {
      where = source;
      const fs = await nodeFs(`${binding.name}: loading a conversation from a path`);
      let text: string;
      try {
        text = await fs.readFile(source, 'utf8');
      } catch (err) {
        throw new InvalidArgumentError(`cannot load the conversation from ${source}: ${(err as Error).message}`, { cause: err });
      }
      try {
        doc = JSON.parse(text);
      } catch (err) {
        throw new InvalidArgumentError(`${source} is not a saved conversation: it is not JSON`, { cause: err });
      }
    } else if (!isObject(source)) {
      throw new InvalidArgumentError('load() takes a path or a saved conversation document');
    }
    const bad = (why: string) => new InvalidArgumentError(`${where} is not a saved conversation: ${why}`);
    if (!isObject(doc)) throw bad('it is not a JSON object');
    if (doc['version'] !== 1) throw bad(`version ${JSON.stringify(doc['version']) ?? 'absent'}, this SDK reads version 1`);
    const id = doc['session_id'];
    if (typeof id !== 'string' || id === '') throw bad('no session_id');
    const history = doc['history'];
    if (history !== undefined && !Array.isArray(history)) throw bad('history is not a list');
    const usage = doc['usage'];
    if (usage !== undefined && usage !== null && !isObject(usage)) throw bad('usage is not an object');
    const conv = new Conversation(binding, options);
    conv.#sessionId = id;
    conv.#create = pick(doc, binding.createFields);
    if (history === undefined) {
      await conv.#sync(id);
    } else {
      conv.#history = history.map((item, i) => {
        if (!isObject(item)) throw bad(`history[${i}] is not an object`);
        return conv.#message(binding.message.fromWire(item));
      });
    }
    return conv;
  }

  // -- what the conversation holds -------------------------------------------------------

  /** The server session's id. */
  get sessionId(): string {
    return this.#sessionId;
  }

  /**
   * The stored messages, oldest first, as the server stored them (a copy: no request is sent).
   * After a stream cancelled through its signal, it holds that exchange once the conversation
   * has followed the run (`await conv.sync()` waits for it).
   */
  get history(): ConversationMessage<Msg>[] {
    return [...this.#history];
  }

  /** The same as `history` (the name other chat libraries use). */
  get allMessages(): ConversationMessage<Msg>[] {
    return this.history;
  }

  /** The token counters summed over the stored messages (each reply counted once). */
  get usage(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [key, , field] of this.#b.usage) {
      let sum = 0;
      for (const m of this.#history) {
        const v = m[field];
        if (typeof v === 'number' && Number.isFinite(v)) sum += v;
      }
      out[key] = sum;
    }
    return out;
  }

  /** The sum of the stored messages' cost (0 when the API gives none). */
  get totalCost(): number {
    const field = this.#b.costField;
    if (field === undefined) return 0;
    let sum = 0;
    for (const m of this.#history) {
      const v = m[field];
      if (typeof v === 'number' && Number.isFinite(v)) sum += v;
    }
    return sum;
  }

  // -- sending ---------------------------------------------------------------------------

  /**
   * Send a message and return the reply (`String(reply)` is its text). The history then holds the
   * message and the reply as the server stored them. `params` are the send operation's other
   * fields (such as metadata); `options` apply to this call.
   */
  async send(text: string, params?: Extra, options?: RequestOptions): Promise<ConversationReply<Msg, Reply>> {
    checkText(text);
    const opts = this.#opts(options);
    const release = await this.#begin(opts.signal);
    try {
      const id = this.#sessionId;
      await this.#catchUp(id, opts);
      const before = this.#history.length;
      let reply: Reply;
      try {
        reply = await this.#b.send(id, text, params, opts);
      } catch (err) {
        this.#stale = true; // the server may have stored the message before failing
        throw err;
      }
      const wire = this.#b.reply.toWire(reply);
      let content = typeof wire[this.#b.textField] === 'string' ? (wire[this.#b.textField] as string) : undefined;
      const run = this.#runOf(wire);
      if (content === undefined && run?.request !== undefined && this.#b.followSpec !== undefined) {
        // The server answered before its run ended: follow the run to its end.
        const stream = this.#b.client.stream<Ev, unknown, unknown, unknown>(run.request, opts, this.#b.followSpec);
        this.#open.add(stream);
        try {
          const result = await stream.untilDone();
          content = result.outputText ?? result.text;
        } catch (err) {
          this.#stale = true;
          throw err;
        } finally {
          this.#open.delete(stream);
        }
      }
      await this.#settle(id);
      return this.#reply(reply, content, run?.executionId, before, text);
    } finally {
      release();
    }
  }

  /** The same as `send` (the name other chat libraries use). */
  invoke(text: string, params?: Extra, options?: RequestOptions): Promise<ConversationReply<Msg, Reply>> {
    return this.send(text, params, options);
  }

  /**
   * Send a message and stream the reply's text, piece by piece: `for await (const chunk of
   * conv.stream('Hi')) process.stdout.write(chunk)`. A run that fails throws `StreamError`
   * (carrying the failure event) once the history is read. The message is sent when iteration
   * starts; iterate it once. Leaving the loop early is safe (see the module's notes).
   */
  stream(text: string, params?: Extra, options?: RequestOptions): AsyncGenerator<string, void, undefined> {
    return this.#generator<string>(text, params, options, true, (event, def) => {
      const path = this.#b.streamSpec?.def.text;
      if (path === undefined || def === undefined || def.name !== path.event) return SKIP;
      const piece = this.#b.streamSpec!.valueAt({ event, def }, path.path);
      return typeof piece === 'string' && piece !== '' ? piece : SKIP;
    });
  }

  /**
   * Send a message and stream the reply's typed events, as the API's streaming send does (a run
   * that fails ends with its failure event). As `stream()`: iterate once; leaving early is safe.
   */
  streamEvents(text: string, params?: Extra, options?: RequestOptions): AsyncGenerator<Ev, void, undefined> {
    return this.#generator<Ev>(text, params, options, false, (event) => event);
  }

  #generator<T>(
    text: string,
    params: Extra | undefined,
    options: RequestOptions | undefined,
    textMode: boolean,
    pick: (event: Ev, def: EventDef | undefined) => T | typeof SKIP,
  ): AsyncGenerator<T, void, undefined> {
    const ticket: Ticket = { done: false, cleanup: undefined };
    const generator = this.#run<T>(ticket, text, params, options, textMode, pick);
    dropped?.register(generator, ticket, ticket);
    return generator;
  }

  async *#run<T>(
    ticket: Ticket,
    text: string,
    params: Extra | undefined,
    options: RequestOptions | undefined,
    textMode: boolean,
    pick: (event: Ev, def: EventDef | undefined) => T | typeof SKIP,
  ): AsyncGenerator<T, void, undefined> {
    const b = this.#b;
    const open = b.stream;
    const spec = b.streamSpec;
    if (open === undefined || spec === undefined) throw new InvalidArgumentError(`${b.name}: this API streams no replies: use send()`);
    checkText(text);
    const opts = this.#opts(options);
    const release = await this.#begin(opts.signal);
    const id = this.#sessionId;
    let stream: Stream<Ev, unknown, unknown, unknown> | undefined;
    let iterator: AsyncIterator<Ev> | undefined;
    let outcome: 'running' | 'ended' | 'failed' = 'running';
    let terminal = false;
    let failure: Ev | undefined;
    try {
      await this.#catchUp(id, opts);
      const opened = open(id, text, params, opts);
      const own = opened as Stream<unknown, unknown, unknown, unknown>;
      stream = opened;
      this.#open.add(own);
      ticket.cleanup = () => {
        own.abort();
        this.#open.delete(own);
        this.#stale = true;
        release();
      };
      iterator = stream[Symbol.asyncIterator]();
      for (;;) {
        const { done, value } = await iterator.next();
        if (done) break;
        const def = spec.defOf(value);
        if (def?.terminal) {
          terminal = true;
          if (def.failure) failure = value;
        }
        const out = pick(value, def);
        if (out !== SKIP) yield out;
      }
      outcome = 'ended';
    } catch (err) {
      outcome = 'failed';
      throw err;
    } finally {
      ticket.done = true;
      dropped?.unregister(ticket);
      if (stream !== undefined) this.#open.delete(stream as Stream<unknown, unknown, unknown, unknown>);
      if (outcome === 'ended' || (outcome === 'running' && terminal)) {
        // The run ended: the connection goes back (or is closed), then the stored messages are read.
        try {
          await iterator?.return?.();
          await this.#settle(id);
        } finally {
          release();
        }
      } else if (outcome === 'running') {
        // Left early: follow the run to its end, then read what the server stored.
        await this.#leave(id, stream!, iterator!, release);
      } else if (stream !== undefined && !this.#closed && opts.signal?.aborted === true) {
        // Cancelled by the caller: the run goes on; it is followed in the background.
        void this.#leave(id, stream, iterator!, release);
      } else {
        // The stream itself failed (or the conversation closed): read the messages next time.
        this.#stale = true;
        release();
      }
    }
    if (textMode && failure !== undefined) {
      const message = failureMessage(failure);
      throw b.client.redactError(new StreamError(`the run failed${message ? `: ${message}` : ''}`, { event: failure }));
    }
  }

  /**
   * A stream left before its end: close its connection, follow its run to the end through the
   * resume route (reading on to the event that names the run when the caller left before it),
   * then read the stored messages. The invocation slot is released when that is done.
   */
  #leave(id: string, stream: Stream<Ev, unknown, unknown, unknown>, iterator: AsyncIterator<Ev>, release: () => void): Promise<void> {
    const done = (async () => {
      try {
        let next = stream.followUp(this.#life.signal);
        while (next === undefined && !this.#closed) {
          const r = await iterator.next().catch(() => ({ done: true as const, value: undefined }));
          if (r.done) break;
          next = stream.followUp(this.#life.signal);
        }
        await iterator.return?.()?.catch(() => undefined);
        if (this.#closed) throw new APIUserAbortError(undefined, { cause: new Closed() });
        if (next instanceof Stream) {
          const follow = next as Stream<unknown, unknown, unknown, unknown>;
          this.#open.add(follow);
          try {
            for await (const _ of follow) {
              // Every frame is dropped: the stored messages are what counts.
            }
          } finally {
            this.#open.delete(follow);
          }
        }
        await this.#sync(id);
      } catch {
        this.#stale = true;
      } finally {
        release();
      }
    })();
    this.#pending.add(done);
    void done.then(() => this.#pending.delete(done));
    return done;
  }

  /**
   * Wait for the streams left early to be followed to their end, then read the messages the
   * server stored since the last one the conversation holds (messages stored by others in the
   * same session included).
   */
  async sync(options?: RequestOptions): Promise<void> {
    this.#usable();
    await Promise.all([...this.#pending]);
    await this.#sync(this.#sessionId, this.#opts(options));
  }

  // -- the session ---------------------------------------------------------------------------

  /**
   * Start afresh: a new server session with the same fields (agent, title, metadata...), an empty
   * history and totals. The old session stays on the server (deleting its messages one by one
   * would take a request each and could leave half a context behind). It runs after the sends
   * and streams called before it.
   */
  async clear(options?: RequestOptions): Promise<void> {
    const opts = this.#opts(options);
    const release = await this.#begin(opts.signal);
    try {
      const id = await this.#createSession(opts);
      this.#sessionId = id;
      this.#history = [];
      this.#stale = false;
      this.#deleted = false;
    } finally {
      release();
    }
  }

  /** Delete the server session (and with it its messages). */
  async delete(options?: RequestOptions): Promise<void> {
    this.#usable();
    const remove = this.#b.delete;
    if (remove === undefined) throw new InvalidArgumentError(`${this.#b.name}: this API cannot delete a session`);
    await remove(this.#sessionId, this.#opts(options));
    this.#deleted = true;
  }

  /**
   * Close the conversation: its open streams and follow-ups stop at once, and with
   * `{ delete: true }` (default: the `deleteOnExit` option) the server session is deleted.
   * Calls after it fail with `InvalidArgumentError`. Closing twice does nothing more.
   */
  async close(options?: { delete?: boolean | undefined }): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const reason = new Closed();
    this.#life.abort(reason);
    for (const stream of this.#open) stream.abort(reason);
    await Promise.all([...this.#pending]);
    const remove = options?.delete ?? this.#deleteOnExit;
    if (remove && !this.#deleted && this.#b.delete !== undefined) {
      await this.#b.delete(this.#sessionId, this.#opts());
      this.#deleted = true;
    }
  }

  /** `await using conv = await client.<resource>.conversation(...)`: `close()` at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // -- save and load -------------------------------------------------------------------------

  /** The document `save()` writes (`JSON.stringify(conv)` gives it too); `load()` takes it. */
  toJSON(options?: SaveOptions): ConversationDocument {
    const doc: ConversationDocument = { version: 1, session_id: this.#sessionId, usage: {}, total_cost: 0 };
    for (const [key, value] of Object.entries(this.#create)) {
      if (!DOCUMENT_KEYS.has(key) && value !== undefined) doc[key] = value;
    }
    const usage = this.usage;
    for (const [key, name] of this.#b.usage) doc.usage[name] = usage[key] ?? 0;
    doc.total_cost = this.totalCost;
    if (options?.includeHistory !== false) doc.history = this.#history.map((m) => this.#b.message.toWire(m));
    return doc;
  }

  /**
   * Write the conversation to `path` as a small JSON document (see `ConversationDocument`),
   * whole or not at all, readable by its owner only: `load(path)` continues it on the same
   * server session. Needs Node's file system (elsewhere, keep `toJSON()` yourself).
   */
  async save(path: string, options?: SaveOptions): Promise<void> {
    if (typeof path !== 'string' || path === '') throw new InvalidArgumentError('save() needs a path');
    const fs = await nodeFs(`${this.#b.name}: save()`);
    await Promise.all([...this.#pending]);
    const text = JSON.stringify(this.toJSON(options), null, 2) + '\n';
    const temp = `${path}.${uuid4()}.tmp`;
    try {
      await fs.writeFile(temp, text, { mode: 0o600 });
      await fs.rename(temp, path);
    } catch (err) {
      await fs.rm(temp, { force: true }).catch(() => undefined);
      throw new InvalidArgumentError(`cannot save the conversation to ${path}: ${(err as Error).message}`, { cause: err });
    }
  }

  // -- internals -------------------------------------------------------------------------------

  /** The options of one call: the conversation's, then the call's. */
  #opts(options?: RequestOptions): RequestOptions {
    if (options === undefined) return this.#options;
    if (!isObject(options as unknown)) throw new InvalidArgumentError('options must be an object');
    const headers = this.#options.headers || options.headers ? { ...this.#options.headers, ...options.headers } : undefined;
    return { ...this.#options, ...options, ...(headers ? { headers } : {}) };
  }

  #usable(): void {
    if (this.#closed) throw new InvalidArgumentError(`${this.#b.name}: the conversation is closed`);
  }

  /** Wait for an invocation slot (in call order); the caller's signal ends the wait. */
  async #begin(signal: AbortSignal | undefined): Promise<() => void> {
    this.#usable();
    const release = await this.#gate.acquire(signal);
    if (this.#closed) {
      release();
      this.#usable();
    }
    return release;
  }

  /** Create a session with the conversation's create fields; its id. */
  async #createSession(opts: RequestOptions): Promise<string> {
    const { wire, response } = await this.#b.create(this.#create, opts);
    const field = this.#b.sessionIdField;
    const id = wire[field];
    if (typeof id === 'string' && id !== '') return id;
    if (typeof id === 'number' && Number.isFinite(id)) return String(id);
    const reason = id === undefined ? 'required field is missing' : `expected a non-empty string, got ${id === '' ? 'an empty string' : describe(id)}`;
    throw this.#b.client.redactError(
      new APIResponseValidationError({ status: response.status, response, path: `$.${field}`, reason, body: wire, what: 'the created session' }),
    );
  }

  /** Before a send: read what the server stored since a call failed or a run could not be followed. */
  async #catchUp(id: string, opts: RequestOptions): Promise<void> {
    if (!this.#stale) return;
    try {
      await this.#sync(id, opts);
    } catch {
      // Still stale: the reply's own reading tries again.
    }
  }

  /** Read the stored messages after a reply; a failure leaves them to be read next time. */
  async #settle(id: string): Promise<void> {
    try {
      await this.#sync(id);
    } catch {
      this.#stale = true;
    }
  }

  /** Read the messages stored since the last one held (from that one, which must read the same). */
  #sync(id: string, options?: RequestOptions): Promise<void> {
    const run = this.#syncing.then(() => this.#syncOnce(id, options ?? this.#opts()));
    this.#syncing = run.catch(() => undefined);
    return run;
  }

  async #syncOnce(id: string, opts: RequestOptions): Promise<void> {
    if (this.#sessionId !== id) return;
    const n = this.#history.length;
    const from = Math.max(n - 1, 0);
    let items = await this.#b.history(id, from, opts);
    let all = n === 0;
    if (n > 0) {
      if (items.length > 0 && JSON.stringify(items[0]) === JSON.stringify(this.#history[n - 1])) {
        items = items.slice(1);
      } else {
        // The stored messages changed (some were deleted): read them all.
        items = await this.#b.history(id, 0, opts);
        all = true;
      }
    }
    if (this.#sessionId !== id) return; // cleared meanwhile
    const messages = items.map((m) => this.#message(m));
    this.#history = all ? messages : [...this.#history.slice(0, n), ...messages];
    this.#stale = false;
  }

  /** A stored message, readable by its wire names too. */
  #message(value: Msg): ConversationMessage<Msg> {
    return Object.assign(Object.create(messagePrototype(this.#b.message, this.#b.textField)) as object, value) as ConversationMessage<Msg>;
  }

  /** The run an answer names (its id, and the request that follows it), through the resume route. */
  #runOf(wire: Record<string, unknown>): { executionId: string; request: RequestSpec | undefined } | undefined {
    const route: ResumeRoute | undefined = this.#b.streamSpec?.def.resume;
    if (route === undefined || route.bindings.length === 0) return undefined;
    let path = route.path;
    let executionId: string | undefined;
    for (const [param, field] of route.bindings) {
      const value = wire[field] ?? wire[param];
      if (!((typeof value === 'string' && value !== '') || (typeof value === 'number' && Number.isFinite(value)))) return undefined;
      executionId ??= String(value);
      path = path.split(`{${param}}`).join(encodeURIComponent(String(value)));
    }
    const request: RequestSpec = { method: route.method as HTTPMethod, path, security: route.security };
    return { executionId: executionId!, request };
  }

  /** The reply of a send: the stored user message and reply found among those stored from `before` on. */
  #reply(reply: Reply, content: string | undefined, executionId: string | undefined, before: number, text: string): ConversationReply<Msg, Reply> {
    const h = this.#history;
    const from = Math.min(before, h.length);
    const textOf = (m: ConversationMessage<Msg>) => m[this.#b.textField];
    let user = -1;
    for (let i = h.length - 1; i >= from; i--) {
      if (textOf(h[i]!) === text) {
        user = i;
        break;
      }
    }
    if (user < 0 && from < h.length) user = from;
    let answer = -1;
    if (user >= 0) {
      const role = h[user]!.role;
      for (const strict of [true, false]) {
        for (let i = user + 1; i < h.length && answer < 0; i++) {
          if (h[i]!.role !== role && (!strict || content === undefined || textOf(h[i]!) === content)) answer = i;
        }
        if (answer >= 0) break;
      }
    }
    const assistant = answer >= 0 ? h[answer] : undefined;
    const usage: Record<string, number> = {};
    let cost = 0;
    if (assistant !== undefined) {
      for (const [key, , field] of this.#b.usage) {
        const v = assistant[field];
        if (typeof v === 'number' && Number.isFinite(v)) usage[key] = v;
      }
      const c = this.#b.costField === undefined ? undefined : assistant[this.#b.costField];
      if (typeof c === 'number' && Number.isFinite(c)) cost = c;
    }
    const stored = assistant === undefined ? undefined : textOf(assistant);
    return new ConversationReply<Msg, Reply>({
      content: content ?? (typeof stored === 'string' ? stored : ''),
      message: reply,
      executionId,
      userMessage: user >= 0 ? h[user] : undefined,
      assistantMessage: assistant,
      usage,
      cost,
    });
  }

  toString(): string {
    return `Conversation(${JSON.stringify({ sessionId: this.#sessionId, messages: this.#history.length })})`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** The keys of a saved document that are not the session's create fields. */
const DOCUMENT_KEYS = new Set(['version', 'session_id', 'usage', 'total_cost', 'history']);

/** One prototype per message model: every field readable by its wire name, and the text as `content`. */
const prototypes = new WeakMap<ModelShape<unknown>, object>();

function messagePrototype(shape: ModelShape<unknown>, textField: string): object {
  let proto = prototypes.get(shape);
  if (proto !== undefined) return proto;
  proto = {};
  const keys = new Set(shape.fields.map((f) => f.key));
  for (const f of shape.fields) {
    if (f.wire === f.key || keys.has(f.wire)) continue;
    const key = f.key;
    Object.defineProperty(proto, f.wire, {
      get(this: Record<string, unknown>) {
        return this[key];
      },
      enumerable: false,
      configurable: true,
    });
  }
  const text = shape.fields.find((f) => f.wire === textField);
  if (!keys.has('content') && text !== undefined) {
    const key = text.key;
    Object.defineProperty(proto, 'content', {
      get(this: Record<string, unknown>) {
        return this[key];
      },
      enumerable: false,
      configurable: true,
    });
  }
  Object.defineProperty(proto, 'toString', {
    value(this: Record<string, unknown>) {
      return `${String(this['role'])}: ${String(this['content'])}`;
    },
    enumerable: false,
    configurable: true,
    writable: true,
  });
  prototypes.set(shape, proto);
  return proto;
}

/**
 * Invocation slots, first come, first served: a waiter is served in the order it arrived; one
 * whose signal aborts leaves the queue with `APIUserAbortError`.
 */
class Gate {
  #free: number;
  readonly #waiters: (() => void)[] = [];

  constructor(slots: number) {
    this.#free = slots;
  }

  acquire(signal: AbortSignal | undefined): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new APIUserAbortError(undefined, { cause: signal.reason }));
    if (this.#free > 0 && this.#waiters.length === 0) {
      this.#free--;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(this.#releaser());
      };
      const onAbort = () => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(new APIUserAbortError(undefined, { cause: signal?.reason }));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      if (next !== undefined) next();
      else this.#free++;
    };
  }
}

function checkOptions(options: ConversationOptions | undefined): ConversationOptions {
  if (options === undefined) return {};
  if (!isObject(options)) throw new InvalidArgumentError('conversation options must be an object');
  const o = options as ConversationOptions;
  const n = o.maxConcurrentInvocations;
  if (n !== undefined && !(Number.isInteger(n) && n >= 1)) {
    throw new InvalidArgumentError(`maxConcurrentInvocations must be an integer of at least 1, got ${String(n)}`);
  }
  for (const name of ['maxRetries', 'timeout'] as const) {
    const v = o[name];
    if (v !== undefined && (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v))) {
      throw new InvalidArgumentError(`${name} must be a non-negative number (conversation options)`);
    }
  }
  if (o.headers !== undefined && !isObject(o.headers)) throw new InvalidArgumentError('headers must be an object (conversation options)');
  return o;
}

function checkText(text: unknown): void {
  if (typeof text !== 'string') throw new InvalidArgumentError(`the message must be a string, got ${text === null ? 'null' : typeof text}`);
}

function pick(value: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (value[key] !== undefined) out[key] = value[key];
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What save() and load() use of Node's `fs/promises`. */
interface NodeFs {
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  writeFile(path: string, data: string, options: { mode: number }): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options: { force: boolean }): Promise<void>;
}

/** Node's file system, imported when first needed (so the package runs where there is none). */
async function nodeFs(what: string): Promise<NodeFs> {
  const name = 'node:fs/promises';
  try {
    return (await import(name)) as NodeFs;
  } catch (err) {
    throw new SDKError(`${what} needs a file system (node:fs), which this runtime does not have: keep the document toJSON() returns and pass it to load()`, {
      cause: err,
    });
  }
}
