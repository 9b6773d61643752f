/**
 * Readers for the value blocks of eSSP poll events (fact sheet 14.1). Each
 * block has a `size*` function that validates the bytes at an offset and
 * returns the block size, or -1 when the bytes cannot be that block (too
 * short, or country bytes that are not upper-case ASCII), and a `read*`
 * function that builds the Money values of a block already validated.
 * Keeping validation apart lets the parser refuse a layout before it
 * allocates anything.
 */

import type { Money } from '../../../core/money.js';
import { isCurrencyCode } from '../../../core/money.js';
import type { EsspContext } from '../context.js';
import type { IncompleteAmount } from './types.js';

/** What the event decoder needs beyond protocol version and unit type. */
export interface EventContext extends EsspContext {
  /**
   * Dataset currency (SETUP REQUEST country). Events before protocol 6 carry
   * bare u32 values; they are reported in this currency, or in 'XXX' (ISO 4217
   * "no currency") when it is not known.
   */
  readonly currency?: string;
  /** Channel values from SETUP REQUEST, index 0 = channel 1; gives note events a value. */
  readonly channels?: readonly Money[];
  /**
   * The device is a protocol 9 "SMART Currency" device: READ_NOTE and
   * CREDIT_NOTE then carry country + value (C7) instead of a channel.
   */
  readonly smartCurrency?: boolean;
}

/** Currency used for bare u32 values when the dataset currency is unknown. */
export const NO_CURRENCY = 'XXX';

export function datasetCurrency(ctx: EventContext): string {
  const c = ctx.currency;
  return c !== undefined && isCurrencyCode(c) ? c : NO_CURRENCY;
}

function upper(byte: number | undefined): boolean {
  return byte !== undefined && byte >= 0x41 && byte <= 0x5a;
}

/** True when the three bytes at `offset` are an upper-case ASCII country code. */
export function isCountryAt(b: Uint8Array, offset: number): boolean {
  return upper(b[offset]) && upper(b[offset + 1]) && upper(b[offset + 2]);
}

export function readCountry(b: Uint8Array, offset: number): string {
  return String.fromCharCode(b[offset]!, b[offset + 1]!, b[offset + 2]!);
}

export function readU32(b: Uint8Array, offset: number): number {
  return (b[offset]! | (b[offset + 1]! << 8) | (b[offset + 2]! << 16)) + b[offset + 3]! * 0x1000000;
}

/** Bare u32 value (before protocol 6). */
export function sizeU32(b: Uint8Array, offset: number): number {
  return offset + 4 <= b.length ? 4 : -1;
}

/** Two bare u32 values (before protocol 6: done so far, requested). */
export function sizeU32Pair(b: Uint8Array, offset: number): number {
  return offset + 8 <= b.length ? 8 : -1;
}

/** `V7`: value u32 + country(3). */
export function sizeV7(b: Uint8Array, offset: number): number {
  return offset + 7 <= b.length && isCountryAt(b, offset + 4) ? 7 : -1;
}

export function readV7(b: Uint8Array, offset: number): Money {
  return { amount: readU32(b, offset), currency: readCountry(b, offset + 4) };
}

/** A count byte that must be 1, then `V7` (the framing some flows print for single-note events). */
export function sizeVC1(b: Uint8Array, offset: number): number {
  return b[offset] === 1 && sizeV7(b, offset + 1) === 7 ? 8 : -1;
}

/**
 * `C7` (protocol 9 SMART Currency): country(3) + value u32. All seven bytes
 * zero is valid and means "no value yet" (a note still being read).
 */
export function sizeC7(b: Uint8Array, offset: number): number {
  if (offset + 7 > b.length) return -1;
  if (isCountryAt(b, offset)) return 7;
  for (let i = offset; i < offset + 7; i++) if (b[i] !== 0) return -1;
  return 7;
}

/** The value of a validated C7 block, undefined for the all-zero form. */
export function readC7(b: Uint8Array, offset: number): Money | undefined {
  if (b[offset] === 0) return undefined;
  return { amount: readU32(b, offset + 3), currency: readCountry(b, offset) };
}

function sizeCounted(b: Uint8Array, offset: number, item: number, valueBytes: number): number {
  const count = b[offset];
  if (count === undefined) return -1;
  const size = 1 + item * count;
  if (offset + size > b.length) return -1;
  for (let i = 0, p = offset + 1 + valueBytes; i < count; i++, p += item) if (!isCountryAt(b, p)) return -1;
  return size;
}

/** `VC`: count(1) then count × [value u32 + country(3)]. */
export function sizeVC(b: Uint8Array, offset: number): number {
  return sizeCounted(b, offset, 7, 4);
}

export function readVC(b: Uint8Array, offset: number): Money[] {
  const count = b[offset]!;
  const out = new Array<Money>(count);
  for (let i = 0, p = offset + 1; i < count; i++, p += 7) out[i] = readV7(b, p);
  return out;
}

/** `VVC`: count(1) then count × [value u32 + second value u32 + country(3)]. */
export function sizeVVC(b: Uint8Array, offset: number): number {
  return sizeCounted(b, offset, 11, 8);
}

/** (completed, requested) pairs of a validated VVC block. */
export function readVVC(b: Uint8Array, offset: number): IncompleteAmount[] {
  const count = b[offset]!;
  const out = new Array<IncompleteAmount>(count);
  for (let i = 0, p = offset + 1; i < count; i++, p += 11) {
    const currency = readCountry(b, p + 8);
    out[i] = {
      completed: { amount: readU32(b, p), currency },
      requested: { amount: readU32(b, p + 4), currency },
    };
  }
  return out;
}

/** Value of a 1-based channel from the context's channel table. */
export function channelValue(ctx: EventContext, channel: number): Money | undefined {
  return channel > 0 ? ctx.channels?.[channel - 1] : undefined;
}

/** 1-based channel whose value equals `value`, or 0. */
export function channelOf(ctx: EventContext, value: Money | undefined): number {
  const channels = ctx.channels;
  if (value === undefined || channels === undefined) return 0;
  for (let i = 0; i < channels.length; i++) {
    const c = channels[i]!;
    if (c.amount === value.amount && c.currency === value.currency) return i + 1;
  }
  return 0;
}
