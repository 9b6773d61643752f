/**
 * Event buffers of ccTalk coin acceptors (header 229) and bill validators
 * (header 159), the fault codes of 232, and the ring tracker that turns
 * successive buffer reads into new events exactly once.
 *
 * Both buffers are [event counter] + 5 × [A][B], newest pair first. The
 * counter is 0 only after power-up or reset, counts 1 → 255 and then wraps
 * to 1. Credits are money: the tracker never reports a buffered entry twice
 * and never lets an overrun pass silently.
 */
import { type Either, left, right } from 'fp-ts/lib/Either.js';
import { toHex } from '../../core/bytes.js';
import { DecodeError } from '../../core/errors.js';

export const EVENT_BUFFER_DEPTH = 5;
const REPLY_LENGTH = 1 + 2 * EVENT_BUFFER_DEPTH;

export type Rejected = 'yes' | 'no' | 'possibly';

/** 229 event codes (A = 0): name and whether the coin was rejected. Index = B. */
const COIN_EVENTS: readonly (readonly [string, Rejected])[] = [
  ['null event', 'no'],
  ['reject coin', 'yes'],
  ['inhibited coin', 'yes'],
  ['multiple window match', 'yes'],
  ['wake-up timeout', 'possibly'],
  ['validation timeout', 'possibly'],
  ['credit sensor timeout', 'possibly'],
  ['sorter opto timeout', 'no'],
  ['2nd close coin error', 'yes'],
  ['accept gate not ready', 'yes'],
  ['credit sensor not ready', 'yes'],
  ['sorter not ready', 'yes'],
  ['reject coin not cleared', 'yes'],
  ['validation sensor not ready', 'yes'],
  ['credit sensor blocked', 'yes'],
  ['sorter opto blocked', 'yes'],
  ['credit sequence error', 'no'],
  ['coin going backwards', 'no'],
  ['coin too fast (credit sensor)', 'no'],
  ['coin too slow (credit sensor)', 'no'],
  ['coin-on-string mechanism activated', 'no'],
  ['DCE opto timeout', 'possibly'],
  ['DCE opto not seen', 'yes'],
  ['credit sensor reached too early', 'no'],
  ['reject coin (repeated sequential trip)', 'yes'],
  ['reject slug', 'yes'],
  ['reject sensor blocked', 'no'],
  ['games overload', 'no'],
  ['max coin meter pulses exceeded', 'no'],
  ['accept gate open not closed', 'no'],
  ['accept gate closed not open', 'yes'],
  ['manifold opto timeout', 'no'],
  ['manifold opto blocked', 'yes'],
  ['manifold not ready', 'yes'],
  ['security status changed', 'possibly'],
  ['motor exception', 'possibly'],
  ['swallowed coin', 'no'],
  ['coin too fast (validation sensor)', 'yes'],
  ['coin too slow (validation sensor)', 'yes'],
  ['coin incorrectly sorted', 'no'],
  ['external light attack', 'no'],
];
const COIN_EVENTS_HIGH: Readonly<Record<number, readonly [string, Rejected]>> = {
  253: ['data block request', 'no'],
  254: ['coin return mechanism activated', 'no'],
  255: ['unspecified alarm', 'no'],
};

export type CoinEvent =
  /** A coin was accepted: position (or CVF value) and sorter path (0 = none). */
  | { readonly kind: 'credit'; readonly position: number; readonly sorterPath: number }
  /** An error/status event; `name` is undefined for codes the spec leaves undefined. */
  | {
      readonly kind: 'error';
      readonly code: number;
      readonly name: string | undefined;
      readonly rejected: Rejected | undefined;
      /** For codes 128–159: the inhibited coin type (1–32). */
      readonly coinType?: number;
    };

/** Decode one 229 pair. */
export function decodeCoinPair(a: number, b: number): CoinEvent {
  if (a !== 0) return { kind: 'credit', position: a, sorterPath: b };
  if (b >= 128 && b <= 159) {
    return {
      kind: 'error',
      code: b,
      name: `inhibited coin type ${b - 127}`,
      rejected: 'yes',
      coinType: b - 127,
    };
  }
  const known = COIN_EVENTS[b] ?? COIN_EVENTS_HIGH[b];
  return { kind: 'error', code: b, name: known?.[0], rejected: known?.[1] };
}

export type BillEventClass = 'credit' | 'escrow' | 'status' | 'reject' | 'fatal' | 'fraud' | 'unknown';

/** 159 status codes (A = 0). Index = B. */
const BILL_STATUS: readonly (readonly [string, BillEventClass])[] = [
  ['master inhibit active', 'status'],
  ['bill returned from escrow', 'status'],
  ['invalid bill (validation fail)', 'reject'],
  ['invalid bill (transport problem)', 'reject'],
  ['inhibited bill (serial)', 'status'],
  ['inhibited bill (DIP switches)', 'status'],
  ['bill jammed in transport (unsafe mode)', 'fatal'],
  ['bill jammed in stacker', 'fatal'],
  ['bill pulled backwards', 'fraud'],
  ['bill tamper', 'fraud'],
  ['stacker OK', 'status'],
  ['stacker removed', 'status'],
  ['stacker inserted', 'status'],
  ['stacker faulty', 'fatal'],
  ['stacker full', 'status'],
  ['stacker jammed', 'fatal'],
  ['bill jammed in transport (safe mode)', 'fatal'],
  ['opto fraud detected', 'fraud'],
  ['string fraud detected', 'fraud'],
  ['anti-string mechanism faulty', 'fatal'],
  ['barcode detected', 'status'],
  ['unknown bill type stacked', 'status'],
];

export type BillEvent =
  /** Bill type `billType` validated and stacked: credit it. (255 = coupon/ticket.) */
  | { readonly kind: 'credit'; readonly billType: number }
  /** Bill type `billType` validated and held in escrow: route it with 154. Not yet money. */
  | { readonly kind: 'escrow'; readonly billType: number }
  | {
      readonly kind: 'status';
      readonly code: number;
      readonly name: string | undefined;
      readonly class: BillEventClass;
    }
  /** A ≠ 0 with B other than 0/1: not defined by the spec. */
  | { readonly kind: 'unknown'; readonly a: number; readonly b: number };

/** Decode one 159 pair. */
export function decodeBillPair(a: number, b: number): BillEvent {
  if (a !== 0) {
    if (b === 0) return { kind: 'credit', billType: a };
    if (b === 1) return { kind: 'escrow', billType: a };
    return { kind: 'unknown', a, b };
  }
  const known = BILL_STATUS[b];
  return { kind: 'status', code: b, name: known?.[0], class: known?.[1] ?? 'unknown' };
}

export interface EventBuffer<E> {
  /** 0 after power-up/reset, then 1–255 wrapping to 1. */
  readonly counter: number;
  /** The five buffered results, newest first. */
  readonly entries: readonly E[];
}

function decodeBuffer<E>(
  what: string,
  data: Uint8Array,
  pair: (a: number, b: number) => E,
): Either<DecodeError, EventBuffer<E>> {
  if (data.length !== REPLY_LENGTH) {
    return left(
      new DecodeError(`${what} reply must be ${REPLY_LENGTH} bytes, got ${data.length}.`, {
        hex: toHex(data),
      }),
    );
  }
  const entries: E[] = [];
  for (let i = 0; i < EVENT_BUFFER_DEPTH; i++) entries.push(pair(data[1 + 2 * i]!, data[2 + 2 * i]!));
  return right({ counter: data[0]!, entries });
}

/** Decode a 229 (read buffered credit or error codes) reply. */
export function decodeCoinBuffer(data: Uint8Array): Either<DecodeError, EventBuffer<CoinEvent>> {
  return decodeBuffer('229 buffered credit', data, decodeCoinPair);
}

/** Decode a 159 (read buffered bill events) reply. */
export function decodeBillBuffer(data: Uint8Array): Either<DecodeError, EventBuffer<BillEvent>> {
  return decodeBuffer('159 buffered bill events', data, decodeBillPair);
}

/**
 * Coin value format (option flag bit 0 set): bit 7 multiplies the 7-bit value
 * by 10. 255 is a token; 0 and 128 carry no value.
 */
export function decodeCvf(code: number): number | 'token' | 'no-value' {
  if (code === 255) return 'token';
  const value = code & 0x7f;
  if (value === 0) return 'no-value';
  return code & 0x80 ? value * 10 : value;
}

/** 232 self-check fault names. Index = code. */
// prettier-ignore
const FAULTS: readonly string[] = [
  'OK', 'EEPROM checksum corrupted', 'inductive coils', 'credit sensor', 'piezo sensor', 'reflective sensor',
  'diameter sensor', 'wake-up sensor', 'sorter exit sensors', 'NVRAM checksum corrupted', 'coin dispensing error',
  'low level sensor', 'high level sensor', 'coin counting error', 'keypad', 'button', 'display',
  'coin auditing error', 'reject sensor', 'coin return mechanism', 'coin-on-string mechanism', 'rim sensor',
  'thermistor', 'payout motor', 'payout timeout', 'payout jammed', 'payout sensor', 'level sensor',
  'personality module not fitted', 'personality checksum corrupted', 'ROM checksum mismatch',
  'missing slave device', 'internal comms bad', 'supply voltage outside limits', 'temperature outside limits',
  'DCE fault', 'bill validation sensor', 'bill transport motor', 'stacker', 'bill jammed', 'RAM test fail',
  'string sensor', 'accept gate failed open', 'accept gate failed closed', 'stacker missing', 'stacker full',
  'flash memory erase fail', 'flash memory write fail', 'slave device not responding', 'opto sensor', 'battery',
  'door open', 'microswitch', 'RTC', 'firmware error', 'initialisation error', 'supply current outside limits',
  'forced bootloader mode',
];

export interface SelfCheckResult {
  readonly code: number;
  readonly name: string | undefined;
  /** Extra byte (coil, sensor, hopper number …) where the device sent one. */
  readonly extra?: number;
  /** Any non-zero code means the device has disabled itself. */
  readonly ok: boolean;
}

export function faultName(code: number): string | undefined {
  return code === 255 ? 'unspecified' : FAULTS[code];
}

/** Decode a 232 (perform self-check) reply: [fault] or [fault][extra]. */
export function decodeSelfCheck(data: Uint8Array): Either<DecodeError, SelfCheckResult> {
  if (data.length < 1 || data.length > 2) {
    return left(
      new DecodeError(`232 self-check reply must be 1 or 2 bytes, got ${data.length}.`, { hex: toHex(data) }),
    );
  }
  const code = data[0]!;
  const base = { code, name: faultName(code), ok: code === 0 };
  return right(data.length === 2 ? { ...base, extra: data[1]! } : base);
}

/**
 * State of an event-counter ring reader: the last counter seen, or undefined
 * before the first read. Immutable; {@link updateCreditRing} returns the next one.
 */
export interface CreditRingTracker {
  readonly lastCounter: number | undefined;
}

export type RingOutput<E> =
  /** First read: the counter becomes the reference. Entries already in the buffer are history, not new money. */
  | { readonly type: 'baseline'; readonly counter: number }
  /** A new buffered result; `counter` is the event number the device gave it. Oldest first. */
  | { readonly type: 'event'; readonly counter: number; readonly event: E }
  /** The counter moved further than the buffer holds: `lost` results (between `after` and the oldest reported) are gone. */
  | { readonly type: 'events-lost'; readonly lost: number; readonly after: number; readonly counter: number }
  /** The counter went back to 0: the device restarted. Re-apply inhibits and master enable; nothing is re-credited. */
  | { readonly type: 'reset'; readonly previous: number };

export function createCreditRingTracker(lastCounter?: number): CreditRingTracker {
  return { lastCounter };
}

/** Step `counter` back by `steps` events inside the 1–255 ring. */
function ringBack(counter: number, steps: number): number {
  return ((((counter - 1 - steps) % 255) + 255) % 255) + 1;
}

/** Number of events between two counters: 0 → n is n, and 255 → 1 is 1. */
export function ringDistance(last: number, counter: number): number {
  if (last === 0) return counter;
  return (counter - last + 255) % 255;
}

/**
 * A restart whose counter of 0 was never read: the counter is below the last
 * one and under the buffer depth, and every slot from `counter` on is blank.
 * Had the counter wrapped (255 → 1) instead, those slots would hold events
 * 255, 254, …; only a buffer zeroed at power-up or reset leaves them blank.
 * A counter of 5 or more leaves no slot to tell by.
 */
function restartedUnseen<E>(last: number, buffer: EventBuffer<E>, isBlank: (event: E) => boolean): boolean {
  const { counter, entries } = buffer;
  return (
    counter < last &&
    counter < EVENT_BUFFER_DEPTH &&
    entries.length >= EVENT_BUFFER_DEPTH &&
    entries.slice(counter).every(isBlank)
  );
}

/**
 * Feed one 229/159 buffer read. Reports each new buffered result exactly
 * once, oldest first; a repeated read reports nothing; a counter back at 0 is
 * a reset (old entries are not credited again); a jump beyond the buffer
 * depth reports `events-lost` with the count before the results still held.
 *
 * `isBlank` names the pair a zeroed buffer holds, for buffers where it is
 * never a real event (229's (0,0) null event; not 159, where (0,0) is
 * "master inhibit active"). With it, a restart whose 0 was missed is told
 * from a wrap where the buffer shows it: a reset, then the events since.
 */
export function updateCreditRing<E>(
  tracker: CreditRingTracker,
  buffer: EventBuffer<E>,
  isBlank?: (event: E) => boolean,
): { readonly tracker: CreditRingTracker; readonly outputs: readonly RingOutput<E>[] } {
  const { counter } = buffer;
  const last = tracker.lastCounter;
  const next = { lastCounter: counter };
  if (last === undefined) return { tracker: next, outputs: [{ type: 'baseline', counter }] };
  if (counter === last) return { tracker, outputs: [] };
  if (counter === 0) return { tracker: next, outputs: [{ type: 'reset', previous: last }] };
  if (isBlank !== undefined && restartedUnseen(last, buffer, isBlank)) {
    const since = updateCreditRing(createCreditRingTracker(0), buffer);
    return { tracker: next, outputs: [{ type: 'reset', previous: last }, ...since.outputs] };
  }
  const fresh = ringDistance(last, counter);
  const outputs: RingOutput<E>[] = [];
  const shown = Math.min(fresh, EVENT_BUFFER_DEPTH, buffer.entries.length);
  if (fresh > shown) outputs.push({ type: 'events-lost', lost: fresh - shown, after: last, counter });
  for (let i = shown - 1; i >= 0; i--) {
    outputs.push({ type: 'event', counter: ringBack(counter, i), event: buffer.entries[i]! });
  }
  return { tracker: next, outputs };
}
