/** Rows of SMART Hopper and SMART System coin units: levels, coin mech, options, limits. */
import * as t from 'io-ts';
import { bytes, concatBytes, u16le, u32le } from '../../../core/bytes.js';
import { CurrencyCode, intRange } from '../../../core/codec.js';
import type { EsspContext } from '../context.js';
import { HOPPERS, MinorUnits, NoArgs, U16, closed, countryBytes, invalid, need, requirePv6 } from './args.js';
import { none } from './simple.js';
import { defineCommand } from './types.js';

const noPayload = (): undefined => undefined;

/** SET OPTIONS register bits (fact sheet §12). The first four keep the legacy names. */
const REG0 = {
  payMode: 0,
  levelCheck: 1,
  motorSpeed: 2,
  cashBoxPayAcive: 3,
  routeLevelZeroToCashbox: 4,
  highEfficiencySplit: 5,
  payUnknownOnSmartEmpty: 6,
  valueAddedEvent: 7,
} as const;
const REG1 = { coinRejectedEvents: 0, coinRejectedValue: 1, smartEmptyToPayout: 2 } as const;
type Reg0Key = keyof typeof REG0;
type Reg1Key = keyof typeof REG1;

const HopperOptions = closed(
  'SET_HOPPER_OPTIONS',
  { payMode: t.boolean, levelCheck: t.boolean, motorSpeed: t.boolean, cashBoxPayAcive: t.boolean },
  {
    routeLevelZeroToCashbox: t.boolean,
    highEfficiencySplit: t.boolean,
    payUnknownOnSmartEmpty: t.boolean,
    valueAddedEvent: t.boolean,
    coinRejectedEvents: t.boolean,
    coinRejectedValue: t.boolean,
    smartEmptyToPayout: t.boolean,
  },
);
type HopperOptionsArgs = t.TypeOf<typeof HopperOptions>;

function pack<K extends string>(
  table: Readonly<Record<K, number>>,
  flags: Partial<Record<K, boolean | undefined>>,
): number {
  let b = 0;
  for (const key of Object.keys(table) as K[]) if (flags[key] === true) b |= 1 << table[key];
  return b;
}

function unpack<K extends string>(table: Readonly<Record<K, number>>, b: number): Record<K, boolean> {
  const out = {} as Record<K, boolean>;
  for (const key of Object.keys(table) as K[]) out[key] = (b & (1 << table[key])) !== 0;
  return out;
}

const Limits = new t.Type<readonly { limit: number; denomination: number; country_code: string }[], unknown>(
  'limits',
  (u): u is { limit: number; denomination: number; country_code: string }[] => Array.isArray(u),
  (u, c) =>
    Array.isArray(u) && u.length >= 1 && u.length <= 255
      ? t
          .array(closed('limit', { limit: U16, denomination: MinorUnits, country_code: CurrencyCode }))
          .validate(u, c)
      : t.failure(u, c, 'expected a non-empty array of { limit, denomination, country_code }'),
  t.identity,
);

export const HOPPER_COMMANDS = [
  defineCommand({
    name: 'SET_DENOMINATION_LEVEL',
    code: 0x34,
    args: closed('SET_DENOMINATION_LEVEL', {
      value: U16,
      denomination: MinorUnits,
      country_code: CurrencyCode,
    }),
    // `value` is the number of coins to add (0 clears), `denomination` the coin value.
    encode: (a, ctx: EsspContext) => {
      if (ctx.protocolVersion >= 6)
        return concatBytes(u16le(a.value), u32le(a.denomination), countryBytes(a.country_code));
      if (a.denomination > 0xffff) {
        throw invalid(
          'SET_DENOMINATION_LEVEL',
          'denomination',
          `must be at most 65535 below protocol 6, got ${a.denomination}`,
        );
      }
      return concatBytes(u16le(a.value), u16le(a.denomination));
    },
    decode: noPayload,
    encryption: 'required',
    units: HOPPERS,
    description: 'Add `value` coins of `denomination` to the stored level (0 clears it).',
  }),
  defineCommand({
    name: 'SET_COIN_MECH_INHIBITS',
    code: 0x40,
    args: closed(
      'SET_COIN_MECH_INHIBITS',
      { amount: U16, inhibited: t.boolean },
      { country_code: CurrencyCode },
    ),
    encode: (a, ctx: EsspContext) => {
      const head = concatBytes(bytes(a.inhibited ? 0 : 1), u16le(a.amount));
      if (ctx.protocolVersion < 6) return head;
      if (a.country_code === undefined)
        throw invalid('SET_COIN_MECH_INHIBITS', 'country_code', 'is required from protocol 6');
      return concatBytes(head, countryBytes(a.country_code));
    },
    decode: noPayload,
    encryption: 'required',
    units: HOPPERS,
    description: 'Accept or inhibit one coin value at the attached coin mech.',
  }),
  defineCommand({
    name: 'SET_COIN_MECH_GLOBAL_INHIBIT',
    code: 0x49,
    args: closed('SET_COIN_MECH_GLOBAL_INHIBIT', { enable: t.boolean }),
    encode: (a) => bytes(a.enable ? 1 : 0),
    decode: noPayload,
    encryption: 'required',
    units: HOPPERS,
    description: 'Enable or disable the attached coin mech as a whole.',
  }),
  defineCommand({
    name: 'SET_CASHBOX_PAYOUT_LIMIT',
    code: 0x4e,
    args: closed('SET_CASHBOX_PAYOUT_LIMIT', { limits: Limits }),
    encode: (a, ctx: EsspContext) => {
      requirePv6('SET_CASHBOX_PAYOUT_LIMIT', ctx);
      const parts = a.limits.map((l) =>
        concatBytes(u16le(l.limit), u32le(l.denomination), countryBytes(l.country_code)),
      );
      return concatBytes(bytes(a.limits.length), ...parts);
    },
    decode: noPayload,
    encryption: 'required',
    units: HOPPERS,
    description: 'Per denomination, how many coins may be paid to the cashbox.',
  }),
  defineCommand({
    name: 'SET_HOPPER_OPTIONS',
    code: 0x50,
    args: HopperOptions,
    encode: (a: HopperOptionsArgs) => bytes(pack<Reg0Key>(REG0, a), pack<Reg1Key>(REG1, a)),
    // Some firmware answers with a mode byte (0xFC-0xFF).
    decode: (p: Uint8Array) => (p.length >= 1 ? { mode: p[0]! } : {}),
    encryption: 'required',
    units: HOPPERS,
    description: 'Hopper payout options (not kept over a reset).',
  }),
  defineCommand({
    name: 'GET_HOPPER_OPTIONS',
    code: 0x51,
    args: NoArgs,
    encode: none,
    decode: (p: Uint8Array) => {
      need('GET_HOPPER_OPTIONS', p, 2);
      return { ...unpack<Reg0Key>(REG0, p[0]!), ...unpack<Reg1Key>(REG1, p[1]!) };
    },
    encryption: 'required',
    units: HOPPERS,
    description: 'Read the options set by SET_HOPPER_OPTIONS.',
  }),
  defineCommand({
    name: 'COIN_MECH_OPTIONS',
    code: 0x5a,
    args: closed('COIN_MECH_OPTIONS', { ccTalk: t.boolean }),
    encode: (a) => bytes(a.ccTalk ? 1 : 0),
    decode: noPayload,
    encryption: 'required',
    units: HOPPERS,
    description: 'ccTalk: report ccTalk-style COIN_MECH_ERROR events.',
  }),
  defineCommand({
    name: 'COIN_STIR',
    code: 0x5d,
    args: closed('COIN_STIR', { seconds: intRange(1, 255) }),
    encode: (a) => bytes(a.seconds),
    decode: noPayload,
    encryption: 'required',
    units: ['SMART_SYSTEM'],
    description: 'Stir the coins in the SMART System for 1-255 seconds.',
  }),
] as const;
