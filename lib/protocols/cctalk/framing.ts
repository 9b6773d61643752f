/**
 * ccTalk frame codec (pure).
 *
 * Layout: [destination][N][source or CRC low][header][data × N][checksum or CRC high].
 * A frame is N + 5 bytes long; receivers find its end by counting, so the
 * codec needs nothing but the length byte.
 *
 * In `crc16` mode a frame carries no source address: the host knows who
 * answers from context, so decoded CRC frames simply have no `source`.
 */
import { type Either, left, right } from 'fp-ts/lib/Either.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { toHex } from '../../core/bytes.js';
import { type ChecksumMode, carriedCheck, checksumValid, expectedCheck, sealFrame } from './checksum.js';

/** Smallest and largest frame sizes (N = 0 and N = 255). */
export const MIN_FRAME_LENGTH = 5;
export const MAX_FRAME_LENGTH = 260;
/** Address of the host (the single master) and the broadcast address. */
export const HOST_ADDRESS = 1;
export const BROADCAST_ADDRESS = 0;

export interface CcTalkFrame {
  /** 0 broadcast, 1 host, 2–255 slaves. */
  readonly destination: number;
  /** Sender address. Absent in `crc16` frames (that byte holds the CRC low byte). */
  readonly source?: number;
  /** Command header; 0 in replies (ACK), 5 NAK, 6 BUSY. */
  readonly header: number;
  readonly data: Uint8Array;
}

/** What to put in a frame; `source` defaults to the host and is ignored in `crc16` mode. */
export interface CcTalkFrameInput {
  readonly destination: number;
  readonly source?: number;
  readonly header: number;
  readonly data?: Uint8Array;
}

export type FrameErrorReason =
  | 'short' // fewer bytes than 5 or than the length byte announces
  | 'trailing' // more bytes than the length byte announces
  | 'checksum'; // the check bytes do not match

export interface CcTalkFrameError {
  readonly reason: FrameErrorReason;
  readonly message: string;
  readonly hex: string;
  /** For 'checksum': the check value the bytes call for and the one they carry. */
  readonly expected?: number;
  readonly actual?: number;
}

function byteField(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 255) {
    throw new InvalidArgumentError(
      `ccTalk frame field '${name}' must be an integer from 0 to 255, got ${String(value)}.`,
      {
        field: name,
        value,
      },
    );
  }
  return value;
}

/**
 * Build a frame with its check bytes. Throws {@link InvalidArgumentError}
 * (naming the field) for an address/header outside 0–255 or more than 255
 * data bytes; nothing is built then.
 */
export function encodeFrame(input: CcTalkFrameInput, mode: ChecksumMode): Uint8Array {
  const destination = byteField('destination', input.destination);
  const source = mode === 'simple' ? byteField('source', input.source ?? HOST_ADDRESS) : 0;
  const header = byteField('header', input.header);
  const data = input.data ?? new Uint8Array(0);
  if (data.length > 255) {
    throw new InvalidArgumentError(`ccTalk frame field 'data' holds at most 255 bytes, got ${data.length}.`, {
      field: 'data',
      length: data.length,
    });
  }
  const frame = new Uint8Array(data.length + MIN_FRAME_LENGTH);
  frame[0] = destination;
  frame[1] = data.length;
  frame[2] = source;
  frame[3] = header;
  frame.set(data, 4);
  return sealFrame(frame, mode);
}

function failure(
  reason: FrameErrorReason,
  message: string,
  bytes: Uint8Array,
  extra: Partial<CcTalkFrameError> = {},
) {
  return left<CcTalkFrameError, CcTalkFrame>({ reason, message, hex: toHex(bytes), ...extra });
}

/** Read the fields of a whole, already verified frame. */
export function frameFields(bytes: Uint8Array, mode: ChecksumMode): CcTalkFrame {
  const base = { destination: bytes[0]!, header: bytes[3]!, data: bytes.slice(4, bytes.length - 1) };
  return mode === 'simple' ? { ...base, source: bytes[2]! } : base;
}

/**
 * Decode exactly one frame. Never throws: short input, extra bytes and a bad
 * checksum come back as a {@link CcTalkFrameError} with a typed reason.
 */
export function decodeFrame(bytes: Uint8Array, mode: ChecksumMode): Either<CcTalkFrameError, CcTalkFrame> {
  if (bytes.length < MIN_FRAME_LENGTH) {
    return failure('short', `A ccTalk frame has at least 5 bytes, got ${bytes.length}.`, bytes);
  }
  const expectedLength = bytes[1]! + MIN_FRAME_LENGTH;
  if (bytes.length < expectedLength) {
    return failure('short', `Length byte announces ${expectedLength} bytes, got ${bytes.length}.`, bytes);
  }
  if (bytes.length > expectedLength) {
    return failure('trailing', `Length byte announces ${expectedLength} bytes, got ${bytes.length}.`, bytes);
  }
  if (!checksumValid(bytes, mode)) {
    const expected = expectedCheck(bytes, mode);
    const actual = carriedCheck(bytes, mode);
    return failure(
      'checksum',
      `ccTalk ${mode} check mismatch (expected ${expected}, got ${actual}).`,
      bytes,
      {
        expected,
        actual,
      },
    );
  }
  return right(frameFields(bytes, mode));
}

export interface SplitPart {
  /** Offset of the part in the input. */
  readonly offset: number;
  readonly raw: Uint8Array;
  readonly result: Either<CcTalkFrameError, CcTalkFrame>;
}

/**
 * Cut a byte string holding consecutive frames (e.g. a request and its reply
 * pasted on one line) into parts by their own length bytes. A bad checksum
 * does not stop the walk; a final incomplete part is reported as 'short'.
 */
export function splitFrames(bytes: Uint8Array, mode: ChecksumMode): SplitPart[] {
  const parts: SplitPart[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const announced = bytes.length - offset >= 2 ? bytes[offset + 1]! + MIN_FRAME_LENGTH : MIN_FRAME_LENGTH;
    const raw = bytes.slice(offset, Math.min(bytes.length, offset + announced));
    parts.push({ offset, raw, result: decodeFrame(raw, mode) });
    offset += raw.length;
  }
  return parts;
}
