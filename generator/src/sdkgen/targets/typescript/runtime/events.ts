/**
 * Decoding frames into typed events, from the tables the generator writes into `events.ts`.
 *
 * A frame whose name the spec knows becomes `{ type: <name>, ...data fields, eventId }`;
 * malformed JSON, or data not matching the event's schema, throws `StreamError` carrying
 * the raw data. Any other name becomes `{ type: 'unknown', event, data, eventId }`: never a
 * crash, never silently dropped.
 */
import { StreamError } from './errors.js';
import { modelIn, run, ShapeError, type ModelIn, type ModelShape } from './schema.js';
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

type EventTable = Readonly<Record<string, ModelShape<unknown>>>;

/**
 * The decoder of one stream's frames: each known event's data model is compiled (strict)
 * once, on its first frame, and every event is built in one object (`type`, the fields,
 * then `eventId`), with no intermediate copy.
 */
export function eventDecoder(table: EventTable): (frame: ServerSentEvent) => unknown {
  const known = new Map<string, { model: ModelShape<unknown>; convert: ModelIn }>();
  return (frame) => {
    let entry = known.get(frame.event);
    if (entry === undefined) {
      if (!Object.prototype.hasOwnProperty.call(table, frame.event)) {
        const unknown: UnknownEvent = { type: 'unknown', event: frame.event, data: frame.data, eventId: frame.id };
        return unknown;
      }
      const model = table[frame.event]!;
      entry = { model, convert: modelIn(model, true) };
      known.set(frame.event, entry);
    }
    let json: unknown;
    try {
      json = JSON.parse(frame.data);
    } catch (err) {
      throw new StreamError(`malformed JSON in a \`${frame.event}\` event`, { data: frame.data, cause: err });
    }
    let event: Record<string, unknown>;
    try {
      event = run<Record<string, unknown>>(entry.convert, entry.model, json, { type: frame.event });
    } catch (err) {
      if (err instanceof ShapeError) {
        throw new StreamError(`a \`${frame.event}\` event does not match its schema: ${err.message}`, { data: frame.data, cause: err });
      }
      throw err;
    }
    event.eventId = frame.id;
    return event;
  };
}
