/**
 * Decoding frames into typed events, from the tables the generator writes into `events.ts`.
 *
 * A frame whose name the spec knows becomes `{ type: <name>, ...data fields, eventId }`;
 * malformed JSON, or data not matching the event's schema, throws `StreamError` carrying
 * the raw data. Any other name becomes `{ type: 'unknown', event, data, eventId }`: never a
 * crash, never silently dropped.
 */
import { StreamError } from './errors.js';
import { fromWire, ShapeError, type ModelShape } from './schema.js';
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

export function decodeEvent(table: Readonly<Record<string, ModelShape<unknown>>>, frame: ServerSentEvent): unknown {
  const shape = Object.prototype.hasOwnProperty.call(table, frame.event) ? table[frame.event] : undefined;
  if (shape === undefined) {
    const unknown: UnknownEvent = { type: 'unknown', event: frame.event, data: frame.data, eventId: frame.id };
    return unknown;
  }
  let json: unknown;
  try {
    json = JSON.parse(frame.data);
  } catch (err) {
    throw new StreamError(`malformed JSON in a \`${frame.event}\` event`, { data: frame.data, cause: err });
  }
  let fields: Record<string, unknown>;
  try {
    fields = fromWire<Record<string, unknown>>(shape, json, { strict: true });
  } catch (err) {
    if (err instanceof ShapeError) {
      throw new StreamError(`a \`${frame.event}\` event does not match its schema: ${err.message}`, { data: frame.data, cause: err });
    }
    throw err;
  }
  return { type: frame.event, ...fields, eventId: frame.id };
}
