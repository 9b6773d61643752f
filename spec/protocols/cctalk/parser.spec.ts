import { expect } from 'chai';
import fc from 'fast-check';
import { TestScheduler } from 'rxjs/testing';
import { map } from 'rxjs';
import { bytes, concatBytes } from '../../../lib/core/bytes.js';
import { OptionRangeError } from '../../../lib/core/errors.js';
import { type DeframeOutput, deframe, framesOnly } from '../../../lib/operators/deframe.js';
import { type ChecksumMode, checksumValid } from '../../../lib/protocols/cctalk/checksum.js';
import { type CcTalkFrame, encodeFrame } from '../../../lib/protocols/cctalk/framing.js';
import { createCcTalkParser } from '../../../lib/protocols/cctalk/parser.js';

type Out = DeframeOutput<CcTalkFrame>;

/** Push chunks, then an inter-byte-gap reset; collect everything. */
function run(chunks: readonly Uint8Array[], mode: ChecksumMode = 'simple'): Out[] {
  const p = createCcTalkParser({ mode });
  const out: Out[] = [];
  for (const c of chunks) out.push(...p.push(c));
  out.push(...p.reset());
  expect(p.pending).to.equal(false);
  return out;
}
const kinds = (out: readonly Out[]) =>
  out.flatMap((o) => (o.type === 'diagnostic' ? [o.diagnostic.kind] : []));
const raws = (out: readonly Out[]) => out.flatMap((o) => (o.type === 'frame' ? [Array.from(o.raw)] : []));

/** Cut `b` at the given sorted positions. */
function cut(b: Uint8Array, at: readonly number[]): Uint8Array[] {
  const points = [...new Set(at.map((x) => x % (b.length + 1)))].sort((x, y) => x - y);
  const parts: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, b.length]) {
    parts.push(b.slice(prev, p));
    prev = p;
  }
  return parts;
}

/** True when some window starting in [from, to) of `stream` is a complete frame passing the check. */
function falseFrameAt(stream: Uint8Array, from: number, to: number, mode: ChecksumMode): boolean {
  for (let i = from; i < to; i++) {
    const n = stream[i + 1];
    if (n === undefined) continue;
    const end = i + n + 5;
    if (end <= stream.length && checksumValid(stream.subarray(i, end), mode)) return true;
  }
  return false;
}

const smallFrame = fc.record({
  destination: fc.integer({ min: 0, max: 255 }),
  source: fc.integer({ min: 0, max: 255 }),
  header: fc.integer({ min: 0, max: 255 }),
  data: fc.uint8Array({ maxLength: 12 }),
});
const modes: readonly ChecksumMode[] = ['simple', 'crc16'];

describe('ccTalk parser', () => {
  it('finds consecutive frames and keeps their raw bytes', () => {
    const a = bytes(2, 0, 1, 245, 8);
    const b = bytes(1, 0, 2, 0, 253);
    const out = run([concatBytes(a, b)]);
    expect(raws(out)).to.deep.equal([Array.from(a), Array.from(b)]);
    expect(kinds(out)).to.deep.equal([]);
  });

  for (const mode of modes) {
    it(`reassembles frames split at any points (${mode})`, () => {
      fc.assert(
        fc.property(fc.array(smallFrame, { minLength: 1, maxLength: 6 }), fc.array(fc.nat()), (fs, at) => {
          const wires = fs.map((f) => encodeFrame(f, mode));
          const out = run(cut(concatBytes(...wires), at), mode);
          expect(raws(out)).to.deep.equal(wires.map((w) => Array.from(w)));
          expect(kinds(out)).to.deep.equal([]);
        }),
      );
    });

    it(`recovers every frame after leading garbage (${mode})`, () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 1, maxLength: 30 }),
          fc.array(smallFrame, { minLength: 1, maxLength: 4 }),
          fc.array(fc.nat()),
          (garbage, fs, at) => {
            const wires = fs.map((f) => encodeFrame(f, mode));
            const stream = concatBytes(garbage, ...wires);
            fc.pre(!falseFrameAt(stream, 0, garbage.length, mode));
            const out = run(cut(stream, at), mode);
            expect(raws(out)).to.deep.equal(wires.map((w) => Array.from(w)));
            expect(kinds(out)).to.not.deep.equal([]);
          },
        ),
      );
    });

    it(`does not let a corrupted length byte swallow the following frames (${mode})`, () => {
      fc.assert(
        fc.property(
          smallFrame,
          fc.array(smallFrame, { minLength: 1, maxLength: 3 }),
          fc.integer({ min: 0, max: 255 }),
          fc.array(fc.nat()),
          (first, rest, badLength, at) => {
            const broken = encodeFrame(first, mode);
            fc.pre(broken[1] !== badLength);
            broken[1] = badLength;
            const wires = rest.map((f) => encodeFrame(f, mode));
            const stream = concatBytes(broken, ...wires);
            fc.pre(!falseFrameAt(stream, 0, broken.length, mode));
            const out = run(cut(stream, at), mode);
            expect(raws(out)).to.deep.equal(wires.map((w) => Array.from(w)));
          },
        ),
      );
    });

    it(`never throws and always drains on random bytes (${mode})`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat()), (b, at) => {
          const out = run(cut(b, at), mode);
          const accounted = out.reduce(
            (n, o) => n + (o.type === 'frame' ? o.raw.length : Number(o.diagnostic.info?.['count'] ?? 0)),
            0,
          );
          // Every input byte is either in a frame or in a 'discarded'/'resync' report.
          expect(accounted).to.equal(b.length);
        }),
      );
    });
  }

  it('reports a failed check once, then recovers the next frame by sliding', () => {
    const good = bytes(1, 0, 2, 0, 253);
    const out = run([bytes(2, 0, 1, 245, 7), good]);
    expect(kinds(out)[0]).to.equal('crc');
    expect(raws(out)).to.deep.equal([Array.from(good)]);
    const crc = out[0]!;
    if (crc.type !== 'diagnostic') throw new Error('expected a diagnostic');
    expect(crc.diagnostic.protocol).to.equal('cctalk');
    expect(crc.diagnostic.info).to.include({ expected: 8, actual: 7 });
  });

  it('emits a frame behind a corrupted length byte on the inter-byte gap reset', () => {
    const p = createCcTalkParser({ mode: 'simple' });
    // The length byte says 30: the parser waits for bytes that belong to the next frame.
    const next = bytes(1, 0, 2, 0, 253);
    expect(raws(p.push(concatBytes(bytes(2, 30, 1, 245, 8), next)))).to.deep.equal([]);
    const out = p.reset();
    expect(raws(out)).to.deep.equal([Array.from(next)]);
    expect(kinds(out)).to.deep.equal(['resync']);
  });

  it('drops a partial frame on reset with a resync diagnostic', () => {
    const p = createCcTalkParser({ mode: 'simple' });
    expect(p.push(bytes(2, 0, 1))).to.deep.equal([]);
    expect(p.pending).to.equal(true);
    const out = p.reset();
    expect(kinds(out)).to.deep.equal(['resync']);
    expect(p.pending).to.equal(false);
    expect(p.reset()).to.deep.equal([]);
    expect(raws(p.push(bytes(2, 0, 1, 245, 8)))).to.have.length(1);
  });

  it('treats a length byte above maxDataLength as corruption at once', () => {
    const p = createCcTalkParser({ mode: 'simple', maxDataLength: 32 });
    const out = p.push(concatBytes(bytes(7, 200, 201), bytes(40, 0, 1, 254, 217)));
    expect(kinds(out)).to.deep.equal(['resync', 'discarded']);
    expect(raws(out)).to.deep.equal([[40, 0, 1, 254, 217]]);
  });

  it('validates its options', () => {
    expect(() => createCcTalkParser({ mode: 'simple', maxDataLength: 256 })).to.throw(
      OptionRangeError,
      /maxDataLength/,
    );
    expect(() => createCcTalkParser({ mode: 'crc16', maxDataLength: -1 })).to.throw(OptionRangeError);
  });

  it('decodes a mixed bus with a per-address mode', () => {
    const p = createCcTalkParser({ mode: (a) => (a === 40 ? 'crc16' : 'simple') });
    const stream = concatBytes(
      bytes(2, 0, 1, 254, 255), // host → coin acceptor 2, 8-bit
      bytes(1, 0, 2, 0, 253), // ACK from 2
      bytes(40, 0, 182, 254, 33), // host → bill validator 40, CRC
      bytes(1, 0, 48, 0, 55), // CRC ACK to host
    );
    const frames = framesOnly(p.push(stream));
    expect(frames.map((f) => [f.destination, f.source, f.header])).to.deep.equal([
      [2, 1, 254],
      [1, 2, 0],
      [40, undefined, 254],
      [1, undefined, 0],
    ]);
  });

  it('resets on a 50 ms inter-byte gap inside deframe (virtual time)', () => {
    const scheduler = new TestScheduler((a, b) => {
      expect(a).to.deep.equal(b);
    });
    scheduler.run(({ cold, expectObservable }) => {
      const input = cold('a 59ms b', { a: bytes(2, 0, 1), b: bytes(2, 0, 1, 245, 8) });
      const out = input.pipe(
        deframe(() => createCcTalkParser({ mode: 'simple' }), { interByteGapMs: 50, scheduler }),
        map((o) => (o.type === 'frame' ? `frame ${o.frame.header}` : o.diagnostic.kind)),
      );
      expectObservable(out).toBe('50ms r 9ms f', { r: 'resync', f: 'frame 245' });
    });
  });
});
