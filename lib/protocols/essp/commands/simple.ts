/** The row of a command with no arguments and nothing but the status byte in its reply. */
import type { UnitTypeName } from '../context.js';
import { NoArgs, noPayload } from './args.js';
import { type EncryptionNeed, defineCommand } from './types.js';

/** Encoder of a command without argument bytes. */
export const none = (): Uint8Array => new Uint8Array(0);

export const simpleCommand = <const N extends string>(
  name: N,
  code: number,
  description: string,
  units: readonly UnitTypeName[] | 'all' = 'all',
  encryption: EncryptionNeed = 'optional',
) =>
  defineCommand({
    name,
    code,
    args: NoArgs,
    encode: none,
    decode: noPayload,
    encryption,
    units,
    description,
  });
