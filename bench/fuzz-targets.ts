/**
 * Every decoder and deframer the fuzzer drives, per protocol, with the valid
 * inputs it mutates and the errors each one documents throwing.
 *
 * Oracles (checked by bench/fuzz.ts):
 * - a pure decoder returns, or throws one of its documented CashwireError
 *   subclasses (`mayThrow`); anything else thrown is a finding;
 * - a streaming parser never throws, gives the same frames however the bytes
 *   are chunked, finds the same frames as the protocol's pure splitter where
 *   that is documented to follow the same rules (eSSP, Pyramid), and after
 *   reset() decodes a clean frame again;
 * - no input takes more than the per-input time budget, and a parser's memory
 *   does not grow over a long random stream.
 */
import { VirtualTimeScheduler } from 'rxjs';
import { DecodeError, type CashwireError } from '../lib/core/errors.js';
import type { DeframeOutput, FrameParser } from '../lib/operators/deframe.js';
import { createMemoryPair } from '../lib/transport/memory.js';
import { createRandom, type Random } from '../lib/testing/random.js';
import { randomChunks } from '../lib/testing/faults/mutate.js';
import * as essp from '../lib/protocols/essp/framing.js';
import { createEsspParser } from '../lib/protocols/essp/parser.js';
import { decryptPacket, encryptPacket } from '../lib/protocols/essp/crypto/packet.js';
import { SecretKey } from '../lib/protocols/essp/crypto/key.js';
import { parsePollReply } from '../lib/protocols/essp/events/parse.js';
import type { EventContext } from '../lib/protocols/essp/events/blocks.js';
import { ESSP_COMMAND_LIST, decodeReply as decodeEsspReply } from '../lib/protocols/essp/commands/table.js';
import type { EsspCommandName } from '../lib/protocols/essp/commands/table.js';
import { decodeSetupRequest } from '../lib/protocols/essp/setup.js';
import { createEsspLineDecoder } from '../lib/protocols/essp/decode-lines.js';
import { createEsspSimulator } from '../lib/protocols/essp/simulator/index.js';
import * as cc from '../lib/protocols/cctalk/framing.js';
import { createCcTalkParser } from '../lib/protocols/cctalk/parser.js';
import * as ccEvents from '../lib/protocols/cctalk/events.js';
import { decodeReply as decodeCcTalkReply } from '../lib/protocols/cctalk/headers.js';
import { parseBillId, parseCoinId } from '../lib/protocols/cctalk/coin-id.js';
import * as py from '../lib/protocols/pyramid/framing.js';
import { createPyramidParser } from '../lib/protocols/pyramid/parser.js';
import { decodeStatusBytes, decodeStatusReply } from '../lib/protocols/pyramid/status.js';
import { decodeExtendedReply } from '../lib/protocols/pyramid/extended.js';
import { createPyramidLineDecoder, decodePyramidLine } from '../lib/protocols/pyramid/decode-lines.js';

export const FUZZ_PROTOCOLS = ['essp', 'cctalk', 'pyramid'] as const;
export type FuzzProtocol = (typeof FUZZ_PROTOCOLS)[number];

type ErrorClass = abstract new (...args: never[]) => CashwireError;

export interface FuzzTarget {
  readonly protocol: FuzzProtocol;
  /** `<protocol>.<function>[:<variant>]`, also the corpus file prefix. */
  readonly name: string;
  /** Valid inputs the generator mutates. */
  readonly seeds: readonly Uint8Array[];
  /** Where length bytes sit in a seed, for the length-tweak mutation. */
  readonly lengthOffsets?: readonly number[];
  /** Errors the function documents throwing on bad bytes. */
  readonly mayThrow?: readonly ErrorClass[];
  /** Streaming parser targets get inputs of several frames and junk, and the parser checks. */
  readonly parser?: () => FrameParser<unknown>;
  /** Run the function on one input; `rnd` decides variants (chunking, context) reproducibly. */
  run(input: Uint8Array, rnd: Random): void;
}

/** A broken oracle that is not an exception of the function itself. */
export class OracleViolation extends Error {
  override readonly name = 'OracleViolation';
}

const h = (hex: string): Uint8Array =>
  Uint8Array.from(hex.match(/[0-9a-f]{2}/gi) ?? [], (b) => parseInt(b, 16));
const latin1 = (b: Uint8Array): string => String.fromCharCode(...b);

const rawHex = (raw: Uint8Array): string => Array.from(raw, (b) => b.toString(16)).join(' ');
const frameHexes = (outs: readonly DeframeOutput<unknown>[]): string[] =>
  outs.flatMap((o) => (o.type === 'frame' ? [rawHex(o.raw)] : []));

/**
 * Parser oracles: never throw (a throw propagates as a finding), same frames
 * for one chunk as for random chunks, and a clean frame after reset().
 */
function parserTarget(
  protocol: FuzzProtocol,
  name: string,
  make: () => FrameParser<unknown>,
  seeds: readonly Uint8Array[],
  lengthOffsets: readonly number[],
  /** Frames the protocol's pure splitter finds in the same bytes, when it documents the same rules. */
  reference?: (input: Uint8Array) => string[],
  /**
   * The splitter leaves an unfinished frame as `rest`, like the parser before
   * reset(): compare it with what push() gave (eSSP's reset() also looks for
   * a frame inside the dropped bytes, which a line that may go on cannot).
   */
  referenceBeforeGap = false,
): FuzzTarget {
  return {
    protocol,
    name,
    seeds,
    lengthOffsets,
    parser: make,
    run(input, rnd) {
      const whole = make();
      const pushed = whole.push(input);
      const beforeGap = frameHexes(pushed);
      const expected = frameHexes([...pushed, ...whole.reset()]);
      const chunked = make();
      const got: DeframeOutput<unknown>[] = [];
      for (const chunk of randomChunks(input, rnd)) got.push(...chunked.push(chunk));
      got.push(...chunked.reset());
      const actual = frameHexes(got);
      if (reference && reference(input).join('|') !== (referenceBeforeGap ? beforeGap : expected).join('|')) {
        throw new OracleViolation('the parser and the pure splitter disagree on the frames');
      }
      if (actual.join('|') !== expected.join('|')) {
        throw new OracleViolation(
          `chunking changed the frames: ${expected.length} whole, ${actual.length} chunked`,
        );
      }
      const clean = seeds[rnd.int(seeds.length)]!;
      const after = frameHexes(chunked.push(clean));
      if (after.length !== 1) {
        throw new OracleViolation(`after reset() a clean frame gave ${after.length} frames`);
      }
    },
  };
}

// ---------------------------------------------------------------------------
// eSSP

/** Frames a simulated NV9USB really exchanges: setup, a note through escrow to credit, and so on. */
function esspTraffic(): {
  frames: Uint8Array[];
  setup: Uint8Array[];
  polls: Uint8Array[];
  replies: Uint8Array[];
} {
  const scheduler = new VirtualTimeScheduler();
  const [host, device] = createMemoryPair();
  const sim = createEsspSimulator(device, { profile: 'NV9USB', scheduler, random: (o) => o.fill(0x5a) });
  const frames: Uint8Array[] = [];
  const setup: Uint8Array[] = [];
  const polls: Uint8Array[] = [];
  const replies: Uint8Array[] = [];
  let last: Uint8Array = new Uint8Array(0);
  host.data$.subscribe((c) => (last = c));
  let seq: 0 | 1 = 1;
  const send = (...data: number[]): Uint8Array => {
    const wire = essp.encodeFrame({ address: 0, seq, data: Uint8Array.from(data) });
    seq = seq === 1 ? 0 : 1;
    host.write(wire).subscribe();
    scheduler.flush();
    frames.push(wire, last);
    const item = essp.splitFrames(last).items[0];
    const reply = item?.type === 'frame' ? item.frame.data : new Uint8Array(0);
    replies.push(Uint8Array.of(data[0]!, ...reply));
    return reply;
  };
  send(0x11);
  send(0x06, 7);
  setup.push(send(0x05).subarray(1));
  send(0x0c);
  send(0x0d);
  send(0x0e);
  send(0x02, 0xff, 0xff);
  send(0x0a);
  sim.insertNote(2);
  for (let i = 0; i < 12; i++) {
    polls.push(send(0x07).subarray(1));
    scheduler.schedule(() => undefined, 500);
    scheduler.flush();
  }
  sim.insertNote(3);
  sim.rejectNext();
  sim.insertNote(1);
  for (let i = 0; i < 12; i++) {
    polls.push(send(0x07).subarray(1));
    scheduler.schedule(() => undefined, 500);
    scheduler.flush();
  }
  sim.dispose();
  return {
    frames: frames.filter((f) => f.length > 0),
    setup,
    polls: polls.filter((p) => p.length > 0),
    replies,
  };
}

const FUZZ_KEY = new SecretKey(h('67452301674523010102030405060708'));

function esspTargets(): FuzzTarget[] {
  const t = esspTraffic();
  const encrypted = [h('07'), h('0501'), h('f0ef0102cceb')].map((d, i) =>
    encryptPacket(d, i + 1, FUZZ_KEY, (o) => o.fill(0x33)),
  );
  const encryptedFrames = encrypted.map((data) => essp.encodeFrame({ address: 0, seq: 1, data }));
  const frames = [...t.frames, ...encryptedFrames];
  const contexts: EventContext[] = [4, 5, 6, 7, 8].flatMap((protocolVersion) =>
    [0x00, 0x03, 0x06, 0x07].map((unitType) => ({ protocolVersion, unitType })),
  );
  const names = ESSP_COMMAND_LIST.map((c) => c.name as EsspCommandName);
  return [
    {
      protocol: 'essp',
      name: 'essp.decodeFrame',
      seeds: frames,
      lengthOffsets: [2],
      run: (b) => essp.decodeFrame(b),
    },
    { protocol: 'essp', name: 'essp.unstuffBytes', seeds: frames, run: (b) => essp.unstuffBytes(b) },
    {
      protocol: 'essp',
      name: 'essp.splitFrames',
      seeds: frames,
      lengthOffsets: [2],
      run: (b) => essp.splitFrames(b),
    },
    parserTarget(
      'essp',
      'essp.createEsspParser',
      createEsspParser,
      frames,
      [2],
      (b) => essp.splitFrames(b).items.flatMap((i) => (i.type === 'frame' ? [rawHex(i.raw)] : [])),
      true,
    ),
    {
      protocol: 'essp',
      name: 'essp.decryptPacket',
      seeds: encrypted,
      run: (b, rnd) => decryptPacket(b, FUZZ_KEY, rnd.chance(0.5) ? rnd.int(4) : undefined),
    },
    {
      protocol: 'essp',
      name: 'essp.parsePollReply',
      seeds: t.polls,
      run: (b, rnd) => parsePollReply(b, rnd.pick(contexts)),
    },
    {
      // First byte picks the command; the rest is the reply DATA (status byte first).
      protocol: 'essp',
      name: 'essp.decodeReply',
      seeds: t.replies.map((r) =>
        Uint8Array.of(
          names.findIndex((n, i) => ESSP_COMMAND_LIST[i]!.code === r[0]),
          ...r.subarray(1),
        ),
      ),
      mayThrow: [DecodeError],
      run: (b, rnd) => decodeEsspReply(names[(b[0] ?? 0) % names.length]!, b.subarray(1), rnd.pick(contexts)),
    },
    {
      protocol: 'essp',
      name: 'essp.decodeSetupRequest',
      seeds: t.setup,
      mayThrow: [DecodeError],
      run: (b) => decodeSetupRequest(b),
    },
    {
      protocol: 'essp',
      name: 'essp.createEsspLineDecoder',
      seeds: frames.map((f, i) =>
        i % 2 === 0 && frames[i + 1] ? Uint8Array.of(...f, ...frames[i + 1]!) : f,
      ),
      lengthOffsets: [2],
      run: (b, rnd) => createEsspLineDecoder(rnd.chance(0.5) ? { key: FUZZ_KEY } : {}).decode(b),
    },
  ];
}

// ---------------------------------------------------------------------------
// ccTalk

function cctalkTargets(): FuzzTarget[] {
  const simple: Uint8Array[] = [
    cc.encodeFrame({ destination: 2, header: 254 }, 'simple'),
    cc.encodeFrame({ destination: 1, source: 2, header: 0 }, 'simple'),
    cc.encodeFrame(
      { destination: 1, source: 2, header: 0, data: h('05 03 00 01 00 02 00 00 00 00 00') },
      'simple',
    ),
    cc.encodeFrame(
      { destination: 1, source: 2, header: 0, data: h('43 6f 69 6e 20 41 63 63 65 70 74 6f 72') },
      'simple',
    ),
    cc.encodeFrame({ destination: 2, header: 231, data: h('ff ff') }, 'simple'),
  ];
  const crc = simple.map((f) => {
    const d = cc.decodeFrame(f, 'simple');
    if (d._tag === 'Left') throw new Error('bad ccTalk seed');
    return cc.encodeFrame(d.right, 'crc16');
  });
  const frames = [...simple, ...crc];
  const buffers = [
    h('05 03 00 01 00 02 00 00 00 00 00'),
    h('00 00 00 00 00 00 00 00 00 00 00'),
    h('ff 00 01 02 03 04 05 06 07 08 09'),
  ];
  const replies = [
    h('e5 05 03 00 01 00 02 00 00 00 00 00'),
    h('f5 43 6f 69 6e 20 41 63 63 65 70 74 6f 72'),
    h('f4 45 55 32 30 30 41'),
    h('e8 00'),
    h('f6 42 41 55'),
    h('b8 45 55 32 30 30 41'),
  ];
  const ids = ['EU200A', 'GB010B', '......', 'US025A', 'EU0100A', 'GB0005A'].map((s) =>
    Uint8Array.from(s, (c) => c.charCodeAt(0)),
  );
  const mixed = (a: number) => (a % 2 === 0 ? 'simple' : 'crc16');
  return [
    ...(['simple', 'crc16'] as const).flatMap((mode): FuzzTarget[] => [
      {
        protocol: 'cctalk',
        name: `cctalk.decodeFrame:${mode}`,
        seeds: frames,
        lengthOffsets: [1],
        run: (b) => cc.decodeFrame(b, mode),
      },
      {
        protocol: 'cctalk',
        name: `cctalk.splitFrames:${mode}`,
        seeds: frames,
        lengthOffsets: [1],
        run: (b) => cc.splitFrames(b, mode),
      },
      parserTarget(
        'cctalk',
        `cctalk.createCcTalkParser:${mode}`,
        () => createCcTalkParser({ mode }),
        mode === 'simple' ? simple : crc,
        [1],
      ),
    ]),
    parserTarget(
      'cctalk',
      'cctalk.createCcTalkParser:mixed',
      () => createCcTalkParser({ mode: mixed, maxDataLength: 64 }),
      simple.slice(0, 1),
      [1],
    ),
    {
      protocol: 'cctalk',
      name: 'cctalk.decodeCoinBuffer',
      seeds: buffers,
      run: (b) => ccEvents.decodeCoinBuffer(b),
    },
    {
      protocol: 'cctalk',
      name: 'cctalk.decodeBillBuffer',
      seeds: buffers,
      run: (b) => ccEvents.decodeBillBuffer(b),
    },
    {
      protocol: 'cctalk',
      name: 'cctalk.decodeSelfCheck',
      seeds: [h('00'), h('05'), h('ff 01')],
      run: (b) => ccEvents.decodeSelfCheck(b),
    },
    {
      protocol: 'cctalk',
      name: 'cctalk.decodePairs',
      seeds: buffers,
      run: (b) => {
        for (let i = 0; i + 1 < b.length; i += 2) {
          ccEvents.decodeCoinPair(b[i]!, b[i + 1]!);
          ccEvents.decodeBillPair(b[i]!, b[i + 1]!);
          ccEvents.decodeCvf(b[i]!);
          ccEvents.faultName(b[i]!);
        }
      },
    },
    {
      protocol: 'cctalk',
      name: 'cctalk.decodeReply',
      seeds: replies,
      run: (b) => decodeCcTalkReply(b[0] ?? 0, b.subarray(1)),
    },
    {
      protocol: 'cctalk',
      name: 'cctalk.parseCoinId',
      seeds: ids,
      run: (b, rnd) => {
        parseCoinId(latin1(b));
        parseBillId(latin1(b), { factor: rnd.pick([1, 5, 100, 1000]), decimalPlaces: rnd.int(4) });
      },
    },
  ];
}

// ---------------------------------------------------------------------------
// Pyramid

function pyramidTargets(): FuzzTarget[] {
  const frames = [
    py.encodeHostPoll({ enableMask: 0x7f, escrow: true, ack: 0 }),
    py.encodeHostPoll({ enableMask: 0x01, escrow: true, stack: true, ack: 1 }),
    py.encodeFrame({ messageType: 2, ack: 0, data: h('01 10 00 00 00 00') }),
    py.encodeFrame({ messageType: 2, ack: 1, data: h('04 10 18 00 01 02') }),
    py.encodeFrame({
      messageType: 7,
      ack: 0,
      data: h('02 01 10 00 00 00 00 02 55 53 44 30 30 31 2b 30 30 41 42 43 44 00 00 00'),
    }),
    py.encodeFrame({
      messageType: 7,
      ack: 1,
      data: h(
        '01 01 10 00 00 00 00 31 32 33 34 35 36 37 38 39 30 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00',
      ),
    }),
    py.encodeSoftReset(0),
  ];
  const asFrame = (b: Uint8Array): py.PyramidFrame => ({
    messageType: (b[0] ?? 0) & 7,
    ack: ((b[0] ?? 0) >> 3) & 1 ? 1 : 0,
    deviceType: ((b[0] ?? 0) >> 4) & 7,
    data: b.subarray(1),
  });
  const bodies = frames.map((f) => Uint8Array.of((f[2]! >> 4) & 7, ...f.subarray(3, f.length - 2)));
  return [
    {
      protocol: 'pyramid',
      name: 'pyramid.decodeFrame',
      seeds: frames,
      lengthOffsets: [1],
      run: (b) => py.decodeFrame(b),
    },
    {
      protocol: 'pyramid',
      name: 'pyramid.scanFrames',
      seeds: frames,
      lengthOffsets: [1],
      run: (b, rnd) => py.scanFrames(b, rnd.chance(0.5)),
    },
    {
      protocol: 'pyramid',
      name: 'pyramid.splitFrames',
      seeds: frames,
      lengthOffsets: [1],
      run: (b) => py.splitFrames(b),
    },
    parserTarget('pyramid', 'pyramid.createPyramidParser', createPyramidParser, frames, [1], (b) =>
      py.splitFrames(b).flatMap((i) => (i.kind === 'frame' ? [rawHex(i.raw)] : [])),
    ),
    {
      protocol: 'pyramid',
      name: 'pyramid.decodeStatus',
      seeds: bodies,
      run: (b, rnd) => {
        decodeStatusBytes(b, rnd.int(3));
        py.decodeOmnibus(b, rnd.int(3));
      },
    },
    {
      // First byte sets type, ack and device type of a frame object; the rest is its data.
      protocol: 'pyramid',
      name: 'pyramid.decodeFrameObject',
      seeds: bodies,
      run: (b) => {
        const f = asFrame(b);
        decodeStatusReply(f);
        decodeExtendedReply(f);
        py.decodeHostPoll(f);
      },
    },
    {
      protocol: 'pyramid',
      name: 'pyramid.lineDecoder',
      seeds: frames,
      lengthOffsets: [1],
      run: (b) => createPyramidLineDecoder().decode(b),
    },
    {
      protocol: 'pyramid',
      name: 'pyramid.decodePyramidLine',
      seeds: frames.map((f) =>
        Uint8Array.from(Array.from(f, (x) => x.toString(16).padStart(2, '0')).join(' '), (c) =>
          c.charCodeAt(0),
        ),
      ),
      run: (b, rnd) => decodePyramidLine(latin1(b), 1, rnd.pick(['auto', 'hex', 'dec'] as const)),
    },
  ];
}

let cache: Readonly<Record<FuzzProtocol, readonly FuzzTarget[]>> | undefined;

/** Every target, per protocol (built once: the eSSP seeds come from a simulator run). */
export function fuzzTargets(): Readonly<Record<FuzzProtocol, readonly FuzzTarget[]>> {
  cache ??= { essp: esspTargets(), cctalk: cctalkTargets(), pyramid: pyramidTargets() };
  return cache;
}

export function targetByName(name: string): FuzzTarget | undefined {
  for (const list of Object.values(fuzzTargets())) {
    const t = list.find((x) => x.name === name);
    if (t) return t;
  }
  return undefined;
}

/** A fixed generator for replays: the same input always runs with the same variant choices. */
export const replayRandom = (input: Uint8Array): Random =>
  createRandom(input.reduce((a, b) => (a * 31 + b) >>> 0, 7));
