/**
 * Rows that move money out of a device: payouts, floats, routes, levels,
 * empties and the NV11 note float. Amounts are integer minor units; from
 * protocol 6 every value travels with its ISO 4217 country code.
 */
import * as t from 'io-ts';
import { bytes, concatBytes, readU16le, readU32le, u16le, u32le } from '../../../core/bytes.js';
import { CurrencyCode } from '../../../core/codec.js';
import type { Money } from '../../../core/money.js';
import type { EsspContext } from '../context.js';
import {
  MinorUnits,
  NoArgs,
  U16,
  VALUE_PAYOUTS,
  closed,
  countryBytes,
  invalid,
  isHopperUnit,
  need,
  noPayload,
  oneOf,
  readCountry,
  requirePv6,
} from './args.js';
import { none } from './simple.js';
import { defineCommand } from './types.js';

/** Option byte of payout-family commands (pv >= 6): 0x19 only checks, 0x58 pays. */
const TEST_ONLY = 0x19;
const DO_IT = 0x58;

const ROUTE_UNITS = [...VALUE_PAYOUTS, 'NOTE_FLOAT'] as const;

/** A value (with country from pv 6) in the layout shared by level/route commands. */
function valueField(
  command: string,
  field: string,
  value: number,
  country: string,
  ctx: EsspContext,
  pre6: 16 | 32,
) {
  if (ctx.protocolVersion >= 6) return concatBytes(u32le(value), countryBytes(country));
  if (pre6 === 16) {
    if (value > 0xffff)
      throw invalid(command, field, `must be at most 65535 below protocol 6 on this unit, got ${value}`);
    return u16le(value);
  }
  return u32le(value);
}

/** Option byte only exists from pv 6; refuse a test request that would otherwise pay for real. */
function withOption(command: string, head: Uint8Array, country: string, test: boolean, ctx: EsspContext) {
  if (ctx.protocolVersion >= 6)
    return concatBytes(head, countryBytes(country), bytes(test ? TEST_ONLY : DO_IT));
  if (test)
    throw invalid(command, 'test', 'needs protocol version 6 or later (older layouts have no test option)');
  return head;
}

const Denominations = new t.Type<
  readonly { number: number; denomination: number; country_code: string }[],
  unknown
>(
  'denominations',
  (u): u is { number: number; denomination: number; country_code: string }[] => Array.isArray(u),
  (u, c) => {
    if (!Array.isArray(u) || u.length < 1 || u.length > 20) {
      return t.failure(u, c, 'expected 1 to 20 entries of { number, denomination, country_code }');
    }
    return t
      .array(closed('denomination', { number: U16, denomination: MinorUnits, country_code: CurrencyCode }))
      .validate(u, c);
  },
  t.identity,
);

const ByDenomination = closed('BY_DENOMINATION', { value: Denominations, test: t.boolean });

function encodeByDenomination(command: string) {
  return (a: t.TypeOf<typeof ByDenomination>, ctx: EsspContext) => {
    requirePv6(command, ctx);
    const parts = a.value.map((d) =>
      concatBytes(u16le(d.number), u32le(d.denomination), countryBytes(d.country_code)),
    );
    return concatBytes(bytes(a.value.length), ...parts, bytes(a.test ? TEST_ONLY : DO_IT));
  };
}

/** n(1) then n × [u16 count, u32 value, country(3)]; shared by GET_ALL_LEVELS and CASHBOX_PAYOUT_OPERATION_DATA. */
function readLevels(
  command: string,
  p: Uint8Array,
): { levels: { level: number; value: Money }[]; end: number } {
  need(command, p, 1);
  const n = p[0]!;
  need(command, p, 1 + 9 * n);
  const levels: { level: number; value: Money }[] = [];
  for (let i = 0, o = 1; i < n; i++, o += 9) {
    levels.push({
      level: readU16le(p, o),
      value: { amount: readU32le(p, o + 2), currency: readCountry(p, o + 6) },
    });
  }
  return { levels, end: 1 + 9 * n };
}

const ROUTES = ['payout', 'cashbox'] as const;

export const PAYOUT_COMMANDS = [
  defineCommand({
    name: 'GET_ALL_LEVELS',
    code: 0x22,
    args: NoArgs,
    encode: none,
    decode: (p: Uint8Array) => ({ levels: readLevels('GET_ALL_LEVELS', p).levels }),
    encryption: 'optional',
    units: VALUE_PAYOUTS,
    description: 'Stored count of every denomination, including those at zero.',
  }),
  defineCommand({
    name: 'PAYOUT_AMOUNT',
    code: 0x33,
    args: closed('PAYOUT_AMOUNT', { amount: MinorUnits, country_code: CurrencyCode, test: t.boolean }),
    encode: (a, ctx) => withOption('PAYOUT_AMOUNT', u32le(a.amount), a.country_code, a.test, ctx),
    decode: noPayload,
    encryption: 'required',
    units: VALUE_PAYOUTS,
    errors: 'payout',
    description: 'Pay out an amount (minor units); test = only check that it could be paid.',
  }),
  defineCommand({
    name: 'GET_DENOMINATION_LEVEL',
    code: 0x35,
    args: closed('GET_DENOMINATION_LEVEL', { amount: MinorUnits, country_code: CurrencyCode }),
    encode: (a, ctx) => valueField('GET_DENOMINATION_LEVEL', 'amount', a.amount, a.country_code, ctx, 32),
    decode: (p: Uint8Array) => {
      need('GET_DENOMINATION_LEVEL', p, 2);
      return { level: readU16le(p, 0) };
    },
    encryption: 'optional',
    units: VALUE_PAYOUTS,
    description: 'How many of one denomination are stored.',
  }),
  defineCommand({
    name: 'HALT_PAYOUT',
    code: 0x38,
    args: NoArgs,
    encode: none,
    decode: noPayload,
    encryption: 'required',
    units: VALUE_PAYOUTS,
    description: 'Stop the payout in progress; a HALTED event follows.',
  }),
  defineCommand({
    name: 'SET_DENOMINATION_ROUTE',
    code: 0x3b,
    args: closed(
      'SET_DENOMINATION_ROUTE',
      { route: oneOf('route', ROUTES), value: MinorUnits, country_code: CurrencyCode },
      { isHopper: t.boolean },
    ),
    encode: (a, ctx) => {
      const width = (a.isHopper ?? isHopperUnit(ctx)) ? 16 : 32;
      const value = valueField('SET_DENOMINATION_ROUTE', 'value', a.value, a.country_code, ctx, width);
      return concatBytes(bytes(a.route === 'payout' ? 0 : 1), value);
    },
    decode: noPayload,
    encryption: 'required',
    units: ROUTE_UNITS,
    errors: 'route',
    description: 'Send a denomination to the payout store or straight to the cashbox.',
  }),
  defineCommand({
    name: 'GET_DENOMINATION_ROUTE',
    code: 0x3c,
    args: closed(
      'GET_DENOMINATION_ROUTE',
      { value: MinorUnits, country_code: CurrencyCode },
      { isHopper: t.boolean },
    ),
    encode: (a, ctx) =>
      valueField(
        'GET_DENOMINATION_ROUTE',
        'value',
        a.value,
        a.country_code,
        ctx,
        (a.isHopper ?? isHopperUnit(ctx)) ? 16 : 32,
      ),
    decode: (p: Uint8Array) => {
      need('GET_DENOMINATION_ROUTE', p, 1);
      return { route: ROUTES[p[0]!] ?? ('unknown' as const), code: p[0]! };
    },
    encryption: 'required',
    units: ROUTE_UNITS,
    errors: 'route',
    description: 'Where a denomination goes: payout store or cashbox.',
  }),
  defineCommand({
    name: 'FLOAT_AMOUNT',
    code: 0x3d,
    args: closed('FLOAT_AMOUNT', {
      min_possible_payout: MinorUnits,
      amount: MinorUnits,
      country_code: CurrencyCode,
      test: t.boolean,
    }),
    encode: (a, ctx) => {
      // Hoppers take a 16-bit minimum payout, note payouts a 32-bit one.
      if (isHopperUnit(ctx) && a.min_possible_payout > 0xffff) {
        throw invalid(
          'FLOAT_AMOUNT',
          'min_possible_payout',
          `must be at most 65535 on a hopper, got ${a.min_possible_payout}`,
        );
      }
      const min = isHopperUnit(ctx) ? u16le(a.min_possible_payout) : u32le(a.min_possible_payout);
      return withOption('FLOAT_AMOUNT', concatBytes(min, u32le(a.amount)), a.country_code, a.test, ctx);
    },
    decode: noPayload,
    encryption: 'required',
    units: VALUE_PAYOUTS,
    errors: 'payout',
    description:
      'Keep `amount` in the device (in denominations able to pay `min_possible_payout`); the rest goes to the cashbox.',
  }),
  defineCommand({
    name: 'GET_MINIMUM_PAYOUT',
    code: 0x3e,
    args: closed('GET_MINIMUM_PAYOUT', {}, { country_code: CurrencyCode }),
    encode: (a, ctx) => {
      if (ctx.protocolVersion < 6) return none();
      if (a.country_code === undefined)
        throw invalid('GET_MINIMUM_PAYOUT', 'country_code', 'is required from protocol 6');
      return countryBytes(a.country_code);
    },
    decode: (p: Uint8Array) => {
      need('GET_MINIMUM_PAYOUT', p, 4);
      return { value: readU32le(p, 0) };
    },
    encryption: 'optional',
    units: VALUE_PAYOUTS,
    description: 'Smallest amount the device can pay out (minor units).',
  }),
  defineCommand({
    name: 'EMPTY_ALL',
    code: 0x3f,
    args: NoArgs,
    encode: none,
    decode: noPayload,
    encryption: 'required',
    units: ROUTE_UNITS,
    description: 'Dump all stored money to the cashbox without value reports; counters are zeroed.',
  }),
  defineCommand({
    name: 'FLOAT_BY_DENOMINATION',
    code: 0x44,
    args: ByDenomination,
    encode: encodeByDenomination('FLOAT_BY_DENOMINATION'),
    decode: noPayload,
    encryption: 'required',
    units: VALUE_PAYOUTS,
    errors: 'payout',
    description: 'Keep the given count of each denomination; the rest goes to the cashbox (protocol 6+).',
  }),
  defineCommand({
    name: 'PAYOUT_BY_DENOMINATION',
    code: 0x46,
    args: ByDenomination,
    encode: encodeByDenomination('PAYOUT_BY_DENOMINATION'),
    decode: noPayload,
    encryption: 'required',
    units: VALUE_PAYOUTS,
    errors: 'payout',
    description: 'Pay out the given count of each denomination (protocol 6+).',
  }),
  defineCommand({
    name: 'SMART_EMPTY',
    code: 0x52,
    args: NoArgs,
    encode: none,
    decode: noPayload,
    encryption: 'required',
    units: ROUTE_UNITS,
    description: 'Empty to the cashbox while counting what was moved (see CASHBOX_PAYOUT_OPERATION_DATA).',
  }),
  defineCommand({
    name: 'CASHBOX_PAYOUT_OPERATION_DATA',
    code: 0x53,
    args: NoArgs,
    encode: none,
    decode: (p: Uint8Array) => {
      const { levels, end } = readLevels('CASHBOX_PAYOUT_OPERATION_DATA', p);
      need('CASHBOX_PAYOUT_OPERATION_DATA', p, end + 4);
      return { levels, unknown: readU32le(p, end) };
    },
    encryption: 'required',
    units: VALUE_PAYOUTS,
    description:
      'What the last smart empty, float or dispense moved to the cashbox, plus the count of unrecognised items.',
  }),
] as const;
