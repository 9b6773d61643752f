/**
 * Streaming eSSP receiver: a {@link FrameParser} for `deframe()` that turns
 * chunks of line bytes into frames and diagnostics.
 *
 * Receiver rules (fact sheet section 4):
 * - while idle, bytes other than 0x7F are junk (one `discarded` diagnostic per run per chunk);
 *   a 0x7F starts a frame;
 * - inside a frame, `7F 7F` is one data byte 0x7F, and 0x7F followed by any
 *   other byte means a new frame starts: the partial one is dropped (`resync`)
 *   and the byte after the 0x7F is the new frame's SEQ/ADDR byte;
 * - a 0x7F that ends a chunk is held until the next byte decides what it is;
 * - the frame is complete after LENGTH + 5 unstuffed bytes (STX included);
 *   LENGTH 0 drops the frame (`resync`), a CRC mismatch gives a `crc` diagnostic.
 *
 * Chunks may split a frame anywhere. Each frame output carries `raw`, the
 * exact wire bytes it came from (STX and stuffing included). The parser never
 * throws; it allocates only per output, not per byte, since it sits on every
 * byte the device sends.
 */
import type { OperatorFunction } from 'rxjs';
import {
  deframe,
  type DeframeOptions,
  type DeframeOutput,
  type FrameParser,
} from '../../operators/deframe.js';
import {
  checkCrc,
  discardedError,
  ESSP_FRAME_OVERHEAD,
  ESSP_MAX_DATA_LENGTH,
  ESSP_SEQ_FLAG,
  ESSP_STX,
  frameFromBody,
  gapError,
  hiddenStx,
  lostStxError,
  zeroLengthError,
  type EsspFrame,
} from './framing.js';
import { crc16 } from './crc.js';

/** Unstuffed bytes after the STX in the longest frame: SEQ/ADDR, LENGTH, 255 DATA, CRCL, CRCH. */
const MAX_BODY = ESSP_MAX_DATA_LENGTH + ESSP_FRAME_OVERHEAD - 1;
/** Wire bytes of the longest frame: STX plus every body byte doubled. */
const MAX_RAW = 1 + 2 * MAX_BODY;

export function createEsspParser(): FrameParser<EsspFrame> {
  const body = new Uint8Array(MAX_BODY); // unstuffed SEQ/ADDR .. CRCH
  const raw = new Uint8Array(MAX_RAW); // wire bytes of the frame so far
  let inFrame = false;
  let held = false; // a 0x7F inside the frame waits for the next byte
  let count = 0; // bytes in `body`
  let need = 2; // body bytes that complete the frame; known once LENGTH arrives
  let rawLen = 0;
  /**
   * The frame being collected holds a byte not yet covered by any diagnostic.
   * A rescan (see `feed`) goes over bytes already reported; an attempt made
   * of those alone fails silently, so damage is reported once.
   */
  let fresh = false;
  /** Whether the held 0x7F (see `held`) is such a new byte. */
  let heldFresh = false;
  /** Set when an attempt failed (LENGTH 0, CRC, or a lone 0x7F): its wire length, to rescan it. */
  let failedLen = 0;
  /**
   * The failed attempt ended at a lone 0x7F (held, not in `raw`): once its
   * bytes are rescanned, that 0x7F starts the next frame.
   */
  let restartAtHeld = false;

  const startFrame = (isFresh: boolean): void => {
    inFrame = true;
    held = false;
    fresh = isFresh;
    raw[0] = ESSP_STX;
    rawLen = 1;
    count = 0;
    need = 2;
  };

  /**
   * Consume frame bytes from `chunk[start..]`; returns where it stopped (frame
   * done or chunk end); `isNew` as in `feed`. State is copied into locals for
   * the byte loop and written back on every exit, which keeps the hot loop
   * free of closure slots.
   */
  const collect = (
    chunk: Uint8Array,
    start: number,
    isNew: boolean,
    out: DeframeOutput<EsspFrame>[],
  ): number => {
    const n = chunk.length;
    let h = held;
    let c = count;
    let r = rawLen;
    let want = need;
    let f = fresh;
    let i = start;
    let done = false;
    for (; i < n; i++) {
      const b = chunk[i]!;
      if (b === ESSP_STX) {
        if (!h) {
          h = true;
          heldFresh = isNew;
          continue;
        }
        h = false; // stuffed pair: one data byte 0x7F, both bytes stay in `raw`
        f = f || heldFresh || isNew;
        raw[r++] = ESSP_STX;
      } else if (h) {
        // The held 0x7F was an STX (a 0x7F followed by another byte always
        // is): drop what we had, and start over from it once `feed` has
        // searched the dropped bytes for a frame they swallowed. `b` is not
        // consumed: it follows that STX.
        if (f) out.push({ type: 'diagnostic', diagnostic: lostStxError(raw.slice(0, r)) });
        h = false;
        failedLen = r;
        restartAtHeld = true;
        done = true;
        break;
      } else if (isNew) {
        f = true;
      }
      raw[r++] = b;
      body[c++] = b;
      if (c === 2) {
        if (b === 0) {
          if (f) out.push({ type: 'diagnostic', diagnostic: zeroLengthError(raw.slice(0, r)) });
          failedLen = r;
          done = true;
          break;
        }
        want = b + ESSP_FRAME_OVERHEAD - 1;
      } else if (c === want) {
        const length = want - (ESSP_FRAME_OVERHEAD - 1);
        const wire = raw.slice(0, r);
        const crcError = checkCrc(body, length, wire);
        if (crcError === undefined) {
          out.push({ type: 'frame', frame: frameFromBody(body, length), raw: wire });
        } else {
          if (f) out.push({ type: 'diagnostic', diagnostic: crcError });
          failedLen = r;
        }
        done = true;
        break;
      }
    }
    held = h;
    fresh = f;
    count = c;
    rawLen = r;
    need = want;
    if (done) {
      inFrame = false;
      return restartAtHeld ? i : i + 1;
    }
    return n;
  };

  /**
   * Run `w` through the receiver. `isNew` is true for bytes from the line and
   * false for a rescan of bytes an earlier diagnostic already covered: those
   * yield frames but no new diagnostics, so damage is reported once.
   *
   * After an attempt fails (LENGTH 0, its CRC, or a lone 0x7F that starts
   * another frame before it completes), its bytes are searched for a frame
   * start it swallowed (see {@link hiddenStx}): a frame that ends in a stuffed
   * CRC byte (`.. 7F 7F`) and lost its own STX leaves that pair as the first
   * 0x7F the receiver sees, which then pairs with the real STX of the next
   * frame (`7F 7F | 7F 00 11 ..`). A retransmission repeats the very same
   * bytes, so without the search every copy would be lost the same way.
   */
  const feed = (w: Uint8Array, isNew: boolean, out: DeframeOutput<EsspFrame>[]): void => {
    let i = 0;
    while (i < w.length) {
      if (inFrame) {
        i = collect(w, i, isNew, out);
        if (failedLen > 0) {
          // Rescan from the first STX the failed attempt may have hidden (all
          // its bytes are reported already); the receiver state then carries
          // on into the rest of `w`, after the lone 0x7F that ended the
          // attempt when there was one.
          const from = hiddenStx(raw, failedLen);
          const replay = from < 0 ? undefined : raw.slice(from, failedLen);
          const restart = restartAtHeld;
          const restartFresh = heldFresh;
          failedLen = 0;
          restartAtHeld = false;
          if (replay !== undefined) feed(replay, false, out);
          if (restart) {
            // The lone 0x7F is an STX (a byte other than 0x7F followed it):
            // the next frame starts there, whatever the rescan left
            // half-collected, which is searched the way reset() does.
            dropPartial(out);
            startFrame(restartFresh);
          }
        }
        continue;
      }
      const stx = w.indexOf(ESSP_STX, i);
      const end = stx < 0 ? w.length : stx;
      if (end > i && isNew) out.push({ type: 'diagnostic', diagnostic: discardedError(w, i, end) });
      if (stx < 0) break;
      const whole = wholeFrame(w, stx);
      if (whole !== undefined) {
        out.push(whole);
        i = stx + whole.raw.length;
        continue;
      }
      startFrame(isNew);
      i = stx + 1;
    }
  };

  /**
   * Drop the partial frame (a `gap` diagnostic when it holds bytes no
   * diagnostic covered yet), then look again from a frame start it may have
   * swallowed (see feed), until nothing is left half-collected.
   */
  function dropPartial(out: DeframeOutput<EsspFrame>[]): void {
    while (inFrame) {
      if (held) raw[rawLen++] = ESSP_STX;
      const partial = raw.slice(0, rawLen);
      if (fresh || (held && heldFresh)) out.push({ type: 'diagnostic', diagnostic: gapError(partial) });
      inFrame = false;
      held = false;
      const from = hiddenStx(partial, partial.length);
      if (from >= 0) feed(partial.subarray(from), false, out);
    }
  }

  return {
    push(chunk: Uint8Array): DeframeOutput<EsspFrame>[] {
      // The usual read of a polled line: one whole frame and nothing else (what
      // feed would find too, taken without going through it).
      if (!inFrame && chunk[0] === ESSP_STX && chunk.length === (chunk[2] ?? -1) + ESSP_FRAME_OVERHEAD) {
        const whole = wholeFrame(chunk, 0);
        if (whole !== undefined) return [whole];
      }
      const out: DeframeOutput<EsspFrame>[] = [];
      feed(chunk, true, out);
      return out;
    },
    reset(): DeframeOutput<EsspFrame>[] {
      const out: DeframeOutput<EsspFrame>[] = [];
      dropPartial(out);
      return out;
    },
    get pending(): boolean {
      return inFrame;
    },
  };
}

/**
 * Fast path for the common case: the chunk holds, from the STX at `stx`, a
 * whole frame with no stuffed byte and a good CRC (a port usually delivers a
 * short reply in one read). The frame is cut straight out of the chunk
 * instead of being copied byte by byte through the state machine. Anything
 * else (a 0x7F inside, a frame running past the chunk, LENGTH 0, a bad CRC)
 * returns undefined and goes the general way, which yields the same frames
 * and every diagnostic.
 */
function wholeFrame(
  chunk: Uint8Array,
  stx: number,
): { readonly type: 'frame'; readonly frame: EsspFrame; readonly raw: Uint8Array } | undefined {
  const lengthAt = stx + 2;
  if (lengthAt >= chunk.length) return undefined;
  const length = chunk[lengthAt]!;
  const end = stx + length + ESSP_FRAME_OVERHEAD; // exclusive: STX .. CRCH
  if (length === 0 || end > chunk.length) return undefined;
  const crcAt = end - 2;
  // No 0x7F from SEQ/ADDR to CRCH (a stuffed byte needs the general way).
  for (let k = stx + 1; k < end; k++) if (chunk[k] === ESSP_STX) return undefined;
  if ((chunk[crcAt]! | (chunk[crcAt + 1]! << 8)) !== crc16(chunk, stx + 1, crcAt)) return undefined;
  const seqAddr = chunk[stx + 1]!;
  return {
    type: 'frame',
    frame: {
      address: seqAddr & 0x7f,
      seq: seqAddr & ESSP_SEQ_FLAG ? 1 : 0,
      data: chunk.slice(lengthAt + 1, crcAt),
    },
    raw: chunk.slice(stx, end),
  };
}

/**
 * `deframe()` preset for eSSP: bytes in, frames and diagnostics out. Pass
 * `interByteGapMs` to drop a partial frame after a pause (slaves have no such
 * timeout, but a host gains nothing by waiting on a frame that stopped).
 */
export function deframeEssp(
  options: DeframeOptions = {},
): OperatorFunction<Uint8Array, DeframeOutput<EsspFrame>> {
  return deframe(createEsspParser, options);
}
