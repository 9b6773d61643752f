/**
 * Decoding pasted Pyramid traffic, one JSON-able entry per frame (used by
 * `cashwire decode pyramid`). Pure: lines in, entries out. A bad line gives an
 * error entry and decoding goes on with the next line.
 *
 * The direction comes from the message type: polls (1), bookmark polls (3) and
 * calibrate (4) are host frames, status replies (2) are device frames; for
 * extended frames (7) a reply carries a subtype plus six status bytes, a
 * Pyramid request only a command byte (and maybe data).
 */
import { toHex } from '../../core/bytes.js';
import { parseByteLine, type ByteRadix } from '../../core/byte-lines.js';
import { indexesFromMask } from './bills.js';
import { decodeExtendedReply } from './extended.js';
import { decodeHostPoll, splitFrames, PyramidMessageType, type PyramidFrame } from './framing.js';
import {
  STATUS_BITS,
  decodeStatusReply,
  primaryState,
  type PyramidStatus,
  type StatusFlag,
} from './status.js';

export type Direction = 'host' | 'device' | 'unknown';

export interface DecodedFrame {
  /** 1-based input line, when decoding lines. */
  readonly line?: number;
  readonly hex: string;
  readonly direction: Direction;
  readonly messageType: number;
  readonly kind: string;
  readonly ack: number;
  readonly checksumOk: boolean;
  /** Host poll: enable mask and the note indexes it enables. */
  readonly mask?: number;
  readonly enabled?: readonly number[];
  readonly escrow?: boolean;
  readonly stack?: boolean;
  readonly return?: boolean;
  readonly barcodeEnabled?: boolean;
  /** Device reply: the state that wins by precedence, and every flag that is set. */
  readonly state?: string;
  readonly flags?: readonly StatusFlag[];
  readonly billIndex?: number;
  readonly model?: number;
  readonly revision?: number;
  readonly subtype?: number;
  readonly barcode?: string;
  readonly command?: number;
}

export interface DecodeLineError {
  readonly line?: number;
  readonly error: string;
  readonly hex?: string;
}

export type DecodeEntry = DecodedFrame | DecodeLineError;

export const isDecodeError = (e: DecodeEntry): e is DecodeLineError => 'error' in e;

const FLAGS = Object.keys(STATUS_BITS) as StatusFlag[];

function statusFields(s: PyramidStatus): Partial<DecodedFrame> {
  return {
    state: primaryState(s),
    flags: FLAGS.filter((f) => s[f]),
    billIndex: s.noteIndex,
    model: s.model,
    revision: s.revision,
  };
}

function isSoftReset(f: PyramidFrame): boolean {
  return f.data.length === 3 && f.data.every((b) => b === 0x7f);
}

/** Fields by message type; the frame already passed every check. */
function describe(f: PyramidFrame): Partial<DecodedFrame> & { direction: Direction; kind: string } {
  switch (f.messageType) {
    case PyramidMessageType.hostPoll: {
      const p = decodeHostPoll(f);
      if (!p) return { direction: 'host', kind: 'poll (unexpected length)' };
      return {
        direction: 'host',
        kind: 'poll',
        mask: p.enableMask,
        enabled: indexesFromMask(p.enableMask),
        escrow: p.escrow,
        stack: p.stack,
        return: p.return,
        barcodeEnabled: p.barcode,
      };
    }
    case PyramidMessageType.statusReply: {
      const s = decodeStatusReply(f);
      return s._tag === 'Right'
        ? { direction: 'device', kind: 'status', ...statusFields(s.right) }
        : { direction: 'device', kind: 'status (unexpected length)' };
    }
    case PyramidMessageType.extended: {
      const x = decodeExtendedReply(f);
      if (x._tag === 'Right') {
        const { detail } = x.right;
        return {
          direction: 'device',
          kind: 'extended reply',
          subtype: x.right.subtype,
          ...statusFields(x.right.status),
          ...(detail.kind === 'barcode' && { barcode: detail.barcode }),
        };
      }
      return {
        direction: 'host',
        kind: 'extended request',
        ...(f.data[0] !== undefined && { command: f.data[0] }),
      };
    }
    case PyramidMessageType.auxiliary:
      return isSoftReset(f)
        ? { direction: 'host', kind: 'soft reset' }
        : { direction: 'unknown', kind: 'auxiliary' };
    case PyramidMessageType.bookmarkPoll:
      return { direction: 'host', kind: 'bookmark poll' };
    case PyramidMessageType.calibrate:
      return { direction: 'host', kind: 'calibrate' };
    default:
      return { direction: 'unknown', kind: `type ${f.messageType}` };
  }
}

function frameEntry(
  line: number | undefined,
  raw: Uint8Array,
  f: PyramidFrame,
  checksumOk: boolean,
): DecodedFrame {
  return {
    ...(line !== undefined && { line }),
    hex: toHex(raw),
    messageType: f.messageType,
    ack: f.ack,
    checksumOk,
    ...describe(f),
  };
}

/** Best-effort read of a frame whose only fault is its checksum. */
function unchecked(raw: Uint8Array): PyramidFrame {
  const ctl = raw[2] ?? 0;
  return {
    messageType: (ctl >> 4) & 7,
    ack: (ctl & 1) as 0 | 1,
    deviceType: (ctl >> 1) & 7,
    data: raw.slice(3, raw.length - 2),
  };
}

/** Decode one pasted line (1-based `line` for messages). */
export function decodePyramidLine(text: string, line: number, radix: ByteRadix = 'auto'): DecodeEntry[] {
  let bytes: Uint8Array;
  try {
    bytes = parseByteLine(text, radix);
  } catch (e) {
    return [{ line, error: e instanceof Error ? e.message : String(e) }];
  }
  return decodePyramidBytes(bytes, line);
}

/** Decode captured bytes: every frame, a checksum-failed frame marked `checksumOk: false`, junk as an error entry. */
export function decodePyramidBytes(bytes: Uint8Array, line?: number): DecodeEntry[] {
  const at = line === undefined ? {} : { line };
  const out: DecodeEntry[] = [];
  for (const item of splitFrames(bytes)) {
    if (item.kind === 'frame') out.push(frameEntry(line, item.raw, item.frame, true));
    else if (item.kind === 'junk' && item.fault.reason === 'checksum' && item.raw.length === item.raw[1]) {
      out.push(frameEntry(line, item.raw, unchecked(item.raw), false));
    } else if (item.kind === 'junk') {
      out.push({ ...at, error: item.fault.message, hex: toHex(item.raw) });
    }
  }
  return out;
}

/** Decode every line; blank lines and `#` comments are skipped. */
export function decodePyramidLines(lines: readonly string[], radix: ByteRadix = 'auto'): DecodeEntry[] {
  const out: DecodeEntry[] = [];
  lines.forEach((text, i) => {
    const t = text.trim();
    if (t === '' || t.startsWith('#')) return;
    out.push(...decodePyramidLine(t, i + 1, radix));
  });
  return out;
}

/** Shape of the `cashwire decode` per-protocol decoders: bytes of one line in, entries out. */
export function createPyramidLineDecoder(): { decode(bytes: Uint8Array): DecodeEntry[] } {
  return { decode: (bytes) => decodePyramidBytes(bytes) };
}
