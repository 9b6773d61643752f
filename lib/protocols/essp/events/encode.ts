/**
 * Event encoder for simulators: the exact inverse of parsePollReply for the
 * same session context. Where sources disagree on a framing (fact sheet
 * 14.2a) the documented layout is emitted unless `alternateFraming` asks for
 * the other one, so a simulator can reproduce either kind of device.
 */

import { InvalidArgumentError } from '../../../core/errors.js';
import type { Money } from '../../../core/money.js';
import type { EventContext } from './blocks.js';
import { datasetCurrency } from './blocks.js';
import type { Layout } from './table.js';
import { EVENTS_BY_NAME, payloadFor } from './table.js';
import type { EsspEvent, EsspEventName, IncompleteAmount } from './types.js';

export interface EncodeOptions {
  /**
   * Emit the alternate framing (e.g. a count byte before a single-note value)
   * for every event that has one (`true`) or for the events named, where the
   * event fits it.
   */
  readonly alternateFraming?: boolean | readonly EsspEventName[];
}

/** Loosely typed view of the fields an event may carry. */
interface Fields {
  readonly event: EsspEventName;
  readonly channel?: number;
  readonly reason?: number;
  readonly value?: Money;
  readonly amounts?: readonly (Money | IncompleteAmount)[];
}

function bad(message: string, event: EsspEvent): never {
  throw new InvalidArgumentError(message, { event });
}

function byte(out: number[], n: number | undefined, what: string, e: EsspEvent): void {
  if (n === undefined || !Number.isInteger(n) || n < 0 || n > 255)
    bad(`${e.event}: ${what} must be a byte.`, e);
  out.push(n);
}

function u32(out: number[], n: number, e: EsspEvent): void {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) bad(`${e.event}: ${n} does not fit a u32.`, e);
  out.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
}

function country(out: number[], c: string, e: EsspEvent): void {
  if (!/^[A-Z]{3}$/.test(c)) bad(`${e.event}: '${c}' is not an upper-case country/currency code.`, e);
  out.push(c.charCodeAt(0), c.charCodeAt(1), c.charCodeAt(2));
}

function v7(out: number[], m: Money, e: EsspEvent): void {
  u32(out, m.amount, e);
  country(out, m.currency, e);
}

function bare(out: number[], m: Money, currency: string, e: EsspEvent): void {
  if (m.currency !== currency) bad(`${e.event}: this protocol version carries ${currency} values only.`, e);
  u32(out, m.amount, e);
}

/** Money values of an event: `amounts`, or its single `value`. */
function moneyOf(f: Fields): readonly Money[] {
  if (f.value !== undefined) return [f.value];
  return (f.amounts ?? []) as readonly Money[];
}

function single(f: Fields, e: EsspEvent): Money {
  const list = moneyOf(f);
  if (list.length !== 1) bad(`${e.event}: this layout carries exactly one value.`, e);
  return list[0]!;
}

function pairsOf(f: Fields): readonly IncompleteAmount[] {
  return (f.amounts ?? []) as readonly IncompleteAmount[];
}

function write(out: number[], layout: Layout, e: EsspEvent, currency: string): void {
  const f = e as Fields;
  switch (layout) {
    case 'none':
    case 'unsized':
      return;
    case 'channel':
      return byte(out, f.channel, 'channel', e);
    case 'reason':
      return byte(out, f.reason, 'reason', e);
    case 'u32':
      return bare(out, single(f, e), currency, e);
    case 'u32-pair': {
      const pairs = pairsOf(f);
      if (pairs.length !== 1) bad(`${e.event}: this protocol version carries one currency.`, e);
      bare(out, pairs[0]!.completed, currency, e);
      return bare(out, pairs[0]!.requested, currency, e);
    }
    case 'VC':
    case 'VC+reason': {
      const list = moneyOf(f);
      byte(out, list.length, 'number of currencies', e);
      for (const m of list) v7(out, m, e);
      if (layout === 'VC+reason') byte(out, f.reason, 'reason', e);
      return;
    }
    case 'VVC': {
      const pairs = pairsOf(f);
      byte(out, pairs.length, 'number of currencies', e);
      for (const { completed, requested } of pairs) {
        if (completed.currency !== requested.currency)
          bad(`${e.event}: both values of a pair share a currency.`, e);
        u32(out, completed.amount, e);
        v7(out, requested, e);
      }
      return;
    }
    case 'V7':
      return v7(out, single(f, e), e);
    case 'VC1':
      out.push(1);
      return v7(out, single(f, e), e);
    case 'C7': {
      if (f.value === undefined) {
        out.push(0, 0, 0, 0, 0, 0, 0);
        return;
      }
      country(out, f.value.currency, e);
      return u32(out, f.value.amount, e);
    }
  }
}

function wantsAlternate(options: EncodeOptions, name: EsspEventName): boolean {
  const alt = options.alternateFraming;
  return alt === true || (Array.isArray(alt) && alt.includes(name));
}

/**
 * Bytes of a POLL reply payload (without the leading 0xF0) reporting `events`
 * as a device with session `ctx` would. Throws {@link InvalidArgumentError}
 * when an event lacks data its layout needs (e.g. two currencies before
 * protocol 6). Data a layout has no room for (a channel's value, a note value
 * before the protocol version that reports it) is left out.
 */
export function encodeEvents(
  events: readonly EsspEvent[],
  ctx: EventContext,
  options: EncodeOptions = {},
): Uint8Array {
  const currency = datasetCurrency(ctx);
  const out: number[] = [];
  for (const e of events) {
    const row = EVENTS_BY_NAME.get(e.event);
    if (row === undefined) bad(`Unknown eSSP event '${e.event}'.`, e);
    const spec = payloadFor(row, ctx);
    let layout = spec.kind;
    if (spec.alt !== undefined) {
      const f = e as Fields;
      // Where the two framings carry different data (nothing or a value, a
      // channel or amounts) the event's own fields choose; otherwise the option.
      if (layout === 'none') {
        if (f.value !== undefined) layout = spec.alt;
      } else if (layout === 'channel') {
        if (f.channel === undefined) layout = spec.alt;
      } else if (wantsAlternate(options, row.name)) {
        // A bare V7 has room for one value only; other lists keep the count byte.
        if (spec.alt !== 'V7' || moneyOf(f).length === 1) layout = spec.alt;
      }
    }
    out.push(row.code);
    write(out, layout, e, currency);
  }
  return Uint8Array.from(out);
}
