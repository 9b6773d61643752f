/** Rows every eSSP unit shares: link control, identity, protocol level, polling, counters, clock. */
import * as t from 'io-ts';
import { ascii, bytes, readU16le, readU24be, readU32be, readU32le } from '../../../core/bytes.js';
import { intRange } from '../../../core/codec.js';
import { MAX_PROTOCOL_VERSION, MIN_PROTOCOL_VERSION, unitTypeName, type EsspContext } from '../context.js';
import { decodeSetupRequest } from '../setup.js';
import {
  HOPPERS,
  NOTE_UNITS,
  NoArgs,
  PRINTERS,
  SMART_PAYOUTS,
  U8,
  closed,
  need,
  noPayload,
  odd,
  oneOf,
  rawPayload,
} from './args.js';
import { none, simpleCommand as simple } from './simple.js';
import { defineCommand } from './types.js';

const BAUD = { 9600: 0, 38400: 1, 115200: 2 } as const;

/** Names of the GET_COUNTERS values per layout (fact sheet §12, 0x58). */
const VALIDATOR_COUNTERS = ['stacked', 'stored', 'dispensed', 'transferred_to_stack', 'rejected'] as const;
const HOPPER_COUNTERS = [
  'paid_out',
  'paid_in',
  'feeder_rejects',
  'hopper_jams',
  'feeder_jams',
  'fraud_attempts',
  'call_fails',
  'resets',
  'coins_to_cashbox',
] as const;
const SH3_COUNTERS = [
  'past_sensors',
  'paid_in',
  'paid_out',
  'to_cashbox',
  'payout_requests',
  'float_requests',
] as const;

function decodeCounters(p: Uint8Array, ctx: EsspContext): Readonly<Record<string, number>> {
  const out: Record<string, number> = {};
  // The count-prefixed layouts are always odd in length (1 + 4n); the SMART
  // Hopper 3 layout is exactly six u32 with no count byte.
  if (p.length === 24) {
    SH3_COUNTERS.forEach((key, i) => (out[key] = readU32le(p, 4 * i)));
    return out;
  }
  need('GET_COUNTERS', p, 1);
  const n = p[0]!;
  need('GET_COUNTERS', p, 1 + 4 * n);
  const names: readonly string[] =
    ctx.unitType === 0x03 || ctx.unitType === 0x09 ? HOPPER_COUNTERS : VALIDATOR_COUNTERS;
  for (let i = 0; i < n; i++) out[names[i] ?? `counter_${i + 1}`] = readU32le(p, 1 + 4 * i);
  return out;
}

const RtcArgs = closed('RTC', {
  day: intRange(1, 31),
  month: intRange(1, 12),
  year: intRange(0, 99),
  hour: intRange(0, 23),
  minute: intRange(0, 59),
  second: intRange(0, 59),
});
type Rtc = t.TypeOf<typeof RtcArgs>;

export const CORE_COMMANDS = [
  simple('RESET', 0x01, 'Reboot the unit; encryption and baud rate fall back to their defaults.'),
  defineCommand({
    name: 'SETUP_REQUEST',
    code: 0x05,
    args: NoArgs,
    encode: none,
    decode: (p: Uint8Array) => decodeSetupRequest(p),
    encryption: 'optional',
    units: 'all',
    description: 'Unit type, firmware, dataset country, channel values and protocol version in force.',
  }),
  defineCommand({
    name: 'HOST_PROTOCOL_VERSION',
    code: 0x06,
    args: closed('HOST_PROTOCOL_VERSION', { version: intRange(MIN_PROTOCOL_VERSION, MAX_PROTOCOL_VERSION) }),
    encode: (a) => bytes(a.version),
    decode: noPayload,
    encryption: 'optional',
    units: 'all',
    description:
      'Set the protocol level the host speaks; the device answers FAIL when it does not support it.',
  }),
  defineCommand({
    name: 'POLL',
    code: 0x07,
    args: NoArgs,
    encode: none,
    decode: rawPayload,
    encryption: 'optional',
    units: 'all',
    description: 'Events since the last poll (raw; decoded by the event table).',
  }),
  simple('DISABLE', 0x09, 'Disable the unit: no acceptance or payout until ENABLE.'),
  simple('ENABLE', 0x0a, 'Enable the unit.'),
  defineCommand({
    name: 'GET_SERIAL_NUMBER',
    code: 0x0c,
    args: closed('GET_SERIAL_NUMBER', {}, { module: U8 }),
    encode: (a) => (a.module === undefined ? none() : bytes(a.module)),
    decode: (p: Uint8Array) => {
      need('GET_SERIAL_NUMBER', p, 4);
      return { serial_number: readU32be(p, 0) };
    },
    encryption: 'optional',
    units: 'all',
    description:
      'Factory serial number (big-endian). Optional module byte, e.g. 1 = payout, 0x11-0x15 = NV4000 modules.',
  }),
  defineCommand({
    name: 'UNIT_DATA',
    code: 0x0d,
    args: NoArgs,
    encode: none,
    decode: (p: Uint8Array) => {
      need('UNIT_DATA', p, 12);
      return {
        unitType: p[0]!,
        unitTypeName: unitTypeName(p[0]!),
        firmware: ascii(p, 1, 4),
        country: ascii(p, 5, 3),
        valueMultiplier: readU24be(p, 8),
        protocolVersion: p[11]!,
      };
    },
    encryption: 'optional',
    units: NOTE_UNITS,
    description: 'Unit type, firmware, country, value multiplier and protocol version.',
  }),
  simple('SYNC', 0x11, 'Reset the sequence bit and establish communication.'),
  defineCommand({
    name: 'GET_FIRMWARE_VERSION',
    code: 0x20,
    args: NoArgs,
    encode: none,
    decode: (p: Uint8Array) => ({ firmware: ascii(p) }),
    encryption: 'optional',
    units: 'all',
    description: 'Full firmware version string, e.g. NV02004141498000.',
  }),
  defineCommand({
    name: 'GET_DATASET_VERSION',
    code: 0x21,
    args: NoArgs,
    encode: none,
    decode: (p: Uint8Array) => ({ dataset: ascii(p) }),
    encryption: 'optional',
    units: [...NOTE_UNITS, ...HOPPERS],
    description: 'Dataset version string, e.g. EUR01610.',
  }),
  defineCommand({
    name: 'SET_BAUD_RATE',
    code: 0x4d,
    args: closed('SET_BAUD_RATE', {
      baudrate: oneOf('baudrate', [9600, 38400, 115200]),
      reset_to_default_on_reset: t.boolean,
    }),
    // The persist byte is 1 to keep the new rate after a reset.
    encode: (a) => bytes(BAUD[a.baudrate], a.reset_to_default_on_reset ? 0 : 1),
    decode: noPayload,
    encryption: 'optional',
    units: [...NOTE_UNITS, ...HOPPERS],
    description: 'Change the line speed; the reply still comes at the old speed.',
  }),
  defineCommand({
    name: 'GET_BUILD_REVISION',
    code: 0x4f,
    args: NoArgs,
    encode: none,
    decode: (p: Uint8Array) => {
      if (p.length % 3 !== 0) throw odd('GET_BUILD_REVISION', p, 'length is not a multiple of 3');
      const modules: { type: number; revision: number }[] = [];
      for (let i = 0; i < p.length; i += 3) modules.push({ type: p[i]!, revision: readU16le(p, i + 1) });
      return { modules };
    },
    encryption: 'optional',
    units: [...NOTE_UNITS, ...HOPPERS],
    description: 'Build revision of each module: type byte and 16-bit revision.',
  }),
  defineCommand({
    name: 'POLL_WITH_ACK',
    code: 0x56,
    args: NoArgs,
    encode: none,
    decode: rawPayload,
    encryption: 'required',
    units: [...NOTE_UNITS, ...HOPPERS, ...PRINTERS],
    description: 'Like POLL, but credit-type events repeat until EVENT_ACK.',
  }),
  defineCommand({
    ...simple('EVENT_ACK', 0x57, 'Acknowledge the events repeated by POLL_WITH_ACK.'),
    encryption: 'required',
    units: [...NOTE_UNITS, ...HOPPERS, ...PRINTERS],
  }),
  defineCommand({
    name: 'GET_COUNTERS',
    code: 0x58,
    args: NoArgs,
    encode: none,
    decode: decodeCounters,
    encryption: 'optional',
    units: ['BANKNOTE_VALIDATOR', 'NOTE_FLOAT', ...SMART_PAYOUTS, 'SMART_SYSTEM', 'SMART_HOPPER'],
    description: 'Activity counters; names depend on the unit (validator, SMART Hopper 3/4, SMART System).',
  }),
  simple('RESET_COUNTERS', 0x59, 'Zero the activity counters.', [
    'BANKNOTE_VALIDATOR',
    'NOTE_FLOAT',
    ...SMART_PAYOUTS,
    ...HOPPERS,
  ]),
  defineCommand({
    name: 'GET_RTC_CONFIGURATION',
    code: 0x62,
    args: NoArgs,
    encode: none,
    decode: (p: Uint8Array) => {
      need('GET_RTC_CONFIGURATION', p, 1);
      return { persistent: p[0] === 1 };
    },
    encryption: 'optional',
    units: [...PRINTERS, 'SMART_SYSTEM'],
    description: 'Whether the real-time clock survives power-down.',
  }),
  defineCommand({
    name: 'GET_RTC',
    code: 0x63,
    args: NoArgs,
    encode: none,
    decode: (p: Uint8Array): Rtc => {
      need('GET_RTC', p, 6);
      return { day: p[0]!, month: p[1]!, year: p[2]!, hour: p[3]!, minute: p[4]!, second: p[5]! };
    },
    encryption: 'optional',
    units: [...PRINTERS, 'SMART_SYSTEM'],
    description: 'Read the real-time clock (year 0-99).',
  }),
  defineCommand({
    name: 'SET_RTC',
    code: 0x64,
    args: RtcArgs,
    encode: (a) => bytes(a.day, a.month, a.year, a.hour, a.minute, a.second),
    decode: noPayload,
    encryption: 'optional',
    units: [...PRINTERS, 'SMART_SYSTEM'],
    description: 'Set the real-time clock (year 0-99).',
  }),
  defineCommand({
    name: 'CHANNEL_RE_TEACH_DATA',
    code: 0x10,
    args: NoArgs,
    encode: none,
    decode: rawPayload,
    encryption: 'optional',
    units: ['BANKNOTE_VALIDATOR'],
    description: 'Vestigial command; the reply layout is undocumented and handed over raw.',
  }),
  defineCommand({
    name: 'COMMUNICATION_PASS_THROUGH',
    code: 0x37,
    args: closed('COMMUNICATION_PASS_THROUGH', {}, { uart: oneOf('uart', ['ssp', 'cctalk']) }),
    encode: (a) => bytes(a.uart === 'cctalk' ? 1 : 0),
    decode: noPayload,
    encryption: 'optional',
    units: HOPPERS,
    description: 'Switch the hopper USB port to raw pass-through (SSP by default, or ccTalk).',
  }),
] as const;
