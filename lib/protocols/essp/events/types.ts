/**
 * Decoded eSSP poll events. Event names follow the long-standing Node.js eSSP
 * library (CREDIT_NOTE, READ_NOTE, NOTE_TRANSFERED_TO_STACKER, ...) so code
 * written against it reads the same; events that library never had use names
 * in the same style. Every event carries its wire `code`; the other fields
 * depend on the event and are the same whatever protocol version produced it
 * (a pv4 DISPENSING u32 becomes a one-element `amounts` list, for example).
 */

import type { Money } from '../../../core/money.js';

/** Wire code of every known event, by name (the single source of name <-> code). */
export const EVENT_CODES = {
  SLAVE_RESET: 0xf1,
  READ_NOTE: 0xef,
  CREDIT_NOTE: 0xee,
  NOTE_REJECTING: 0xed,
  NOTE_REJECTED: 0xec,
  NOTE_STACKING: 0xcc,
  NOTE_STACKED: 0xeb,
  SAFE_NOTE_JAM: 0xea,
  UNSAFE_NOTE_JAM: 0xe9,
  DISABLED: 0xe8,
  STACKER_FULL: 0xe7,
  FRAUD_ATTEMPT: 0xe6,
  BAR_CODE_TICKET_VALIDATED: 0xe5,
  CASHBOX_REPLACED: 0xe4,
  CASHBOX_REMOVED: 0xe3,
  NOTE_CLEARED_TO_CASHBOX: 0xe2,
  NOTE_CLEARED_FROM_FRONT: 0xe1,
  NOTE_PATH_OPEN: 0xe0,
  COIN_CREDIT: 0xdf,
  CASHBOX_PAID: 0xde,
  INCOMPLETE_FLOAT: 0xdd,
  INCOMPLETE_PAYOUT: 0xdc,
  NOTE_STORED_IN_PAYOUT: 0xdb,
  DISPENSING: 0xda,
  TIME_OUT: 0xd9,
  FLOATED: 0xd8,
  FLOATING: 0xd7,
  HALTED: 0xd6,
  JAMMED: 0xd5,
  COINS_EMPTY: 0xd4,
  COINS_LOW: 0xd3,
  DISPENSED: 0xd2,
  BAR_CODE_TICKET_ACKNOWLEDGE: 0xd1,
  DEVICE_FULL: 0xcf,
  NOTE_HELD_IN_BEZEL: 0xce,
  'NOTE_DISPENSED_AT_POWER-UP': 0xcd,
  'NOTE_PAID_INTO_STORE_AT_POWER-UP': 0xcb,
  'NOTE_PAID_INTO_STACKER_AT_POWER-UP': 0xca,
  NOTE_TRANSFERED_TO_STACKER: 0xc9,
  NOTE_FLOAT_ATTACHED: 0xc8,
  NOTE_FLOAT_REMOVED: 0xc7,
  PAYOUT_OUT_OF_SERVICE: 0xc6,
  COIN_MECH_RETURN_PRESSED: 0xc5,
  COIN_MECH_JAMMED: 0xc4,
  EMPTIED: 0xc3,
  EMPTYING: 0xc2,
  PAY_IN_ACTIVE: 0xc1,
  MAINTENANCE_REQUIRED: 0xc0,
  VALUE_ADDED: 0xbf,
  ATTACHED_COIN_MECH_ENABLED: 0xbe,
  ATTACHED_COIN_MECH_DISABLED: 0xbd,
  COIN_REJECTED: 0xba,
  COIN_MECH_ERROR: 0xb7,
  INITIALISING: 0xb6,
  CHANNEL_DISABLE: 0xb5,
  SMART_EMPTIED: 0xb4,
  SMART_EMPTYING: 0xb3,
  ERROR_DURING_PAYOUT: 0xb1,
  JAM_RECOVERY: 0xb0,
  PRINTED_TO_CASHBOX: 0xaf,
  PRINT_HALTED: 0xae,
  TICKET_IN_BEZEL: 0xad,
  PAPER_REPLACED: 0xac,
  NO_PAPER: 0xab,
  TICKET_PATH_CLOSED: 0xaa,
  PRINTER_HEAD_REPLACED: 0xa9,
  TICKET_PRINTING_ERROR: 0xa8,
  TICKET_IN_BEZEL_AT_STARTUP: 0xa7,
  TICKET_PRINTED: 0xa6,
  TICKET_PRINTING: 0xa5,
  TICKET_JAM: 0xa4,
  TICKET_PATH_OPEN: 0xa3,
  PRINTER_HEAD_REMOVED: 0xa2,
  TICKETS_REPLACED: 0xa1,
  TICKETS_LOW: 0xa0,
  CASHBOX_UNLOCK_ENABLED: 0x93,
  CASHBOX_BACK_IN_SERVICE: 0x92,
  CASHBOX_OUT_OF_SERVICE: 0x90,
  ESCROW_ACTIVE: 0x8b,
  CALIBRATION_FAILED: 0x83,
} as const;

export type EsspEventName = keyof typeof EVENT_CODES;

/** A note reported by channel number (1-based; 0 = none / not known). */
export const CHANNEL_EVENTS = [
  'READ_NOTE',
  'CREDIT_NOTE',
  'NOTE_CLEARED_TO_CASHBOX',
  'NOTE_CLEARED_FROM_FRONT',
] as const;
export type ChannelEventName = (typeof CHANNEL_EVENTS)[number];

/** Progress or result of a payout-family operation: one amount per currency. */
export const AMOUNTS_EVENTS = [
  'CASHBOX_PAID',
  'DISPENSING',
  'TIME_OUT',
  'FLOATED',
  'FLOATING',
  'HALTED',
  'JAMMED',
  'DISPENSED',
  'SMART_EMPTIED',
  'SMART_EMPTYING',
  'VALUE_ADDED',
] as const;
export type AmountsEventName = (typeof AMOUNTS_EVENTS)[number];

/** One note moved by a payout/float module; the value is reported from a protocol version on. */
export const NOTE_VALUE_EVENTS = [
  'NOTE_STORED_IN_PAYOUT',
  'NOTE_HELD_IN_BEZEL',
  'NOTE_DISPENSED_AT_POWER-UP',
  'NOTE_PAID_INTO_STORE_AT_POWER-UP',
  'NOTE_PAID_INTO_STACKER_AT_POWER-UP',
  'NOTE_TRANSFERED_TO_STACKER',
] as const;
export type NoteValueEventName = (typeof NOTE_VALUE_EVENTS)[number];

/** A payout or float interrupted by a power loss. */
export const INCOMPLETE_EVENTS = ['INCOMPLETE_PAYOUT', 'INCOMPLETE_FLOAT'] as const;
export type IncompleteEventName = (typeof INCOMPLETE_EVENTS)[number];

/** Events carrying a one-byte reason / error code. */
export const REASON_EVENTS = [
  'COIN_MECH_ERROR',
  'TICKET_PRINTING_ERROR',
  'CASHBOX_OUT_OF_SERVICE',
  'CALIBRATION_FAILED',
] as const;
export type ReasonEventName = (typeof REASON_EVENTS)[number];

export const SPECIAL_EVENTS = ['COIN_CREDIT', 'FRAUD_ATTEMPT', 'ERROR_DURING_PAYOUT'] as const;
export type SpecialEventName = (typeof SPECIAL_EVENTS)[number];

/** Events without data (or whose data size no source gives: see `unsure` in the table). */
export type PlainEventName = Exclude<
  EsspEventName,
  | ChannelEventName
  | AmountsEventName
  | NoteValueEventName
  | IncompleteEventName
  | ReasonEventName
  | SpecialEventName
>;

interface Base<N extends EsspEventName> {
  readonly event: N;
  readonly code: (typeof EVENT_CODES)[N];
}

export type PlainEvent<N extends PlainEventName = PlainEventName> = N extends PlainEventName
  ? Base<N>
  : never;

export type ChannelEvent<N extends ChannelEventName = ChannelEventName> = N extends ChannelEventName
  ? Base<N> & {
      /** Dataset channel, 1-based. 0: still reading (READ_NOTE) or not known. */
      readonly channel: number;
      /**
       * Note value: from the channel table passed in the context, or sent by the
       * device itself (protocol 9 SMART Currency form). Absent when not known.
       */
      readonly value?: Money;
    }
  : never;

export type AmountsEvent<N extends AmountsEventName = AmountsEventName> = N extends AmountsEventName
  ? Base<N> & {
      /** One amount per currency (a single amount in the dataset currency before protocol 6). */
      readonly amounts: readonly Money[];
    }
  : never;

export type NoteValueEvent<N extends NoteValueEventName = NoteValueEventName> = N extends NoteValueEventName
  ? Base<N> & {
      /** Value of the note; absent at protocol versions (or modes) that do not report it. */
      readonly value?: Money;
    }
  : never;

/** What an interrupted operation achieved against what was asked, for one currency. */
export interface IncompleteAmount {
  /** Paid out (INCOMPLETE_PAYOUT) or floated (INCOMPLETE_FLOAT) before the interruption. */
  readonly completed: Money;
  /** Amount the host had requested. */
  readonly requested: Money;
}

export type IncompleteEvent<N extends IncompleteEventName = IncompleteEventName> =
  N extends IncompleteEventName ? Base<N> & { readonly amounts: readonly IncompleteAmount[] } : never;

export type ReasonEvent<N extends ReasonEventName = ReasonEventName> = N extends ReasonEventName
  ? Base<N> & {
      /** Raw reason byte. */
      readonly reason: number;
      /** Readable reason (`unknown(n)` when the byte is not documented). */
      readonly reasonName: string;
    }
  : never;

export interface CoinCreditEvent extends Base<'COIN_CREDIT'> {
  /** Value of the coin accepted by the attached coin mechanism. */
  readonly value: Money;
}

export interface FraudAttemptEvent extends Base<'FRAUD_ATTEMPT'> {
  /** Note validators: channel of the note concerned (0 = not known). */
  readonly channel?: number;
  /** Hoppers / coin systems: value paid or floated so far, per currency. */
  readonly amounts?: readonly Money[];
}

export interface ErrorDuringPayoutEvent extends Base<'ERROR_DURING_PAYOUT'> {
  /** Value paid before the error, per currency (empty before protocol 7). */
  readonly amounts: readonly Money[];
  readonly reason: number;
  readonly reasonName: string;
}

/** Any decoded poll event; switch on `event` to narrow. */
export type EsspEvent =
  | PlainEvent
  | ChannelEvent
  | AmountsEvent
  | NoteValueEvent
  | IncompleteEvent
  | ReasonEvent
  | CoinCreditEvent
  | FraudAttemptEvent
  | ErrorDuringPayoutEvent;

/** The decoded event type of one event name. */
export type EventOf<N extends EsspEventName> = Extract<EsspEvent, { readonly event: N }>;
