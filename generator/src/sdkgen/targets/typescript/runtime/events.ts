/**
 * Typed events from Server-Sent Events frames, in every style a spec can describe (the IR's
 * `EventStream`): the generator writes one `StreamDef` per stream into `events.ts`, and
 * `streamSpec()` turns it into the decoder the `Stream` runs.
 *
 * How an event is recognised (`dispatch`):
 * - `event`: by the frame's `event:` field (`message` when it has none);
 * - `property`: by a property of the JSON data (Anthropic's `type`); a frame whose data is not a
 *   JSON object, or has no such property, has no event name to dispatch on: `StreamError`;
 * - `single`: every frame is the one event of the stream (OpenAI's chunks).
 *
 * Every typed event is `{ type: <event name>, ...its data, eventId }`: `type` is the event's name
 * (for property dispatch, the data property's value), `eventId` the frame's own `id:` (undefined
 * without one). Object data is read into the event's fields as `schema.ts` reads any response
 * (tolerant by default: unknown keys kept under their wire names; strict with
 * `strictResponseValidation`); data of another JSON type is the event's `data`, and so is the text
 * of a text event (a 3.2 `itemSchema` with string data). A known event whose data is not JSON, or
 * not the JSON object its fields need, throws `StreamError` carrying the raw data, in both modes; a
 * strict mismatch throws `StreamError` whose cause is an `APIResponseValidationError` (path,
 * reason). Any other event name becomes `{ type: 'unknown', event, data, eventId }`: never a
 * crash, never silently dropped.
 *
 * How the stream ends cleanly: a terminal event (delivered, then the stream ends), the
 * `sentinel` data (`[DONE]`: not an event, the stream just ends), or, with `eofEnds`, the
 * connection closing. What the stream means: `text` (which event carries a piece of the text,
 * and where), `output` and `usage` (what a finished stream's result exposes), and `resume` (how a
 * broken stream continues): paths are the spec's wire names, looked up in the typed event.
 */
import type { HTTPMethod } from './api-client.js';
import { APIResponseValidationError, StreamError } from './errors.js';
import {
  decodeValue,
  describe,
  encodeValue,
  modelIn,
  run,
  runInPlace,
  ShapeError,
  valueAt,
  type ModelShape,
  type Shape,
} from './schema.js';
import type { ServerSentEvent } from './sse.js';

export interface UnknownEvent {
  type: 'unknown';
  /** The event name the SDK does not know. */
  event: string;
  /** The raw `data`, unparsed. */
  data: string;
  /** The frame's id, when it had one. */
  eventId: string | undefined;
}

/** How a stream reads its frames. */
export interface DecodeContext {
  /** Check every event against the contract (`strictResponseValidation`). */
  strict: boolean;
  /** The response the frames came in (for the errors). */
  response?: Response | undefined;
}

/** One event of a stream, as the generator describes it (IR `EventType`). */
export interface EventDef {
  /** The event's name: the `type` of its typed value. */
  readonly name: string;
  /** What selects it: the `event:` name (event dispatch) or the data property's value (property dispatch). */
  readonly key: string;
  /** The `event:` name its frames carry besides (property dispatch; checked in strict mode). */
  readonly sse?: string | undefined;
  /** `object`: a JSON object read into the event's fields; `json`: any JSON, the event's `data`; `text`: the raw text, its `data`. */
  readonly data: 'object' | 'json' | 'text';
  /** The fields of object data. */
  readonly fields?: ModelShape<unknown> | undefined;
  /** The shape of `json` data. */
  readonly shape?: Shape | undefined;
  readonly terminal?: boolean | undefined;
  readonly success?: boolean | undefined;
  readonly failure?: boolean | undefined;
}

/** Where in an event's data a value is (wire keys and list indexes). */
export interface ValuePath {
  readonly event: string;
  readonly path: readonly (string | number)[];
  /** The keys that may hold the value's text when it is an object (`x-sdk-text`). */
  readonly text?: readonly string[] | undefined;
}

/** How a broken stream is resumed (IR `ResumeRoute`). */
export interface ResumeRoute {
  readonly method: HTTPMethod;
  /** The resume operation's path, with `{param}` placeholders. */
  readonly path: string;
  /** The header carrying the last event id (`Last-Event-ID`). */
  readonly header: string;
  /** `[path parameter, event field]` pairs (wire names). */
  readonly bindings: readonly (readonly [string, string])[];
  /** The events carrying every bound field; the values come from the first of them delivered. */
  readonly carriers: readonly string[];
  readonly security?: readonly (readonly string[])[] | undefined;
}

/** One stream, as the generator describes it (IR `EventStream`). */
export interface StreamDef {
  readonly name: string;
  readonly dispatch: 'event' | 'property' | 'single';
  /** The data property naming the event (property dispatch). */
  readonly property?: string | undefined;
  /** The data that ends the stream cleanly (`[DONE]`). */
  readonly sentinel?: string | undefined;
  /** The connection closing ends the stream cleanly. */
  readonly eofEnds?: boolean | undefined;
  readonly events: readonly EventDef[];
  readonly text?: ValuePath | undefined;
  readonly output?: ValuePath | undefined;
  readonly usage?: ValuePath | undefined;
  readonly resume?: ResumeRoute | undefined;
  /** The largest event accepted, in characters (default 16 MiB). */
  readonly maxEventSize?: number | undefined;
}

/** A decoded frame: the typed event, its definition (none for an unknown event). */
export interface Decoded<E> {
  event: E;
  def: EventDef | undefined;
}

/** The `UnknownEvent`s made here (a stream may also have a known event named `unknown`). */
const unknownEvents = new WeakSet<object>();

/** Whether `event` is an `UnknownEvent` (an event name the SDK does not know). */
export function isUnknownEvent(event: unknown): event is UnknownEvent {
  return typeof event === 'object' && event !== null && unknownEvents.has(event);
}

/** What `decode` returns for the sentinel frame: the stream ends here, with no event. */
export const END: unique symbol = Symbol('end of stream');

/** How the runtime types, ends and judges one stream (what `streamSpec()` builds from a `StreamDef`). */
export interface StreamSpec<E> {
  readonly def: StreamDef;
  /**
   * Turn a frame into a typed event (its definition is then `lastDef`: undefined for an unknown
   * event); throws `StreamError` for unusable (or, strict, mismatched) data.
   */
  decode(frame: ServerSentEvent, context: DecodeContext): E | typeof END;
  /** The definition of the event `decode` returned last. */
  readonly lastDef: EventDef | undefined;
  /** The value at `path` in the data of an event of this stream (undefined: not there). */
  valueAt(decoded: Decoded<E>, path: readonly (string | number)[]): unknown;
  /** An event's data in wire form (the spec's names), as the server sent it. */
  eventData(event: E): unknown;
  /** The definition of a typed event of this stream (undefined for an `UnknownEvent`). */
  defOf(event: E): EventDef | undefined;
}

/** The decoder of one stream: each event's reader is compiled once per mode, on its first frame. */
export function streamSpec<E>(def: StreamDef): StreamSpec<E> {
  /** Turns a frame (and its data, when already parsed) into an event. */
  type Reader = (frame: ServerSentEvent, context: DecodeContext, json: unknown) => E;
  /** An event and its readers, compiled on first use: [tolerant, strict]. */
  interface Entry {
    readonly ev: EventDef;
    readonly readers: (Reader | undefined)[];
  }
  const byKey = new Map<string, Entry>();
  const byName = new Map<string, EventDef>();
  for (const ev of def.events) {
    byKey.set(ev.key, { ev, readers: [undefined, undefined] });
    byName.set(ev.name, ev);
  }
  let lastName: string | undefined;
  let lastEntry: Entry | undefined;
  const single = def.dispatch === 'single' && def.events[0] !== undefined ? byKey.get(def.events[0].key) : undefined;
  const sentinel = def.sentinel;
  const byEvent = def.dispatch === 'event';

  const unknown = (name: string, frame: ServerSentEvent): E => {
    const event: UnknownEvent = { type: 'unknown', event: name, data: frame.data, eventId: frame.id };
    unknownEvents.add(event);
    spec.lastDef = undefined;
    return event as E;
  };
  const mismatch = (ev: EventDef, frame: ServerSentEvent, context: DecodeContext, path: string, reason: string, body: unknown) => {
    const cause = new APIResponseValidationError({
      status: context.response?.status ?? 200,
      response: context.response,
      path,
      reason,
      body,
      what: `a \`${ev.name}\` event`,
    });
    return new StreamError(cause.message, { data: frame.data, cause });
  };
  const malformed = (name: string, frame: ServerSentEvent, err: unknown) =>
    new StreamError(`malformed JSON in a \`${name}\` event`, { data: frame.data, cause: err });
  const notObject = (name: string, frame: ServerSentEvent, value: unknown) =>
    new StreamError(`the data of a \`${name}\` event is ${describe(value)}, not a JSON object`, { data: frame.data });
  /** The frame's data as JSON. */
  const parseData = (name: string, frame: ServerSentEvent): unknown => {
    try {
      return JSON.parse(frame.data);
    } catch (err) {
      throw malformed(name, frame, err);
    }
  };
  /** The frame's data as a JSON object: `json` when the caller parsed it already. */
  const dataObject = (name: string, frame: ServerSentEvent, json: unknown): Record<string, unknown> => {
    const value = json === undefined ? parseData(name, frame) : json;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw notObject(name, frame, value);
    return value as Record<string, unknown>;
  };

  /** The reader of one event in one mode. */
  const compile = (ev: EventDef, strict: boolean): Reader => {
    const name = ev.name;
    if (ev.data === 'text') return (frame) => ({ type: name, data: frame.data, eventId: frame.id }) as E;
    if (ev.data === 'json') {
      const shape = ev.shape;
      return (frame, context, json) => {
        const value = json === undefined ? parseData(name, frame) : json;
        let data: unknown = value;
        if (shape !== undefined) {
          try {
            data = decodeValue(shape, value, { strict }, name);
          } catch (err) {
            if (err instanceof ShapeError) throw mismatch(ev, frame, context, err.path, err.reason, value);
            throw err;
          }
        }
        return { type: name, data, eventId: frame.id } as E;
      };
    }
    const model = ev.fields!;
    const convert = modelIn(model, strict);
    if (convert.asIs) {
      // Data whose fields are read as they came (same names, plain values, nothing to check)
      // becomes the event itself.
      return (frame, _context, json) => {
        const event = dataObject(name, frame, json);
        // The union's own keys win over any data keys of the same name.
        event['type'] = name;
        event['eventId'] = frame.id;
        return event as E;
      };
    }
    return (frame, context, json) => {
      const value = dataObject(name, frame, json);
      let event: Record<string, unknown>;
      try {
        // Data read in place (checked, `<key>Text` added) is the event itself; any other is
        // converted into a new object.
        event = convert.inPlace
          ? runInPlace<Record<string, unknown>>(convert, model, value)
          : run<Record<string, unknown>>(convert, model, value, { type: name });
      } catch (err) {
        if (err instanceof ShapeError) throw mismatch(ev, frame, context, err.path, err.reason, value);
        throw err;
      }
      // The union's own keys win over any data keys of the same name.
      event['type'] = name;
      event['eventId'] = frame.id;
      return event as E;
    };
  };

  const compileFor = (entry: Entry, strict: boolean): Reader => (entry.readers[strict ? 1 : 0] = compile(entry.ev, strict));

  const build = (entry: Entry, frame: ServerSentEvent, context: DecodeContext, json: unknown): E => {
    spec.lastDef = entry.ev;
    const read = entry.readers[context.strict ? 1 : 0] ?? compileFor(entry, context.strict);
    return read(frame, context, json);
  };

  const shapeOf = (ev: EventDef): Shape | undefined =>
    ev.data === 'object' && ev.fields !== undefined ? { kind: 'model', model: () => ev.fields! } : ev.shape;

  /** Event dispatch: by the frame's `event:` name (small, so the stream's loop can inline it). */
  const decodeByEvent = (frame: ServerSentEvent, context: DecodeContext): E | typeof END => {
    if (sentinel !== undefined && frame.data === sentinel) return END;
    // Runs of one event name (the text deltas) skip the map lookup (a hash of a new string).
    const name = frame.event;
    let entry: Entry | undefined;
    if (name === lastName) {
      entry = lastEntry;
    } else {
      entry = byKey.get(name);
      lastName = name;
      lastEntry = entry;
    }
    if (entry === undefined) return unknown(name, frame);
    spec.lastDef = entry.ev;
    const read = entry.readers[context.strict ? 1 : 0] ?? compileFor(entry, context.strict);
    return read(frame, context, undefined);
  };

  /** Single dispatch: every frame is the stream's one event. */
  const decodeSingle = (frame: ServerSentEvent, context: DecodeContext): E | typeof END => {
    if (sentinel !== undefined && frame.data === sentinel) return END;
    return build(single!, frame, context, undefined);
  };

  /** Property dispatch: by a property of the JSON data. */
  const decodeByProperty = (frame: ServerSentEvent, context: DecodeContext): E | typeof END => {
    if (sentinel !== undefined && frame.data === sentinel) return END;
    const property = def.property ?? 'type';
    let json: unknown;
    try {
      json = JSON.parse(frame.data);
    } catch (err) {
      throw new StreamError(`a frame whose data is not JSON has no \`${property}\` to dispatch on`, { data: frame.data, cause: err });
    }
    const tag = typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>)[property] : undefined;
    if (typeof tag !== 'string') {
      throw new StreamError(`a frame whose data has no string \`${property}\` has no event name to dispatch on`, { data: frame.data });
    }
    const entry = byKey.get(tag);
    if (entry === undefined) return unknown(tag, frame);
    const ev = entry.ev;
    if (context.strict && ev.sse !== undefined && frame.event !== ev.sse) {
      throw mismatch(ev, frame, context, '$', `the frame's event name is ${JSON.stringify(frame.event)}, not ${JSON.stringify(ev.sse)}`, json);
    }
    return build(entry, frame, context, json);
  };

  const spec: { -readonly [K in keyof StreamSpec<E>]: StreamSpec<E>[K] } = {
    def,
    lastDef: undefined,
    decode: byEvent ? decodeByEvent : single !== undefined ? decodeSingle : decodeByProperty,
    valueAt(decoded, path) {
      const ev = decoded.def;
      if (ev === undefined) return undefined;
      const data = ev.data === 'object' ? decoded.event : (decoded.event as { data?: unknown }).data;
      return valueAt(shapeOf(ev), data, path);
    },
    defOf(event) {
      const e = event as Record<string, unknown>;
      return typeof e['type'] === 'string' && !unknownEvents.has(e) ? byName.get(e['type']) : undefined;
    },
    eventData(event) {
      const e = event as Record<string, unknown>;
      const ev = typeof e['type'] === 'string' && !unknownEvents.has(e) ? byName.get(e['type']) : undefined;
      if (ev === undefined) return e['data'];
      if (ev.data !== 'object') return ev.shape === undefined ? e['data'] : encodeValue(ev.shape, e['data']);
      const { eventId: _id, type: _type, ...rest } = e;
      const own = ev.fields!.fields.some((f) => f.key === 'type') ? { type: e['type'], ...rest } : rest;
      return ev.fields!.toWire(own);
    },
  };
  return spec;
}
