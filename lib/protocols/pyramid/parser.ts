/**
 * Incremental Pyramid/EBDS receiver for the generic `deframe` operator.
 *
 * Frames are cut by their own LEN (never a fixed 11 bytes: extended and
 * telemetry replies are longer). A candidate that fails a check gives up only
 * its STX, so a corrupted LEN cannot swallow a good frame behind it. Lone ENQ
 * bytes between frames are skipped silently; other junk becomes a diagnostic.
 *
 * Pair it with `interByteGapMs` (about 20 ms: replies arrive as one burst) so a
 * frame broken off mid-way is abandoned; `reset()` then rescans what was held,
 * recovering any complete frame that sat behind the broken one.
 */
import { toHex, concatBytes } from '../../core/bytes.js';
import type { Diagnostic, DiagnosticKind } from '../../core/diagnostics.js';
import type { DeframeOutput, FrameParser } from '../../operators/deframe.js';
import { scanFrames, type FrameFaultReason, type PyramidFrame, type ScanItem } from './framing.js';

export const PYRAMID_PROTOCOL = 'pyramid';

/** Inter-byte gap after which a partial frame is abandoned; replies arrive as one burst. */
export const PYRAMID_INTER_BYTE_GAP_MS = 20;

const DIAGNOSTIC_KIND: Readonly<Record<FrameFaultReason, DiagnosticKind>> = {
  'no-stx': 'discarded',
  checksum: 'crc',
  'too-short': 'resync',
  'bad-length': 'resync',
  'length-mismatch': 'resync',
  'no-etx': 'resync',
  'not-7-bit': 'resync',
};

function toOutputs(items: readonly ScanItem[]): DeframeOutput<PyramidFrame>[] {
  const out: DeframeOutput<PyramidFrame>[] = [];
  for (const item of items) {
    if (item.kind === 'frame') {
      out.push({ type: 'frame', frame: item.frame, raw: item.raw });
    } else if (item.kind === 'junk') {
      const { fault } = item;
      const diagnostic: Diagnostic = {
        kind: DIAGNOSTIC_KIND[fault.reason],
        protocol: PYRAMID_PROTOCOL,
        message: `${fault.message} Dropped ${item.raw.length} byte(s).`,
        hex: toHex(item.raw),
        info: {
          reason: fault.reason,
          ...(fault.expected === undefined ? {} : { expected: fault.expected }),
          ...(fault.actual === undefined ? {} : { actual: fault.actual }),
        },
      };
      out.push({ type: 'diagnostic', diagnostic });
    }
    // 'enq' items: nothing to report.
  }
  return out;
}

/** A fresh receiver; keep one per byte stream. */
export function createPyramidParser(): FrameParser<PyramidFrame> {
  let held = new Uint8Array(0);
  return {
    push(chunk: Uint8Array): DeframeOutput<PyramidFrame>[] {
      const bytes = held.length === 0 ? chunk : concatBytes(held, chunk);
      const { items, consumed } = scanFrames(bytes, false);
      held = bytes.slice(consumed);
      return toOutputs(items);
    },
    reset(): DeframeOutput<PyramidFrame>[] {
      if (held.length === 0) return [];
      const { items } = scanFrames(held, true);
      held = new Uint8Array(0);
      return toOutputs(items);
    },
    get pending(): boolean {
      return held.length > 0;
    },
  };
}
