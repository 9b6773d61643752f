/**
 * The eSSP command table: every row of the family files indexed by name,
 * with mapped types so that a command's argument and reply types follow from
 * its name, and the two entry points the link layer uses: encodeCommand
 * (validated bytes for the DATA field) and decodeReply (generic status,
 * typed payload, or the named 0xF5 error).
 */
import type * as t from 'io-ts';
import { validateOrThrow } from '../../../core/codec.js';
import { DecodeError, UnknownCommandError } from '../../../core/errors.js';
import { concatBytes, bytes, toHex } from '../../../core/bytes.js';
import { DEFAULT_CONTEXT, unitTypeName, type EsspContext } from '../context.js';
import { f5Error, genericName, type F5Error, type GenericName } from '../generic.js';
import { CORE_COMMANDS } from './core.js';
import { ENCRYPTION_COMMANDS } from './encryption.js';
import { HOPPER_COMMANDS } from './hopper.js';
import { NOTE_PAYOUT_COMMANDS } from './note-payout.js';
import { PAYOUT_COMMANDS } from './payout.js';
import { NoArgs } from './args.js';
import { none } from './simple.js';
import type { AnyCommandDef } from './types.js';
import { VALIDATOR_COMMANDS } from './validator.js';

const ROWS = [
  ...CORE_COMMANDS,
  ...VALIDATOR_COMMANDS,
  ...PAYOUT_COMMANDS,
  ...NOTE_PAYOUT_COMMANDS,
  ...HOPPER_COMMANDS,
  ...ENCRYPTION_COMMANDS,
] as const;

type Row = (typeof ROWS)[number];

/** The table type: command name → its row. */
export type EsspCommands = { readonly [R in Row as R['name']]: R };
export type EsspCommandName = Row['name'];
/** Validated argument type of a command (`undefined` for commands without arguments). */
export type ArgsOf<N extends EsspCommandName> = t.TypeOf<EsspCommands[N]['args']>;
/** Decoded OK payload of a command (`undefined` when the reply carries none). */
export type ReplyOf<N extends EsspCommandName> = ReturnType<EsspCommands[N]['decode']>;
/** Argument list for a call site: optional when the command takes none or only optional fields. */
export type ArgsParam<N extends EsspCommandName> =
  undefined extends ArgsOf<N>
    ? [args?: ArgsOf<N>]
    : // eslint-disable-next-line @typescript-eslint/no-generated-empty-object-type -- rows with only optional fields
      Partial<ArgsOf<N>> extends ArgsOf<N>
      ? [args?: ArgsOf<N>]
      : [args: ArgsOf<N>];

/** What a caller may pass as arguments: `undefined` is allowed when nothing is required. */
export type ArgsInput<N extends EsspCommandName> =
  [] extends ArgsParam<N> ? ArgsOf<N> | undefined : ArgsOf<N>;

/** All rows, keyed by name. */
export const ESSP_COMMANDS: EsspCommands = Object.freeze(
  Object.fromEntries(ROWS.map((row) => [row.name, row])),
) as unknown as EsspCommands;

/** All rows in table order. */
export const ESSP_COMMAND_LIST: readonly AnyCommandDef[] = ROWS;

const BY_CODE = new Map<number, AnyCommandDef>(ROWS.map((row) => [row.code, row]));
const BY_NAME = new Map<string, AnyCommandDef>(ROWS.map((row) => [row.name, row]));

/** The row for a command byte, if the table has one. */
export function commandByCode(code: number): AnyCommandDef | undefined {
  return BY_CODE.get(code);
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(up + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}

/** Up to three table names close to `name` (edit distance or shared words), best first. */
export function suggestCommands(name: string): string[] {
  const wanted = name
    .trim()
    .toUpperCase()
    .replace(/[\s-]+/g, '_');
  const words = wanted.split('_').filter((w) => w.length > 2);
  const scored = ROWS.map((row) => {
    const d = distance(wanted, row.name);
    const shared = words.filter((w) => row.name.split('_').includes(w)).length;
    return {
      name: row.name,
      score: d - 3 * shared,
      close: d <= Math.max(2, Math.floor(wanted.length / 3)) || shared > 0,
    };
  });
  return scored
    .filter((s) => s.close)
    .sort((a, b) => a.score - b.score || a.name.localeCompare(b.name))
    .slice(0, 3)
    .map((s) => s.name);
}

/** The row for `name`, or an UnknownCommandError with suggestions. */
export function lookupCommand(name: string): AnyCommandDef {
  const row = BY_NAME.get(name);
  if (!row) throw new UnknownCommandError('eSSP', name, suggestCommands(name));
  return row;
}

/** Whether the table lists `unitType` (a code from SETUP REQUEST) for the command. */
export function isSupportedBy(name: EsspCommandName, unitType: number): boolean {
  const units = lookupCommand(name).units;
  return units === 'all' || units.includes(unitTypeName(unitType));
}

/**
 * Bytes of the DATA field for a command: its code followed by its encoded
 * arguments. Validates first; on bad input throws InvalidArgumentError (naming
 * the field) and produces no bytes.
 */
export function encodeCommand<N extends EsspCommandName>(
  name: N,
  args: ArgsInput<N>,
  ctx: EsspContext = DEFAULT_CONTEXT,
): Uint8Array {
  return encodeCommandByName(name, args, ctx);
}

/** Untyped form for names that arrive at run time (CLI, compatibility layer). */
export function encodeCommandByName(
  name: string,
  args: unknown,
  ctx: EsspContext = DEFAULT_CONTEXT,
): Uint8Array {
  return encodeCommandRow(lookupCommand(name), args, ctx);
}

/** {@link encodeCommandByName} for a row already looked up (the session has it at hand). */
export function encodeCommandRow(
  row: AnyCommandDef,
  args: unknown,
  ctx: EsspContext = DEFAULT_CONTEXT,
): Uint8Array {
  // The common case on every poll: nothing to validate, nothing to encode.
  if (args === undefined && row.args === NoArgs && row.encode === none) return Uint8Array.of(row.code);
  const valid: unknown = validateOrThrow(row.args, args, row.name);
  const body: Uint8Array = row.encode(valid, ctx);
  return concatBytes(bytes(row.code), body);
}

export interface EsspReply<N extends EsspCommandName = EsspCommandName> {
  readonly status: GenericName;
  /** The generic response byte (0xF0 for OK). */
  readonly code: number;
  /** Decoded payload, present on OK when the command has one. */
  readonly info?: ReplyOf<N>;
  /** The byte after 0xF5, named from the command's error table. */
  readonly error?: F5Error;
}

/**
 * Decode the DATA field of a reply (generic status byte first). Throws
 * DecodeError on an empty reply, an unknown status byte, or an OK payload
 * that does not fit the command's layout.
 */
export function decodeReply<N extends EsspCommandName>(
  name: N,
  data: Uint8Array,
  ctx: EsspContext = DEFAULT_CONTEXT,
): EsspReply<N> {
  return decodeReplyRow(lookupCommand(name), data, ctx);
}

/** {@link decodeReply} for a row already looked up (a command in flight has it at hand). */
export function decodeReplyRow(
  row: AnyCommandDef,
  data: Uint8Array,
  ctx: EsspContext = DEFAULT_CONTEXT,
): EsspReply {
  const code = data[0];
  if (code === undefined) throw new DecodeError(`Empty reply to ${row.name}.`, { command: row.name });
  // OK, by far the most common answer, without the table lookup.
  const status = code === 0xf0 ? 'OK' : genericName(code);
  if (status === undefined) {
    throw new DecodeError(
      `Reply to ${row.name} starts with 0x${code.toString(16)}, which is not a generic response.`,
      {
        command: row.name,
        hex: toHex(data),
      },
    );
  }
  if (status === 'OK') {
    // A copy, not a view: a reply is a few bytes held inside V8's heap, and any
    // view of it (subarray, or a new array on its buffer) first moves it out
    // of the heap, which costs several times the copy.
    const payload = data.slice(1);
    const info = row.decode(payload, ctx) as EsspReply['info'];
    return info === undefined ? { status, code } : { status, code, info };
  }
  const extra = data[1];
  if (status === 'COMMAND_CANNOT_BE_PROCESSED' && extra !== undefined) {
    return { status, code, error: f5Error(extra, row.errors) };
  }
  return { status, code };
}
