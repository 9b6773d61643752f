/** eSSP poll events: table, decoder, encoder and type guards. */

import { EVENT_CODES } from './types.js';
import type { EsspEvent, EsspEventName, EventOf } from './types.js';
import { EVENTS_BY_NAME } from './table.js';

export * from './types.js';
export type { EventContext } from './blocks.js';
export { NO_CURRENCY } from './blocks.js';
export type { EventRow, Layout, PayloadRule, PayloadSpec, Shape } from './table.js';
export { EVENT_TABLE, EVENTS_BY_CODE, EVENTS_BY_NAME, payloadFor } from './table.js';
export type { PollReply } from './parse.js';
export { parsePollReply } from './parse.js';
export type { EncodeOptions } from './encode.js';
export { encodeEvents } from './encode.js';
export type { CodeNames } from './reject-codes.js';
export {
  CALIBRATION_REASONS,
  CASHBOX_SERVICE_REASONS,
  COIN_MECH_ERROR_REASONS,
  PAYOUT_ERROR_REASONS,
  REJECT_CODES,
  TICKET_PRINTING_REASONS,
  codeName,
  rejectCodeName,
} from './reject-codes.js';

/** True for the name of an event in the table. */
export function isEventName(name: unknown): name is EsspEventName {
  return typeof name === 'string' && Object.hasOwn(EVENT_CODES, name);
}

/** Narrow an event to one name: `if (isEvent(e, 'CREDIT_NOTE')) credit(e.value)`. */
export function isEvent<N extends EsspEventName>(e: EsspEvent, name: N): e is EventOf<N> {
  return e.event === name;
}

/**
 * True when the event keeps being reported under POLL WITH ACK until EVENT
 * ACK is sent. Events whose ack behaviour no source gives count as not needing one.
 */
export function eventNeedsAck(e: EsspEvent): boolean {
  return EVENTS_BY_NAME.get(e.event)?.needsAck === true;
}

/** True when the event repeats on every poll while its condition lasts. */
export function eventRepeats(e: EsspEvent): boolean {
  return EVENTS_BY_NAME.get(e.event)?.repeats === true;
}

/** Events reporting value taken in from the customer (note or coin credit, value added). */
export function isCreditEvent(e: EsspEvent): e is EventOf<'CREDIT_NOTE' | 'COIN_CREDIT' | 'VALUE_ADDED'> {
  return e.event === 'CREDIT_NOTE' || e.event === 'COIN_CREDIT' || e.event === 'VALUE_ADDED';
}
