/**
 * Shape of one row of the eSSP command table. Rows are plain data plus two
 * pure functions, so the command layer, the simulator and the CLI can all read
 * the same definition instead of each carrying its own switch statement.
 */
import type * as t from 'io-ts';
import type { EsspContext, UnitTypeName } from '../context.js';
import type { ErrorFamily } from '../generic.js';

export type EncryptionNeed = 'required' | 'optional';

export interface CommandDef<Name extends string, Args, Reply> {
  /** Command name as the legacy eSSP library spelled it (UPPER_SNAKE). */
  readonly name: Name;
  /** Command byte sent first in the DATA field. */
  readonly code: number;
  /** io-ts validator for user arguments; field names follow the legacy library. */
  readonly args: t.Type<Args, unknown>;
  /** Argument bytes that follow the command byte. May throw InvalidArgumentError for layout limits of the protocol version. */
  encode(args: Args, ctx: EsspContext): Uint8Array;
  /** Decode the payload after the 0xF0 byte. Throws DecodeError on short or inconsistent data. */
  decode(payload: Uint8Array, ctx: EsspContext): Reply;
  /** 'required': the device refuses the command unless it arrives inside an encrypted packet. */
  readonly encryption: EncryptionNeed;
  /** Unit types documented to support the command. */
  readonly units: readonly UnitTypeName[] | 'all';
  readonly description: string;
  /** Which table names the error byte that may follow 0xF5. */
  readonly errors?: ErrorFamily;
  /** Reply timeout when the default link timeout is too short. */
  readonly timeoutMs?: number;
}

/** Any row, whatever its argument and reply types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCommandDef = CommandDef<string, any, any>;

/** Identity helper that keeps the literal name and the inferred Args/Reply of a row. */
export function defineCommand<const Name extends string, Args, Reply>(
  def: CommandDef<Name, Args, Reply>,
): CommandDef<Name, Args, Reply> {
  return def;
}
