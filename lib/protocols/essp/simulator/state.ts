/**
 * The simulated unit's state: what survives a power cycle (levels, routes,
 * counters, the fixed key, the statistics) and what does not (protocol level,
 * enable state, inhibits, key negotiation, events not yet polled). The state
 * is a plain mutable object owned by one simulator; handlers and the machine
 * change it, nothing else does.
 */
import type { Money } from '../../../core/money.js';
import type { SecretKey } from '../crypto/key.js';
import { EVENT_CODES, type EsspEvent, type EsspEventName } from '../events/types.js';
import type { SimDeviceSession } from './counter.js';
import type { EsspProfile } from './profiles.js';

/** A note between the bezel and the stacker (or the payout store). */
export interface NoteInTransit {
  phase: 'reading' | 'escrow' | 'stacking' | 'rejecting';
  /** 1-based channel; known once reading finished. */
  readonly channel: number;
  /** CREDIT NOTE was reported: the note counts as paid in whatever happens next. */
  credited: boolean;
  /** READ NOTE with the channel was reported by a poll (the next poll accepts it). */
  reported: boolean;
  /** Reject code the read ends with (host inhibits, rejectNext()...). */
  rejectCode?: number;
  /** Why a note being returned is counted as `returned` (escrow) rather than `rejected` (not recognised). */
  fromEscrow?: boolean;
}

/** A payout-family operation that moves items one at a time. */
export interface PayoutJob {
  readonly kind: 'payout' | 'float' | 'empty' | 'smart-empty' | 'note-payout';
  /** Denomination indexes still to move, next first. */
  readonly items: number[];
  /** Value moved so far (minor units). */
  moved: number;
  /** Value asked for (payout/float: the amount; empties: everything stored). */
  readonly requested: number;
}

export interface EsspSimulatorStats {
  /** Notes (or coins) taken in by the scenario API. */
  readonly inserted: number;
  /** Notes stacked into the cashbox (including notes cleared into it at power-up). */
  readonly accepted: number;
  /** Notes stored for payout (recycler, note float) or coins routed to the hopper store. */
  readonly stored: number;
  /** Notes refused while reading (not recognised, inhibited, fraud). */
  readonly rejected: number;
  /** Notes handed back from escrow (host REJECT, escrow timeout) or cleared from the front. */
  readonly returned: number;
  /** Value of everything accepted or stored (minor units): what the host must have credited. */
  readonly creditedValue: number;
  /** Value paid out to the customer (minor units). */
  readonly paidOut: number;
  /** Power cycles (RESET command or powerCycle()). */
  readonly resets: number;
}

export type MutableStats = { -readonly [K in keyof EsspSimulatorStats]: EsspSimulatorStats[K] };

/** Validator counters of GET COUNTERS (survive resets, cleared by RESET COUNTERS). */
export interface Counters {
  stacked: number;
  stored: number;
  dispensed: number;
  transferred: number;
  rejected: number;
}

export interface KeyState {
  generator?: bigint;
  modulus?: bigint;
  /** Present once a key was negotiated; commands must then use its count. */
  session?: SimDeviceSession;
  /** Fixed half of the AES key (SET FIXED ENCRYPTION KEY changes it). */
  fixedKey: SecretKey;
}

export interface SimState {
  readonly profile: EsspProfile;
  protocolVersion: number;
  enabled: boolean;
  /** Bit i = channel i+1 accepted. Everything starts inhibited. */
  inhibits: number;
  displayOn: boolean;
  lastRejectCode: number;
  note: NoteInTransit | undefined;
  /** Notes waiting to be inserted while another is in the path (channel, forced reject code). */
  readonly pendingInserts: { channel: number; rejectCode?: number }[];
  /** Reject codes for the next inserted notes (rejectNext()). */
  readonly forcedRejects: number[];
  /** One-shot events since the last poll, oldest first. */
  queue: EsspEvent[];
  /** Events reported under POLL WITH ACK that repeat until EVENT ACK. */
  unacked: EsspEvent[];
  jam: 'safe' | 'unsafe' | undefined;
  cashboxPresent: boolean;
  stackerFull: boolean;
  /** Stored count per denomination (index = channel - 1). */
  readonly levels: number[];
  /** Route byte per denomination: 0 payout, 1 cashbox (NV4000 model: 0x11-0x14 recycler). */
  readonly routes: number[];
  payoutEnabled: boolean;
  /** NV11 note float: stored notes as channel indexes, last = next to pay (LIFO). */
  readonly floatNotes: number[];
  /** NV11: report note positions by value (false) or by channel (true). */
  reportByChannel: boolean;
  job: PayoutJob | undefined;
  /** Counts moved to the cashbox by the last float / smart empty (CASHBOX PAYOUT OPERATION DATA). */
  lastCashboxOperation: number[];
  readonly counters: Counters;
  readonly keys: KeyState;
  readonly stats: MutableStats;
}

export function createState(profile: EsspProfile, fixedKey: SecretKey): SimState {
  const n = profile.channels.length;
  return {
    profile,
    protocolVersion: profile.defaultProtocolVersion,
    enabled: false,
    inhibits: 0,
    displayOn: true,
    lastRejectCode: 0,
    note: undefined,
    jam: undefined,
    job: undefined,
    pendingInserts: [],
    forcedRejects: [],
    queue: [{ event: 'SLAVE_RESET', code: 0xf1 }],
    unacked: [],
    cashboxPresent: true,
    stackerFull: false,
    levels: new Array<number>(n).fill(0),
    // Notes go to the cashbox until the host routes them; coins are recycled.
    routes: new Array<number>(n).fill(profile.payout?.kind === 'hopper' ? 0 : 1),
    payoutEnabled: false,
    floatNotes: [],
    reportByChannel: false,
    lastCashboxOperation: new Array<number>(n).fill(0),
    counters: { stacked: 0, stored: 0, dispensed: 0, transferred: 0, rejected: 0 },
    keys: { fixedKey },
    stats: {
      inserted: 0,
      accepted: 0,
      stored: 0,
      rejected: 0,
      returned: 0,
      creditedValue: 0,
      paidOut: 0,
      resets: 0,
    },
  };
}

/** Money of a channel (1-based) in the dataset currency. */
export function channelMoney(state: SimState, channel: number): Money {
  return { amount: state.profile.channels[channel - 1] ?? 0, currency: state.profile.currency };
}

/** Total value stored for payout (minor units). */
export function storedValue(state: SimState): number {
  let total = 0;
  state.levels.forEach((count, i) => (total += count * (state.profile.channels[i] ?? 0)));
  return total;
}

/** Items stored across all denominations. */
export function storedItems(state: SimState): number {
  return state.levels.reduce((a, b) => a + b, 0);
}

/** Build an event object; fields depend on the event (see events/types.ts). */
export function event(name: EsspEventName, fields: Record<string, unknown> = {}): EsspEvent {
  return { event: name, code: EVENT_CODES[name], ...fields } as EsspEvent;
}

/** The `amounts` field of value events: one amount in the dataset currency. */
export function amountsOf(state: SimState, value: number): { amounts: Money[] } {
  return { amounts: [{ amount: value, currency: state.profile.currency }] };
}
