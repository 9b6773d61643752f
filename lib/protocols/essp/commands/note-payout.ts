/**
 * Rows of note-payout modules: the SMART Payout module switch and refill
 * mode, and the NV11 note float (stored notes, LIFO payout, reporting form).
 */
import * as t from 'io-ts';
import { bytes, readU32le } from '../../../core/bytes.js';
import { NoArgs, SMART_PAYOUTS, closed, need, noPayload, odd, oneOf } from './args.js';
import { none } from './simple.js';
import { defineCommand } from './types.js';

export const NOTE_PAYOUT_COMMANDS = [
  defineCommand({
    name: 'SET_REFILL_MODE',
    code: 0x30,
    args: closed('SET_REFILL_MODE', { mode: oneOf('mode', ['on', 'off', 'get']) }),
    encode: (a) =>
      a.mode === 'get'
        ? bytes(0x05, 0x81, 0x10, 0x01)
        : bytes(0x05, 0x81, 0x10, 0x11, a.mode === 'on' ? 1 : 0),
    decode: (p: Uint8Array) => (p.length >= 1 ? { enabled: p[0] === 1 } : {}),
    encryption: 'optional',
    units: SMART_PAYOUTS,
    description: 'Let the SMART Payout reject notes unfit for storage (on/off), or read the setting (get).',
  }),
  defineCommand({
    name: 'GET_NOTE_POSITIONS',
    code: 0x41,
    args: NoArgs,
    encode: none,
    decode: (p: Uint8Array) => {
      need('GET_NOTE_POSITIONS', p, 1);
      const n = p[0]!;
      // Report-by-value sends u32 per slot, report-by-channel one byte.
      if (p.length >= 1 + 4 * n && n > 0 && p.length !== 1 + n) {
        return {
          reportBy: 'value' as const,
          positions: Array.from({ length: n }, (_, i) => readU32le(p, 1 + 4 * i)),
        };
      }
      if (p.length < 1 + n) throw odd('GET_NOTE_POSITIONS', p, `${n} positions announced`);
      return { reportBy: 'channel' as const, positions: Array.from(p.subarray(1, 1 + n)) };
    },
    encryption: 'required',
    units: ['NOTE_FLOAT'],
    errors: 'notePositions',
    description:
      'Notes in the NV11 float, last entry = next to pay (value or channel, per SET_VALUE_REPORTING_TYPE).',
  }),
  defineCommand({
    name: 'PAYOUT_NOTE',
    code: 0x42,
    args: NoArgs,
    encode: none,
    decode: noPayload,
    encryption: 'required',
    units: ['NOTE_FLOAT'],
    errors: 'noteFloat',
    description: 'Pay out the last note stored in the NV11 float.',
  }),
  defineCommand({
    name: 'STACK_NOTE',
    code: 0x43,
    args: NoArgs,
    encode: none,
    decode: noPayload,
    encryption: 'required',
    units: ['NOTE_FLOAT'],
    errors: 'noteFloat',
    description: 'Move the last stored NV11 note to the cashbox.',
  }),
  defineCommand({
    name: 'SET_VALUE_REPORTING_TYPE',
    code: 0x45,
    args: closed('SET_VALUE_REPORTING_TYPE', { reportBy: oneOf('reportBy', ['value', 'channel']) }),
    encode: (a) => bytes(a.reportBy === 'value' ? 0 : 1),
    decode: noPayload,
    encryption: 'required',
    units: ['NOTE_FLOAT'],
    errors: 'noteFloat',
    description: 'NV11: report note values as amounts (value) or channel numbers (channel).',
  }),
  defineCommand({
    name: 'DISABLE_PAYOUT_DEVICE',
    code: 0x5b,
    args: NoArgs,
    encode: none,
    decode: noPayload,
    encryption: 'required',
    units: [...SMART_PAYOUTS, 'NOTE_FLOAT'],
    description: 'Route every accepted note to the stacker and refuse payout commands.',
  }),
  defineCommand({
    name: 'ENABLE_PAYOUT_DEVICE',
    code: 0x5c,
    args: closed(
      'ENABLE_PAYOUT_DEVICE',
      {},
      {
        REQUIRE_FULL_STARTUP: t.boolean,
        OPTIMISE_FOR_PAYIN_SPEED: t.boolean,
        GIVE_VALUE_ON_STORED: t.boolean,
        NO_HOLD_NOTE_ON_PAYOUT: t.boolean,
      },
    ),
    encode: (a) => {
      const given = Object.values(a).some((v) => v !== undefined);
      // Without options send no byte: older SMART Payout firmware takes none.
      if (!given) return none();
      const bit0 = a.REQUIRE_FULL_STARTUP === true || a.GIVE_VALUE_ON_STORED === true;
      const bit1 = a.OPTIMISE_FOR_PAYIN_SPEED === true || a.NO_HOLD_NOTE_ON_PAYOUT === true;
      return bytes((bit0 ? 1 : 0) | (bit1 ? 2 : 0));
    },
    decode: noPayload,
    encryption: 'required',
    units: [...SMART_PAYOUTS, 'NOTE_FLOAT'],
    errors: 'enablePayout',
    description: 'Enable the payout module; option bits differ between SMART Payout and NV11.',
  }),
] as const;
