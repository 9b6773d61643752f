/**
 * Benchmark input: a long, deterministic byte stream of eSSP POLL replies as
 * a note validator with a payout module sends them, plain and encrypted, cut
 * into the uneven chunks a serial port delivers.
 *
 * The reply mix follows what a polled unit reports over a day: long runs of
 * empty `F0` replies and of DISABLED, note acceptances (reading, escrow,
 * stacking, credit, stacked), the odd rejected note, and payouts reporting
 * their progress with protocol 6 value blocks. Frames that need byte stuffing
 * occur the way they do on a real line: wherever a CRC byte, a value or a
 * ciphertext byte happens to be 0x7F.
 *
 * Everything is seeded, so every run measures the same bytes.
 */
import type { Money } from '../lib/core/money.js';
import { encryptPacket } from '../lib/protocols/essp/crypto/packet.js';
import { SecretKey, type RandomSource } from '../lib/protocols/essp/crypto/key.js';
import type { EventContext } from '../lib/protocols/essp/events/blocks.js';
import { encodeEvents } from '../lib/protocols/essp/events/encode.js';
import type { EsspEvent } from '../lib/protocols/essp/events/types.js';
import { encodeFrame } from '../lib/protocols/essp/framing.js';

/** Generic OK: first DATA byte of every POLL reply. */
export const POLL_OK = 0xf0;
/** POLL command code, as the host sends it. */
export const POLL = 0x07;

/** A SMART Payout (NV200 + payout module) at protocol 6, EUR dataset. */
export const BENCH_CONTEXT: EventContext = {
  protocolVersion: 6,
  unitType: 0x06,
  currency: 'EUR',
  channels: [5, 10, 20, 50, 100, 200].map((units) => eur(units * 100)),
};

/**
 * Fixed test key: the factory default fixed key followed by the negotiated
 * key 0x038E39 of the fact sheet's worked example (7.6). Test data only.
 */
export const BENCH_KEY_BYTES: Uint8Array = Uint8Array.from([
  0x67, 0x45, 0x23, 0x01, 0x67, 0x45, 0x23, 0x01, 0x39, 0x8e, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00,
]);

/** A fresh key object (sessions take ownership of theirs and wipe it on dispose). */
export function benchKey(): SecretKey {
  return new SecretKey(BENCH_KEY_BYTES);
}

function eur(amount: number): Money {
  return { amount, currency: 'EUR' };
}

/** Small, fast, seedable PRNG (mulberry32); returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Packing bytes for encrypted replies from a seeded PRNG, so runs repeat exactly. */
export function seededBytes(seed: number): RandomSource {
  const next = seededRandom(seed);
  return (out) => {
    for (let i = 0; i < out.length; i++) out[i] = Math.floor(next() * 256);
  };
}

const int = (rnd: () => number, lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));

const ev = {
  disabled: { event: 'DISABLED', code: 0xe8 },
  reading: { event: 'READ_NOTE', code: 0xef, channel: 0 },
  escrow: (channel: number): EsspEvent => ({ event: 'READ_NOTE', code: 0xef, channel }),
  credit: (channel: number): EsspEvent => ({ event: 'CREDIT_NOTE', code: 0xee, channel }),
  stacking: { event: 'NOTE_STACKING', code: 0xcc },
  stacked: { event: 'NOTE_STACKED', code: 0xeb },
  rejecting: { event: 'NOTE_REJECTING', code: 0xed },
  rejected: { event: 'NOTE_REJECTED', code: 0xec },
  dispensing: (paid: number): EsspEvent => ({ event: 'DISPENSING', code: 0xda, amounts: [eur(paid)] }),
  dispensed: (paid: number): EsspEvent => ({ event: 'DISPENSED', code: 0xd2, amounts: [eur(paid)] }),
} as const satisfies Record<string, EsspEvent | ((n: number) => EsspEvent)>;

/** Events of each reply, in poll order; an empty list is a bare `F0`. */
export type ReplyScript = readonly (readonly EsspEvent[])[];

function repeat(out: EsspEvent[][], times: number, events: readonly EsspEvent[]): void {
  for (let i = 0; i < times; i++) out.push([...events]);
}

/** One note taken in: reading, escrow, stacking, then credit and stacked. */
function noteIn(out: EsspEvent[][], rnd: () => number): void {
  const channel = int(rnd, 1, 6);
  repeat(out, int(rnd, 2, 4), [ev.reading]);
  repeat(out, int(rnd, 1, 10), [ev.escrow(channel)]);
  repeat(out, int(rnd, 3, 6), [ev.stacking]);
  if (rnd() < 0.5) out.push([ev.credit(channel), ev.stacked]);
  else out.push([ev.credit(channel)], [ev.stacked]);
}

function noteRejected(out: EsspEvent[][], rnd: () => number): void {
  repeat(out, int(rnd, 2, 4), [ev.reading]);
  repeat(out, int(rnd, 2, 5), [ev.rejecting]);
  out.push([ev.rejected]);
}

/** A payout: DISPENSING with the value paid so far on every poll, then DISPENSED. */
function payout(out: EsspEvent[][], rnd: () => number): void {
  const notes = int(rnd, 1, 6);
  let paid = 0;
  for (let n = 0; n < notes; n++) {
    repeat(out, int(rnd, 3, 8), [ev.dispensing(paid)]);
    paid += [500, 1000, 2000][int(rnd, 0, 2)]!;
  }
  out.push([ev.dispensing(paid)], [ev.dispensed(paid)]);
}

/** The reply script: at least `minReplies` replies from a seeded day of activity. */
export function generateScript(minReplies: number, seed = 1): ReplyScript {
  const rnd = seededRandom(seed);
  const out: EsspEvent[][] = [];
  while (out.length < minReplies) {
    const pick = rnd();
    if (pick < 0.4) repeat(out, int(rnd, 20, 200), []);
    else if (pick < 0.65) repeat(out, int(rnd, 10, 100), [ev.disabled]);
    else if (pick < 0.9) noteIn(out, rnd);
    else if (pick < 0.94) noteRejected(out, rnd);
    else payout(out, rnd);
  }
  return out;
}

/** POLL reply DATA fields (`F0` then the events) for a script. */
export function replyData(script: ReplyScript, ctx: EventContext = BENCH_CONTEXT): Uint8Array[] {
  const cache = new Map<string, Uint8Array>();
  return script.map((events) => {
    const payload = encodeEvents(events, ctx);
    const key = payload.join(',');
    let data = cache.get(key);
    if (data === undefined) {
      data = new Uint8Array(1 + payload.length);
      data[0] = POLL_OK;
      data.set(payload, 1);
      cache.set(key, data);
    }
    return data;
  });
}

/** Wire bytes of many frames, one after the other. */
export interface FrameStream {
  readonly bytes: Uint8Array;
  /** Complete frames in `bytes`. */
  readonly frames: number;
  /** Frames with at least one stuffed (doubled) 0x7F. */
  readonly stuffedFrames: number;
}

function join(frames: readonly Uint8Array[], unstuffedSizes: readonly number[]): FrameStream {
  let total = 0;
  let stuffed = 0;
  frames.forEach((f, i) => {
    total += f.length;
    if (f.length !== unstuffedSizes[i]) stuffed++;
  });
  const bytes = new Uint8Array(total);
  let o = 0;
  for (const f of frames) {
    bytes.set(f, o);
    o += f.length;
  }
  return { bytes, frames: frames.length, stuffedFrames: stuffed };
}

/** Replies framed as a device at `address` sends them, sequence flag alternating per poll. */
export function plainStream(replies: readonly Uint8Array[], address = 0): FrameStream {
  const frames = replies.map((data, i) => encodeFrame({ address, seq: i % 2 === 0 ? 1 : 0, data }));
  return join(
    frames,
    replies.map((d) => d.length + 5),
  );
}

/**
 * The same replies encrypted, as a device sends them once a key is agreed:
 * reply `i` is wrapped with count `i + 1` (the host's POLL went out with `i`),
 * which is what `DeviceEncryptionSession.wrapReply` does after unwrapping
 * that POLL. Stops after the first reply that brings the stream to
 * `minBytes` (all replies when omitted). Packing bytes are seeded.
 */
export function encryptedStream(
  replies: readonly Uint8Array[],
  minBytes = Infinity,
  address = 0,
  seed = 7,
): FrameStream {
  const key = benchKey();
  const random = seededBytes(seed);
  const frames: Uint8Array[] = [];
  const sizes: number[] = [];
  let total = 0;
  try {
    for (let i = 0; i < replies.length && total < minBytes; i++) {
      const outer = encryptPacket(replies[i]!, i + 1, key, random);
      const frame = encodeFrame({ address, seq: i % 2 === 0 ? 1 : 0, data: outer });
      frames.push(frame);
      sizes.push(outer.length + 5);
      total += frame.length;
    }
  } finally {
    key.wipe();
  }
  return join(frames, sizes);
}

/** Cut `bytes` into consecutive views of `min`..`max` bytes, as reads from a serial port arrive. */
export function chunk(bytes: Uint8Array, seed = 3, min = 1, max = 64): Uint8Array[] {
  const rnd = seededRandom(seed);
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = int(rnd, min, max);
    out.push(bytes.subarray(at, at + size));
    at += size;
  }
  return out;
}

function countEvents(script: ReplyScript, replies: number): number {
  let n = 0;
  for (let i = 0; i < replies; i++) n += script[i]!.length;
  return n;
}

/** Everything one benchmark run feeds the receive path. */
export interface BenchStreams {
  readonly script: ReplyScript;
  /** Events over all replies of the plain stream. */
  readonly events: number;
  /** Events over the replies the encrypted stream holds (a prefix of the script). */
  readonly encryptedEvents: number;
  readonly plain: FrameStream;
  readonly plainChunks: readonly Uint8Array[];
  readonly encrypted: FrameStream;
  readonly encryptedChunks: readonly Uint8Array[];
}

/**
 * Generate replies until the plain stream holds at least `minBytes` bytes,
 * encrypt the same replies from the first one until the encrypted stream
 * holds at least `minBytes` too (an encrypted reply is about three times the
 * size), and chunk both streams.
 */
export function buildStreams(minBytes = 1024 * 1024, seed = 1): BenchStreams {
  // About 6.6 wire bytes per plain reply for this mix; top up if short.
  let script = generateScript(Math.ceil(minBytes / 6), seed);
  let replies = replyData(script);
  let plain = plainStream(replies);
  while (plain.bytes.length < minBytes) {
    script = generateScript(Math.ceil(script.length * 1.1), seed);
    replies = replyData(script);
    plain = plainStream(replies);
  }
  const encrypted = encryptedStream(replies, minBytes);
  return {
    script,
    events: countEvents(script, script.length),
    encryptedEvents: countEvents(script, encrypted.frames),
    plain,
    plainChunks: chunk(plain.bytes, seed + 2),
    encrypted,
    encryptedChunks: chunk(encrypted.bytes, seed + 3),
  };
}

/** The stream cut at frame boundaries (walking STX, unstuffed LENGTH and CRC). */
export function wholeFrameChunks(stream: FrameStream): Uint8Array[] {
  const { bytes } = stream;
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    let i = at + 1;
    const next = (): number => {
      const b = bytes[i++]!;
      if (b === 0x7f) i++; // a stuffed 0x7F is sent twice
      return b;
    };
    next(); // SEQ/ID
    const length = next();
    for (let k = 0; k < length + 2; k++) next(); // DATA, CRC
    out.push(bytes.subarray(at, i));
    at = i;
  }
  if (out.length !== stream.frames) throw new Error(`split ${out.length} frames, expected ${stream.frames}`);
  return out;
}
