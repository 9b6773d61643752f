/**
 * The building blocks of the ccTalk header table: argument codecs (io-ts
 * validation, then the data bytes) and reply decoders (data bytes to values,
 * never throwing). Multi-byte numbers are little-endian.
 */
import * as t from 'io-ts';
import { type Either, left, right } from 'fp-ts/lib/Either.js';
import { ascii, concatBytes, toHex } from '../../core/bytes.js';
import { intRange } from '../../core/codec.js';
import { DecodeError, InvalidArgumentError } from '../../core/errors.js';

export interface ArgCodec<A> {
  /** Validates caller input; failures name the field. */
  readonly type: t.Type<A, unknown>;
  /** Data bytes for validated arguments. May throw InvalidArgumentError for cross-field rules. */
  readonly encode: (args: A) => Uint8Array;
}
export type ReplyDecoder<R> = (data: Uint8Array) => Either<DecodeError, R>;

// ---- argument codecs -------------------------------------------------------

const EMPTY = new Uint8Array(0);

const noArgsType = new t.Type<undefined, unknown>(
  'no arguments',
  (u): u is undefined => u === undefined,
  (u, c) =>
    u === undefined || (typeof u === 'object' && u !== null && Object.keys(u).length === 0)
      ? t.success(undefined)
      : t.failure(u, c, `this command takes no arguments, got ${JSON.stringify(u)}`),
  () => undefined,
);
export const none: ArgCodec<undefined> = { type: noArgsType, encode: () => EMPTY };
export const fixed = (...data: number[]): ArgCodec<undefined> => ({
  type: noArgsType,
  encode: () => Uint8Array.from(data),
});

function le(value: number, width: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < width; i++) out.push(Math.floor(value / 2 ** (8 * i)) & 0xff);
  return out;
}

type Field = readonly [name: string, width: 1 | 2 | 3 | 4, min: number, max: number];
type FieldsOf<F extends readonly Field[]> = { readonly [P in F[number] as P[0]]: number };

/** Integer fields sent in order, each little-endian over `width` bytes. */
export function fields<const F extends readonly Field[]>(...spec: F): ArgCodec<FieldsOf<F>> {
  const props: Record<string, t.Mixed> = {};
  for (const [name, , min, max] of spec) props[name] = intRange(min, max);
  return {
    type: t.type(props) as unknown as t.Type<FieldsOf<F>, unknown>,
    encode: (a) => {
      const rec = a as Readonly<Record<string, number>>;
      return Uint8Array.from(spec.flatMap(([name, width]) => le(rec[name]!, width)));
    },
  };
}
export function byteArg<K extends string>(
  name: K,
  min = 0,
  max = 255,
): ArgCodec<{ readonly [P in K]: number }> {
  return fields([name, 1, min, max] as const) as unknown as ArgCodec<{ readonly [P in K]: number }>;
}

function byteArray(min: number, max: number): t.Type<Uint8Array, unknown> {
  const ok = (u: unknown): u is Uint8Array => u instanceof Uint8Array && u.length >= min && u.length <= max;
  return new t.Type<Uint8Array, unknown>(
    `Uint8Array of ${min}..${max} bytes`,
    ok,
    (u, c) => (ok(u) ? t.success(u) : t.failure(u, c, `expected a Uint8Array of ${min} to ${max} bytes`)),
    t.identity,
  );
}
/** Free-form data bytes (vendor, firmware, data blocks, crypto material). */
export function raw(min = 0, max = 255): ArgCodec<{ readonly data: Uint8Array }> {
  return { type: t.type({ data: byteArray(min, max) }), encode: (a) => a.data };
}

function asciiType(length: number, pattern: RegExp): t.Type<string, unknown> {
  const ok = (u: unknown): u is string => typeof u === 'string' && u.length === length && pattern.test(u);
  return new t.Type<string, unknown>(
    `${length} ASCII chars`,
    ok,
    (u, c) =>
      ok(u) ? t.success(u) : t.failure(u, c, `expected ${length} characters matching ${String(pattern)}`),
    t.identity,
  );
}
const asciiBytes = (text: string): Uint8Array => Uint8Array.from(text, (ch) => ch.charCodeAt(0));
export const country: ArgCodec<{ readonly country: string }> = {
  type: t.type({ country: asciiType(2, /^[A-Z]{2}$/) }),
  encode: (a) => asciiBytes(a.country),
};

/** A leading position byte followed by an ASCII id (185 modify coin id, 158 modify bill id). */
export function positionAndId<K extends string>(
  pos: K,
  length: number,
): ArgCodec<{ readonly [P in K]: number } & { readonly id: string }> {
  type A = { readonly [P in K]: number } & { readonly id: string };
  return {
    type: t.type({ [pos]: intRange(1, 255), id: asciiType(length, /^[\x20-\x7e]+$/) }) as unknown as t.Type<
      A,
      unknown
    >,
    encode: (a) =>
      concatBytes(Uint8Array.of((a as Readonly<Record<string, number>>)[pos]!), asciiBytes(a.id)),
  };
}

/** Optional integer field: absent (undefined) or in range. */
function optionalInt(min: number, max: number): t.Type<number | undefined, unknown> {
  const inner = intRange(min, max);
  return new t.Type<number | undefined, unknown>(
    `optional ${inner.name}`,
    (u): u is number | undefined => u === undefined || inner.is(u),
    (u, c) => (u === undefined ? t.success(undefined) : inner.validate(u, c)),
    t.identity,
  );
}

/** Inhibit masks: bit n-1 = position n, 1 = enabled; `bytes` (default 2) masks on the wire. */
export const inhibitMask: ArgCodec<{ readonly mask: number; readonly bytes?: number }> = {
  type: t.type({ mask: intRange(0, 0xffffffff), bytes: optionalInt(1, 4) }) as t.Type<
    { readonly mask: number; readonly bytes?: number },
    unknown
  >,
  encode: ({ mask, bytes = 2 }) => {
    if (mask >= 2 ** (8 * bytes)) {
      throw new InvalidArgumentError(
        `Invalid arguments: field 'mask' ${mask} does not fit in ${bytes} byte(s).`,
        {
          field: 'mask',
          mask,
          bytes,
        },
      );
    }
    return Uint8Array.from(le(mask, bytes));
  },
};

export function flag<K extends string>(
  name: K,
  on: number,
  off: number,
): ArgCodec<Readonly<Record<K, boolean>>> {
  return {
    type: t.type({ [name]: t.boolean }) as unknown as t.Type<Readonly<Record<K, boolean>>, unknown>,
    encode: (a) => Uint8Array.of(a[name] ? on : off),
  };
}

export function choice<K extends string, V extends string>(name: K, codes: Readonly<Record<V, number>>) {
  const keys = Object.fromEntries(Object.keys(codes).map((k) => [k, null])) as Record<V, null>;
  return {
    type: t.type({ [name]: t.keyof(keys) }) as unknown as t.Type<Readonly<Record<K, V>>, unknown>,
    encode: (a: Readonly<Record<K, V>>) => Uint8Array.of(codes[a[name]]),
  } satisfies ArgCodec<Readonly<Record<K, V>>>;
}

export const billModes: ArgCodec<{ readonly stacker: boolean; readonly escrow: boolean }> = {
  type: t.type({ stacker: t.boolean, escrow: t.boolean }),
  encode: (a) => Uint8Array.of((a.stacker ? 1 : 0) | (a.escrow ? 2 : 0)),
};

/** 6-digit encryption code as BCD pairs, low nibble = first digit of each pair: 123456 → 21 43 65. */
export const bcdKey: ArgCodec<{ readonly code: string }> = {
  type: t.type({
    code: new t.Type<string, unknown>(
      'six decimal digits',
      (u): u is string => typeof u === 'string' && /^\d{6}$/.test(u),
      (u, c) =>
        typeof u === 'string' && /^\d{6}$/.test(u)
          ? t.success(u)
          : t.failure(u, c, 'expected six decimal digits'),
      t.identity,
    ),
  }),
  encode: ({ code }) => {
    const d = Array.from(code, Number);
    return Uint8Array.of(d[0]! | (d[1]! << 4), d[2]! | (d[3]! << 4), d[4]! | (d[5]! << 4));
  },
};

export const sorterPaths: ArgCodec<{ readonly position: number; readonly paths: readonly number[] }> = {
  type: t.type({
    position: intRange(1, 255),
    paths: new t.Type<readonly number[], unknown>(
      '1 or 4 sorter paths 0..8',
      (u): u is readonly number[] =>
        Array.isArray(u) && (u.length === 1 || u.length === 4) && u.every((p) => intRange(0, 8).is(p)),
      (u, c) =>
        Array.isArray(u) && (u.length === 1 || u.length === 4) && u.every((p) => intRange(0, 8).is(p))
          ? t.success(u)
          : t.failure(u, c, 'expected 1 or 4 sorter paths, each 0 to 8'),
      t.identity,
    ),
  }),
  encode: (a) => Uint8Array.from([a.position, ...a.paths]),
};

/** Dispense with security bytes (8-byte cipher, or the 3-byte serial) then a count/value. */
export function dispense(countWidth: 1 | 2, countMax: number) {
  const type = t.type({ security: byteArray(3, 8), count: intRange(1, countMax) });
  return {
    type,
    encode: (a: t.TypeOf<typeof type>) => concatBytes(a.security, Uint8Array.from(le(a.count, countWidth))),
  } satisfies ArgCodec<t.TypeOf<typeof type>>;
}

// ---- reply decoders --------------------------------------------------------

const fail = (what: string, data: Uint8Array) =>
  left(new DecodeError(`${what}, got ${data.length} byte(s)`, { hex: toHex(data) }));

export const ack: ReplyDecoder<undefined> = (d) =>
  d.length === 0 ? right(undefined) : fail('expected ACK (no data)', d);
export const bytesOut: ReplyDecoder<Uint8Array> = (d) => right(d.slice());
/** ASCII text; trailing pad spaces removed. */
export const text: ReplyDecoder<string> = (d) => right(ascii(d).replace(/ +$/, ''));
const readLe = (d: Uint8Array, at: number, width: number): number => {
  let v = 0;
  for (let i = width - 1; i >= 0; i--) v = v * 256 + d[at + i]!;
  return v;
};
export function uint(min: number, max = min): ReplyDecoder<number> {
  return (d) =>
    d.length >= min && d.length <= max
      ? right(readLe(d, 0, d.length))
      : fail(`expected ${min}..${max} bytes`, d);
}
export const u8 = uint(1);
export const u16 = uint(2);
export const u24 = uint(3);
export const u32 = uint(4);
export const i8: ReplyDecoder<number> = (d) =>
  d.length === 1 ? right((d[0]! << 24) >> 24) : fail('expected 1 byte', d);
export const i32: ReplyDecoder<number> = (d) =>
  d.length === 4 ? right(readLe(d, 0, 4) | 0) : fail('expected 4 bytes', d);

/** Fixed-layout reply: integer fields in order, little-endian. */
export function struct<const F extends readonly (readonly [string, number])[]>(
  ...spec: F
): ReplyDecoder<{ readonly [P in F[number] as P[0]]: number }> {
  const size = spec.reduce((n, [, w]) => n + w, 0);
  return (d) => {
    if (d.length !== size) return fail(`expected ${size} bytes`, d);
    const out: Record<string, number> = {};
    let at = 0;
    for (const [name, width] of spec) {
      out[name] = readLe(d, at, width);
      at += width;
    }
    return right(out as { readonly [P in F[number] as P[0]]: number });
  };
}
/** ACK, or a single status byte (escrow/route results). */
export const ackOrByte: ReplyDecoder<number | undefined> = (d) => (d.length === 0 ? right(undefined) : u8(d));

// prettier-ignore
const POLL_UNITS_MS: readonly (number | undefined)[] = [
  undefined,
  1,
  10,
  1000,
  60_000,
  3_600_000,
  86_400_000,
  604_800_000,
];
export interface PollingPriority {
  readonly units: number;
  readonly value: number;
  /** Recommended poll interval; undefined for special codes (0/0 see manual, 0/255 hardware poll line) and months/years. */
  readonly intervalMs: number | undefined;
}
export const pollingPriority: ReplyDecoder<PollingPriority> = (d) => {
  if (d.length !== 2) return fail('expected 2 bytes', d);
  const [units, value] = [d[0]!, d[1]!];
  const unitMs = POLL_UNITS_MS[units];
  return right({ units, value, intervalMs: unitMs === undefined ? undefined : unitMs * value });
};
export const serial: ReplyDecoder<number> = uint(3, 4);
export const masterInhibit: ReplyDecoder<{ readonly accepting: boolean }> = (d) =>
  d.length === 1 ? right({ accepting: (d[0]! & 1) === 1 }) : fail('expected 1 byte', d);
export const billMode: ReplyDecoder<{ readonly stacker: boolean; readonly escrow: boolean }> = (d) =>
  d.length === 1
    ? right({ stacker: (d[0]! & 1) !== 0, escrow: (d[0]! & 2) !== 0 })
    : fail('expected 1 byte', d);
export const paths: ReplyDecoder<readonly number[]> = (d) =>
  d.length === 1 || d.length === 4 ? right(Array.from(d)) : fail('expected 1 or 4 paths', d);
export const hopperCoin: ReplyDecoder<{ readonly coinId: string; readonly value: number }> = (d) =>
  d.length === 8 ? right({ coinId: ascii(d, 0, 6), value: readLe(d, 6, 2) }) : fail('expected 8 bytes', d);
export const idText =
  (length: number): ReplyDecoder<string> =>
  (d) =>
    d.length === length ? right(ascii(d)) : fail(`expected ${length} characters`, d);
export const dispenseReply: ReplyDecoder<number | undefined> = (d) =>
  d.length <= 1 ? right(d[0]) : fail('expected ACK or event counter', d);
const ROUTE: Readonly<Record<number, 'escrow-empty' | 'failed'>> = { 254: 'escrow-empty', 255: 'failed' };
export const routeBill: ReplyDecoder<'ok' | 'escrow-empty' | 'failed' | number> = (d) =>
  d.length === 0
    ? right('ok')
    : d.length === 1
      ? right(ROUTE[d[0]!] ?? d[0]!)
      : fail('expected ACK or 1 byte', d);

/** 163 register bits (1 = condition present), register by register. */
const HOPPER_TEST_BITS: readonly (readonly string[])[] = [
  ['max current exceeded', 'payout timeout', 'motor reversed to clear jam', 'opto path blocked while idle',
    'opto short-circuit while idle', 'opto blocked permanently during payout', 'power-up detected', 'payout disabled'],
  ['opto short-circuit during payout', 'single coin mode', 'use other hopper for change', 'finger/slider opto mismatch',
    'motor reverse limit reached', 'inductive coil fault', 'NV memory checksum error', 'PIN mechanism enabled'],
  ['power-down during payout', 'unknown coin type paid', 'PIN incorrect', 'incorrect cipher key', 'encryption enabled'],
]; // prettier-ignore
export interface HopperTest {
  readonly registers: readonly number[];
  /** Names of the set bits that the spec defines. */
  readonly flags: readonly string[];
}
export const hopperTest: ReplyDecoder<HopperTest> = (d) => {
  if (d.length < 1 || d.length > 4) return fail('expected 1 to 4 registers', d);
  const flags: string[] = [];
  d.forEach((reg, r) => {
    for (let bit = 0; bit < 8; bit++) {
      const name = HOPPER_TEST_BITS[r]?.[bit];
      if (reg & (1 << bit) && name) flags.push(name);
    }
  });
  return right({ registers: Array.from(d), flags });
};
export const highLow: ReplyDecoder<{
  readonly belowLow: boolean;
  readonly atOrAboveHigh: boolean;
  readonly lowSensor: boolean;
  readonly highSensor: boolean;
}> = (d) =>
  d.length === 1
    ? right({
        belowLow: (d[0]! & 1) !== 0,
        atOrAboveHigh: (d[0]! & 2) !== 0,
        lowSensor: (d[0]! & 16) !== 0,
        highSensor: (d[0]! & 32) !== 0,
      })
    : fail('expected 1 byte', d);
