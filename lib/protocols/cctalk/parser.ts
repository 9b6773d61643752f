/**
 * Incremental ccTalk frame parser for `deframe()` (lib/operators/deframe.ts).
 *
 * ccTalk has no start byte: frames are found by counting from the length
 * byte, and the protocol's own resynchronisation is the 50 ms inter-byte gap
 * (give it to `deframe` as `interByteGapMs: 50`; it calls `reset()`).
 *
 * Counting alone is fragile: one corrupted length byte makes a receiver wait
 * for bytes that belong to the next frames and then throw them all away. So
 * a candidate that fails its check is not dropped whole; the parser slides
 * one byte and tries again, and `reset()` still rescues complete, valid
 * frames that were queued behind an over-long candidate before dropping the
 * rest.
 */
import { toHex } from '../../core/bytes.js';
import { OptionRangeError } from '../../core/errors.js';
import type { Diagnostic } from '../../core/diagnostics.js';
import type { DeframeOutput, FrameParser } from '../../operators/deframe.js';
import { type ChecksumMode, carriedCheck, checksumValid, expectedCheck } from './checksum.js';
import { type CcTalkFrame, HOST_ADDRESS, MIN_FRAME_LENGTH, frameFields } from './framing.js';

/** Picks the check used by the device at `address` (for mixed 8-bit / CRC buses). */
export type ChecksumResolver = (address: number) => ChecksumMode;

export interface CcTalkParserOptions {
  /**
   * One mode for the whole bus, or a per-address resolver. With a resolver,
   * a frame to a device is checked with `resolver(destination)`. A frame to
   * the host is taken as 8-bit when it passes the simple check and
   * `resolver(source)` says 'simple'; otherwise it must pass the CRC
   * (and then has no `source`).
   */
  readonly mode: ChecksumMode | ChecksumResolver;
  /** Length bytes above this are treated as corruption straight away. Default 255 (any). */
  readonly maxDataLength?: number;
}

type Out = DeframeOutput<CcTalkFrame>;

function diagnostic(
  kind: Diagnostic['kind'],
  message: string,
  bytes: Uint8Array,
  info?: Record<string, unknown>,
): Out {
  const d: Diagnostic = info
    ? { kind, protocol: 'cctalk', message, hex: toHex(bytes), info }
    : { kind, protocol: 'cctalk', message, hex: toHex(bytes) };
  return { type: 'diagnostic', diagnostic: d };
}

/** Throws {@link OptionRangeError} for a `maxDataLength` outside 0–255. */
export function createCcTalkParser(options: CcTalkParserOptions): FrameParser<CcTalkFrame> {
  const { mode } = options;
  const maxDataLength = options.maxDataLength ?? 255;
  if (!Number.isInteger(maxDataLength) || maxDataLength < 0 || maxDataLength > 255) {
    throw new OptionRangeError('maxDataLength', maxDataLength, 0, 255, 'bytes');
  }

  /** Mode a whole candidate passes in, if any. */
  const accept = (cand: Uint8Array): ChecksumMode | undefined => {
    if (typeof mode === 'string') return checksumValid(cand, mode) ? mode : undefined;
    if (cand[0] !== HOST_ADDRESS) {
      const m = mode(cand[0]!);
      return checksumValid(cand, m) ? m : undefined;
    }
    if (checksumValid(cand, 'simple') && mode(cand[2]!) === 'simple') return 'simple';
    return checksumValid(cand, 'crc16') ? 'crc16' : undefined;
  };
  /** Mode to quote in a 'crc' diagnostic. */
  const likelyMode = (cand: Uint8Array): ChecksumMode =>
    typeof mode === 'string' ? mode : mode(cand[0] === HOST_ADDRESS ? cand[2]! : cand[0]!);

  let buf = new Uint8Array(0);
  /** Bytes slid over since the last good frame (reported once, as 'discarded'). */
  let skipped: number[] = [];
  let hunting = false;

  const take = (n: number): Uint8Array => {
    const head = buf.slice(0, n);
    buf = buf.slice(n);
    return head;
  };
  const flushSkipped = (out: Out[], kind: 'discarded' | 'resync', why: string): void => {
    if (skipped.length === 0) return;
    const bytes = Uint8Array.from(skipped);
    skipped = [];
    out.push(diagnostic(kind, `${why}: dropped ${bytes.length} byte(s).`, bytes, { count: bytes.length }));
  };
  const emitFrame = (out: Out[], cand: Uint8Array, m: ChecksumMode, kind: 'discarded' | 'resync'): void => {
    flushSkipped(out, kind, 'Bytes skipped while looking for a valid ccTalk frame');
    hunting = false;
    out.push({ type: 'frame', frame: frameFields(cand, m), raw: cand });
  };
  const slide = (): void => {
    skipped.push(buf[0]!);
    buf = buf.slice(1);
  };

  /** Complete candidate at the head of `buf`, or undefined if it cannot be judged yet. */
  const headCandidate = (): Uint8Array | 'bad-length' | undefined => {
    if (buf.length < 2) return undefined;
    if (buf[1]! > maxDataLength) return 'bad-length';
    const total = buf[1]! + MIN_FRAME_LENGTH;
    return buf.length >= total ? buf.subarray(0, total) : undefined;
  };

  const scan = (out: Out[]): void => {
    for (;;) {
      const cand = headCandidate();
      if (cand === undefined) return;
      if (cand === 'bad-length') {
        if (!hunting) {
          out.push(
            diagnostic(
              'resync',
              `Length byte ${buf[1]!} exceeds ${maxDataLength}; hunting for a frame.`,
              buf.subarray(0, 2),
            ),
          );
          hunting = true;
        }
        slide();
        continue;
      }
      const m = accept(cand);
      if (m) {
        emitFrame(out, take(cand.length), m, 'discarded');
        continue;
      }
      if (!hunting) {
        const guess = likelyMode(cand);
        out.push(
          diagnostic('crc', `ccTalk ${guess} check mismatch; sliding one byte to resynchronise.`, cand, {
            mode: guess,
            expected: expectedCheck(cand, guess),
            actual: carriedCheck(cand, guess),
          }),
        );
        hunting = true;
      }
      slide();
    }
  };

  return {
    push(chunk: Uint8Array): Out[] {
      const next = new Uint8Array(buf.length + chunk.length);
      next.set(buf, 0);
      next.set(chunk, buf.length);
      buf = next;
      const out: Out[] = [];
      scan(out);
      // Keep the skipped-byte record bounded while hunting through long noise.
      if (skipped.length >= 260) flushSkipped(out, 'discarded', 'Noise on the line');
      return out;
    },
    reset(): Out[] {
      const out: Out[] = [];
      const abandoned = buf.length > 0;
      // The line went quiet: whatever sits at the head is an abandoned partial
      // frame. Before dropping it, rescue complete valid frames behind it.
      while (buf.length > 0) {
        const total = buf.length >= 2 && buf[1]! <= maxDataLength ? buf[1]! + MIN_FRAME_LENGTH : Infinity;
        const m = total <= buf.length ? accept(buf.subarray(0, total)) : undefined;
        if (m) emitFrame(out, take(total), m, 'resync');
        else slide();
      }
      if (abandoned) flushSkipped(out, 'resync', 'Partial ccTalk frame abandoned after an inter-byte gap');
      else flushSkipped(out, 'discarded', 'Bytes skipped while looking for a valid ccTalk frame');
      hunting = false;
      return out;
    },
    get pending(): boolean {
      return buf.length > 0 || skipped.length > 0;
    },
  };
}
