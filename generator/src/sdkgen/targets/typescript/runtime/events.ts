/**
 * Decoding frames into typed events, from the tables the generator writes into `events.ts`.
 *
 * A frame whose name the spec knows becomes `{ type: <name>, ...data fields, eventId }`, read
 * as `schema.ts` reads any response (tolerant by default: unknown keys kept under their wire
 * names, missing fields absent; strict with `strictResponseValidation`). Data that is not JSON,
 * or not a JSON object, throws `StreamError` carrying the raw data, in both modes; a strict
 * mismatch throws `StreamError` whose cause is an `APIResponseValidationError` (path, reason).
 * Any other event name becomes `{ type: 'unknown', event, data, eventId }`: never a crash,
 * never silently dropped.
 */
import { APIResponseValidationError, StreamError } from './errors.js';
import { describe, modelIn, run, ShapeError, type ModelIn, type ModelShape } from './schema.js';
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

type EventTable = Readonly<Record<string, ModelShape<unknown>>>;

/**
 * The decoder of one stream's frames: each known event's data model is compiled once per mode,
 * on its first frame, and every event is built in one object (`type`, the fields, then
 * `eventId`), with no intermediate copy.
 */
export function eventDecoder(table: EventTable): (frame: ServerSentEvent, context: DecodeContext) => unknown {
  const known = new Map<string, { model: ModelShape<unknown>; tolerant: ModelIn; strict?: ModelIn }>();
  return (frame, context) => {
    let entry = known.get(frame.event);
    if (entry === undefined) {
      if (!Object.prototype.hasOwnProperty.call(table, frame.event)) {
        const unknown: UnknownEvent = { type: 'unknown', event: frame.event, data: frame.data, eventId: frame.id };
        return unknown;
      }
      const model = table[frame.event]!;
      entry = { model, tolerant: modelIn(model, false) };
      known.set(frame.event, entry);
    }
    let json: unknown;
    try {
      json = JSON.parse(frame.data);
    } catch (err) {
      throw new StreamError(`malformed JSON in a \`${frame.event}\` event`, { data: frame.data, cause: err });
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new StreamError(`the data of a \`${frame.event}\` event is ${describe(json)}, not a JSON object`, { data: frame.data });
    }
    const convert = context.strict ? (entry.strict ??= modelIn(entry.model, true)) : entry.tolerant;
    let event: Record<string, unknown>;
    try {
      event = run<Record<string, unknown>>(convert, entry.model, json, { type: frame.event });
    } catch (err) {
      if (err instanceof ShapeError) {
        const cause = new APIResponseValidationError({
          status: context.response?.status ?? 200,
          response: context.response,
          path: err.path,
          reason: err.reason,
          body: json,
          what: `a \`${frame.event}\` event`,
        });
        throw new StreamError(cause.message, { data: frame.data, cause });
      }
      throw err;
    }
    // The union's own keys win over any data keys of the same name.
    event.type = frame.event;
    event.eventId = frame.id;
    return event;
  };
}
