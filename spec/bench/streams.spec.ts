/**
 * The benchmark's input must be what it claims to be: over a megabyte of
 * realistic POLL replies that the real receive path decodes completely, plain
 * and encrypted, delivered in serial-sized chunks. These checks guard the
 * bench figures; they time nothing.
 */
import { expect } from 'chai';
import { concatBytes } from '../../lib/core/bytes.js';
import { SecretKey } from '../../lib/protocols/essp/crypto/key.js';
import { createHostCrypto } from '../../lib/protocols/essp/crypto/session.js';
import { parsePollReply } from '../../lib/protocols/essp/events/parse.js';
import type { EsspEvent } from '../../lib/protocols/essp/events/types.js';
import { splitFrames } from '../../lib/protocols/essp/framing.js';
import {
  checksOnlyFloor,
  deframeAndDecode,
  deframeDecryptDecode,
  deframeOnly,
  hostSessionPolls,
} from '../../bench/essp-receive.js';
import {
  BENCH_CONTEXT,
  BENCH_KEY_BYTES,
  benchKey,
  buildStreams,
  chunk,
  generateScript,
  wholeFrameChunks,
  type BenchStreams,
} from '../../bench/streams.js';

const MB = 1024 * 1024;

/** Name (and channel, for note events) of each event: what the wire carries, without derived values. */
const shape = (events: readonly EsspEvent[]): string =>
  events.map((e) => ('channel' in e ? `${e.event}:${e.channel}` : e.event)).join(' ');

describe('bench input streams', function () {
  this.timeout(30_000);
  let s: BenchStreams;

  before(() => {
    s = buildStreams();
  });

  it('holds at least 1 MB of replies, plain and encrypted', () => {
    expect(s.plain.bytes.length).to.be.at.least(MB);
    expect(s.encrypted.bytes.length).to.be.at.least(MB);
    expect(s.plain.frames).to.equal(s.script.length);
    expect(s.encrypted.frames).to.be.below(s.script.length);
  });

  it('is mostly empty and DISABLED replies, with note and payout sequences in between', () => {
    const n = s.script.length;
    const empty = s.script.filter((r) => r.length === 0).length;
    const disabled = s.script.filter((r) => r.length === 1 && r[0]!.event === 'DISABLED').length;
    expect(empty / n).to.be.within(0.4, 0.85);
    expect(disabled / n).to.be.within(0.1, 0.5);
    expect((empty + disabled) / n).to.be.above(0.75);
    const names = new Set(s.script.flat().map((e) => e.event));
    for (const name of [
      'READ_NOTE',
      'NOTE_STACKING',
      'CREDIT_NOTE',
      'NOTE_STACKED',
      'NOTE_REJECTING',
      'NOTE_REJECTED',
      'DISPENSING',
      'DISPENSED',
    ]) {
      expect(names, name).to.include(name);
    }
  });

  it('credits only the note last held in escrow, and reports payouts as protocol 6 value blocks', () => {
    let escrow = 0;
    let credits = 0;
    for (const e of s.script.flat()) {
      if (e.event === 'READ_NOTE' && e.channel > 0) escrow = e.channel;
      if (e.event === 'CREDIT_NOTE') {
        expect(e.channel).to.equal(escrow);
        credits++;
      }
    }
    expect(credits).to.be.above(100);
    const dispensing = s.script.flat().filter((e) => e.event === 'DISPENSING');
    expect(dispensing.length).to.be.above(100);
    // Wire form: DA, count 1, value u32 LE, 'EUR'.
    const split = splitFrames(s.plain.bytes.subarray(0, 200_000));
    const vc = split.items.find((i) => i.type === 'frame' && i.frame.data[1] === 0xda);
    expect(
      vc?.type === 'frame' ? [...vc.frame.data.subarray(2, 3), ...vc.frame.data.subarray(7, 10)] : [],
    ).to.deep.equal([1, 0x45, 0x55, 0x52]);
  });

  it('has frames that need byte stuffing, plain and encrypted', () => {
    expect(s.plain.stuffedFrames).to.be.above(10);
    expect(s.encrypted.stuffedFrames).to.be.above(1000);
  });

  it('arrives in 1-64 byte chunks that add up to the stream', () => {
    for (const chunks of [s.plainChunks, s.encryptedChunks]) {
      const sizes = chunks.map((c) => c.length);
      expect(Math.min(...sizes)).to.equal(1);
      expect(Math.max(...sizes)).to.equal(64);
    }
    expect(concatBytes(...s.plainChunks)).to.deep.equal(s.plain.bytes);
    expect(concatBytes(...s.encryptedChunks)).to.deep.equal(s.encrypted.bytes);
  });

  it('decodes through the receive path to every frame and event of the script, without diagnostics', () => {
    expect(deframeOnly(s.plainChunks)).to.deep.equal({
      frames: s.script.length,
      events: 0,
      diagnostics: 0,
      failures: 0,
    });
    expect(deframeAndDecode(s.plainChunks, BENCH_CONTEXT)).to.deep.equal({
      frames: s.script.length,
      events: s.events,
      diagnostics: 0,
      failures: 0,
    });
    // Independently of the streaming parser: split the whole stream and compare reply by reply.
    const { items, rest } = splitFrames(s.plain.bytes);
    expect(rest.length).to.equal(0);
    expect(items.length).to.equal(s.script.length);
    let mismatches = 0;
    items.forEach((item, i) => {
      if (item.type !== 'frame') throw new Error(`item ${i} is a ${item.diagnostic.kind} diagnostic`);
      const reply = parsePollReply(item.frame.data.subarray(1), BENCH_CONTEXT);
      const seqOk = item.frame.seq === (i % 2 === 0 ? 1 : 0);
      if (!seqOk || shape(reply.events) !== shape(s.script[i]!)) mismatches++;
    });
    expect(mismatches).to.equal(0);
  });

  it('decrypts with counts 1, 2, 3, ... to the same replies, and the count check bites', () => {
    const key = benchKey();
    const full = { frames: s.encrypted.frames, events: s.encryptedEvents, diagnostics: 0, failures: 0 };
    expect(deframeDecryptDecode(s.encryptedChunks, key, BENCH_CONTEXT)).to.deep.equal(full);
    // The host session path (wrap POLL, unwrap with its own count check) on the first replies.
    const head = s.encryptedChunks.slice(0, 4000);
    const host = createHostCrypto(benchKey());
    const viaSession = hostSessionPolls(head, host, BENCH_CONTEXT);
    host.dispose();
    expect(viaSession).to.deep.equal(deframeDecryptDecode(head, key, BENCH_CONTEXT));
    expect(viaSession.frames).to.be.above(4000);
    expect(viaSession.failures).to.equal(0);
    // Off by one count: every reply is refused.
    const shifted = deframeDecryptDecode(s.encryptedChunks.slice(0, 500), key, BENCH_CONTEXT, 2);
    expect(shifted.failures).to.equal(shifted.frames);
    expect(shifted.events).to.equal(0);
    // Another key: nothing decrypts.
    const other = Uint8Array.from(BENCH_KEY_BYTES);
    other[15] = 1;
    const wrong = deframeDecryptDecode(s.encryptedChunks.slice(0, 500), new SecretKey(other), BENCH_CONTEXT);
    expect(wrong.failures).to.equal(wrong.frames);
    expect(wrong.frames).to.be.above(100);
  });

  it('cuts into whole frames that the frame-less yardstick decodes completely, and it checks the CRC', () => {
    const whole = wholeFrameChunks(s.plain);
    expect(whole.length).to.equal(s.plain.frames);
    const joined = new Uint8Array(s.plain.bytes.length);
    let at = 0;
    for (const c of whole) {
      joined.set(c, at);
      at += c.length;
    }
    expect(at).to.equal(joined.length);
    expect(joined).to.deep.equal(s.plain.bytes);
    const full = { frames: s.script.length, events: s.events, diagnostics: 0, failures: 0 };
    expect(checksOnlyFloor(whole, BENCH_CONTEXT)).to.deep.equal(full);
    expect(deframeAndDecode(whole, BENCH_CONTEXT)).to.deep.equal(full);
    // The stuffed frames go through its unstuffing, and a damaged one is refused.
    const stuffed = whole.filter((c) => c.indexOf(0x7f, 1) > 0);
    expect(stuffed.length).to.equal(s.plain.stuffedFrames);
    const damaged = [...stuffed.slice(0, 3), Uint8Array.from(whole[0]!)];
    damaged[3]![3]! ^= 0x01;
    expect(checksOnlyFloor(damaged, BENCH_CONTEXT)).to.include({ frames: 3, diagnostics: 1 });
  });

  it('is the same for the same seed and differs for another', () => {
    const a = generateScript(2000, 5);
    expect(generateScript(2000, 5)).to.deep.equal(a);
    expect(generateScript(2000, 6)).to.not.deep.equal(a);
    expect(chunk(s.plain.bytes.subarray(0, 4096), 9)).to.deep.equal(
      chunk(s.plain.bytes.subarray(0, 4096), 9),
    );
  });
});
