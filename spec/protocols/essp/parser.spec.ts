import { expect } from 'chai';
import fc from 'fast-check';
import { map } from 'rxjs';
import { concatBytes, fromHex, toHex } from '../../../lib/core/bytes.js';
import type { DeframeOutput } from '../../../lib/operators/deframe.js';
import {
  decodeFrame,
  encodeFrame,
  ESSP_MAX_ADDRESS,
  ESSP_STX,
  splitFrames,
  type EsspFrame,
  type EsspFrameError,
} from '../../../lib/protocols/essp/framing.js';
import { createEsspParser, deframeEssp } from '../../../lib/protocols/essp/parser.js';
import {
  chunkedFrames,
  cutAt,
  esspBytes,
  esspFrame,
  esspFrames,
  junkWithoutStx,
  wireOf,
} from '../../helpers/essp-arbitraries.js';
import { createTestScheduler } from '../../helpers/marbles.js';

type Out = DeframeOutput<EsspFrame>;

function feed(chunks: readonly Uint8Array[]): Out[] {
  const parser = createEsspParser();
  return chunks.flatMap((c) => parser.push(c));
}

const framesIn = (outs: readonly Out[]): EsspFrame[] =>
  outs.flatMap((o) => (o.type === 'frame' ? [o.frame] : []));
const reasonsIn = (outs: readonly Out[]): string[] =>
  outs.flatMap((o) => (o.type === 'diagnostic' ? [(o.diagnostic as EsspFrameError).reason] : []));

/** Indexes just after every 0x7F, so that chunks end on a 0x7F. */
const afterEachStx = (bytes: Uint8Array): number[] =>
  [...bytes.keys()].filter((i) => bytes[i] === ESSP_STX).map((i) => i + 1);

describe('eSSP streaming parser', () => {
  it('yields the fact sheet SYNC exchange with exact raw bytes', () => {
    const outs = feed([fromHex('7F 80 01 11 65 82 7F 80 01 F0 23 80')]);
    expect(outs.map((o) => o.type === 'frame' && toHex(o.raw))).to.deep.equal([
      '7F 80 01 11 65 82',
      '7F 80 01 F0 23 80',
    ]);
    expect(framesIn(outs)).to.deep.equal([
      { address: 0, seq: 1, data: fromHex('11') },
      { address: 0, seq: 1, data: fromHex('F0') },
    ]);
  });

  it('holds a 0x7F that ends a chunk until the next byte (stuffed CRC byte)', () => {
    const parser = createEsspParser();
    expect(parser.push(fromHex('7F 10 01 0A 7F'))).to.deep.equal([]);
    expect(parser.pending).to.equal(true);
    const outs = parser.push(fromHex('7F 89'));
    expect(outs.map((o) => o.type === 'frame' && toHex(o.raw))).to.deep.equal(['7F 10 01 0A 7F 7F 89']);
    expect(parser.pending).to.equal(false);
  });

  it('treats a held 0x7F followed by another byte as a new STX', () => {
    const parser = createEsspParser();
    parser.push(fromHex('7F 80 05 01 7F'));
    const outs = parser.push(fromHex('00 01 11 66 08'));
    expect(reasonsIn(outs)).to.deep.equal(['stx']);
    expect(outs[0]?.type === 'diagnostic' && outs[0].diagnostic.hex).to.equal('7F 80 05 01');
    expect(framesIn(outs)).to.deep.equal([{ address: 0, seq: 0, data: fromHex('11') }]);
  });

  it('reports junk before an STX once per run per chunk, with its bytes', () => {
    const outs = feed([fromHex('01 02 03 7F 80 01 11 65 82 AA BB')]);
    expect(outs.map((o) => (o.type === 'frame' ? 'frame' : o.diagnostic.kind))).to.deep.equal([
      'discarded',
      'frame',
      'discarded',
    ]);
    expect(outs[0]).to.deep.include({ type: 'diagnostic' });
    expect(outs[0]?.type === 'diagnostic' && outs[0].diagnostic).to.deep.include({
      protocol: 'essp',
      hex: '01 02 03',
      info: { reason: 'junk', count: 3 },
    });
  });

  it('keeps only the start of a long junk run as hex but counts it all', () => {
    const outs = feed([new Uint8Array(1000)]);
    expect(outs).to.have.length(1);
    const d = outs[0]?.type === 'diagnostic' ? outs[0].diagnostic : undefined;
    expect(d?.info).to.deep.include({ count: 1000, truncated: true });
    expect(d?.hex?.split(' ')).to.have.length(128);
  });

  it('cuts whole frames out of one chunk with their exact raw bytes, stuffed or not', () => {
    const plainFrame = encodeFrame({ address: 0, seq: 1, data: fromHex('F0 EF 01') });
    const stuffed = encodeFrame({ address: 0, seq: 0, data: fromHex('F0 7F 01') });
    expect(toHex(stuffed)).to.include('7F 7F');
    const outs = feed([concatBytes(plainFrame, stuffed, plainFrame)]);
    expect(reasonsIn(outs)).to.deep.equal([]);
    expect(outs.map((o) => (o.type === 'frame' ? toHex(o.raw) : ''))).to.deep.equal([
      toHex(plainFrame),
      toHex(stuffed),
      toHex(plainFrame),
    ]);
    expect(framesIn(outs).map((f) => toHex(f.data))).to.deep.equal(['F0 EF 01', 'F0 7F 01', 'F0 EF 01']);
    // The frames own their bytes: changing the chunk afterwards changes nothing.
    const chunk = concatBytes(plainFrame);
    const [only] = framesIn(feed([chunk]));
    chunk.fill(0);
    expect(toHex(only!.data)).to.equal('F0 EF 01');
  });

  describe('a damaged frame that ends in a stuffed 7F (found by the soak)', () => {
    // An encrypted POLL whose CRC ends in 0x7F is sent `.. 7F 7F`. When its STX is damaged,
    // that stuffed pair is the first 0x7F the receiver sees: it pairs with the real STX of the
    // retransmission (`7F 7F | 7F 00 11`), and each identical retransmission would be lost the
    // same way. The unit then never hears the command, the host reconnects, a credit is lost.
    const poll = fromHex('7F 00 11 7E 4C B5 9F 3E 01 9D B5 03 DD 1D 47 62 5A B2 F7 2D F2 7F 7F');
    const damaged = Uint8Array.from(poll, (b, i) => (i === 0 ? 0x5f : b));

    it('every retransmission after the damaged copy is received', () => {
      const outs = feed([damaged, poll, poll, poll]);
      expect(framesIn(outs)).to.have.length(3);
      expect(outs.flatMap((o) => (o.type === 'frame' ? [toHex(o.raw)] : []))).to.deep.equal([
        toHex(poll),
        toHex(poll),
        toHex(poll),
      ]);
    });

    it('a reply swallowed by an attempt that the next STX ends is received (found by the property below)', () => {
      // The damaged frame's `7F 7F` pairs with the reply's STX; the reply's SEQ byte 0x80 is
      // then read as LENGTH 128, and the next frame's STX ends that attempt long before it
      // could complete. The reply hides inside the dropped bytes.
      const brokenStx = fromHex('00 7D 05 8F 06 F1 02 81 AC 7F 7F');
      const reply = fromHex('7F 80 01 00 03 82');
      const next = fromHex('7F 00 01 7F 7F 01 89');
      const line = concatBytes(brokenStx, reply, next);
      const want = [toHex(reply), toHex(next)];
      const rawsOf = (outs: Out[]): string[] =>
        outs.flatMap((o) => (o.type === 'frame' ? [toHex(o.raw)] : []));
      expect(rawsOf(feed([line]))).to.deep.equal(want);
      expect(rawsOf(feed([...line].map((b) => Uint8Array.of(b))))).to.deep.equal(want);
      expect(reasonsIn(feed([line]))).to.deep.equal(['junk', 'stx']);
      const split = splitFrames(line).items.flatMap((i) => (i.type === 'frame' ? [toHex(i.raw)] : []));
      expect(split).to.deep.equal(want);
    });

    it('the lone 0x7F that ended the attempt starts the next frame, whatever the rescan left half-collected', () => {
      // Rescanned from the hidden STX, the attempt's stuffed pairs fall out of step and end in a
      // held 0x7F; the lone 0x7F must not pair with it (found by the property below).
      const next = fromHex('7F 00 01 00 00 08');
      for (const partial of [
        fromHex('7F 00 0A 7F 7F 00 00 00 00 7F 7F 7F 7F 7F 7F'),
        fromHex('7F 00 0B 7F 7F 00 00 00 00 00 00 7F 7F'),
      ]) {
        const line = concatBytes(partial, next);
        const outs = feed([line]);
        expect(reasonsIn(outs), toHex(partial)).to.deep.equal(['stx']);
        expect(outs.flatMap((o) => (o.type === 'frame' ? [toHex(o.raw)] : []))).to.deep.equal([toHex(next)]);
        const { items, rest } = splitFrames(line);
        expect(items.map((i) => (i.type === 'frame' ? toHex(i.raw) : i.diagnostic.kind))).to.deep.equal([
          'resync',
          toHex(next),
        ]);
        expect(rest).to.have.length(0);
      }
    });

    it('reports the damage once, not once per rescanned byte', () => {
      const outs = feed([damaged, poll]);
      const kinds = outs.map((o) => (o.type === 'frame' ? 'frame' : o.diagnostic.kind));
      expect(kinds).to.deep.equal(['discarded', 'resync', 'frame']);
    });

    it('in one chunk, byte by byte, and split at the stuffed pair alike', () => {
      const line = concatBytes(damaged, poll, poll);
      const whole = framesIn(feed([line]));
      expect(whole).to.have.length(2);
      expect(framesIn(feed([...line].map((b) => Uint8Array.of(b))))).to.deep.equal(whole);
      const at = damaged.length - 1;
      expect(framesIn(feed([line.subarray(0, at), line.subarray(at)]))).to.deep.equal(whole);
    });

    it('property: after a frame whose STX was damaged, every later frame is received', () => {
      // Frames that end in a stuffed byte are the hard case: give them a good chance.
      const endsStuffed = esspFrame.map((f) => ({
        ...f,
        data: concatBytes(f.data.subarray(0, 254), Uint8Array.of(ESSP_STX)),
      }));
      const line = fc.record({
        before: fc.array(esspFrame, { maxLength: 2 }),
        damaged: fc.oneof(esspFrame, endsStuffed),
        after: fc.array(fc.oneof(esspFrame, endsStuffed), { minLength: 1, maxLength: 4 }),
        stx: fc.integer({ min: 0, max: 255 }).filter((b) => b !== ESSP_STX),
        cuts: fc.array(fc.nat(), { maxLength: 8 }),
      });
      fc.assert(
        fc.property(line, ({ before, damaged, after, stx, cuts }) => {
          const broken = encodeFrame(damaged);
          broken[0] = stx;
          const bytes = concatBytes(wireOf(before), broken, wireOf(after));
          const parser = createEsspParser();
          const outs = cutAt(
            bytes,
            cuts.map((c) => c % bytes.length),
          ).flatMap((c) => parser.push(c));
          outs.push(...parser.reset());
          const got = framesIn(outs).map((f) => toHex(encodeFrame(f)));
          const want = [...before, ...after].map((f) => toHex(encodeFrame(f)));
          // Every intact frame, in order. (The damaged frame's own bytes may, once in
          // 65 536 tries, pass a CRC by chance: what stops a false frame is the CRC, here as
          // everywhere, so extra frames are not what this property is about.)
          let at = 0;
          for (const frame of got) if (frame === want[at]) at++;
          expect(at, `received ${JSON.stringify(got)}`).to.equal(want.length);
        }),
        { numRuns: 300 },
      );
    });

    it('a frame hidden inside a half-collected one is found when the line goes quiet', () => {
      const parser = createEsspParser();
      // The tail `7F 7F` of a damaged frame pairs with the reply's STX; the reply's SEQ byte 0x80
      // is then read as LENGTH 128, and the reply sits inside a frame that never completes.
      const reply = fromHex('7F 80 01 F0 23 80');
      const pushed = parser.push(concatBytes(fromHex('7F 7F'), reply));
      expect(framesIn(pushed)).to.deep.equal([]);
      expect(parser.pending).to.equal(true);
      const atGap = parser.reset();
      // One diagnostic for the dropped bytes (a resync for the gap), then the reply they hid.
      expect(reasonsIn(atGap)).to.deep.equal(['gap']);
      expect(atGap.map((o) => o.type)).to.deep.equal(['diagnostic', 'frame']);
      expect(atGap.flatMap((o) => (o.type === 'frame' ? [toHex(o.raw)] : []))).to.deep.equal([toHex(reply)]);
      expect(parser.pending).to.equal(false);
    });
  });

  it('reports a bad CRC as a crc diagnostic naming both values in hex', () => {
    const outs = feed([fromHex('7F 80 01 11 65 83 7F 00 01 11 66 08')]);
    expect(reasonsIn(outs)).to.deep.equal(['crc']);
    const d = outs[0]?.type === 'diagnostic' ? outs[0].diagnostic : undefined;
    expect(d).to.deep.include({ kind: 'crc', protocol: 'essp', hex: '7F 80 01 11 65 83' });
    expect(d?.message).to.contain('0x8265').and.contain('0x8365');
    expect(framesIn(outs)).to.have.length(1);
  });

  it('drops a frame with LENGTH 0 and treats what follows as junk', () => {
    const outs = feed([fromHex('7F 80 00 11 7F 00 01 11 66 08')]);
    expect(outs.map((o) => (o.type === 'frame' ? 'frame' : o.diagnostic.kind))).to.deep.equal([
      'resync',
      'discarded',
      'frame',
    ]);
    expect(reasonsIn(outs)[0]).to.equal('length');
  });

  it('reset() drops a partial frame with a diagnostic, and is silent when idle', () => {
    const parser = createEsspParser();
    expect(parser.reset()).to.deep.equal([]);
    parser.push(fromHex('7F 80 01 7F'));
    const outs = parser.reset();
    expect(reasonsIn(outs)).to.deep.equal(['gap']);
    expect(outs[0]?.type === 'diagnostic' && outs[0].diagnostic).to.deep.include({
      kind: 'resync',
      hex: '7F 80 01 7F',
    });
    expect(parser.pending).to.equal(false);
    expect(framesIn(parser.push(fromHex('7F 80 01 11 65 82')))).to.have.length(1);
  });

  it('drops a partial frame after an inter-byte gap (virtual time)', () => {
    createTestScheduler().run(({ cold, expectObservable }) => {
      const bytes = { a: fromHex('7F 80 01'), b: fromHex('11 65 82'), c: fromHex('7F 80 01 11 65 82') };
      const summary = cold('a 100ms b 10ms c|', bytes).pipe(
        deframeEssp({ interByteGapMs: 50 }),
        map((o) => (o.type === 'frame' ? toHex(o.raw) : (o.diagnostic as EsspFrameError).reason)),
      );
      expectObservable(summary).toBe('50ms g 50ms j 10ms f|', {
        g: 'gap',
        j: 'junk',
        f: '7F 80 01 11 65 82',
      });
    });
  });

  describe('properties', () => {
    it('any chunking of a frame stream yields the same frames, raw bytes and nothing else', () => {
      fc.assert(
        fc.property(chunkedFrames, ({ frames, chunks }) => {
          const parser = createEsspParser();
          const outs = chunks.flatMap((c) => parser.push(c));
          expect(outs.map((o) => o.type)).to.deep.equal(frames.map(() => 'frame'));
          expect(framesIn(outs)).to.deep.equal(frames);
          expect(outs.map((o) => o.type === 'frame' && toHex(o.raw))).to.deep.equal(
            frames.map((f) => toHex(encodeFrame(f))),
          );
          expect(parser.pending).to.equal(false);
        }),
      );
    });

    it('chunks that end on a 0x7F (held bytes) and byte-by-byte feeding give the same frames', () => {
      fc.assert(
        fc.property(esspFrames(), (frames) => {
          const wire = wireOf(frames);
          expect(framesIn(feed(cutAt(wire, afterEachStx(wire))))).to.deep.equal(frames);
          expect(framesIn(feed([...wire].map((b) => Uint8Array.of(b))))).to.deep.equal(frames);
        }),
      );
    });

    it('garbage before frames still yields them (unless it ends on a 0x7F that could pair with the STX)', () => {
      fc.assert(
        fc.property(esspBytes(), esspFrames(), (garbage, frames) => {
          fc.pre(garbage.length === 0 || garbage[garbage.length - 1] !== ESSP_STX);
          const found = framesIn(feed([garbage, wireOf(frames)]));
          expect(found.slice(found.length - frames.length)).to.deep.equal(frames);
        }),
      );
    });

    it('junk without 0x7F before frames gives one discarded diagnostic per chunk, then the frames', () => {
      fc.assert(
        fc.property(junkWithoutStx(), esspFrames(), (junk, frames) => {
          const outs = feed([junk, wireOf(frames)]);
          expect(outs[0]?.type === 'diagnostic' && outs[0].diagnostic.info).to.deep.include({
            count: junk.length,
          });
          expect(outs.slice(1).map((o) => o.type)).to.deep.equal(frames.map(() => 'frame'));
        }),
      );
    });

    it('a lone STX mid-frame resyncs to the next frame', () => {
      const truncated = esspFrame.chain((f) => {
        const wire = encodeFrame(f);
        // Cut points that do not split a stuffed 7F 7F pair.
        const cuts = [...wire.keys()].filter((i) => i >= 1 && !splitsStuffedPair(wire, i));
        return fc.constantFrom(...cuts).map((cut) => wire.subarray(0, cut));
      });
      fc.assert(
        fc.property(truncated, esspFrame, (partial, next) => {
          const outs = feed([concatBytes(partial, encodeFrame(next))]);
          expect(reasonsIn(outs)).to.deep.equal(['stx']);
          expect(outs[0]?.type === 'diagnostic' && outs[0].diagnostic.hex).to.equal(toHex(partial));
          expect(framesIn(outs)).to.deep.equal([next]);
        }),
      );
    });

    it('random bytes in random chunks never throw; every frame out is a valid frame of its raw bytes', () => {
      fc.assert(
        fc.property(esspBytes(400), fc.array(fc.nat(400), { maxLength: 10 }), (bytes, cuts) => {
          const parser = createEsspParser();
          const outs = [...cutAt(bytes, cuts).flatMap((c) => parser.push(c)), ...parser.reset()];
          for (const o of outs) {
            if (o.type === 'diagnostic') {
              expect(o.diagnostic.protocol).to.equal('essp');
              expect(['discarded', 'resync', 'crc']).to.include(o.diagnostic.kind);
              continue;
            }
            const decoded = decodeFrame(o.raw);
            expect(decoded).to.deep.equal({ _tag: 'Right', right: o.frame });
            if (o.frame.address <= ESSP_MAX_ADDRESS)
              expect(toHex(encodeFrame(o.frame))).to.equal(toHex(o.raw));
          }
          expect(parser.pending).to.equal(false);
        }),
      );
    });

    it('agrees with splitFrames on any line of bytes', () => {
      const line = fc
        .array(fc.oneof(esspBytes(16), esspFrame.map(encodeFrame)), { maxLength: 6 })
        .map((parts) => concatBytes(...parts));
      fc.assert(
        fc.property(line, (bytes) => {
          const parser = createEsspParser();
          const outs = parser.push(bytes);
          const { items, rest } = splitFrames(bytes);
          const asOutputs = items.map((i): Out => {
            if (i.type === 'frame') return { type: 'frame', frame: i.frame, raw: i.raw };
            return { type: 'diagnostic', diagnostic: i.diagnostic };
          });
          expect(asOutputs).to.deep.equal(outs);
          expect(rest.length > 0).to.equal(parser.pending);
        }),
      );
    });

    it('a flipped bit in DATA, CRC or SEQ/ADDR gives exactly one crc diagnostic', () => {
      const flipped = esspFrame.chain((f) => {
        const wire = encodeFrame(f);
        return fc
          .record({ at: fc.integer({ min: 1, max: wire.length - 1 }), bit: fc.integer({ min: 0, max: 7 }) })
          .filter(({ at, bit }) => at !== 2 && wire[at] !== ESSP_STX && (wire[at]! ^ (1 << bit)) !== ESSP_STX)
          .map(({ at, bit }) => {
            const copy = wire.slice();
            copy[at] = copy[at]! ^ (1 << bit);
            return copy;
          });
      });
      // The rescan after the CRC failure can, with odds of about 1 in 65 536, find bytes whose
      // CRC happens to match (see the next property); a fixed seed keeps this check deterministic.
      fc.assert(
        fc.property(flipped, (wire) => {
          const outs = feed([wire]);
          expect(reasonsIn(outs)).to.deep.equal(['crc']);
          expect(outs).to.have.length(1);
        }),
        { seed: 0x5eed },
      );
    });

    it('a flipped bit anywhere after the STX never yields a wrong frame', () => {
      const flipped = fc.tuple(esspFrame, esspFrame).chain(([a, b]) => {
        const wire = encodeFrame(a);
        return fc
          .record({ at: fc.integer({ min: 1, max: wire.length - 1 }), bit: fc.integer({ min: 0, max: 7 }) })
          .map(({ at, bit }) => {
            const copy = wire.slice();
            copy[at] = copy[at]! ^ (1 << bit);
            return { damaged: copy, next: b };
          });
      });
      // A changed LENGTH, or the rescan from a hidden STX after the CRC failure, can,
      // with odds of about 1 in 65536, land on bytes whose CRC happens to match; a
      // fixed seed keeps this check deterministic.
      fc.assert(
        fc.property(flipped, ({ damaged, next }) => {
          const parser = createEsspParser();
          const outs = [...parser.push(concatBytes(damaged, encodeFrame(next))), ...parser.reset()];
          expect(reasonsIn(outs)).to.not.deep.equal([]);
          for (const f of framesIn(outs)) expect(f).to.deep.equal(next);
        }),
        { seed: 0x5eed, numRuns: 300 },
      );
    });
  });
});

/** True when cutting `wire` before index `i` would separate the two bytes of a stuffed 7F 7F pair. */
function splitsStuffedPair(wire: Uint8Array, i: number): boolean {
  // An odd run of 0x7F (after the STX) ending just before `i` leaves the first byte of a pair behind.
  let run = 0;
  for (let k = i - 1; k >= 1 && wire[k] === ESSP_STX; k--) run++;
  return run % 2 === 1;
}
