/**
 * A hand-driven eSSP host for simulator specs: builds frames with the real
 * encoders, keeps the sequence flag and the host crypto session, and returns
 * the replies the simulator wrote (synchronously, over a memory pair). Also a
 * virtual-time scheduler that can be advanced by a number of milliseconds.
 */
import { VirtualTimeScheduler } from 'rxjs';
import { expect } from 'chai';
import { toHex } from '../../../../lib/core/bytes.js';
import { createMemoryPair, type MemoryTransport } from '../../../../lib/transport/memory.js';
import {
  decodeReply,
  encodeCommand,
  type ArgsOf,
  type EsspCommandName,
  type EsspReply,
} from '../../../../lib/protocols/essp/commands/table.js';
import type { EsspContext } from '../../../../lib/protocols/essp/context.js';
import { hostIntermediate, KeyExchangeParams, sharedKey } from '../../../../lib/protocols/essp/crypto/dh.js';
import { encryptionKey, parseFixedKey } from '../../../../lib/protocols/essp/crypto/key.js';
import {
  createHostCrypto,
  type HostEncryptionSession,
} from '../../../../lib/protocols/essp/crypto/session.js';
import { parsePollReply } from '../../../../lib/protocols/essp/events/parse.js';
import type { EsspEvent } from '../../../../lib/protocols/essp/events/types.js';
import { encodeFrame, type EsspFrame } from '../../../../lib/protocols/essp/framing.js';
import { createEsspParser } from '../../../../lib/protocols/essp/parser.js';
import {
  createEsspSimulator,
  type EsspSimulator,
  type EsspSimulatorOptions,
} from '../../../../lib/protocols/essp/simulator/index.js';

/** Virtual time that only moves when told to. */
export class SteppingScheduler extends VirtualTimeScheduler {
  advance(ms: number): void {
    const target = this.frame + ms;
    this.maxFrames = target;
    this.flush();
    this.frame = target;
  }
}

export interface Received {
  readonly raw: Uint8Array;
  readonly frame: EsspFrame;
}

export class TestHost {
  seq: 0 | 1 = 1;
  crypto: HostEncryptionSession | undefined;
  ctx: EsspContext = { protocolVersion: 6, unitType: 0 };
  currency = 'EUR';
  readonly received: Received[] = [];
  readonly #parser = createEsspParser();

  readonly line: MemoryTransport;
  readonly address: number;

  constructor(line: MemoryTransport, address: number) {
    this.line = line;
    this.address = address;
    line.data$.subscribe((chunk) => {
      for (const out of this.#parser.push(chunk)) if (out.type === 'frame') this.received.push(out);
    });
  }

  /** Write raw bytes; return every frame that came back. */
  wire(bytes: Uint8Array): Received[] {
    const before = this.received.length;
    this.line.write(bytes).subscribe();
    return this.received.slice(before);
  }

  /** Send DATA with an explicit flag; returns the single reply (asserted). */
  frame(seq: 0 | 1, data: Uint8Array): Received {
    const replies = this.wire(encodeFrame({ address: this.address, seq, data }));
    expect(replies, `replies to ${toHex(data)}`).to.have.length(1);
    const reply = replies[0]!;
    expect(reply.frame.seq).to.equal(seq);
    expect(reply.frame.address).to.equal(this.address);
    return reply;
  }

  /** A new command: next flag, optional encryption; returns the reply DATA in clear. */
  send(data: Uint8Array, encrypt = this.crypto !== undefined): Uint8Array {
    const seq = this.seq;
    const out = encrypt && this.crypto ? this.crypto.wrapCommand(data) : data;
    const reply = this.frame(seq, out).frame.data;
    this.seq = seq === 1 ? 0 : 1;
    if (reply[0] !== 0x7e || this.crypto === undefined) return reply;
    const opened = this.crypto.unwrapReply(reply);
    if (!opened.ok) throw opened.error;
    return opened.data;
  }

  command<N extends EsspCommandName>(name: N, args?: ArgsOf<N>, encrypt?: boolean): EsspReply<N> {
    const data = this.send(encodeCommand(name, args as ArgsOf<N>, this.ctx), encrypt);
    return decodeReply(name, data, this.ctx);
  }

  /** HOST PROTOCOL VERSION, and decode later replies at that level. */
  protocol(version: number): void {
    expect(this.command('HOST_PROTOCOL_VERSION', { version }).status).to.equal('OK');
    this.ctx = { ...this.ctx, protocolVersion: version };
  }

  sync(): Uint8Array {
    this.seq = 1;
    const reply = this.send(Uint8Array.of(0x11), false);
    this.seq = 0;
    return reply;
  }

  /** Events of one POLL (decoded with the host-side parser). */
  poll(withAck = false): EsspEvent[] {
    const data = this.send(Uint8Array.of(withAck ? 0x56 : 0x07));
    expect(data[0], 'poll status').to.equal(0xf0);
    const parsed = parsePollReply(data.subarray(1), { ...this.ctx, currency: this.currency });
    expect(parsed.rest, 'undecoded poll bytes').to.equal(undefined);
    return parsed.events;
  }

  /** Full Diffie-Hellman exchange with the device; installs the host session. */
  negotiate(
    generator = 982451653n,
    modulus = 1287821n,
    hostRandom = 0x1234n,
    fixedKey = '0123456701234567',
  ): void {
    const params = new KeyExchangeParams(generator, modulus, hostRandom);
    this.crypto = undefined;
    expect(this.command('SET_GENERATOR', { generator }).status).to.equal('OK');
    expect(this.command('SET_MODULUS', { modulus }).status).to.equal('OK');
    const reply = this.command('REQUEST_KEY_EXCHANGE', { key: hostIntermediate(params) });
    expect(reply.status).to.equal('OK');
    const key = sharedKey(params, reply.info!.key);
    this.crypto = createHostCrypto(encryptionKey(parseFixedKey(fixedKey), key));
  }
}

/** Simulator + host over a memory pair, on a stepping scheduler. */
export function rig(options: Omit<EsspSimulatorOptions, 'scheduler'>): {
  sim: EsspSimulator;
  host: TestHost;
  clock: SteppingScheduler;
  log: string[];
} {
  const clock = new SteppingScheduler();
  const [hostEnd, deviceEnd] = createMemoryPair();
  const sim = createEsspSimulator(deviceEnd, { ...options, scheduler: clock });
  const log: string[] = [];
  sim.log$.subscribe((line) => log.push(line));
  const host = new TestHost(hostEnd, sim.address);
  host.ctx = { protocolVersion: sim.profile.defaultProtocolVersion, unitType: sim.profile.unitType };
  host.currency = sim.profile.currency;
  return { sim, host, clock, log };
}

/** Event names of a poll, for compact assertions. */
export const names = (events: readonly EsspEvent[]): string[] => events.map((e) => e.event);
