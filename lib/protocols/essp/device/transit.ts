/**
 * The one case plain POLL cannot recover, made visible: a note the host saw
 * accepted (READ NOTE with its channel) whose outcome it never learned when
 * the unit reports a restart. A unit clears a note it had not yet credited
 * into the cashbox or out of the front and says so at power-up; a note it
 * had credited is finished silently. So if no outcome was seen before the
 * reset and no "cleared" event for that note's channel comes with it, the
 * CREDIT NOTE went out in a reply that was lost on the line and the unit
 * forgot it: report one event lost. (A cleared event for another channel is
 * a later note the host never saw; it does not settle this one.)
 */
import type { EsspEvent, EsspEventName } from '../events/types.js';

/** Events that settle what happened to the note in the path, whatever their channel. */
const OUTCOMES: ReadonlySet<EsspEventName> = new Set<EsspEventName>([
  'CREDIT_NOTE',
  'NOTE_REJECTING',
  'NOTE_REJECTED',
  'FRAUD_ATTEMPT',
]);
/** Power-up reports about a note in the path: they settle the note of their own channel only. */
const CLEARED: ReadonlySet<EsspEventName> = new Set<EsspEventName>([
  'NOTE_CLEARED_TO_CASHBOX',
  'NOTE_CLEARED_FROM_FRONT',
]);

/** Channel of the note the host saw accepted and has no outcome for; 0 when none. */
export type Transit = number;

export interface TransitStep {
  readonly transit: Transit;
  /** This reply reports a restart that took such a note's outcome with it. */
  readonly lostAtReset: boolean;
}

const channelOf = (e: EsspEvent): number => ('channel' in e && typeof e.channel === 'number' ? e.channel : 0);

/** Feed the events of one decoded poll reply (pure). */
export function followTransit(transit: Transit, events: readonly EsspEvent[]): TransitStep {
  let now = transit;
  let reset = false;
  for (const e of events) {
    if (e.event === 'SLAVE_RESET') reset = true;
    else if (OUTCOMES.has(e.event)) now = 0;
    else if (CLEARED.has(e.event)) {
      if (channelOf(e) === now) now = 0;
    } else if (e.event === 'READ_NOTE' && e.channel > 0) now = e.channel;
  }
  if (!reset) return { transit: now, lostAtReset: false };
  return { transit: 0, lostAtReset: now !== 0 };
}
