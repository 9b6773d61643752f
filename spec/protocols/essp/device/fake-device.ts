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
  /** The last negotiated key (for redaction checks). */
  readonly negotiated: bigint | undefined;
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
  let negotiated: bigint | undefined;

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
      negotiated = key;
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
    get negotiated() {
      return negotiated;
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

/** SETUP_REQUEST payload of a validator-family unit at pv ≥ 6: channels in whole units × 100. */
export function validatorSetup(
  unitType: number,
  pv: number,
  currency: string,
  values: readonly number[],
): Uint8Array {
  const n = values.length;
  const country = Array.from(currency, (c) => c.charCodeAt(0));
  const out = [
    unitType,
    ...Array.from('0410', (c) => c.charCodeAt(0)),
    ...country,
    0,
    0,
    1,
    n,
    ...values,
    ...values.map(() => 2),
    0,
    0,
    100,
    pv,
    ...values.flatMap(() => country),
    ...values.flatMap((v) => [v & 0xff, (v >> 8) & 0xff, 0, 0]),
  ];
  return Uint8Array.from(out);
}

export interface ScriptedUnit {
  readonly device: FakeDevice;
  /** Poll payloads (after F0) handed out one per POLL; empty polls once drained. */
  readonly polls: Uint8Array[];
  serial: number;
}

/** A validator (or SMART Payout with unitType 6) that answers the connect sequence. */
export function scriptedUnit(
  port: MemoryTransport,
  options: {
    unitType?: number;
    maxPv?: number;
    /** Status byte refusing a protocol level above maxPv (default 0xF8 FAIL). */
    refusePv?: number;
    values?: readonly number[];
    refuseKey?: boolean;
    address?: number;
    extra?: Record<number, Handler>;
  } = {},
): ScriptedUnit {
  const maxPv = options.maxPv ?? 7;
  const unit: { polls: Uint8Array[]; serial: number; device?: FakeDevice } = {
    polls: [],
    serial: 0x004a78b4,
  };
  let pv = 6;
  const ok = (): Uint8Array => bytes(OK);
  const device = createFakeDevice(
    port,
    {
      0x06: (c) => {
        if (c[1]! > maxPv) return bytes(options.refusePv ?? 0xf8);
        pv = c[1]!;
        return ok();
      },
      0x05: () =>
        concatBytes(
          bytes(OK),
          validatorSetup(options.unitType ?? 0, pv, 'EUR', options.values ?? [5, 10, 20, 50]),
        ),
      0x0c: (c) => {
        const s = c.length > 1 ? unit.serial + c[1]! : unit.serial;
        return bytes(OK, (s >>> 24) & 0xff, (s >>> 16) & 0xff, (s >>> 8) & 0xff, s & 0xff);
      },
      0x02: ok,
      0x0a: ok,
      0x09: ok,
      0x18: ok,
      0x08: ok,
      0x5c: ok,
      0x07: () => concatBytes(bytes(OK), unit.polls.shift() ?? new Uint8Array(0)),
      ...options.extra,
    },
    {
      ...(options.address !== undefined && { address: options.address }),
      ...(options.refuseKey !== undefined && { refuseKey: options.refuseKey }),
    },
  );
  unit.device = device;
  return unit as ScriptedUnit;
}
