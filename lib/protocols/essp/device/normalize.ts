/**
 * Raw eSSP poll events → the normalized cash events every driver shares.
 *
 * One row per eSSP event that has a normalized meaning; events without a row
 * appear only as `raw`. Every raw event is emitted too, under its legacy
 * library name, so nothing the device said is hidden.
 *
 * Credits: CREDIT_NOTE is the point where a note can no longer be returned,
 * so it (and COIN_CREDIT) becomes `credit`. The value comes from the event
 * itself (protocol 9 form) or from the SETUP_REQUEST channel table the parser
 * was given; a credit whose value cannot be known is not invented: the raw
 * event carries it and `unvaluedCredit` lets the device report the fault.
 */
import type { CashEvent, DeviceEvent, DeviceRef } from '../../../core/events.js';
import type { Money } from '../../../core/money.js';
import type { EsspEvent, EsspEventName, EventOf } from '../events/types.js';

type Rule<N extends EsspEventName> = (e: EventOf<N>, device: DeviceRef) => CashEvent | undefined;
type Rules = { readonly [N in EsspEventName]?: Rule<N> };

/** Amounts of an event that has them; EMPTYING / EMPTIED carry none. */
const amountsOf = (e: EsspEvent): readonly Money[] =>
  'amounts' in e && e.amounts.every((a) => 'amount' in a) ? e.amounts : [];

const progress =
  (type: 'dispensing' | 'dispensed' | 'emptying' | 'emptied' | 'payout-incomplete') =>
  (e: EsspEvent, device: DeviceRef): CashEvent => ({
    type,
    device,
    amounts: amountsOf(e),
  });

const simple =
  (
    type: 'rejected' | 'device-reset' | 'disabled' | 'cashbox-removed' | 'cashbox-replaced' | 'stacker-full',
  ) =>
  (_: unknown, device: DeviceRef): CashEvent => ({ type, device });

/** The mapping table. */
export const NORMALIZE: Rules = {
  CREDIT_NOTE: (e, device) =>
    e.value === undefined
      ? undefined
      : {
          type: 'credit',
          device,
          kind: 'note',
          money: e.value,
          ...(e.channel > 0 && { channel: e.channel }),
        },
  // A note that had been validated but not yet credited when the power failed and
  // that the unit cleared into its cashbox at power-up: the money is in the
  // cashbox, so it is a credit. (A note already credited is finished silently.
  // The manuals do not say this in so many words; the simulator follows the
  // same reading.) Channel 0 means the unit does not know which note it was.
  NOTE_CLEARED_TO_CASHBOX: (e, device) =>
    e.value === undefined || e.channel === 0
      ? undefined
      : { type: 'credit', device, kind: 'note', money: e.value, channel: e.channel },
  READ_NOTE: (e, device) =>
    e.channel > 0 || e.value !== undefined
      ? {
          type: 'escrow',
          device,
          ...(e.channel > 0 && { channel: e.channel }),
          ...(e.value !== undefined && { money: e.value }),
        }
      : undefined,
  COIN_CREDIT: (e, device) => ({ type: 'credit', device, kind: 'coin', money: e.value }),
  NOTE_REJECTED: simple('rejected'),
  SAFE_NOTE_JAM: (_, device) => ({ type: 'jam', device, safe: true }),
  UNSAFE_NOTE_JAM: (_, device) => ({ type: 'jam', device, safe: false }),
  JAMMED: (_, device) => ({ type: 'jam', device }),
  COIN_MECH_JAMMED: (_, device) => ({ type: 'jam', device }),
  FRAUD_ATTEMPT: (e, device) => ({
    type: 'fraud',
    device,
    ...(e.channel !== undefined && e.channel > 0 && { channel: e.channel }),
  }),
  CASHBOX_REMOVED: simple('cashbox-removed'),
  CASHBOX_REPLACED: simple('cashbox-replaced'),
  STACKER_FULL: simple('stacker-full'),
  DISPENSING: progress('dispensing'),
  DISPENSED: progress('dispensed'),
  EMPTYING: progress('emptying'),
  SMART_EMPTYING: progress('emptying'),
  EMPTIED: progress('emptied'),
  SMART_EMPTIED: progress('emptied'),
  // A payout that ended short (timed out, failed, halted by the host) reports what was paid.
  TIME_OUT: progress('payout-incomplete'),
  HALTED: progress('payout-incomplete'),
  ERROR_DURING_PAYOUT: progress('payout-incomplete'),
  INCOMPLETE_PAYOUT: (e, device) => ({
    type: 'payout-incomplete',
    device,
    amounts: e.amounts.map((a) => a.completed),
  }),
  NOTE_STORED_IN_PAYOUT: (e, device) => ({
    type: 'stored',
    device,
    ...(e.value !== undefined && { money: e.value }),
  }),
  SLAVE_RESET: simple('device-reset'),
  DISABLED: simple('disabled'),
};

/** The raw form: legacy name plus every decoded field except the name. */
export function rawEvent(e: EsspEvent, device: DeviceRef): DeviceEvent {
  const { event, ...data } = e;
  return { type: 'raw', device, name: event, data };
}

/** A credit the device reported whose value is not known (channel missing from the SETUP table). */
export function isUnvaluedCredit(e: EsspEvent): boolean {
  return (e.event === 'CREDIT_NOTE' || e.event === 'NOTE_CLEARED_TO_CASHBOX') && e.value === undefined;
}

/** The raw event, then its normalized meaning when the table has one. */
export function normalizeEvent(e: EsspEvent, device: DeviceRef): DeviceEvent[] {
  const rule = NORMALIZE[e.event] as Rule<EsspEventName> | undefined;
  const cash = rule?.(e, device);
  return cash === undefined ? [rawEvent(e, device)] : [rawEvent(e, device), cash];
}
