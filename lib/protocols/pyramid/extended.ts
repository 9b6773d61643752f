/**
 * Extended messages (CTL 0x70 | ack).
 *
 * Two request layouts exist: Pyramid puts the command byte and its data right
 * after CTL; EBDS puts the subtype, then the three omnibus bytes, then the
 * subtype's data. Replies share one layout: subtype, the six status bytes,
 * then the payload. Payload decoders are a table keyed by subtype; subtypes
 * without one keep their raw payload.
 */
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { ascii, concatBytes, fromAscii } from '../../core/bytes.js';
import { DecodeError, InvalidArgumentError } from '../../core/errors.js';
import { minorUnitDigits, type Money } from '../../core/money.js';
import {
  encodeFrame,
  encodeOmnibus,
  PyramidMessageType,
  type AckBit,
  type OmnibusOptions,
  type PyramidFrame,
} from './framing.js';
import {
  decodeStatusBytes,
  encodeStatusBytes,
  STATUS_LENGTH,
  type PyramidStatus,
  type PyramidStatusInit,
} from './status.js';

/** Extended subtypes the codecs below know by name. */
export const ExtendedSubtype = {
  /** Barcode voucher: 28 ASCII characters. */
  barcode: 0x01,
  /** EBDS extended note specification (query by index; also unsolicited note reports). */
  noteSpec: 0x02,
  /** EBDS set extended note inhibits. */
  noteInhibits: 0x03,
  /** EBDS set escrow timeout (notes, barcodes), seconds. */
  escrowTimeout: 0x04,
  /** EBDS note retrieved. */
  noteRetrieved: 0x0b,
} as const;

export const BARCODE_LENGTH = 28;
export const NOTE_SPEC_LENGTH = 18;

function frame7(ack: AckBit, data: Uint8Array): Uint8Array {
  return encodeFrame({ messageType: PyramidMessageType.extended, ack, data });
}

function checkSubtype(subtype: number): void {
  if (!Number.isInteger(subtype) || subtype < 0 || subtype > 0x7f) {
    throw new InvalidArgumentError(`Extended subtype must be 0..0x7F, got ${subtype}.`, { subtype });
  }
}

/** Pyramid layout: `02 LEN 7a CMD data… 03 CK` (no omnibus bytes). */
export function encodeExtendedRequest(
  ack: AckBit,
  command: number,
  data: Uint8Array = new Uint8Array(0),
): Uint8Array {
  checkSubtype(command);
  return frame7(ack, concatBytes(Uint8Array.of(command), data));
}

/** Pyramid barcode query `02 06 7a 01 03 CK`: the last barcode read since power-up. */
export function encodeBarcodeQuery(ack: AckBit): Uint8Array {
  return encodeExtendedRequest(ack, ExtendedSubtype.barcode);
}

/** EBDS layout: `02 LEN 7a SUB D0 D1 D2 extra… 03 CK`. Throws {@link InvalidArgumentError} on bad omnibus options. */
export function encodeEbdsExtendedCommand(
  ack: AckBit,
  subtype: number,
  omnibus: OmnibusOptions,
  extra: Uint8Array = new Uint8Array(0),
): Uint8Array {
  checkSubtype(subtype);
  return frame7(ack, concatBytes(Uint8Array.of(subtype), encodeOmnibus(omnibus), extra));
}

/** EBDS query of the note at `index` (1, 2, … until an empty record comes back). */
export function encodeNoteSpecQuery(ack: AckBit, index: number, omnibus: OmnibusOptions): Uint8Array {
  if (!Number.isInteger(index) || index < 1 || index > 0x7f) {
    throw new InvalidArgumentError(`Note specification index must be 1..127, got ${index}.`, { index });
  }
  return encodeEbdsExtendedCommand(ack, ExtendedSubtype.noteSpec, omnibus, Uint8Array.of(index));
}

/** EBDS device-side escrow timeouts in seconds (0..127 each). */
export function encodeEscrowTimeout(
  ack: AckBit,
  timeouts: { readonly notesSeconds: number; readonly barcodeSeconds: number },
  omnibus: OmnibusOptions,
): Uint8Array {
  for (const [k, v] of Object.entries(timeouts)) {
    if (!Number.isInteger(v) || v < 0 || v > 0x7f) {
      throw new InvalidArgumentError(`${k} must be an integer 0..127, got ${v}.`, { [k]: v });
    }
  }
  return encodeEbdsExtendedCommand(
    ack,
    ExtendedSubtype.escrowTimeout,
    omnibus,
    Uint8Array.of(timeouts.notesSeconds, timeouts.barcodeSeconds),
  );
}

/** One entry of the acceptor's note table, as reported by extended subtype 0x02. */
export interface NoteSpec {
  /** Note index; 0 in unsolicited reports, so match those by currency and value. */
  readonly index: number;
  readonly currency: string;
  /** Value in minor units; undefined when it is not a whole number of minor units. */
  readonly value: Money | undefined;
  /** The three-digit base and signed exponent as sent: value = base × 10^exponent (major units). */
  readonly base: number;
  readonly exponent: number;
  readonly orientation: number;
  readonly type: string;
  readonly series: string;
  readonly compatibility: string;
  readonly version: string;
  readonly classification: number;
}

export type ExtendedDetail =
  | { readonly kind: 'barcode'; readonly barcode: string }
  /** `spec` is undefined for the empty record that ends a table walk. */
  | { readonly kind: 'note-spec'; readonly spec: NoteSpec | undefined }
  | { readonly kind: 'raw' };

export interface ExtendedReply {
  readonly subtype: number;
  readonly status: PyramidStatus;
  /** Bytes after the status block. */
  readonly payload: Uint8Array;
  readonly detail: ExtendedDetail;
}

const DIGITS = /^[0-9]+$/;

function noteValue(currency: string, base: number, exponent: number): Money | undefined {
  const shift = exponent + minorUnitDigits(currency);
  if (shift >= 0) return { amount: base * 10 ** shift, currency };
  const div = 10 ** -shift;
  return base % div === 0 ? { amount: base / div, currency } : undefined;
}

function decodeNoteSpec(p: Uint8Array): Either<string, ExtendedDetail> {
  if (p.length < NOTE_SPEC_LENGTH) return left(`note specification needs 18 bytes, got ${p.length}`);
  const currency = ascii(p, 1, 3);
  if (!/^[A-Z]{3}$/.test(currency)) return right({ kind: 'note-spec', spec: undefined });
  const baseText = ascii(p, 4, 3);
  const sign = ascii(p, 7, 1);
  const expText = ascii(p, 8, 2);
  if (!DIGITS.test(baseText) || !DIGITS.test(expText) || (sign !== '+' && sign !== '-')) {
    return left(`note value '${baseText}${sign}${expText}' is not digits, sign, digits`);
  }
  const base = Number(baseText);
  const exponent = (sign === '-' ? -1 : 1) * Number(expText);
  const spec: NoteSpec = {
    index: p[0]!,
    currency,
    value: noteValue(currency, base, exponent),
    base,
    exponent,
    orientation: p[10]!,
    type: ascii(p, 11, 1),
    series: ascii(p, 12, 1),
    compatibility: ascii(p, 13, 1),
    version: ascii(p, 14, 1),
    classification: p[15]!,
  };
  return right({ kind: 'note-spec', spec });
}

/** Left-justified; padding is NUL or space on Pyramid and '(' on MEI, trimmed from the right. */
function decodeBarcode(p: Uint8Array): Either<string, ExtendedDetail> {
  return right({ kind: 'barcode', barcode: ascii(p, 0, BARCODE_LENGTH).replace(/[\0 (]+$/, '') });
}

const PAYLOAD_DECODERS: Readonly<Record<number, (payload: Uint8Array) => Either<string, ExtendedDetail>>> = {
  [ExtendedSubtype.barcode]: decodeBarcode,
  [ExtendedSubtype.noteSpec]: decodeNoteSpec,
};

/** Decode an acceptor's extended reply (type 0x7, at least subtype + six status bytes). Never throws. */
export function decodeExtendedReply(frame: PyramidFrame): Either<DecodeError, ExtendedReply> {
  const fail = (why: string): Either<DecodeError, ExtendedReply> =>
    left(new DecodeError(`Pyramid extended reply: ${why}.`, { protocol: 'pyramid' }));
  if (frame.messageType !== PyramidMessageType.extended) return fail(`message type ${frame.messageType}`);
  if (frame.data.length < 1 + STATUS_LENGTH) return fail(`only ${frame.data.length} data bytes`);
  const subtype = frame.data[0]!;
  const status = decodeStatusBytes(frame.data, 1);
  if (status._tag === 'Left') return status;
  const payload = frame.data.slice(1 + STATUS_LENGTH);
  const decoder = PAYLOAD_DECODERS[subtype];
  const detail: Either<string, ExtendedDetail> = decoder ? decoder(payload) : right({ kind: 'raw' });
  if (detail._tag === 'Left') return fail(detail.left);
  return right({ subtype, status: status.right, payload, detail: detail.right });
}

/** An acceptor's extended reply frame: subtype, status bytes, payload. */
export function encodeExtendedReply(
  ack: AckBit,
  subtype: number,
  status: PyramidStatusInit,
  payload: Uint8Array = new Uint8Array(0),
): Uint8Array {
  checkSubtype(subtype);
  return frame7(ack, concatBytes(Uint8Array.of(subtype), encodeStatusBytes(status), payload));
}

/** Barcode reply (40 bytes). `padding` fills the unused characters: NUL (Pyramid) or '(' (MEI). */
export function encodeBarcodeReply(
  ack: AckBit,
  status: PyramidStatusInit,
  barcode: string,
  padding: '\0' | '(' = '\0',
): Uint8Array {
  if (barcode.length > BARCODE_LENGTH || !/^[\x20-\x7e]*$/.test(barcode)) {
    throw new InvalidArgumentError(`Barcode must be at most 28 printable ASCII characters.`, { barcode });
  }
  return encodeExtendedReply(
    ack,
    ExtendedSubtype.barcode,
    status,
    fromAscii(barcode.padEnd(BARCODE_LENGTH, padding)),
  );
}
