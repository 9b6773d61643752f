import { expect } from 'chai';
import fc from 'fast-check';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { bytes, fromAscii } from '../../../lib/core/bytes.js';
import { InvalidArgumentError } from '../../../lib/core/errors.js';
import type { ChecksumMode } from '../../../lib/protocols/cctalk/checksum.js';
import { decodeFrame, encodeFrame, splitFrames } from '../../../lib/protocols/cctalk/framing.js';

const modes: readonly ChecksumMode[] = ['simple', 'crc16'];

const frameInput = fc.record({
  destination: fc.integer({ min: 0, max: 255 }),
  source: fc.integer({ min: 0, max: 255 }),
  header: fc.integer({ min: 0, max: 255 }),
  data: fc.uint8Array({ maxLength: 255 }),
});

describe('ccTalk framing', () => {
  it('encodes the sheet and overview examples byte for byte', () => {
    expect(encodeFrame({ destination: 2, source: 1, header: 245 }, 'simple')).to.deep.equal(
      bytes(2, 0, 1, 245, 8),
    );
    expect(encodeFrame({ destination: 40, header: 1 }, 'crc16')).to.deep.equal(bytes(40, 0, 70, 1, 63));
    expect(encodeFrame({ destination: 1, header: 0 }, 'crc16')).to.deep.equal(bytes(1, 0, 48, 0, 55));
    expect(encodeFrame({ destination: 40, header: 254 }, 'crc16')).to.deep.equal(bytes(40, 0, 182, 254, 33));
    expect(encodeFrame({ destination: 2, header: 235 }, 'simple')).to.deep.equal(bytes(2, 0, 1, 235, 18));
  });

  it('encodes the plain broadcast poll of the encryption example and shows why broadcasts are risky', () => {
    expect(encodeFrame({ destination: 0, header: 254 }, 'crc16')).to.deep.equal(bytes(0, 0, 209, 254, 14));
    // The encrypted form of that poll also passes as an 8-bit frame: header 145 from source 137.
    const r = decodeFrame(bytes(0, 0, 137, 145, 230), 'simple');
    expect(isRight(r) && [r.right.source, r.right.header]).to.deep.equal([137, 145]);
  });

  it('decodes the coin acceptor category reply', () => {
    const reply = bytes(1, 13, 2, 0, ...fromAscii('Coin Acceptor'), 22);
    const r = decodeFrame(reply, 'simple');
    if (!isRight(r)) throw new Error('expected a frame');
    expect(r.right.destination).to.equal(1);
    expect(r.right.source).to.equal(2);
    expect(r.right.header).to.equal(0);
    expect(new TextDecoder().decode(r.right.data)).to.equal('Coin Acceptor');
  });

  it('leaves the source out of crc16 frames', () => {
    const r = decodeFrame(bytes(40, 0, 70, 1, 63), 'crc16');
    if (!isRight(r)) throw new Error('expected a frame');
    expect(r.right).to.deep.equal({ destination: 40, header: 1, data: new Uint8Array(0) });
  });

  it('reports short, trailing and checksum failures with a typed reason', () => {
    const reason = (b: Uint8Array, m: ChecksumMode) => {
      const r = decodeFrame(b, m);
      return isLeft(r) ? r.left.reason : 'ok';
    };
    expect(reason(bytes(2, 0, 1), 'simple')).to.equal('short');
    expect(reason(bytes(2, 3, 1, 245, 8), 'simple')).to.equal('short');
    expect(reason(bytes(2, 0, 1, 245, 8, 0), 'simple')).to.equal('trailing');
    expect(reason(bytes(2, 0, 1, 245, 9), 'simple')).to.equal('checksum');
    const r = decodeFrame(bytes(2, 0, 1, 245, 9), 'simple');
    if (isLeft(r)) expect([r.left.expected, r.left.actual]).to.deep.equal([8, 9]);
  });

  for (const mode of modes) {
    it(`round-trips any frame in ${mode} mode`, () => {
      fc.assert(
        fc.property(frameInput, (f) => {
          const wire = encodeFrame(f, mode);
          expect(wire.length).to.equal(f.data.length + 5);
          const r = decodeFrame(wire, mode);
          if (!isRight(r)) throw new Error(r.left.message);
          const expected =
            mode === 'simple' ? f : { destination: f.destination, header: f.header, data: f.data };
          expect(r.right).to.deep.equal(expected);
        }),
      );
    });
    it(`never throws on arbitrary bytes in ${mode} mode`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
          decodeFrame(b, mode);
          splitFrames(b, mode);
        }),
      );
    });
  }

  it('refuses out-of-range fields and oversize data, naming the field', () => {
    expect(() => encodeFrame({ destination: 256, header: 1 }, 'simple')).to.throw(
      InvalidArgumentError,
      /destination/,
    );
    expect(() => encodeFrame({ destination: 2, header: -1 }, 'simple')).to.throw(
      InvalidArgumentError,
      /header/,
    );
    expect(() => encodeFrame({ destination: 2, source: 1.5, header: 1 }, 'simple')).to.throw(
      InvalidArgumentError,
      /source/,
    );
    expect(() => encodeFrame({ destination: 2, header: 1, data: new Uint8Array(256) }, 'crc16')).to.throw(
      InvalidArgumentError,
      /data/,
    );
  });

  describe('splitFrames', () => {
    it('splits a request and its reply pasted on one line', () => {
      const line = bytes(2, 0, 1, 245, 8, 1, 13, 2, 0, ...fromAscii('Coin Acceptor'), 22);
      const parts = splitFrames(line, 'simple');
      expect(parts.map((p) => p.offset)).to.deep.equal([0, 5]);
      expect(parts.every((p) => isRight(p.result))).to.equal(true);
    });
    it('keeps walking past a bad checksum and reports a truncated tail', () => {
      const parts = splitFrames(bytes(2, 0, 1, 245, 9, 1, 0, 2, 0, 253, 1, 4), 'simple');
      expect(parts.map((p) => (isLeft(p.result) ? p.result.left.reason : 'ok'))).to.deep.equal([
        'checksum',
        'ok',
        'short',
      ]);
    });
    it('reproduces the input when concatenated', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
          const joined = splitFrames(b, 'simple').flatMap((p) => Array.from(p.raw));
          expect(Uint8Array.from(joined)).to.deep.equal(b);
        }),
      );
    });
  });
});
