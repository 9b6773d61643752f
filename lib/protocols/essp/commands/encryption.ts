/**
 * Key-management rows. Diffie-Hellman numbers travel as u64 little-endian and
 * are sent in clear (there is no key yet). Argument errors never echo them.
 */
import { readU64le, u64le } from '../../../core/bytes.js';
import { HexKey64, NoArgs, SecretU64, closed, need } from './args.js';
import { none } from './simple.js';
import { defineCommand } from './types.js';

const noPayload = (): undefined => undefined;

export const ENCRYPTION_COMMANDS = [
  defineCommand({
    name: 'SET_GENERATOR',
    code: 0x4a,
    args: closed('SET_GENERATOR', { generator: SecretU64 }),
    encode: (a) => u64le(a.generator),
    decode: noPayload,
    encryption: 'optional',
    units: 'all',
    description: 'Diffie-Hellman generator (must be prime; PARAMETER_OUT_OF_RANGE otherwise).',
  }),
  defineCommand({
    name: 'SET_MODULUS',
    code: 0x4b,
    args: closed('SET_MODULUS', { modulus: SecretU64 }),
    encode: (a) => u64le(a.modulus),
    decode: noPayload,
    encryption: 'optional',
    units: 'all',
    description: 'Diffie-Hellman modulus (must be prime; PARAMETER_OUT_OF_RANGE otherwise).',
  }),
  defineCommand({
    name: 'REQUEST_KEY_EXCHANGE',
    code: 0x4c,
    args: closed('REQUEST_KEY_EXCHANGE', { key: SecretU64 }),
    encode: (a) => u64le(a.key),
    decode: (p: Uint8Array) => {
      need('REQUEST_KEY_EXCHANGE', p, 8);
      return { key: readU64le(p, 0) };
    },
    encryption: 'optional',
    units: 'all',
    description:
      "Send the host intermediate key; the reply is the device's intermediate key (FAIL before generator and modulus).",
  }),
  defineCommand({
    name: 'SET_FIXED_ENCRYPTION_KEY',
    code: 0x60,
    args: closed('SET_FIXED_ENCRYPTION_KEY', { fixedKey: HexKey64 }),
    // The 16 hex digits are the key as a number, e.g. '0123456701234567'; it goes out little-endian.
    encode: (a) => u64le(BigInt(`0x${a.fixedKey}`)),
    decode: noPayload,
    encryption: 'required',
    units: 'all',
    description: 'Replace the fixed half of the eSSP key (16 hex digits).',
  }),
  defineCommand({
    name: 'RESET_FIXED_ENCRYPTION_KEY',
    code: 0x61,
    args: NoArgs,
    encode: none,
    decode: noPayload,
    encryption: 'optional',
    units: 'all',
    description:
      'Restore the factory fixed key; the device then resets (it may refuse, e.g. with coins stored).',
  }),
] as const;
