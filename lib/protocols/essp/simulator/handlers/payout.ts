/**
 * Payout-family behaviours (SMART Payout, SMART Hopper, NV4000 model):
 * payouts by amount or denomination with the test/commit option, floats,
 * empties, routes and levels. Value layouts follow the protocol version:
 * from 6 every value carries its country code (fact sheet §12).
 */
import {
  ascii,
  bytes,
  concatBytes,
  fromAscii,
  readU16le,
  readU32le,
  u16le,
  u32le,
} from '../../../../core/bytes.js';
import { complement, itemsOf, planAmount } from '../payout.js';
import { storedValue, type SimState } from '../state.js';
import { cannot, ok, outOfRange, wrongParams, type CommandHandler, type HandlerContext } from './types.js';

/** Option byte of payout-family commands (pv ≥ 6). */
const TEST_ONLY = 0x19;
const DO_IT = 0x58;

/** Error bytes after 0xF5 (fact sheet §13). */
const PAYOUT_ERROR = { NOT_ENOUGH: 1, NOT_EXACT: 2, BUSY: 3, DISABLED: 4 } as const;
const ROUTE_ERROR = { INVALID_CURRENCY: 2 } as const;

const isHopper = (s: SimState): boolean => s.profile.family === 'hopper';
const pv6 = (s: SimState): boolean => s.protocolVersion >= 6;

/** Denomination index of a value in the dataset currency, or -1. */
function indexOf(s: SimState, value: number, currency: string): number {
  return currency === s.profile.currency ? s.profile.channels.indexOf(value) : -1;
}

/** A value field: u32 + country from pv 6, else u16 (hoppers) or u32. Returns [value, currency, size]. */
function readValue(
  s: SimState,
  args: Uint8Array,
  at: number,
  hopperWidth: 16 | 32,
): [number, string, number] {
  if (pv6(s)) return [readU32le(args, at), ascii(args, at + 4, 3), 7];
  if (isHopper(s) && hopperWidth === 16) return [readU16le(args, at), s.profile.currency, 2];
  return [readU32le(args, at), s.profile.currency, 4];
}

function valueSize(s: SimState, hopperWidth: 16 | 32): number {
  return pv6(s) ? 7 : isHopper(s) && hopperWidth === 16 ? 2 : 4;
}

/** Why a payout cannot start now, as the F5 error byte; undefined when it can. */
function blocked(s: SimState, needsPayoutModule: boolean): number | undefined {
  if (s.job !== undefined || s.note !== undefined) return PAYOUT_ERROR.BUSY;
  if (!s.enabled || (needsPayoutModule && !s.payoutEnabled)) return PAYOUT_ERROR.DISABLED;
  return undefined;
}

const notePayout = (s: SimState): boolean => s.profile.payout?.kind !== 'hopper';

/** Trailing option byte (pv ≥ 6): true = test only; undefined = invalid byte. */
function option(s: SimState, byte: number | undefined): boolean | undefined {
  if (!pv6(s)) return false;
  return byte === TEST_ONLY ? true : byte === DO_IT ? false : undefined;
}

function payoutAmount(kind: 'payout' | 'float'): CommandHandler {
  return (ctx, args) => {
    const s = ctx.state;
    const minSize = kind === 'float' ? (isHopper(s) ? 2 : 4) : 0;
    if (args.length !== minSize + 4 + (pv6(s) ? 4 : 0)) return wrongParams();
    const amount = readU32le(args, minSize);
    const currency = pv6(s) ? ascii(args, minSize + 4, 3) : s.profile.currency;
    const test = option(s, args[args.length - 1]);
    if (currency !== s.profile.currency || test === undefined) return outOfRange();
    const busy = blocked(s, notePayout(s));
    if (busy !== undefined) return cannot(busy);
    const plan = planAmount(s.levels, s.profile.channels, amount);
    if (plan === 'not-enough') return cannot(PAYOUT_ERROR.NOT_ENOUGH);
    if (plan === 'not-exact') return cannot(PAYOUT_ERROR.NOT_EXACT);
    if (test) return ok();
    const moving = kind === 'payout' ? plan : complement(s.levels, plan);
    const requested = kind === 'payout' ? amount : storedValue(s) - amount;
    ctx.machine.startJob({ kind, items: itemsOf(moving, s.profile.channels), moved: 0, requested });
    return ok();
  };
}

function byDenomination(kind: 'payout' | 'float'): CommandHandler {
  return (ctx, args) => {
    const s = ctx.state;
    if (!pv6(s)) return outOfRange();
    const k = args[0] ?? 0;
    if (k < 1 || k > 20 || args.length !== 2 + 9 * k) return wrongParams();
    const counts = new Array<number>(s.levels.length).fill(0);
    for (let j = 0, at = 1; j < k; j++, at += 9) {
      const i = indexOf(s, readU32le(args, at + 2), ascii(args, at + 6, 3));
      if (i < 0) return outOfRange();
      counts[i]! += readU16le(args, at);
    }
    const test = option(s, args[args.length - 1]);
    if (test === undefined) return outOfRange();
    const busy = blocked(s, notePayout(s));
    if (busy !== undefined) return cannot(busy);
    if (counts.some((n, i) => n > s.levels[i]!)) return cannot(PAYOUT_ERROR.NOT_ENOUGH);
    if (test) return ok();
    const moving = kind === 'payout' ? counts : complement(s.levels, counts);
    const requested = moving.reduce((sum, n, i) => sum + n * s.profile.channels[i]!, 0);
    ctx.machine.startJob({ kind, items: itemsOf(moving, s.profile.channels), moved: 0, requested });
    return ok();
  };
}

function empty(kind: 'empty' | 'smart-empty'): CommandHandler {
  return (ctx, args) => {
    const s = ctx.state;
    if (args.length !== 0) return wrongParams();
    if (s.job !== undefined || s.note !== undefined) return cannot(PAYOUT_ERROR.BUSY);
    if (s.profile.payout?.kind === 'note-float') s.floatNotes.length = 0;
    const requested = storedValue(s);
    ctx.machine.startJob({ kind, items: itemsOf(s.levels, s.profile.channels), moved: 0, requested });
    return ok();
  };
}

/** NV4000 model: route bytes 0x11-0x14 name recycler 1-4, next to the documented 0 and 1. */
function validRoute(ctx: HandlerContext, route: number): boolean {
  const recyclers = ctx.profile.payout?.recyclers ?? 0;
  return route === 0 || route === 1 || (route >= 0x11 && route < 0x11 + recyclers);
}

/** Parse a denomination argument; a reply when it is not usable. */
function denomination(s: SimState, args: Uint8Array, at: number): number | Uint8Array {
  if (args.length !== at + valueSize(s, 16)) return wrongParams();
  const [value, currency] = readValue(s, args, at, 16);
  if (currency !== s.profile.currency) return cannot(ROUTE_ERROR.INVALID_CURRENCY);
  const i = indexOf(s, value, currency);
  return i < 0 ? outOfRange() : i;
}

function levelsReply(s: SimState, counts: readonly number[]): Uint8Array {
  const rows = s.profile.channels.map((v, i) =>
    concatBytes(u16le(counts[i] ?? 0), u32le(v), fromAscii(s.profile.currency)),
  );
  return concatBytes(bytes(rows.length), ...rows);
}

export const PAYOUT_HANDLERS: Readonly<Record<string, CommandHandler>> = {
  PAYOUT_AMOUNT: payoutAmount('payout'),
  FLOAT_AMOUNT: payoutAmount('float'),
  PAYOUT_BY_DENOMINATION: byDenomination('payout'),
  FLOAT_BY_DENOMINATION: byDenomination('float'),
  EMPTY_ALL: empty('empty'),
  SMART_EMPTY: empty('smart-empty'),
  HALT_PAYOUT: (ctx, args) => (args.length !== 0 ? wrongParams() : ctx.machine.halt() ? ok() : cannot()),
  SET_DENOMINATION_ROUTE: (ctx, args) => {
    const s = ctx.state;
    const route = args[0] ?? -1;
    const i = denomination(s, args, 1);
    if (typeof i !== 'number') return i;
    if (!validRoute(ctx, route)) return outOfRange();
    s.routes[i] = route;
    ctx.log(`${s.profile.channels[i]} ${s.profile.currency} routed to ${route === 1 ? 'cashbox' : 'payout'}`);
    return ok();
  },
  GET_DENOMINATION_ROUTE: (ctx, args) => {
    const i = denomination(ctx.state, args, 0);
    return typeof i === 'number' ? ok([ctx.state.routes[i]!]) : i;
  },
  GET_ALL_LEVELS: (ctx, args) =>
    args.length !== 0 ? wrongParams() : ok(levelsReply(ctx.state, ctx.state.levels)),
  GET_DENOMINATION_LEVEL: (ctx, args) => {
    const s = ctx.state;
    if (args.length !== valueSize(s, 32)) return wrongParams();
    const [value, currency] = readValue(s, args, 0, 32);
    const i = indexOf(s, value, currency);
    return i < 0 ? cannot() : ok(u16le(s.levels[i]!));
  },
  SET_DENOMINATION_LEVEL: (ctx, args) => {
    const s = ctx.state;
    if (args.length !== 2 + valueSize(s, 16)) return wrongParams();
    const [value, currency] = readValue(s, args, 2, 16);
    const i = indexOf(s, value, currency);
    if (i < 0) return outOfRange();
    const count = readU16le(args, 0);
    s.levels[i] = count === 0 ? 0 : s.levels[i]! + count;
    return ok();
  },
  GET_MINIMUM_PAYOUT: (ctx, args) => {
    const s = ctx.state;
    if (args.length !== (pv6(s) ? 3 : 0)) return wrongParams();
    if (pv6(s) && ascii(args, 0, 3) !== s.profile.currency) return outOfRange();
    return ok(u32le(Math.min(...s.profile.channels)));
  },
  CASHBOX_PAYOUT_OPERATION_DATA: (ctx, args) =>
    args.length !== 0 ? wrongParams() : ok(levelsReply(ctx.state, ctx.state.lastCashboxOperation), u32le(0)),
  ENABLE_PAYOUT_DEVICE: (ctx, args) => {
    if (args.length > 1) return wrongParams();
    if (!ctx.state.payoutEnabled) ctx.log('payout module enabled');
    ctx.state.payoutEnabled = true;
    return ok();
  },
  DISABLE_PAYOUT_DEVICE: (ctx, args) => {
    if (args.length !== 0) return wrongParams();
    if (ctx.state.payoutEnabled) ctx.log('payout module disabled');
    ctx.state.payoutEnabled = false;
    return ok();
  },
};
