/**
 * The eSSP receive path as the library runs it, stage by stage, over chunked
 * line bytes: the `deframeEssp()` operator (unstuffing + CRC), then POLL
 * event decoding, then the same with decryption in front of the decode.
 * Only the library's own functions are called, in the order the bus and the
 * device call them; the bench adds nothing but counting.
 */
import { Observable, from } from 'rxjs';
import { STEX, decryptPacket } from '../lib/protocols/essp/crypto/packet.js';
import type { HostEncryptionSession } from '../lib/protocols/essp/crypto/session.js';
import type { SecretKey } from '../lib/protocols/essp/crypto/key.js';
import type { EventContext } from '../lib/protocols/essp/events/blocks.js';
import { parsePollReply } from '../lib/protocols/essp/events/parse.js';
import { crc16 } from '../lib/protocols/essp/crc.js';
import type { EsspFrame } from '../lib/protocols/essp/framing.js';
import { deframeEssp } from '../lib/protocols/essp/parser.js';
import { POLL, POLL_OK } from './streams.js';

/** What one pass saw; a pass over a clean stream must show no diagnostics or failures. */
export interface ReceiveCounts {
  frames: number;
  events: number;
  /** Deframer and event-decoder diagnostics. */
  diagnostics: number;
  /** Replies that failed to decrypt or were not `F0` replies. */
  failures: number;
}

const zero = (): ReceiveCounts => ({ frames: 0, events: 0, diagnostics: 0, failures: 0 });

/** Feed the chunks through `deframeEssp()` (synchronously) and hand each frame to `onFrame`. */
function eachFrame(
  chunks: readonly Uint8Array[],
  counts: ReceiveCounts,
  onFrame: (frame: EsspFrame) => void,
): ReceiveCounts {
  from(chunks)
    .pipe(deframeEssp())
    .subscribe((out) => {
      if (out.type === 'diagnostic') {
        counts.diagnostics++;
        return;
      }
      counts.frames++;
      onFrame(out.frame);
    });
  return counts;
}

/** Decode a POLL reply's DATA the way the device does: `F0` status, then the events. */
function decodeReply(data: Uint8Array, ctx: EventContext, counts: ReceiveCounts): void {
  if (data[0] !== POLL_OK) {
    counts.failures++;
    return;
  }
  const reply = parsePollReply(data, ctx, 1);
  counts.events += reply.events.length;
  if (reply.diagnostic !== undefined) counts.diagnostics++;
}

/** (1) Deframe + CRC only. */
export function deframeOnly(chunks: readonly Uint8Array[]): ReceiveCounts {
  return eachFrame(chunks, zero(), () => undefined);
}

/** (2) Deframe + CRC + POLL event decode. */
export function deframeAndDecode(chunks: readonly Uint8Array[], ctx: EventContext): ReceiveCounts {
  const counts = zero();
  return eachFrame(chunks, counts, (frame) => decodeReply(frame.data, ctx, counts));
}

/**
 * (3) Deframe + CRC + `decryptPacket` with the count check (reply `i` must
 * carry count `firstCount + i`, as the host expects) + POLL event decode.
 */
export function deframeDecryptDecode(
  chunks: readonly Uint8Array[],
  key: SecretKey,
  ctx: EventContext,
  firstCount = 1,
): ReceiveCounts {
  const counts = zero();
  let expected = firstCount;
  return eachFrame(chunks, counts, (frame) => {
    const result = frame.data[0] === STEX ? decryptPacket(frame.data, key, expected) : undefined;
    expected = (expected + 1) >>> 0;
    if (result === undefined || !result.ok) {
      counts.failures++;
      return;
    }
    decodeReply(result.data, ctx, counts);
  });
}

const POLL_COMMAND = Uint8Array.of(POLL);

/**
 * (4) The host session's full share of an encrypted poll: wrap the POLL
 * command (which advances the count), then deframe the reply, unwrap it with
 * the session's count check and decode its events. The session must start
 * at count 0 (fresh or `reset()`), matching the stream's first reply count 1.
 */
export function hostSessionPolls(
  chunks: readonly Uint8Array[],
  session: HostEncryptionSession,
  ctx: EventContext,
): ReceiveCounts {
  const counts = zero();
  session.wrapCommand(POLL_COMMAND);
  return eachFrame(chunks, counts, (frame) => {
    const result = session.unwrapReply(frame.data);
    session.wrapCommand(POLL_COMMAND);
    if (!result.ok) {
      counts.failures++;
      return;
    }
    decodeReply(result.data, ctx, counts);
  });
}

/**
 * Not a receive path but a yardstick: the least a receiver that hands out
 * frames the way this library does can cost per frame. Each chunk (one whole
 * frame) becomes one RxJS emission of a frame object holding its own copy of
 * DATA and of the wire bytes; no STX hunt, unstuffing, CRC or decoding.
 */
export function frameShapeFloor(chunks: readonly Uint8Array[]): ReceiveCounts {
  const counts = zero();
  const shape = (source: Observable<Uint8Array>): Observable<unknown> =>
    new Observable((subscriber) =>
      source.subscribe({
        next: (c) => {
          const out = [
            {
              type: 'frame',
              frame: { address: c[1]! & 0x7f, seq: c[1]! >> 7, data: c.slice(3, c.length - 2) },
              raw: c.slice(),
            },
          ];
          for (const o of out) subscriber.next(o);
        },
      }),
    );
  from(chunks)
    .pipe(shape)
    .subscribe(() => counts.frames++);
  return counts;
}

/** Unstuffed bytes of the longest frame after its STX. */
const MAX_BODY = 255 + 4;
const STX = 0x7f;

/**
 * A second yardstick, below any receiver this library could hand out: no
 * frame objects, no RxJS, no diagnostics. Each chunk must be one whole frame
 * (the whole-frames input); its bytes are unstuffed only when they hold a
 * stuffed pair, the CRC is checked, DATA is copied once (the decoder reads a
 * whole array) and its POLL events are decoded. What is left of the time is
 * the checks and the decoding themselves.
 */
export function checksOnlyFloor(chunks: readonly Uint8Array[], ctx: EventContext): ReceiveCounts {
  const counts = zero();
  const body = new Uint8Array(MAX_BODY);
  for (const chunk of chunks) {
    let bytes = chunk;
    let start = 1;
    let end = chunk.length;
    if (chunk.indexOf(STX, 1) > 0) {
      let n = 0;
      for (let i = 1; i < chunk.length; i++) {
        const b = chunk[i]!;
        if (b === STX) i++; // `7F 7F` on the wire is one 0x7F
        body[n++] = b;
      }
      bytes = body;
      start = 0;
      end = n;
    }
    const length = bytes[start + 1]!;
    const crcAt = start + 2 + length;
    if (chunk[0] !== STX || crcAt + 2 !== end) {
      counts.diagnostics++;
      continue;
    }
    if (crc16(bytes, start, crcAt) !== (bytes[crcAt]! | (bytes[crcAt + 1]! << 8))) {
      counts.diagnostics++;
      continue;
    }
    counts.frames++;
    decodeReply(bytes.slice(start + 2, crcAt), ctx, counts);
  }
  return counts;
}
