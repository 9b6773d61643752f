/**
 * Offline decoding of captured ccTalk traffic, for `cashwire decode cctalk`.
 *
 * A line of bytes may hold several frames (a request, its echo, the reply);
 * they are split by their own length bytes. Each frame is checked in the
 * 8-bit mode first, then as CRC-16 (the order the fact sheet suggests when
 * the mode is unknown). A frame byte-identical to the one before it is the
 * host's own echo. A reply (to address 1, header 0) is decoded in the light
 * of the last request: 246 gives the manufacturer string, 242 the serial
 * number, 229 the event counter and the five result pairs with their
 * meanings, 184 the coin id and its value. The decoder keeps that context
 * from line to line, so a request and its reply may also sit on two lines.
 */
import { bytesEqual, toHex } from '../../core/bytes.js';
import { type ChecksumMode, checksumValid } from './checksum.js';
import { parseCoinId } from './coin-id.js';
import { HOST_ADDRESS, MIN_FRAME_LENGTH, frameFields } from './framing.js';
import { decodeReply, headerByNumber } from './headers.js';

export interface DecodedCcTalkFrame {
  readonly direction: 'host' | 'device';
  readonly destination: number;
  /** Absent in CRC-16 frames (that byte is the CRC low byte). */
  readonly source?: number;
  readonly header: number;
  /** Table name of a request header; ACK / NAK / BUSY for replies. */
  readonly name: string;
  readonly data: readonly number[];
  readonly checksum: ChecksumMode;
  readonly checksumOk: boolean;
  readonly hex: string;
  /** The host's own frame, heard back on a single-wire line. */
  readonly echo?: true;
  /** Replies: the request they answer. */
  readonly replyTo?: string;
  readonly reply?: unknown;
  readonly error?: string;
}

export type CcTalkLineItem =
  | DecodedCcTalkFrame
  | { readonly addressPollReply: number }
  | { readonly problem: string; readonly hex: string };

export interface CcTalkLineDecoder {
  decode(bytes: Uint8Array): CcTalkLineItem[];
}

const REPLY_NAMES: Readonly<Record<number, string>> = { 0: 'ACK', 5: 'NAK', 6: 'BUSY' };

/** Extra reading of replies whose plain decode leaves work to the reader. */
const ENRICH: Readonly<Record<number, (value: unknown) => unknown>> = {
  184: (id) => ({ coinId: id, coin: parseCoinId(String(id)) }),
  171: (id) => ({ coinId: id, coin: parseCoinId(String(id)) }),
};

function checkMode(raw: Uint8Array): { mode: ChecksumMode; ok: boolean } {
  if (checksumValid(raw, 'simple')) return { mode: 'simple', ok: true };
  if (checksumValid(raw, 'crc16')) return { mode: 'crc16', ok: true };
  return { mode: 'simple', ok: false };
}

export function createCcTalkLineDecoder(): CcTalkLineDecoder {
  let lastRequest: { header: number; raw: Uint8Array } | undefined;
  let previous: Uint8Array | undefined;

  const decodeOne = (raw: Uint8Array): CcTalkLineItem => {
    const { mode, ok } = checkMode(raw);
    const fields = frameFields(raw, mode);
    const toHost = fields.destination === HOST_ADDRESS;
    const base = {
      destination: fields.destination,
      ...(fields.source !== undefined && { source: fields.source }),
      header: fields.header,
      data: Array.from(fields.data),
      checksum: mode,
      checksumOk: ok,
      hex: toHex(raw),
    };
    if (previous && bytesEqual(previous, raw) && !toHost) {
      return {
        direction: 'host',
        ...base,
        name: headerByNumber(fields.header)?.name ?? `header ${fields.header}`,
        echo: true,
      };
    }
    previous = raw;
    if (!toHost) {
      lastRequest = { header: fields.header, raw };
      return {
        direction: 'host',
        ...base,
        name: headerByNumber(fields.header)?.name ?? `header ${fields.header}`,
      };
    }
    const name = REPLY_NAMES[fields.header] ?? `header ${fields.header}`;
    const request = lastRequest;
    if (!request || fields.header !== 0 || !ok) {
      return { direction: 'device', ...base, name, ...(request && { replyTo: nameOf(request.header) }) };
    }
    const decoded = decodeReply(request.header, fields.data);
    if (decoded._tag === 'Left') {
      return {
        direction: 'device',
        ...base,
        name,
        replyTo: nameOf(request.header),
        error: decoded.left.message,
      };
    }
    const enrich = ENRICH[request.header];
    const value = decoded.right.value;
    return {
      direction: 'device',
      ...base,
      name,
      replyTo: nameOf(request.header),
      ...(fields.data.length > 0 && { reply: enrich ? enrich(value) : value }),
    };
  };

  return {
    decode: (bytes) => {
      const items: CcTalkLineItem[] = [];
      let offset = 0;
      while (offset < bytes.length) {
        const left = bytes.length - offset;
        // A lone byte after an address poll is a device's raw address answer.
        if (left < MIN_FRAME_LENGTH && lastRequest?.header === 253) {
          for (const b of bytes.subarray(offset)) items.push({ addressPollReply: b });
          break;
        }
        const total = left >= 2 ? bytes[offset + 1]! + MIN_FRAME_LENGTH : MIN_FRAME_LENGTH;
        if (total > left) {
          items.push({
            problem: `incomplete frame: the length byte announces ${total} bytes, ${left} left on the line`,
            hex: toHex(bytes.subarray(offset)),
          });
          break;
        }
        items.push(decodeOne(bytes.slice(offset, offset + total)));
        offset += total;
      }
      return items;
    },
  };
}

function nameOf(header: number): string {
  return headerByNumber(header)?.name ?? `header ${header}`;
}
