/**
 * A scripted eSSP slave for unit tests: it answers frames over a memory pair
 * with exact wire bytes, follows the slave's sequence-flag rules (a repeated
 * flag gets the cached reply, SYNC always runs), performs the key exchange
 * and the eCOUNT rules through the device-side crypto session, and lets a
 * test script the payload of every command and drop replies on purpose.
 */
import { bytes, concatBytes, readU64le, toHex, u64le } from '../../../../lib/core/bytes.js';
import {
  type DeviceEncryptionSession,
  STEX,
  createDeviceCrypto,
  encryptionKey,
  intermediateKey,
  parseFixedKey,
  sharedSecret,
} from '../../../../lib/protocols/essp/crypto/index.js';
import { encodeFrame } from '../../../../lib/protocols/essp/framing.js';
import { createEsspParser } from '../../../../lib/protocols/essp/parser.js';
import type { MemoryTransport } from '../../../../lib/transport/memory.js';

export const OK = 0xf0;

/** Reply DATA (status byte first) for a command, or undefined to stay silent. */
export type Handler = (command: Uint8Array, device: FakeDevice) => Uint8Array | undefined;

export interface Received {
  readonly address: number;
  readonly seq: 0 | 1;
  /** Command bytes after decryption. */
  readonly data: string;
  readonly encrypted: boolean;
  /** True when the frame repeated the last flag and got the cached reply. */
  readonly replayed: boolean;
}

export interface FakeDevice {
  readonly received: Received[];
  /** Hex of every frame written by the device. */
  readonly sent: string[];
  /** Drop the next `n` replies after executing their commands (as if the line lost them). */
  dropReplies(n: number): void;
  /** Answer nothing at all (device unplugged) until set back to false. */
  silent: boolean;
  /** Forget the key, flags and cache, as after a power cycle. */
  reset(): void;
  readonly encrypted: boolean;
  handlers: Record<number, Handler>;
}

const DEVICE_EXPONENT = 0x4321n;

export function createFakeDevice(
  port: MemoryTransport,
  handlers: Record<number, Handler> = {},
  options: { address?: number | readonly number[]; fixedKey?: string; refuseKey?: boolean } = {},
): FakeDevice {
  const addresses = new Set(
    options.address === undefined
      ? [0]
      : typeof options.address === 'number'
        ? [options.address]
        : options.address,
  );
  const parser = createEsspParser();
  const state = new Map<number, { seq: number | undefined; cached: Uint8Array | undefined }>();
  let crypto: DeviceEncryptionSession | undefined;
  let generator: bigint | undefined;
  let modulus: bigint | undefined;
  let drop = 0;

  const builtIn: Record<number, Handler> = {
    0x11: () => bytes(OK),
    0x4a: (c) => {
      generator = readU64le(c, 1);
      return bytes(OK);
    },
    0x4b: (c) => {
      modulus = readU64le(c, 1);
      return bytes(OK);
    },
    0x4c: (c) => {
      if (options.refuseKey === true) return bytes(0xf2);
      if (generator === undefined || modulus === undefined) return bytes(0xf8);
      const hostInter = readU64le(c, 1);
      const key = sharedSecret(hostInter, DEVICE_EXPONENT, modulus);
      crypto?.dispose();
      crypto = createDeviceCrypto(encryptionKey(parseFixedKey(options.fixedKey ?? '0123456701234567'), key));
      return concatBytes(bytes(OK), u64le(intermediateKey(generator, modulus, DEVICE_EXPONENT)));
    },
  };

  const device: FakeDevice = {
    received: [],
    sent: [],
    silent: false,
    handlers,
    dropReplies: (n) => {
      drop += n;
    },
    reset: () => {
      crypto?.dispose();
      crypto = undefined;
      state.clear();
    },
    get encrypted() {
      return crypto !== undefined;
    },
  };

  const write = (wire: Uint8Array): void => {
    if (drop > 0) {
      drop -= 1;
      return;
    }
    device.sent.push(toHex(wire));
    port.write(wire).subscribe();
  };

  const onFrame = (address: number, seq: 0 | 1, data: Uint8Array): void => {
    if (!addresses.has(address) || device.silent) return;
    const s = state.get(address) ?? { seq: undefined, cached: undefined };
    state.set(address, s);
    const isSync = data[0] === 0x11;
    if (!isSync && s.seq === seq && s.cached !== undefined) {
      device.received.push({ address, seq, data: toHex(data), encrypted: data[0] === STEX, replayed: true });
      write(s.cached);
      return;
    }
    let command = data;
    const encrypted = data[0] === STEX;
    if (encrypted) {
      const r = crypto?.unwrapCommand(data);
      if (r === undefined || !r.ok) {
        const wire = encodeFrame({ address, seq, data: bytes(0xfa) });
        s.seq = seq;
        s.cached = wire;
        write(wire);
        return;
      }
      command = r.data;
    }
    device.received.push({ address, seq, data: toHex(command), encrypted, replayed: false });
    const handler = device.handlers[command[0]!] ?? builtIn[command[0]!];
    const reply = handler ? handler(command, device) : bytes(0xf2);
    if (reply === undefined) return;
    const out = encrypted && crypto ? crypto.wrapReply(reply) : reply;
    const wire = encodeFrame({ address, seq, data: out });
    s.seq = seq;
    s.cached = wire;
    write(wire);
  };

  port.data$.subscribe({
    next: (chunk) => {
      for (const o of parser.push(chunk))
        if (o.type === 'frame') onFrame(o.frame.address, o.frame.seq, o.frame.data);
    },
    error: () => undefined,
  });
  return device;
}
