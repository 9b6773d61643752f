/**
 * The normalized event contract shared by every protocol driver.
 *
 * A device's `events$` carries {@link DeviceEvent}s: normalized cash events
 * (`credit`, `escrow`, `rejected`, `jam`, ...) that mean the same thing for an
 * eSSP validator, a ccTalk coin acceptor or a Pyramid bill acceptor, and
 * `raw` events that keep the protocol's own name and payload for users who
 * need the detail. Filter with the guards: `events$.pipe(filter(isCredit))`.
 */
import type { Money } from './money.js';

export type ProtocolName = 'essp' | 'cctalk' | 'pyramid';

/** Which device on which link an event came from. */
export interface DeviceRef {
  readonly protocol: ProtocolName;
  readonly address: number;
}

interface Base {
  readonly device: DeviceRef;
}

/** Value accepted past the point of recovery: count it. Emitted exactly once per item. */
export interface CreditEvent extends Base {
  readonly type: 'credit';
  readonly money: Money;
  readonly kind: 'note' | 'coin' | 'bill' | 'ticket';
  /** Channel, coin position or bill index the device reported. */
  readonly channel?: number;
}
/** A note or bill is held in escrow, waiting for accept/reject. Not yet money. */
export interface EscrowEvent extends Base {
  readonly type: 'escrow';
  readonly money?: Money;
  readonly channel?: number;
}
export interface RejectedEvent extends Base {
  readonly type: 'rejected';
  readonly reason?: string;
}
export interface JamEvent extends Base {
  readonly type: 'jam';
  /** true when the item cannot be reached from the customer side. */
  readonly safe?: boolean;
}
export interface FraudEvent extends Base {
  readonly type: 'fraud';
  readonly channel?: number;
}
export interface CashboxEvent extends Base {
  readonly type: 'cashbox-removed' | 'cashbox-replaced' | 'stacker-full';
}
/** Money paid out so far during a payout, float or empty. */
export interface PayoutProgressEvent extends Base {
  readonly type: 'dispensing' | 'dispensed' | 'payout-incomplete' | 'emptying' | 'emptied';
  readonly amounts: readonly Money[];
}
/** A note went into a recycler store instead of the cashbox (still a credit, reported separately). */
export interface StoredEvent extends Base {
  readonly type: 'stored';
  readonly money?: Money;
}
export interface DeviceResetEvent extends Base {
  readonly type: 'device-reset';
}
/** The device's event buffer overran: some events could not be read. Never silent. */
export interface EventsLostEvent extends Base {
  readonly type: 'events-lost';
  readonly count: number;
}
export interface DisabledEvent extends Base {
  readonly type: 'disabled';
}
/** The protocol's own event, unchanged. */
export interface RawEvent extends Base {
  readonly type: 'raw';
  readonly name: string;
  readonly data: Readonly<Record<string, unknown>>;
}

export type CashEvent =
  | CreditEvent
  | EscrowEvent
  | RejectedEvent
  | JamEvent
  | FraudEvent
  | CashboxEvent
  | PayoutProgressEvent
  | StoredEvent
  | DeviceResetEvent
  | EventsLostEvent
  | DisabledEvent;

export type DeviceEvent = CashEvent | RawEvent;

export const isCredit = (e: DeviceEvent): e is CreditEvent => e.type === 'credit';
export const isEscrow = (e: DeviceEvent): e is EscrowEvent => e.type === 'escrow';
export const isRejected = (e: DeviceEvent): e is RejectedEvent => e.type === 'rejected';
export const isJam = (e: DeviceEvent): e is JamEvent => e.type === 'jam';
export const isFraud = (e: DeviceEvent): e is FraudEvent => e.type === 'fraud';
export const isRaw = (e: DeviceEvent): e is RawEvent => e.type === 'raw';
export const isPayoutProgress = (e: DeviceEvent): e is PayoutProgressEvent =>
  e.type === 'dispensing' ||
  e.type === 'dispensed' ||
  e.type === 'payout-incomplete' ||
  e.type === 'emptying' ||
  e.type === 'emptied';
export const isEventsLost = (e: DeviceEvent): e is EventsLostEvent => e.type === 'events-lost';

/** Life-cycle states every device reports on `state$`. */
export type DeviceState =
  | { readonly status: 'connecting'; readonly attempt: number }
  | { readonly status: 'ready' }
  | { readonly status: 'enabled' }
  | { readonly status: 'disabled' }
  | { readonly status: 'recovering'; readonly reason: string }
  | { readonly status: 'error'; readonly error: Error }
  | { readonly status: 'disposed' };
