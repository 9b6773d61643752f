/**
 * The one case plain POLL cannot recover, made visible: a note the host saw
 * accepted (READ NOTE with its channel) whose outcome it never learned when
 * the unit reports a restart. A unit clears a note it had not yet credited
 * into the cashbox or out of the front and says so at power-up; a note it
 * had credited is finished silently. So if no outcome was seen before the
 * reset and none comes with it, the CREDIT NOTE went out in a reply that was
 * lost on the line and the unit forgot it: report one event lost.
 */
import type { EsspEvent, EsspEventName } from '../events/types.js';

/** Events that settle what happened to the note in the path. */
const OUTCOMES: ReadonlySet<EsspEventName> = new Set<EsspEventName>([
  'CREDIT_NOTE',
  'NOTE_REJECTING',
  'NOTE_REJECTED',
  'NOTE_CLEARED_TO_CASHBOX',
  'NOTE_CLEARED_FROM_FRONT',
  'FRAUD_ATTEMPT',
]);

export interface TransitStep {
  /** A note is still in the path as far as the host knows. */
  readonly inTransit: boolean;
  /** This reply reports a restart that took such a note's outcome with it. */
  readonly lostAtReset: boolean;
}

/** Feed the events of one decoded poll reply (pure). */
export function followTransit(inTransit: boolean, events: readonly EsspEvent[]): TransitStep {
  let now = inTransit;
  let reset = false;
  let settled = false;
  for (const e of events) {
    if (e.event === 'SLAVE_RESET') reset = true;
    else if (OUTCOMES.has(e.event)) {
      now = false;
      settled = true;
    } else if (e.event === 'READ_NOTE' && e.channel > 0) now = true;
  }
  if (!reset) return { inTransit: now, lostAtReset: false };
  return { inTransit: false, lostAtReset: inTransit && !settled };
}
