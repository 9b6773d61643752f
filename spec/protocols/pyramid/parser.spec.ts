import { expect } from 'chai';
import fc from 'fast-check';
import { isRight } from 'fp-ts/lib/Either.js';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { concatBytes, fromHex, toHex } from '../../../lib/core/bytes.js';
import { deframe, type DeframeOutput } from '../../../lib/operators/deframe.js';
import {
  createPyramidParser,
  decodeFrame,
  encodeFrame,
  PYRAMID_INTER_BYTE_GAP_MS,
  type PyramidFrame,
} from '../../../lib/protocols/pyramid/index.js';

type Out = DeframeOutput<PyramidFrame>;

/** Feed chunks then (optionally) the end-of-burst reset, as the deframe operator does after a gap. */
function run(chunks: readonly Uint8Array[], reset = true): Out[] {
  const p = createPyramidParser();
  const out: Out[] = [];
  for (const c of chunks) out.push(...p.push(c));
  if (reset) out.push(...p.reset());
  expect(p.pending).to.equal(false);
  return out;
}
const framesHex = (out: readonly Out[]): string[] =>
  out.flatMap((o) => (o.type === 'frame' ? [toHex(o.raw)] : []));
const kinds = (out: readonly Out[]): string[] =>
  out.flatMap((o) => (o.type === 'diagnostic' ? [o.diagnostic.kind] : []));

/** Cut `bytes` at the given positions (any split of a stream). */
function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of [...at, bytes.length]) {
    out.push(bytes.slice(prev, c));
    prev = c;
  }
  return out;
}

const ack = fc.constantFrom(0 as const, 1 as const);
/** Any well-formed frame. */
const anyFrame = fc
  .record({
    messageType: fc.integer({ min: 0, max: 7 }),
    ack,
    data: fc.uint8Array({ maxLength: 35 }).map((d) => d.map((b) => b & 0x7f)),
  })
  .map(encodeFrame);
/**
 * Frames whose CTL and data never equal STX, ETX or ENQ. The protocol has no
 * escaping, so random data can by chance form a valid frame inside garbage;
 * resync properties use these to stay deterministic.
 */
const safeFrame = fc
  .record({
    messageType: fc.integer({ min: 1, max: 7 }),
    ack,
    data: fc.uint8Array({ maxLength: 35, min: 0x20, max: 0x7f }),
  })
  .map(encodeFrame);
const cuts = fc.array(fc.nat(), { maxLength: 12 });

const POLL = '02 08 10 7F 00 00 03 67';
const REPLY = '02 0B 20 01 10 00 00 54 2A 03 44';
const BARCODE_QUERY = '02 06 70 01 03 77';

describe('pyramid stream parser', () => {
  it('cuts the fact-sheet frames out of one chunk, whatever their length', () => {
    const ebds = '02 1E 70 02 11 10 00 10 55 35 00 55 53 44 30 30 31 2B 30 30 02 43 41 44 42 00 00 00 03 43';
    const out = run([fromHex(`${POLL} ${REPLY} ${ebds} ${BARCODE_QUERY}`)], false);
    expect(framesHex(out)).to.deep.equal([POLL, REPLY, ebds, BARCODE_QUERY]);
    expect(kinds(out)).to.deep.equal([]);
    const last = out[3]!;
    expect(last.type === 'frame' && last.frame.messageType).to.equal(7);
  });

  it('ignores lone ENQ bytes between frames without a diagnostic', () => {
    const out = run([fromHex(`05 ${POLL} 05 ${REPLY} 05`)]);
    expect(framesHex(out)).to.deep.equal([POLL, REPLY]);
    expect(kinds(out)).to.deep.equal([]);
  });

  it('reports a bad checksum as crc and keeps going', () => {
    const out = run([fromHex(`02 08 10 7F 00 00 03 66 ${REPLY}`)]);
    expect(framesHex(out)).to.deep.equal([REPLY]);
    expect(kinds(out)).to.deep.equal(['crc']);
    const d = out[0]!;
    expect(d.type === 'diagnostic' && d.diagnostic.protocol).to.equal('pyramid');
    expect(d.type === 'diagnostic' && d.diagnostic.hex).to.equal('02 08 10 7F 00 00 03 66');
    expect(d.type === 'diagnostic' && d.diagnostic.info).to.deep.equal({
      reason: 'checksum',
      expected: 0x67,
      actual: 0x66,
    });
  });

  it('reports junk as discarded and bytes above 0x7F (wrong line settings) as resync', () => {
    expect(kinds(run([fromHex(`11 22 ${POLL}`)]))).to.deep.equal(['discarded']);
    const out = run([fromHex(`02 08 10 FF 00 00 03 E7 ${POLL}`)]);
    expect(framesHex(out)).to.deep.equal([POLL]);
    expect(kinds(out)).to.deep.equal(['resync']);
  });

  it('holds a partial frame until reset(), which drops it with a resync diagnostic', () => {
    const p = createPyramidParser();
    expect(p.push(fromHex('02 0B 20 01'))).to.deep.equal([]);
    expect(p.pending).to.equal(true);
    const out = p.reset();
    expect(kinds(out)).to.deep.equal(['resync']);
    const d = out[0]!;
    expect(d.type === 'diagnostic' && d.diagnostic.hex).to.equal('02 0B 20 01');
    expect(p.pending).to.equal(false);
    expect(p.reset()).to.deep.equal([]);
    expect(framesHex(p.push(fromHex(REPLY)))).to.deep.equal([REPLY]);
  });

  it('does not let a corrupted LEN swallow the frame behind it', () => {
    // LEN 0x40 claims 64 bytes; the good reply is recovered by sliding past the bad STX.
    const out = run([fromHex(`02 40 20 01 10 00 00 54 2A 03 44 ${REPLY}`)]);
    expect(framesHex(out)).to.deep.equal([REPLY]);
    expect(kinds(out)).to.deep.equal(['resync']);
    // A short corrupted LEN fails at once, without waiting for reset().
    const now = run([fromHex(`02 06 20 01 10 00 00 54 2A 03 44 ${REPLY}`)], false);
    expect(framesHex(now)).to.deep.equal([REPLY]);
  });

  it('recovers the held frame at the inter-byte gap when used with deframe', () => {
    new TestScheduler((a, b) => {
      expect(a).to.deep.equal(b);
    }).run(({ cold, expectObservable }) => {
      const bytes = cold<Uint8Array>('a 5ms b', {
        a: fromHex('02 40 20 01 10 00 00 54 2A 03 44'),
        b: fromHex(REPLY),
      });
      const seen = bytes.pipe(
        deframe(createPyramidParser, { interByteGapMs: PYRAMID_INTER_BYTE_GAP_MS }),
        map((o) => (o.type === 'frame' ? toHex(o.raw) : o.diagnostic.kind)),
      );
      // b lands at 6 ms; nothing completes the 64-byte claim, so the gap timer fires 20 ms later.
      expectObservable(seen).toBe(`${6 + PYRAMID_INTER_BYTE_GAP_MS}ms (df)`, { d: 'resync', f: REPLY });
    });
  });

  describe('properties', () => {
    it('yields the same frames for any split of the stream', () => {
      fc.assert(
        fc.property(fc.array(anyFrame, { maxLength: 6 }), cuts, (frames, at) => {
          const out = run(split(concatBytes(...frames), at), false);
          expect(framesHex(out)).to.deep.equal(frames.map((f) => toHex(f)));
          expect(kinds(out)).to.deep.equal([]);
        }),
      );
    });

    it('ignores ENQ bytes anywhere between frames', () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.boolean(), anyFrame), { maxLength: 6 }), cuts, (pairs, at) => {
          const bytes = concatBytes(...pairs.map(([enq, f]) => (enq ? concatBytes(Uint8Array.of(5), f) : f)));
          const out = run(split(bytes, at), false);
          expect(framesHex(out)).to.deep.equal(pairs.map(([, f]) => toHex(f)));
          expect(kinds(out)).to.deep.equal([]);
        }),
      );
    });

    it('resyncs after garbage between frames', () => {
      const garbage = fc.uint8Array({ maxLength: 20 }).map((g) => g.filter((b) => b !== 0x02));
      fc.assert(
        fc.property(fc.array(fc.tuple(garbage, anyFrame), { maxLength: 5 }), cuts, (pairs, at) => {
          const out = run(split(concatBytes(...pairs.flat()), at));
          expect(framesHex(out)).to.deep.equal(pairs.map(([, f]) => toHex(f)));
          const junky = pairs.some(([g]) => g.some((b) => b !== 0x05));
          expect(kinds(out).length > 0).to.equal(junky);
          expect(kinds(out).every((k) => k === 'discarded')).to.equal(true);
        }),
      );
    });

    it('resyncs after a truncated reply', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 10 }),
          fc.array(safeFrame, { maxLength: 5 }),
          cuts,
          (k, after, at) => {
            const stream = concatBytes(fromHex(REPLY).slice(0, k), ...after);
            const out = run(split(stream, at));
            expect(framesHex(out)).to.deep.equal(after.map((f) => toHex(f)));
            expect(kinds(out)).to.not.be.empty;
          },
        ),
      );
    });

    it('resyncs after a corrupted LEN', () => {
      fc.assert(
        fc.property(
          fc.array(safeFrame, { maxLength: 3 }),
          safeFrame,
          fc.integer({ min: 0, max: 0xff }),
          fc.array(safeFrame, { minLength: 1, maxLength: 4 }),
          cuts,
          (before, victim, len, after, at) => {
            fc.pre(len !== victim[1]);
            const bad = victim.slice();
            bad[1] = len;
            const out = run(split(concatBytes(...before, bad, ...after), at));
            expect(framesHex(out)).to.deep.equal([...before, ...after].map((f) => toHex(f)));
          },
        ),
      );
    });

    it('never throws on random bytes, and only emits frames that decode', () => {
      fc.assert(
        fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 }), (chunks) => {
          for (const o of run(chunks))
            if (o.type === 'frame') expect(isRight(decodeFrame(o.raw))).to.equal(true);
        }),
      );
    });
  });
});
