/**
 * Pyramid RS-232 / EBDS frame codec (pure).
 *
 * Layout, both directions: `STX LEN CTL data… ETX CHK` where LEN counts the
 * whole frame, CTL carries the message type in bits 4-6 and the ack bit in
 * bit 0 (EBDS also puts a device type in bits 1-3), and CHK is the XOR of
 * LEN, CTL and every data byte (STX and ETX excluded).
 *
 * The line is 7-bit, so no byte of a valid frame can exceed 0x7F; a high bit
 * on receive means the port is not set to 7E1. That also caps LEN at 0x7F.
 */
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { InvalidArgumentError } from '../../core/errors.js';
import type { LineSettings } from '../../transport/transport.js';

/** Serial settings every Pyramid/EBDS acceptor uses: 9600 baud, 7 data bits, even parity, 1 stop bit. */
export const PYRAMID_LINE: LineSettings = { baudRate: 9600, dataBits: 7, parity: 'even', stopBits: 1 };

export const STX = 0x02;
export const ETX = 0x03;
/** Some EBDS links emit a lone ENQ between frames; receivers skip it. */
export const ENQ = 0x05;
/** STX + LEN + CTL + ETX + CHK. */
export const MIN_FRAME_LENGTH = 5;
/** LEN is a 7-bit byte on this line. */
export const MAX_FRAME_LENGTH = 0x7f;

/** Message types (CTL bits 4-6). */
export const PyramidMessageType = {
  /** host → acceptor: standard poll / omnibus command, 8 bytes */
  hostPoll: 1,
  /** acceptor → host: standard status reply, 11 bytes */
  statusReply: 2,
  /** host → acceptor: omnibus with bookmark mode (EBDS) */
  bookmarkPoll: 3,
  /** host → acceptor: calibrate (EBDS) */
  calibrate: 4,
  /** both: flash download (EBDS) */
  flashDownload: 5,
  /** both: Pyramid telemetry / soft reset; EBDS auxiliary queries */
  auxiliary: 6,
  /** both: extended messages (barcode, note specification, …) */
  extended: 7,
} as const;
export type PyramidMessageType = (typeof PyramidMessageType)[keyof typeof PyramidMessageType];

export type AckBit = 0 | 1;

export interface PyramidFrame {
  /** CTL bits 4-6, 0..7 (0 is not assigned but still a well-formed frame). */
  readonly messageType: number;
  /** CTL bit 0. */
  readonly ack: AckBit;
  /** CTL bits 1-3: EBDS device type (0 bill acceptor, 1 recycler); always 0 on Pyramid. */
  readonly deviceType: number;
  /** Bytes between CTL and ETX. */
  readonly data: Uint8Array;
}

export interface PyramidFrameInit {
  readonly messageType: number;
  readonly ack: AckBit;
  readonly deviceType?: number;
  readonly data?: Uint8Array;
}

export type FrameFaultReason =
  | 'too-short' // fewer than 5 bytes
  | 'no-stx' // first byte is not 0x02
  | 'bad-length' // LEN outside 5..0x7F
  | 'length-mismatch' // LEN disagrees with the number of bytes given
  | 'no-etx' // byte LEN-2 is not 0x03
  | 'not-7-bit' // a byte above 0x7F: the port is not configured 7E1
  | 'checksum'; // XOR check failed

/** Why bytes are not a frame. A value, never thrown. */
export interface FrameFault {
  readonly reason: FrameFaultReason;
  readonly message: string;
  readonly expected?: number;
  readonly actual?: number;
}

/** XOR of `bytes[from..to)`. */
export function xorChecksum(bytes: Uint8Array, from = 0, to = bytes.length): number {
  let x = 0;
  for (let i = from; i < to; i++) x ^= bytes[i]!;
  return x;
}

function checkSevenBit(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0x7f) {
    throw new InvalidArgumentError(`${what} must be an integer 0..0x7F on a 7-bit line, got ${value}.`, {
      [what]: value,
    });
  }
}

/** Build a frame. Throws {@link InvalidArgumentError} (and builds nothing) on out-of-range fields. */
export function encodeFrame(init: PyramidFrameInit): Uint8Array {
  const { messageType, ack, deviceType = 0, data = new Uint8Array(0) } = init;
  if (!Number.isInteger(messageType) || messageType < 0 || messageType > 7) {
    throw new InvalidArgumentError(`Pyramid message type must be 0..7, got ${messageType}.`, { messageType });
  }
  if (!Number.isInteger(deviceType) || deviceType < 0 || deviceType > 7) {
    throw new InvalidArgumentError(`Pyramid device type must be 0..7, got ${deviceType}.`, { deviceType });
  }
  if (ack !== 0 && ack !== 1) throw new InvalidArgumentError(`Ack bit must be 0 or 1.`, { ack });
  const length = data.length + MIN_FRAME_LENGTH;
  if (length > MAX_FRAME_LENGTH) {
    throw new InvalidArgumentError(`Pyramid frames hold at most ${MAX_FRAME_LENGTH - 5} data bytes.`, {
      dataLength: data.length,
    });
  }
  data.forEach((b, i) => checkSevenBit(b, `data[${i}]`));
  const out = new Uint8Array(length);
  out[0] = STX;
  out[1] = length;
  out[2] = (messageType << 4) | (deviceType << 1) | ack;
  out.set(data, 3);
  out[length - 2] = ETX;
  out[length - 1] = xorChecksum(out, 1, length - 2);
  return out;
}

/** Check one complete frame. Never throws. */
export function decodeFrame(bytes: Uint8Array): Either<FrameFault, PyramidFrame> {
  if (bytes.length < MIN_FRAME_LENGTH) {
    return left({ reason: 'too-short', message: `Frame of ${bytes.length} byte(s) is shorter than 5.` });
  }
  if (bytes[0] !== STX) return left({ reason: 'no-stx', message: 'Frame does not start with STX (0x02).' });
  const len = bytes[1]!;
  if (len < MIN_FRAME_LENGTH || len > MAX_FRAME_LENGTH) {
    return left({ reason: 'bad-length', message: `LEN ${len} is outside 5..127.`, actual: len });
  }
  if (len !== bytes.length) {
    return left({
      reason: 'length-mismatch',
      message: `LEN says ${len} bytes but ${bytes.length} were given.`,
      expected: len,
      actual: bytes.length,
    });
  }
  if (bytes[len - 2] !== ETX) {
    return left({ reason: 'no-etx', message: `Byte ${len - 2} is not ETX (0x03).`, actual: bytes[len - 2]! });
  }
  for (const b of bytes) {
    if (b > 0x7f) {
      return left({
        reason: 'not-7-bit',
        message: 'Byte above 0x7F: set the port to 9600 7E1.',
        actual: b,
      });
    }
  }
  const expected = xorChecksum(bytes, 1, len - 2);
  if (expected !== bytes[len - 1]) {
    return left({
      reason: 'checksum',
      message: `Checksum mismatch (expected ${expected}, got ${bytes[len - 1]!}).`,
      expected,
      actual: bytes[len - 1]!,
    });
  }
  const ctl = bytes[2]!;
  return right({
    messageType: (ctl >> 4) & 7,
    ack: (ctl & 1) as AckBit,
    deviceType: (ctl >> 1) & 7,
    data: bytes.slice(3, len - 2),
  });
}

/** One piece of a byte stream, in stream order. */
export type ScanItem =
  | { readonly kind: 'frame'; readonly frame: PyramidFrame; readonly raw: Uint8Array }
  /** One or more ENQ bytes between frames: harmless, skip them. */
  | { readonly kind: 'enq'; readonly raw: Uint8Array }
  /** Bytes that belong to no valid frame, with the fault that made the scanner give up on them. */
  | { readonly kind: 'junk'; readonly raw: Uint8Array; readonly fault: FrameFault };

export interface ScanResult {
  readonly items: ScanItem[];
  /** Bytes consumed from the input; the rest is an incomplete frame waiting for more bytes. */
  readonly consumed: number;
}

const NOISE: FrameFault = { reason: 'no-stx', message: 'Bytes outside any frame.' };

/**
 * Cut frames out of a byte stream using each frame's own LEN.
 *
 * A candidate that fails any check gives up only its STX byte and scanning
 * resumes right after it, so a frame with a corrupted LEN cannot swallow the
 * good frames that follow. With `final: false` an incomplete frame at the end
 * is left unconsumed (more bytes may come); with `final: true` it is junk.
 */
export function scanFrames(bytes: Uint8Array, final: boolean): ScanResult {
  const items: ScanItem[] = [];
  let junkStart = -1;
  let junkFault = NOISE;
  let i = 0;
  const dropJunk = (end: number): void => {
    if (junkStart < 0) return;
    const raw = bytes.slice(junkStart, end);
    items.push(raw.every((b) => b === ENQ) ? { kind: 'enq', raw } : { kind: 'junk', raw, fault: junkFault });
    junkStart = -1;
    junkFault = NOISE;
  };
  const skip = (fault: FrameFault): void => {
    if (junkStart < 0) {
      junkStart = i;
      junkFault = fault;
    }
    i++;
  };
  while (i < bytes.length) {
    if (bytes[i] !== STX) {
      skip(NOISE);
      continue;
    }
    if (i + 1 >= bytes.length) {
      if (!final) break;
      skip({ reason: 'too-short', message: 'Stream ended inside a frame.' });
      continue;
    }
    const len = bytes[i + 1]!;
    if (len < MIN_FRAME_LENGTH || len > MAX_FRAME_LENGTH) {
      skip({ reason: 'bad-length', message: `LEN ${len} is outside 5..127.`, actual: len });
      continue;
    }
    if (i + len > bytes.length) {
      if (!final) break;
      skip({ reason: 'too-short', message: `Stream ended inside a ${len}-byte frame.`, expected: len });
      continue;
    }
    const raw = bytes.slice(i, i + len);
    const decoded = decodeFrame(raw);
    if (decoded._tag === 'Left') {
      skip(decoded.left);
      continue;
    }
    dropJunk(i);
    items.push({ kind: 'frame', frame: decoded.right, raw });
    i += len;
  }
  dropJunk(i);
  return { items, consumed: i };
}

/** Split a complete capture (for example one line of a CLI input) into frames, ENQs and junk. */
export function splitFrames(bytes: Uint8Array): ScanItem[] {
  return scanFrames(bytes, true).items;
}

/** EBDS note orientation accepted (D1 bits 2-3). Pyramid sets orientation on the device and sends one-way (00). */
export type Orientation = 'one-way' | 'two-way' | 'four-way';
/** EBDS power-up policy (D2 bits 2-3); what each means for a note caught at power loss is not documented. */
export type PowerUpPolicy = 'A' | 'B' | 'C';

/** The three omnibus bytes D0-D2, shared by polls and EBDS extended commands. */
export interface OmnibusOptions {
  /** D0: bit n-1 enables note index n (1..7). 0x00 refuses every note, 0x7F accepts all. */
  readonly enableMask: number;
  /** D1 bit 4: hold accepted notes in escrow until the host says stack or return. */
  readonly escrow?: boolean;
  /** D1 bit 5: stack the escrowed note. Implies escrow. */
  readonly stack?: boolean;
  /** D1 bit 6: return the escrowed note. Implies escrow. Never together with `stack`. */
  readonly return?: boolean;
  /** D1 bits 2-3 (EBDS). Default one-way (00), what Pyramid hosts send. */
  readonly orientation?: Orientation;
  /** D2 bit 0 (EBDS): stall with an uncreditable note in the path instead of pushing it to the cashbox. */
  readonly noPush?: boolean;
  /** D2 bit 1: barcode voucher detection. */
  readonly barcode?: boolean;
  /** D2 bits 2-3 (EBDS). Default A (00). */
  readonly powerUpPolicy?: PowerUpPolicy;
  /** D2 bit 4 (EBDS): report notes through extended 0x70/02 messages. */
  readonly extendedNoteReporting?: boolean;
  /** D2 bit 5 (EBDS): extended coupon reporting. */
  readonly extendedCouponReporting?: boolean;
}

export interface HostPollOptions extends OmnibusOptions {
  readonly ack: AckBit;
}

/** A decoded host poll: every option spelled out. */
export type HostPoll = Required<HostPollOptions>;

const ORIENTATION_BITS: Readonly<Record<Orientation, number>> = { 'one-way': 0, 'two-way': 1, 'four-way': 3 };
const ORIENTATION_OF: readonly Orientation[] = ['one-way', 'two-way', 'four-way', 'four-way'];
const POLICY_BITS: Readonly<Record<PowerUpPolicy, number>> = { A: 0, B: 1, C: 2 };
const POLICY_OF: readonly PowerUpPolicy[] = ['A', 'B', 'C', 'C'];

/**
 * D0-D2 for `options`. Throws {@link InvalidArgumentError} on a mask outside
 * 0..0x7F, on stack together with return, or on an unknown orientation/policy.
 * Stack or return also set the escrow bit: the acceptor only honours them in
 * escrow mode, so a pending decision keeps escrow on.
 */
export function encodeOmnibus(options: OmnibusOptions): Uint8Array {
  const { enableMask, escrow = false, stack = false, orientation = 'one-way', powerUpPolicy = 'A' } = options;
  const ret = options.return ?? false;
  if (!Number.isInteger(enableMask) || enableMask < 0 || enableMask > 0x7f) {
    throw new InvalidArgumentError(
      `Enable mask must be an integer 0..0x7F (bit n-1 enables note index n), got ${enableMask}.`,
      { enableMask },
    );
  }
  if (stack && ret) {
    throw new InvalidArgumentError('Stack and return cannot be requested in the same poll.', {
      stack,
      return: ret,
    });
  }
  const o = ORIENTATION_BITS[orientation];
  if (o === undefined)
    throw new InvalidArgumentError(`Unknown orientation '${orientation}'.`, { orientation });
  const p = POLICY_BITS[powerUpPolicy];
  if (p === undefined)
    throw new InvalidArgumentError(`Unknown power-up policy '${powerUpPolicy}'.`, { powerUpPolicy });
  const d1 = (o << 2) | (escrow || stack || ret ? 0x10 : 0) | (stack ? 0x20 : 0) | (ret ? 0x40 : 0);
  const d2 =
    (options.noPush ? 0x01 : 0) |
    (options.barcode ? 0x02 : 0) |
    (p << 2) |
    (options.extendedNoteReporting ? 0x10 : 0) |
    (options.extendedCouponReporting ? 0x20 : 0);
  return Uint8Array.of(enableMask, d1, d2);
}

/** Read D0-D2 starting at `offset` (missing bytes read as 0; unused bits ignored). Never throws. */
export function decodeOmnibus(data: Uint8Array, offset = 0): Required<OmnibusOptions> {
  const d0 = data[offset] ?? 0;
  const d1 = data[offset + 1] ?? 0;
  const d2 = data[offset + 2] ?? 0;
  return {
    enableMask: d0 & 0x7f,
    escrow: (d1 & 0x10) !== 0,
    stack: (d1 & 0x20) !== 0,
    return: (d1 & 0x40) !== 0,
    orientation: ORIENTATION_OF[(d1 >> 2) & 3]!,
    noPush: (d2 & 0x01) !== 0,
    barcode: (d2 & 0x02) !== 0,
    powerUpPolicy: POLICY_OF[(d2 >> 2) & 3]!,
    extendedNoteReporting: (d2 & 0x10) !== 0,
    extendedCouponReporting: (d2 & 0x20) !== 0,
  };
}

/** The 8-byte host poll `02 08 1a D0 D1 D2 03 CK`. Throws {@link InvalidArgumentError}, building nothing, on bad options. */
export function encodeHostPoll(options: HostPollOptions): Uint8Array {
  return encodeFrame({
    messageType: PyramidMessageType.hostPoll,
    ack: options.ack,
    data: encodeOmnibus(options),
  });
}

/** The poll inside a decoded frame, or undefined when the frame is not a 3-byte host poll. */
export function decodeHostPoll(frame: PyramidFrame): HostPoll | undefined {
  if (frame.messageType !== PyramidMessageType.hostPoll || frame.data.length !== 3) return undefined;
  return { ack: frame.ack, ...decodeOmnibus(frame.data) };
}

/** Soft reset `02 08 6a 7F 7F 7F 03 CK`. The acceptor does not answer and may stay silent for ~3 s. */
export function encodeSoftReset(ack: AckBit): Uint8Array {
  return encodeFrame({
    messageType: PyramidMessageType.auxiliary,
    ack,
    data: Uint8Array.of(0x7f, 0x7f, 0x7f),
  });
}
