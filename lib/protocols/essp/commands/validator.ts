/** Rows of note validators: channels, escrow, reject reasons, bar codes, bezel, TEBS. */
import * as t from 'io-ts';
import { ascii, bytes, fromHex, readU32le } from '../../../core/bytes.js';
import { intRange } from '../../../core/codec.js';
import type { EsspContext } from '../context.js';
import { rejectReason } from './reject-codes.js';
import {
  BARCODE_UNITS,
  Bit,
  NOTE_UNITS,
  NoArgs,
  TEBS_UNITS,
  closed,
  need,
  noPayload,
  oneOf,
  rawPayload,
  readCountry,
} from './args.js';
import { none, simpleCommand as simple } from './simple.js';
import { defineCommand } from './types.js';

const READERS = ['none', 'top', 'bottom', 'both'] as const;
const readerName = (b: number | undefined) => READERS[b ?? 0] ?? 'none';

const SECURITY = ['unused', 'low', 'standard', 'high', 'inhibited'] as const;
const BARCODE_STATUS = ['none', 'escrow', 'stacked', 'rejected'] as const;

/** Bit i of the mask = channel i+1; a 1 accepts the channel. */
function inhibitMask(channels: readonly (0 | 1 | boolean)[]): Uint8Array {
  const out = new Uint8Array(Math.max(1, Math.ceil(channels.length / 8)));
  channels.forEach((on, i) => {
    if (on === 1 || on === true) out[i >> 3]! |= 1 << (i & 7);
  });
  return out;
}

function decodeChannelValues(p: Uint8Array, ctx: EsspContext) {
  need('CHANNEL_VALUE_REQUEST', p, 1);
  const n = p[0]!;
  const expanded = ctx.protocolVersion >= 6;
  need('CHANNEL_VALUE_REQUEST', p, 1 + n + (expanded ? 7 * n : 0));
  const channels: { channel: number; value: number; country_code?: string; full_value?: number }[] = [];
  for (let i = 0; i < n; i++) {
    const value = p[1 + i]!;
    channels.push(
      expanded
        ? {
            channel: i + 1,
            value,
            country_code: readCountry(p, 1 + n + 3 * i),
            full_value: readU32le(p, 1 + 4 * n + 4 * i),
          }
        : { channel: i + 1, value },
    );
  }
  return { channels };
}

export const VALIDATOR_COMMANDS = [
  defineCommand({
    name: 'SET_CHANNEL_INHIBITS',
    code: 0x02,
    args: closed('SET_CHANNEL_INHIBITS', {
      channels: new t.Type<readonly (0 | 1 | boolean)[], unknown>(
        'channels',
        (u): u is (0 | 1 | boolean)[] => t.array(Bit).is(u) && u.length >= 1 && u.length <= 24,
        (u, c) =>
          t.array(Bit).is(u) && u.length >= 1 && u.length <= 24
            ? t.success(u)
            : t.failure(u, c, 'expected an array of 1 to 24 entries of 0/1 (1 = accept channel)'),
        t.identity,
      ),
    }),
    encode: (a) => inhibitMask(a.channels),
    decode: noPayload,
    encryption: 'optional',
    units: [...NOTE_UNITS, 'SMART_SYSTEM'],
    description: 'Choose accepted channels (1 = accept); channels not listed are inhibited.',
  }),
  simple('DISPLAY_ON', 0x03, 'Turn the bezel illumination back on.', NOTE_UNITS),
  simple('DISPLAY_OFF', 0x04, 'Keep the bezel dark even while enabled.', NOTE_UNITS),
  simple(
    'REJECT_BANKNOTE',
    0x08,
    'Return the note held in escrow (COMMAND_CANNOT_BE_PROCESSED if none).',
    NOTE_UNITS,
  ),
  defineCommand({
    name: 'CHANNEL_VALUE_REQUEST',
    code: 0x0e,
    args: NoArgs,
    encode: none,
    decode: decodeChannelValues,
    encryption: 'optional',
    units: NOTE_UNITS,
    description: 'Channel value bytes; from protocol 6 also country and full value per channel.',
  }),
  defineCommand({
    name: 'CHANNEL_SECURITY_DATA',
    code: 0x0f,
    args: NoArgs,
    encode: none,
    decode: (p: Uint8Array) => {
      need('CHANNEL_SECURITY_DATA', p, 1);
      const n = p[0]!;
      need('CHANNEL_SECURITY_DATA', p, 1 + n);
      return { levels: Array.from(p.subarray(1, 1 + n), (b) => SECURITY[b] ?? 'unknown') };
    },
    encryption: 'optional',
    units: NOTE_UNITS,
    description: 'Security level per channel (obsolete on current firmware).',
  }),
  defineCommand({
    name: 'LAST_REJECT_CODE',
    code: 0x17,
    args: NoArgs,
    encode: none,
    decode: (p: Uint8Array) => {
      need('LAST_REJECT_CODE', p, 1);
      return rejectReason(p[0]!);
    },
    encryption: 'optional',
    units: NOTE_UNITS,
    description: 'Why the last note was rejected.',
  }),
  simple('HOLD', 0x18, 'Keep the escrowed note and restart its 10 s timer.', [
    'BANKNOTE_VALIDATOR',
    ...TEBS_UNITS,
  ]),
  defineCommand({
    name: 'GET_BAR_CODE_READER_CONFIGURATION',
    code: 0x23,
    args: NoArgs,
    encode: none,
    decode: (p: Uint8Array) => {
      need('GET_BAR_CODE_READER_CONFIGURATION', p, 4);
      return { hardware: readerName(p[0]), enabled: readerName(p[1]), format: p[2]!, numChar: p[3]! };
    },
    encryption: 'optional',
    units: BARCODE_UNITS,
    description: 'Fitted and enabled bar-code readers, format (1 = interleaved 2 of 5) and character count.',
  }),
  defineCommand({
    name: 'SET_BAR_CODE_CONFIGURATION',
    code: 0x24,
    args: closed('SET_BAR_CODE_CONFIGURATION', {
      enable: oneOf('enable', READERS),
      numChar: intRange(6, 24),
    }),
    // Format 1 (interleaved 2 of 5) is the only documented one.
    encode: (a) => bytes(READERS.indexOf(a.enable), 0x01, a.numChar),
    decode: noPayload,
    encryption: 'optional',
    units: BARCODE_UNITS,
    description: 'Enable bar-code readers (none/top/bottom/both) and set the ticket length (6-24).',
  }),
  defineCommand({
    name: 'GET_BAR_CODE_INHIBIT_STATUS',
    code: 0x25,
    args: NoArgs,
    encode: none,
    decode: (p: Uint8Array) => {
      need('GET_BAR_CODE_INHIBIT_STATUS', p, 1);
      // A cleared bit means "enabled".
      return { currencyRead: (p[0]! & 1) === 0, barCode: (p[0]! & 2) === 0 };
    },
    encryption: 'optional',
    units: BARCODE_UNITS,
    description: 'Whether currency reading and bar-code reading are enabled.',
  }),
  defineCommand({
    name: 'SET_BAR_CODE_INHIBIT_STATUS',
    code: 0x26,
    args: closed('SET_BAR_CODE_INHIBIT_STATUS', { currencyRead: t.boolean, barCode: t.boolean }),
    // true = enabled = bit cleared; unused bits stay set.
    encode: (a) => bytes(0xff & ~((a.currencyRead ? 1 : 0) | (a.barCode ? 2 : 0))),
    decode: noPayload,
    encryption: 'optional',
    units: BARCODE_UNITS,
    description: 'Enable (true) or inhibit (false) currency reading and bar-code reading.',
  }),
  defineCommand({
    name: 'GET_BAR_CODE_DATA',
    code: 0x27,
    args: NoArgs,
    encode: none,
    decode: (p: Uint8Array) => {
      need('GET_BAR_CODE_DATA', p, 2);
      need('GET_BAR_CODE_DATA', p, 2 + p[1]!);
      return { status: BARCODE_STATUS[p[0] ?? 0] ?? 'unknown', data: ascii(p, 2, p[1] ?? 0) };
    },
    encryption: 'optional',
    units: BARCODE_UNITS,
    description: 'Last bar-code ticket read and where it is (escrow, stacked, rejected).',
  }),
  defineCommand({
    name: 'CONFIGURE_BEZEL',
    code: 0x54,
    args: closed(
      'CONFIGURE_BEZEL',
      {
        RGB: new t.Type<string, unknown>(
          'RGB',
          (u): u is string => typeof u === 'string' && /^[0-9a-fA-F]{6}$/.test(u),
          (u, c) =>
            typeof u === 'string' && /^[0-9a-fA-F]{6}$/.test(u)
              ? t.success(u)
              : t.failure(u, c, `expected six hex digits such as '0000ff', got ${JSON.stringify(u)}`),
          t.identity,
        ),
        volatile: t.boolean,
      },
      { type: oneOf('type', ['solid', 'flashing', 'off']) },
    ),
    encode: (a) => {
      const rgb = fromHex(a.RGB);
      // volatile = RAM only (store byte 0); otherwise kept in EEPROM (1).
      const head = [rgb[0]!, rgb[1]!, rgb[2]!, a.volatile ? 0 : 1];
      return a.type === undefined
        ? bytes(...head)
        : bytes(...head, ['solid', 'flashing', 'off'].indexOf(a.type));
    },
    decode: noPayload,
    encryption: 'optional',
    units: ['BANKNOTE_VALIDATOR', 'SMART_PAYOUT', ...TEBS_UNITS],
    description:
      "Bezel colour as hex 'rrggbb', kept in RAM (volatile) or EEPROM; type needs NV200 firmware 4.28+.",
  }),
  defineCommand({
    name: 'GET_TEBS_BARCODE',
    code: 0x65,
    args: NoArgs,
    encode: none,
    decode: rawPayload,
    encryption: 'optional',
    units: TEBS_UNITS,
    errors: 'tebsBarcode',
    description: 'Bar code of the fitted TEBS bag (raw digits).',
  }),
  defineCommand({
    name: 'GET_TEBS_LOG',
    code: 0x66,
    args: closed('GET_TEBS_LOG', { index: intRange(0, 4) }),
    encode: (a) => bytes(a.index),
    decode: rawPayload,
    encryption: 'optional',
    units: TEBS_UNITS,
    errors: 'tebsLog',
    description:
      'One TEBS log record (0 = newest); the record layout varies by firmware and is returned raw.',
  }),
  simple('CASHBOX_UNLOCK_ENABLE', 0x67, 'Allow the TEBS cashbox to be unlocked.', TEBS_UNITS, 'required'),
  simple('CASHBOX_LOCK_ENABLE', 0x68, 'Lock the TEBS cashbox.', TEBS_UNITS, 'required'),
  simple('RESET_TEBS_LOGS', 0x69, 'Clear the TEBS logs.', TEBS_UNITS),
  simple('ENABLE_TITO_EVENTS', 0x72, 'Report ticket-in/ticket-out events.', [
    'BANKNOTE_VALIDATOR',
    'ADDON_PRINTER',
  ]),
] as const;
