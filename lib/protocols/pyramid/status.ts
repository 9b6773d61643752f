/**
 * The six acceptor status bytes S0-S5 (standard reply data, and the status
 * block of every extended reply), as a typed value and back.
 *
 * Bits are described by one table so decoding and encoding cannot drift apart.
 * Every bit a 7-bit line can carry is kept (S3 verbatim), so any six status
 * bytes decode and re-encode to themselves. Reserved bits are never rejected:
 * units are known to set them.
 */
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { DecodeError, InvalidArgumentError } from '../../core/errors.js';
import { encodeFrame, PyramidMessageType, type AckBit, type PyramidFrame } from './framing.js';

export type StatusFlag =
  // S0: transport state, plus the one-shot stacked/returned events
  | 'idling'
  | 'accepting'
  | 'escrowed'
  | 'stacking'
  | 'stacked'
  | 'returning'
  | 'returned'
  // S1: events and conditions
  | 'cheated'
  | 'rejected'
  | 'jammed'
  | 'stackerFull'
  | 'cassettePresent'
  | 'paused'
  | 'calibrating'
  // S2: exceptions
  | 'powerUp'
  | 'invalidCommand'
  | 'failure'
  | 'transportOpen';

/** Which status byte and bit each flag lives in. */
export const STATUS_BITS: Readonly<Record<StatusFlag, readonly [byte: number, bit: number]>> = {
  idling: [0, 0],
  accepting: [0, 1],
  escrowed: [0, 2],
  stacking: [0, 3],
  stacked: [0, 4],
  returning: [0, 5],
  returned: [0, 6],
  cheated: [1, 0],
  rejected: [1, 1],
  jammed: [1, 2],
  stackerFull: [1, 3],
  /** 1 = cashbox in place; 0 = removed. Stackerless Pyramid models always report 1. */
  cassettePresent: [1, 4],
  /** EBDS only; reserved on Pyramid. */
  paused: [1, 5],
  /** EBDS only; reserved on Pyramid. */
  calibrating: [1, 6],
  powerUp: [2, 0],
  invalidCommand: [2, 1],
  failure: [2, 2],
  /** EBDS only; reserved on Pyramid. */
  transportOpen: [2, 6],
};

const FLAGS = Object.keys(STATUS_BITS) as StatusFlag[];

export type PyramidStatus = { readonly [K in StatusFlag]: boolean } & {
  /** S2 bits 3-5: 0 = none/unknown, 1..7 = note index (same numbering as the enable mask). */
  readonly noteIndex: number;
  /** S3 as received: reserved on Pyramid, miscellaneous flags on EBDS (see {@link ebdsMiscFlags}). */
  readonly misc: number;
  /** S4: model code (Pyramid numeric, EBDS usually an ASCII letter). */
  readonly model: number;
  /** S5: firmware revision byte as sent; its formatting differs by maker. */
  readonly revision: number;
};

/** Anything not given is false / 0. */
export type PyramidStatusInit = Partial<PyramidStatus>;

/** Number of status bytes. */
export const STATUS_LENGTH = 6;

/** Decode S0-S5 starting at `offset`. Never throws; fails only when fewer than six bytes are there. */
export function decodeStatusBytes(data: Uint8Array, offset = 0): Either<DecodeError, PyramidStatus> {
  if (!Number.isInteger(offset) || offset < 0 || data.length - offset < STATUS_LENGTH) {
    return left(
      new DecodeError(`Pyramid status needs 6 bytes, got ${Math.max(0, data.length - offset)}.`, {
        protocol: 'pyramid',
      }),
    );
  }
  const s = (n: number): number => data[offset + n]!;
  const flags = {} as Record<StatusFlag, boolean>;
  for (const f of FLAGS) {
    const [byte, bit] = STATUS_BITS[f];
    flags[f] = (s(byte) & (1 << bit)) !== 0;
  }
  return right({ ...flags, noteIndex: (s(2) >> 3) & 7, misc: s(3), model: s(4), revision: s(5) });
}

function byteField(status: PyramidStatusInit, key: 'misc' | 'model' | 'revision'): number {
  const v = status[key] ?? 0;
  if (!Number.isInteger(v) || v < 0 || v > 0x7f) {
    throw new InvalidArgumentError(`Status ${key} must be an integer 0..0x7F, got ${v}.`, { [key]: v });
  }
  return v;
}

/** S0-S5 for `status`. Throws {@link InvalidArgumentError} on a note index outside 0..7 or a byte field above 0x7F. */
export function encodeStatusBytes(status: PyramidStatusInit): Uint8Array {
  const noteIndex = status.noteIndex ?? 0;
  if (!Number.isInteger(noteIndex) || noteIndex < 0 || noteIndex > 7) {
    throw new InvalidArgumentError(`Note index must be 0..7, got ${noteIndex}.`, { noteIndex });
  }
  const out = Uint8Array.of(0, 0, noteIndex << 3, byteField(status, 'misc'), 0, 0);
  out[4] = byteField(status, 'model');
  out[5] = byteField(status, 'revision');
  for (const f of FLAGS) {
    if (status[f] === true) {
      const [byte, bit] = STATUS_BITS[f];
      out[byte]! |= 1 << bit;
    }
  }
  return out;
}

/** A full 11-byte status reply frame (CTL 0x20 | ack), as an acceptor sends it. */
export function encodeDeviceReply(status: PyramidStatusInit, ack: AckBit): Uint8Array {
  return encodeFrame({ messageType: PyramidMessageType.statusReply, ack, data: encodeStatusBytes(status) });
}

/** Status carried by a standard reply frame (type 0x2, six data bytes). */
export function decodeStatusReply(frame: PyramidFrame): Either<DecodeError, PyramidStatus> {
  if (frame.messageType !== PyramidMessageType.statusReply || frame.data.length !== STATUS_LENGTH) {
    return left(
      new DecodeError(
        `Not a standard status reply (type ${frame.messageType}, ${frame.data.length} data bytes).`,
        { protocol: 'pyramid', messageType: frame.messageType, dataLength: frame.data.length },
      ),
    );
  }
  return decodeStatusBytes(frame.data);
}

export type PrimaryState =
  | 'failure'
  | 'stacker-full'
  | 'jammed'
  | 'returning'
  | 'stacking'
  | 'escrowed'
  | 'accepting'
  | 'idling'
  /** No transport state bit: normal around power-up, not a corrupt frame. */
  | 'initialising';

/**
 * Highest first. Conditions outrank transport states because they need the
 * operator, whatever the transport is doing (safe order used by netPyramid).
 */
const PRECEDENCE: readonly (readonly [StatusFlag, PrimaryState])[] = [
  ['failure', 'failure'],
  ['stackerFull', 'stacker-full'],
  ['jammed', 'jammed'],
  ['returning', 'returning'],
  ['stacking', 'stacking'],
  ['escrowed', 'escrowed'],
  ['accepting', 'accepting'],
  ['idling', 'idling'],
];

/**
 * The one state to act on when several indicators are set. One-shot events
 * (stacked, returned, rejected, cheated) ride along with a state and are not
 * states themselves; read them from the status. A reply with no state bit
 * (with or without the power-up flag) is 'initialising'.
 */
export function primaryState(status: PyramidStatus): PrimaryState {
  for (const [flag, state] of PRECEDENCE) if (status[flag]) return state;
  return 'initialising';
}

/** EBDS meaning of S3 bits; Pyramid leaves S3 reserved (and units set it anyway). */
export function ebdsMiscFlags(misc: number): {
  readonly stalled: boolean;
  readonly flashDownload: boolean;
  readonly preStack: boolean;
  readonly rawBarcode: boolean;
  readonly capabilitiesQuery: boolean;
  readonly disabled: boolean;
} {
  return {
    stalled: (misc & 0x01) !== 0,
    flashDownload: (misc & 0x02) !== 0,
    preStack: (misc & 0x04) !== 0,
    rawBarcode: (misc & 0x08) !== 0,
    capabilitiesQuery: (misc & 0x10) !== 0,
    disabled: (misc & 0x20) !== 0,
  };
}
