/**
 * Offline decoding of captured eSSP traffic, for `cashwire decode essp`.
 *
 * Each line of bytes may hold several frames; they are split by their own
 * LENGTH fields. Host frames are named from the command table; a device reply
 * is decoded in the light of the host frame before it (a POLL reply becomes a
 * list of events with the legacy library's names). The decoder follows the
 * session as it goes: HOST_PROTOCOL_VERSION and SETUP_REQUEST change how later
 * replies and events are read. Encrypted frames are opened when the AES key is
 * given, otherwise they are reported as `encrypted`.
 */
import { toHex } from '../../core/bytes.js';
import { isCashwireError } from '../../core/errors.js';
import type { EsspContext } from './context.js';
import { DEFAULT_CONTEXT } from './context.js';
import { commandByCode, decodeReply, type EsspCommandName } from './commands/table.js';
import { type SecretKey } from './crypto/key.js';
import { STEX, decryptPacket } from './crypto/packet.js';
import { parsePollReply, type EventContext } from './events/index.js';
import { splitFrames, type EsspFrame } from './framing.js';
import { genericName } from './generic.js';
import { decodeSetupRequest } from './setup.js';

export interface DecodedEsspFrame {
  readonly direction: 'host' | 'device' | 'unknown';
  readonly address: number;
  readonly seq: 0 | 1;
  readonly hex: string;
  readonly encrypted?: boolean;
  /** Inner packet counter of an opened encrypted frame. */
  readonly count?: number;
  /** Host frames: the command's table name. */
  readonly command?: string;
  /** Host frames: argument bytes after the command code. */
  readonly args?: string;
  /** Device replies: generic response name (`OK`, `KEY_NOT_SET` ...). */
  readonly status?: string;
  /** Device replies: the command this reply answers, when known. */
  readonly replyTo?: string;
  readonly reply?: unknown;
  readonly events?: readonly unknown[];
  readonly undecoded?: string;
  readonly error?: string;
}

export type DecodeLineItem = DecodedEsspFrame | { readonly problem: string; readonly hex?: string };

export interface EsspLineDecoder {
  /** Decode every frame of one line of bytes. */
  decode(bytes: Uint8Array): DecodeLineItem[];
}

export interface EsspLineDecoderOptions {
  /** The 16 AES key bytes, in the order AES receives them. */
  readonly key?: SecretKey;
  /** Starting session assumptions (updated by what the traffic shows). */
  readonly context?: Partial<EventContext>;
}

export function createEsspLineDecoder(options: EsspLineDecoderOptions = {}): EsspLineDecoder {
  let ctx: EventContext = { ...DEFAULT_CONTEXT, ...options.context };
  /** Last host command per address, so the next reply can be read in its light. */
  const pending = new Map<number, { name: string; args: Uint8Array }>();

  const open = (frame: EsspFrame): { data?: Uint8Array; count?: number; error?: string } => {
    if (frame.data[0] !== STEX) return { data: frame.data };
    if (!options.key) return {};
    const r = decryptPacket(frame.data, options.key);
    return r.ok ? { data: r.data, count: r.count } : { error: r.error.message };
  };

  const decodeHost = (frame: EsspFrame, data: Uint8Array, base: DecodedEsspFrame): DecodedEsspFrame => {
    const row = commandByCode(data[0]!);
    const name = row?.name ?? `UNKNOWN_0x${data[0]!.toString(16).padStart(2, '0')}`;
    pending.set(frame.address, { name, args: data.subarray(1) });
    return {
      ...base,
      direction: 'host',
      command: name,
      ...(data.length > 1 ? { args: toHex(data.subarray(1)) } : {}),
    };
  };

  const decodeDevice = (frame: EsspFrame, data: Uint8Array, base: DecodedEsspFrame): DecodedEsspFrame => {
    const status = genericName(data[0]!) ?? 'UNKNOWN';
    const before = pending.get(frame.address);
    pending.delete(frame.address);
    const out: DecodedEsspFrame = {
      ...base,
      direction: 'device',
      status,
      ...(before ? { replyTo: before.name } : {}),
    };
    if (!before) return out;
    if (status !== 'OK') return withReply(out, before.name, data);
    if (before.name === 'POLL' || before.name === 'POLL_WITH_ACK') {
      const polled = parsePollReply(data, ctx, 1);
      return {
        ...out,
        events: polled.events,
        ...(polled.rest
          ? { undecoded: polled.rest.hex, error: polled.diagnostic?.message ?? 'undecoded bytes' }
          : {}),
      };
    }
    if (before.name === 'HOST_PROTOCOL_VERSION' && before.args[0] !== undefined) {
      ctx = { ...ctx, protocolVersion: before.args[0] };
    }
    if (before.name === 'SETUP_REQUEST') {
      try {
        const setup = decodeSetupRequest(data.subarray(1));
        ctx = {
          ...ctx,
          unitType: setup.unitType,
          ...(setup.kind !== 'printer'
            ? {
                protocolVersion: setup.protocolVersion,
                currency: setup.country,
                channels: setup.channels.map((c) => c.value),
              }
            : {}),
        };
      } catch {
        // withReply reports the decode problem.
      }
    }
    return withReply(out, before.name, data);
  };

  const withReply = (out: DecodedEsspFrame, name: string, data: Uint8Array): DecodedEsspFrame => {
    if (name.startsWith('UNKNOWN') || name === 'ENCRYPTED') return out;
    try {
      const reply = decodeReply(name as EsspCommandName, data, ctx as EsspContext);
      const { info, error } = reply;
      return {
        ...out,
        ...(info !== undefined ? { reply: info } : {}),
        ...(error ? { reply: { error } } : {}),
      };
    } catch (e) {
      return { ...out, error: isCashwireError(e) ? e.message : String(e) };
    }
  };

  return {
    decode(bytes) {
      const items: DecodeLineItem[] = [];
      const split = splitFrames(bytes);
      for (const item of split.items) {
        if (item.type === 'diagnostic') {
          items.push({
            problem: item.diagnostic.message,
            ...(item.diagnostic.hex ? { hex: item.diagnostic.hex } : {}),
          });
          continue;
        }
        const { frame, raw } = item;
        const base: DecodedEsspFrame = {
          direction: 'unknown',
          address: frame.address,
          seq: frame.seq,
          hex: toHex(raw),
          ...(frame.data[0] === STEX ? { encrypted: true } : {}),
        };
        const opened = open(frame);
        if (opened.error) {
          items.push({ ...base, error: opened.error });
          continue;
        }
        if (!opened.data) {
          // Encrypted and no key: the direction follows from what is pending.
          const direction = pending.has(frame.address) ? 'device' : 'host';
          if (direction === 'host')
            pending.set(frame.address, { name: 'ENCRYPTED', args: new Uint8Array(0) });
          else pending.delete(frame.address);
          items.push({ ...base, direction, status: 'encrypted' });
          continue;
        }
        const withCount = opened.count === undefined ? base : { ...base, count: opened.count };
        const data = opened.data;
        const isReply = genericName(data[0]!) !== undefined;
        items.push(isReply ? decodeDevice(frame, data, withCount) : decodeHost(frame, data, withCount));
      }
      if (split.rest.length > 0)
        items.push({ problem: 'incomplete frame at the end of the line', hex: toHex(split.rest) });
      return items;
    },
  };
}
