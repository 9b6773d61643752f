/**
 * eSSP transport frames: `STX | SEQ/ADDR | LENGTH | DATA | CRCL | CRCH`.
 *
 * - STX is 0x7F and is never stuffed.
 * - SEQ/ADDR holds the sequence flag in bit 7 and the slave address in bits 0-6.
 * - LENGTH counts DATA bytes before stuffing (1..255).
 * - The CRC covers SEQ/ADDR, LENGTH and DATA before stuffing, low byte first on the wire.
 * - After the STX every 0x7F (address byte, length, data or CRC) is sent twice,
 *   so a single 0x7F on the line always means "a frame starts here".
 *
 * Everything here is pure. `decodeFrame` and `splitFrames` never throw on
 * arbitrary bytes: problems come back as values carrying a {@link Diagnostic}.
 */
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { toHex } from '../../core/bytes.js';
import type { Diagnostic } from '../../core/diagnostics.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { crc16, crc16Update, ESSP_CRC_SEED } from './crc.js';

/** Start-of-frame byte; doubled when it occurs anywhere after the STX. */
export const ESSP_STX = 0x7f;
/** Bit 7 of the SEQ/ADDR byte: the sequence flag. */
export const ESSP_SEQ_FLAG = 0x80;
/** Highest slave address a host may use (0x7E and 0x7F are not valid slave addresses). */
export const ESSP_MAX_ADDRESS = 0x7d;
/** Highest LENGTH value: DATA holds 1..255 bytes before stuffing. */
export const ESSP_MAX_DATA_LENGTH = 255;
/** Unstuffed bytes around DATA: STX, SEQ/ADDR, LENGTH, CRCL, CRCH. */
export const ESSP_FRAME_OVERHEAD = 5;
/** Protocol tag used on every diagnostic from this layer. */
export const ESSP_PROTOCOL = 'essp';

/** One transport frame, before stuffing and without STX/LENGTH/CRC. */
export interface EsspFrame {
  /** Slave address, 0x00..0x7D when sending; a received frame reports whatever 7 bits it carried. */
  readonly address: number;
  /** Sequence flag (bit 7 of the SEQ/ADDR byte). */
  readonly seq: 0 | 1;
  /** Command or generic status byte, then its payload; 1..255 bytes. */
  readonly data: Uint8Array;
}

/**
 * Why bytes did not form a frame:
 * - `junk`: bytes seen while hunting for an STX.
 * - `stx`: a lone 0x7F inside a frame (a new frame starts there).
 * - `length`: LENGTH 0.
 * - `gap`: a partial frame dropped by the caller, e.g. after an inter-byte gap.
 * - `crc`: checksum mismatch.
 * - `no-stx`: the bytes do not start with 0x7F.
 * - `truncated` / `trailing`: fewer / more bytes than LENGTH announces.
 */
export type EsspFrameErrorReason =
  'junk' | 'stx' | 'length' | 'gap' | 'crc' | 'no-stx' | 'truncated' | 'trailing';

/** A diagnostic that also says, as a typed field, why the bytes were refused. */
export interface EsspFrameError extends Diagnostic {
  readonly reason: EsspFrameErrorReason;
}

/** Junk runs longer than this are reported by count, with only their first bytes as hex. */
const MAX_JUNK_HEX = 128;

/** True for an integer address a host may send to (0x00..0x7D). */
export function isEsspAddress(address: number): boolean {
  return Number.isInteger(address) && address >= 0 && address <= ESSP_MAX_ADDRESS;
}

/** Throw {@link InvalidArgumentError} unless `address` is 0x00..0x7D. */
export function assertEsspAddress(address: number): void {
  if (!isEsspAddress(address)) {
    throw new InvalidArgumentError(
      `eSSP address must be an integer from 0 to 125 (0x00..0x7D), got ${String(address)}.`,
      { address },
    );
  }
}

/** Encode a frame to its exact wire bytes (stuffed). Throws {@link InvalidArgumentError} on a bad address, flag or length. */
export function encodeFrame(frame: EsspFrame): Uint8Array {
  const { address, seq, data } = frame;
  // isEsspAddress written out: this runs for every frame sent.
  if (!Number.isInteger(address) || address < 0 || address > ESSP_MAX_ADDRESS) assertEsspAddress(address);
  if (seq !== 0 && seq !== 1) {
    throw new InvalidArgumentError(`eSSP sequence flag must be 0 or 1, got ${String(seq)}.`, { seq });
  }
  const length = data.length;
  if (length < 1 || length > ESSP_MAX_DATA_LENGTH) {
    throw new InvalidArgumentError(`eSSP frame data must hold 1 to 255 bytes, got ${length}.`, { length });
  }
  const seqAddr = (seq << 7) | address;
  let crc = crc16Update(crc16Update(ESSP_CRC_SEED, seqAddr), length);
  crc = crc16(data, 0, length, crc);
  const crcLow = crc & 0xff;
  const crcHigh = crc >>> 8;

  // Size the output once: every 0x7F after the STX costs one extra byte.
  let doubled = 0;
  for (let i = 0; i < length; i++) if (data[i] === ESSP_STX) doubled++;
  if (length === ESSP_STX) doubled++;
  if (crcLow === ESSP_STX) doubled++;
  if (crcHigh === ESSP_STX) doubled++;
  // seqAddr is never 0x7F here: the address is at most 0x7D.

  const out = new Uint8Array(ESSP_FRAME_OVERHEAD + length + doubled);
  let o = 0;
  out[o++] = ESSP_STX;
  out[o++] = seqAddr;
  out[o++] = length;
  if (length === ESSP_STX) out[o++] = ESSP_STX;
  for (let i = 0; i < length; i++) {
    const b = data[i]!;
    out[o++] = b;
    if (b === ESSP_STX) out[o++] = ESSP_STX;
  }
  out[o++] = crcLow;
  if (crcLow === ESSP_STX) out[o++] = ESSP_STX;
  out[o] = crcHigh;
  if (crcHigh === ESSP_STX) out[o + 1] = ESSP_STX;
  return out;
}

/** Double every 0x7F (the stuffing applied to everything after the STX). */
export function stuffBytes(bytes: Uint8Array): Uint8Array {
  let doubled = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === ESSP_STX) doubled++;
  if (doubled === 0) return bytes.slice();
  const out = new Uint8Array(bytes.length + doubled);
  let o = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    out[o++] = b;
    if (b === ESSP_STX) out[o++] = ESSP_STX;
  }
  return out;
}

/**
 * Undo {@link stuffBytes}. A 0x7F not followed by another 0x7F cannot occur
 * in stuffed bytes (on the line it starts a new frame), so it is refused with
 * reason `stx`; the error's `info.offset` says where it sits.
 */
export function unstuffBytes(stuffed: Uint8Array): Either<EsspFrameError, Uint8Array> {
  const out = new Uint8Array(stuffed.length);
  let o = 0;
  for (let i = 0; i < stuffed.length; i++) {
    const b = stuffed[i]!;
    if (b === ESSP_STX) {
      if (stuffed[i + 1] !== ESSP_STX) {
        return left(
          frameError('resync', 'stx', `Lone 0x7F at offset ${i} in stuffed bytes.`, stuffed, { offset: i }),
        );
      }
      i++;
    }
    out[o++] = b;
  }
  return right(out.slice(0, o));
}

/**
 * Decode exactly one complete, stuffed frame (STX included). Returns the
 * frame, or an {@link EsspFrameError} saying why the bytes are not one valid
 * frame. Accepts any 7-bit address a peer might send; the link layer decides
 * whether the frame is meant for us.
 */
export function decodeFrame(wire: Uint8Array): Either<EsspFrameError, EsspFrame> {
  if (wire.length === 0 || wire[0] !== ESSP_STX) {
    return left(frameError('decode', 'no-stx', 'eSSP frame must start with STX 0x7F.', wire));
  }
  const unstuffed = unstuffBytes(wire.subarray(1));
  if (unstuffed._tag === 'Left') return unstuffed;
  const body = unstuffed.right; // SEQ/ADDR, LENGTH, DATA, CRCL, CRCH
  if (body.length < 2) {
    return left(frameError('decode', 'truncated', 'eSSP frame ends before its LENGTH byte.', wire));
  }
  const length = body[1]!;
  if (length === 0) return left(zeroLengthError(wire));
  const expected = length + ESSP_FRAME_OVERHEAD - 1;
  if (body.length !== expected) {
    const reason = body.length < expected ? 'truncated' : 'trailing';
    return left(
      frameError(
        'decode',
        reason,
        `eSSP frame announces ${length} data byte(s) but carries ${body.length - 4} after unstuffing.`,
        wire,
        { length },
      ),
    );
  }
  const crcError = checkCrc(body, length, wire);
  if (crcError) return left(crcError);
  return right(frameFromBody(body, length));
}

// ---------------------------------------------------------------------------
// Splitting a line of bytes (CLI decoder, trace files)

/** One piece of a split line: a frame or a diagnostic, with where its bytes sit. */
export type EsspSplitItem =
  | { readonly type: 'frame'; readonly frame: EsspFrame; readonly raw: Uint8Array; readonly offset: number }
  | { readonly type: 'diagnostic'; readonly diagnostic: EsspFrameError; readonly offset: number };

export interface EsspSplitResult {
  /** Frames and problems in line order. */
  readonly items: readonly EsspSplitItem[];
  /** An incomplete frame at the end of the line (empty when the line ends cleanly). */
  readonly rest: Uint8Array;
}

/** Where to go on after the failed attempt `bytes[start..end)`: a hidden STX in it, or its end. */
function rescanFrom(bytes: Uint8Array, start: number, end: number): number {
  const hidden = hiddenStx(bytes.subarray(start, end), end - start);
  return hidden < 0 ? end : start + hidden;
}

/**
 * Frames hidden in the failed attempt `bytes[start..end)` (see {@link hiddenStx}),
 * with their offsets in `bytes`; what they leave half-collected is searched
 * again the same way. Only frames: the attempt's bytes are reported already.
 */
function framesHiddenIn(bytes: Uint8Array, start: number, end: number): EsspSplitItem[] {
  const found: EsspSplitItem[] = [];
  let from = start;
  for (;;) {
    const at = rescanFrom(bytes, from, end);
    if (at === end) return found;
    const { items, rest } = splitFrames(bytes.subarray(at, end));
    for (const item of items) if (item.type === 'frame') found.push({ ...item, offset: item.offset + at });
    if (rest.length === 0) return found;
    from = end - rest.length;
  }
}

/**
 * Split bytes holding any number of frames by their own LENGTH fields, using
 * the same rules as the streaming receiver (`createEsspParser`): junk before
 * an STX is reported as `discarded`; LENGTH 0 or a failed CRC abandons the
 * frame and the search goes on from a frame start it may have hidden
 * ({@link hiddenStx}), else after it; a lone 0x7F inside a frame (`resync`)
 * abandons it too, the frames it hid are searched for in its own bytes, and
 * the next frame starts at the lone 0x7F;
 * bytes already covered by a diagnostic are not reported twice.
 */
export function splitFrames(bytes: Uint8Array): EsspSplitResult {
  const items: EsspSplitItem[] = [];
  const n = bytes.length;
  const body = new Uint8Array(ESSP_MAX_DATA_LENGTH + ESSP_FRAME_OVERHEAD);
  /** Bytes before this index are in a diagnostic already. */
  let reported = 0;
  const report = (start: number, diagnostic: EsspFrameError, end: number): void => {
    if (end > reported) items.push({ type: 'diagnostic', diagnostic, offset: start });
    reported = Math.max(reported, end);
  };
  let i = 0;
  outer: while (i < n) {
    if (bytes[i] !== ESSP_STX) {
      let end = bytes.indexOf(ESSP_STX, i);
      if (end < 0) end = n;
      const from = Math.max(i, reported);
      if (end > from)
        items.push({ type: 'diagnostic', diagnostic: discardedError(bytes, from, end), offset: from });
      i = end;
      continue;
    }
    const start = i;
    let k = i + 1;
    let count = 0; // unstuffed bytes after the STX
    let need = 2; // grows to LENGTH + 4 once LENGTH is known
    while (count < need) {
      if (k >= n) break outer; // incomplete: becomes `rest`
      let b = bytes[k]!;
      if (b === ESSP_STX) {
        if (k + 1 >= n) break outer; // a trailing 0x7F cannot be judged yet
        if (bytes[k + 1] !== ESSP_STX) {
          report(start, lostStxError(bytes.subarray(start, k)), k);
          // The lone 0x7F starts the next frame; frames the attempt swallowed
          // are searched for in its own bytes, as the streaming receiver does.
          items.push(...framesHiddenIn(bytes, start, k));
          i = k;
          continue outer;
        }
        k++;
        b = ESSP_STX;
      }
      k++;
      body[count++] = b;
      if (count === 2) {
        if (b === 0) {
          report(start, zeroLengthError(bytes.subarray(start, k)), k);
          i = rescanFrom(bytes, start, k);
          continue outer;
        }
        need = b + ESSP_FRAME_OVERHEAD - 1;
      }
    }
    const raw = bytes.slice(start, k);
    const length = body[1]!;
    const crcError = checkCrc(body, length, raw);
    if (crcError === undefined) {
      items.push({ type: 'frame', frame: frameFromBody(body, length), raw, offset: start });
      i = k;
    } else {
      report(start, crcError, k);
      i = rescanFrom(bytes, start, k);
    }
  }
  return { items, rest: bytes.slice(i) };
}

// ---------------------------------------------------------------------------
// Shared by the decoder, the splitter and the streaming parser.

/**
 * Where a failed attempt's wire bytes `raw[0..length)` may hide the STX of
 * another frame, or -1. Inside an attempt every 0x7F after its STX arrived
 * in a pair (a lone one would have restarted the frame), so a real STX can
 * only hide as the second byte of a pair; and a real STX is followed by a
 * SEQ/ADDR byte, which is never 0x7F. Searching only there keeps the receiver
 * linear on any input: a run of 0x7F bytes offers no candidate at all.
 */
export function hiddenStx(raw: Uint8Array, length: number): number {
  for (let j = 1; j + 1 < length; j++) {
    if (raw[j] !== ESSP_STX) continue;
    // A pair that ends the attempt counts, whatever follows: deciding on a
    // byte of the next chunk would make the result depend on how reads split.
    const after = j + 2 < length ? raw[j + 2]! : -1;
    if (after !== ESSP_STX) return j + 1;
    j++; // skip the rest of this pair
  }
  return -1;
}

/** Build the frame from an unstuffed body (`SEQ/ADDR LENGTH DATA CRCL CRCH`); copies DATA. */
export function frameFromBody(body: Uint8Array, length: number): EsspFrame {
  const seqAddr = body[0]!;
  return {
    address: seqAddr & 0x7f,
    seq: seqAddr & ESSP_SEQ_FLAG ? 1 : 0,
    data: body.slice(2, 2 + length),
  };
}

/** Compare the CRC of an unstuffed body with its received CRC bytes; a `crc` error if they differ. */
export function checkCrc(body: Uint8Array, length: number, raw: Uint8Array): EsspFrameError | undefined {
  const computed = crc16(body, 0, length + 2);
  const received = body[length + 2]! | (body[length + 3]! << 8);
  if (computed === received) return undefined;
  return frameError(
    'crc',
    'crc',
    `eSSP frame CRC mismatch: computed 0x${hex16(computed)}, received 0x${hex16(received)}.`,
    raw,
    { computed, received },
  );
}

/** `discarded`: bytes `[start, end)` of `bytes` were skipped while hunting for an STX. */
export function discardedError(bytes: Uint8Array, start: number, end: number): EsspFrameError {
  const count = end - start;
  const shown = bytes.subarray(start, start + Math.min(count, MAX_JUNK_HEX));
  return frameError(
    'discarded',
    'junk',
    `Discarded ${count} byte(s) outside any eSSP frame.`,
    shown,
    count > MAX_JUNK_HEX ? { count, truncated: true } : { count },
  );
}

/** `resync`: a lone 0x7F inside a frame; `partial` (the abandoned bytes) is dropped. */
export function lostStxError(partial: Uint8Array): EsspFrameError {
  return frameError(
    'resync',
    'stx',
    `Dropped a partial eSSP frame of ${partial.length} byte(s): a new STX arrived inside it.`,
    partial,
  );
}

/** `resync`: LENGTH 0 is not a valid frame. */
export function zeroLengthError(partial: Uint8Array): EsspFrameError {
  return frameError('resync', 'length', 'Dropped an eSSP frame with LENGTH 0.', partial);
}

/** `resync`: the caller abandoned a partial frame (e.g. an inter-byte gap). */
export function gapError(partial: Uint8Array): EsspFrameError {
  return frameError(
    'resync',
    'gap',
    `Dropped a partial eSSP frame of ${partial.length} byte(s) after a pause in the byte stream.`,
    partial,
  );
}

function frameError(
  kind: Diagnostic['kind'],
  reason: EsspFrameErrorReason,
  message: string,
  bytes: Uint8Array,
  extra: Readonly<Record<string, unknown>> = {},
): EsspFrameError {
  return { kind, protocol: ESSP_PROTOCOL, reason, message, hex: toHex(bytes), info: { reason, ...extra } };
}

function hex16(value: number): string {
  return value.toString(16).toUpperCase().padStart(4, '0');
}
