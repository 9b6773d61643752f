/**
 * Building blocks shared by the command rows: io-ts codecs for argument
 * objects (closed, so a misspelt legacy field name is reported instead of
 * silently ignored), byte-level readers that raise DecodeError with context,
 * and the unit-type groups of the fact sheet's "devices" column.
 */
import * as t from 'io-ts';
import { intRange } from '../../../core/codec.js';
import { DecodeError, InvalidArgumentError } from '../../../core/errors.js';
import { ascii, fromAscii, toHex } from '../../../core/bytes.js';
import type { EsspContext, UnitTypeName } from '../context.js';

// ---------------------------------------------------------------- codecs

/** Commands without arguments accept nothing, `undefined` or `{}`. */
export const NoArgs: t.Type<undefined, unknown> = new t.Type<undefined, unknown>(
  'no arguments',
  (u): u is undefined => u === undefined,
  (u, c) =>
    u === undefined || u === null || (typeof u === 'object' && Object.keys(u).length === 0)
      ? t.success(undefined)
      : t.failure(u, c, 'this command takes no arguments'),
  () => undefined,
);

/**
 * An object codec that also rejects keys it does not know. `undefined` is read
 * as `{}` so rows whose fields are all optional can be called without args.
 */
// An empty `O` is the point: rows without optional fields.
// eslint-disable-next-line @typescript-eslint/no-generated-empty-object-type
export function closed<R extends t.Props, O extends t.Props = Record<never, never>>(
  name: string,
  required: R,
  optional?: O,
): t.Type<t.TypeOfProps<R> & t.TypeOfPartialProps<O>, unknown> {
  const req = t.type(required);
  const opt = t.partial(optional ?? ({} as O));
  const known = new Set([...Object.keys(required), ...Object.keys(optional ?? {})]);
  type A = t.TypeOfProps<R> & t.TypeOfPartialProps<O>;
  return new t.Type<A, unknown>(
    name,
    (u): u is A => req.is(u) && opt.is(u),
    (u, c) => {
      const value = u === undefined ? {} : u;
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        for (const key of Object.keys(value)) {
          if (!known.has(key)) {
            const list = [...known].join(', ') || 'none';
            return t.failure(
              (value as Record<string, unknown>)[key],
              [...c, { key, type: t.unknown, actual: value }],
              `unknown field (accepted fields: ${list})`,
            );
          }
        }
      }
      // Validated in two steps (not t.intersection) so error paths stay 'field', not '0.field'.
      const a = req.validate(value, c);
      if (a._tag === 'Left') return a;
      const b = opt.validate(value, c);
      if (b._tag === 'Left') return b;
      return t.success({ ...a.right, ...b.right });
    },
    t.identity,
  );
}

/** One of a fixed set of literals; the message lists them. */
export function oneOf<const L extends readonly (string | number)[]>(
  name: string,
  values: L,
): t.Type<L[number], unknown> {
  const set = new Set<unknown>(values);
  const list = values.map((v) => (typeof v === 'string' ? `'${v}'` : String(v))).join(', ');
  return new t.Type<L[number], unknown>(
    name,
    (u): u is L[number] => set.has(u),
    (u, c) =>
      set.has(u)
        ? t.success(u as L[number])
        : t.failure(u, c, `expected one of ${list}, got ${JSON.stringify(u)}`),
    t.identity,
  );
}

/** Integer minor units that fit the u32 fields of the protocol; floats are rejected. */
export const MinorUnits = intRange(0, 0xffffffff, 'minor units');
export const U8 = intRange(0, 0xff);
export const U16 = intRange(0, 0xffff);

/**
 * A positive u64 given as a bigint. The message never repeats the value:
 * these arguments are Diffie-Hellman numbers.
 */
export const SecretU64: t.Type<bigint, unknown> = new t.Type<bigint, unknown>(
  'u64',
  (u): u is bigint => typeof u === 'bigint' && u > 0n && u < 1n << 64n,
  (u, c) =>
    typeof u === 'bigint' && u > 0n && u < 1n << 64n
      ? t.success(u)
      : t.failure(undefined, c, 'expected a bigint from 1 to 2^64-1 (value not shown)'),
  t.identity,
);

/** Exactly 16 hex digits (a 64-bit fixed key). The message never repeats the value. */
export const HexKey64: t.Type<string, unknown> = new t.Type<string, unknown>(
  'fixed key',
  (u): u is string => typeof u === 'string' && /^[0-9a-fA-F]{16}$/.test(u),
  (u, c) =>
    typeof u === 'string' && /^[0-9a-fA-F]{16}$/.test(u)
      ? t.success(u)
      : t.failure(undefined, c, 'expected exactly 16 hex digits (value not shown)'),
  t.identity,
);

/** 0/1 (legacy style) or a boolean. */
export const Bit = t.union([t.literal(0), t.literal(1), t.boolean]);

// ---------------------------------------------------------------- encode helpers

export function invalid(command: string, field: string, message: string): InvalidArgumentError {
  return new InvalidArgumentError(`Invalid arguments for ${command}: field '${field}' ${message}.`, {
    command,
    field,
  });
}

/** Layouts with country codes and the test option exist only from protocol 6. */
export function requirePv6(command: string, ctx: EsspContext): void {
  if (ctx.protocolVersion < 6) {
    throw new InvalidArgumentError(
      `${command} needs protocol version 6 or later (in force: ${ctx.protocolVersion}). ` +
        'Send HOST_PROTOCOL_VERSION 6 first.',
      { command, field: 'protocolVersion' },
    );
  }
}

export function countryBytes(code: string): Uint8Array {
  return fromAscii(code);
}

/** SMART Hopper and SMART System use 16-bit coin values in pre-6 layouts. */
export function isHopperUnit(ctx: EsspContext): boolean {
  return ctx.unitType === 0x03 || ctx.unitType === 0x09;
}

// ---------------------------------------------------------------- decode helpers

/** Throw a DecodeError unless `payload` holds at least `length` bytes. */
export function need(command: string, payload: Uint8Array, length: number): void {
  if (payload.length < length) {
    throw new DecodeError(
      `${command} reply is too short: expected at least ${length} byte(s) after 0xF0, got ${payload.length}.`,
      { command, expected: length, actual: payload.length, hex: toHex(payload) },
    );
  }
}

export function odd(command: string, payload: Uint8Array, why: string): DecodeError {
  return new DecodeError(`${command} reply is inconsistent: ${why}.`, { command, hex: toHex(payload) });
}

export function readCountry(b: Uint8Array, offset: number): string {
  return ascii(b, offset, 3);
}

/** Rows whose reply carries no payload ignore any bytes a device appends. */
export const noPayload = (): undefined => undefined;

/** Replies we do not interpret are handed over as raw bytes (a copy). */
export const rawPayload = (payload: Uint8Array): { readonly data: Uint8Array } => ({ data: payload.slice() });

// ---------------------------------------------------------------- unit groups

/** V, SP, NF, T in the fact sheet: every unit with a note validator. */
export const NOTE_UNITS: readonly UnitTypeName[] = [
  'BANKNOTE_VALIDATOR',
  'SMART_PAYOUT',
  'NOTE_FLOAT',
  'TEBS',
  'TEBS_PAYOUT',
  'TEBS_TICKET',
];
export const SMART_PAYOUTS: readonly UnitTypeName[] = ['SMART_PAYOUT', 'TEBS_PAYOUT'];
export const HOPPERS: readonly UnitTypeName[] = ['SMART_HOPPER', 'SMART_SYSTEM'];
export const PRINTERS: readonly UnitTypeName[] = ['ADDON_PRINTER', 'STANDALONE_PRINTER'];
export const TEBS_UNITS: readonly UnitTypeName[] = ['TEBS', 'TEBS_PAYOUT', 'TEBS_TICKET'];
/** SH, SP, SS: units that pay out by value. */
export const VALUE_PAYOUTS: readonly UnitTypeName[] = [...HOPPERS, ...SMART_PAYOUTS];
/** NV200-class units with bar-code readers (NV200, SMART Payout, TEBS, NV12). */
export const BARCODE_UNITS: readonly UnitTypeName[] = [
  'BANKNOTE_VALIDATOR',
  ...SMART_PAYOUTS,
  ...TEBS_UNITS.filter((u) => u !== 'TEBS_PAYOUT'),
  'ADDON_PRINTER',
];
