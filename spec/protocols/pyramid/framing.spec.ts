import { expect } from 'chai';
import fc from 'fast-check';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { fromHex, toHex } from '../../../lib/core/bytes.js';
import { InvalidArgumentError } from '../../../lib/core/errors.js';
import {
  PYRAMID_LINE,
  decodeFrame,
  decodeHostPoll,
  encodeFrame,
  encodeHostPoll,
  encodeSoftReset,
  splitFrames,
  type PyramidFrame,
} from '../../../lib/protocols/pyramid/index.js';

function frameOf(hex: string): PyramidFrame {
  const r = decodeFrame(fromHex(hex));
  if (isLeft(r)) throw new Error(`vector did not decode: ${r.left.message}`);
  return r.right;
}

const frameInit = fc.record({
  messageType: fc.integer({ min: 0, max: 7 }),
  ack: fc.constantFrom(0 as const, 1 as const),
  deviceType: fc.integer({ min: 0, max: 7 }),
  data: fc.uint8Array({ maxLength: 40 }).map((d) => d.map((b) => b & 0x7f)),
});

describe('pyramid framing', () => {
  it('uses 9600 7E1', () => {
    expect(PYRAMID_LINE).to.deep.equal({ baudRate: 9600, dataBits: 7, parity: 'even', stopBits: 1 });
  });

  describe('fact-sheet vectors', () => {
    it('encodes the all-notes poll 02 08 10 7F 00 00 03 67', () => {
      expect(toHex(encodeHostPoll({ ack: 0, enableMask: 0x7f }))).to.equal('02 08 10 7F 00 00 03 67');
    });
    it('decodes the captured MEI status reply with checksum 0x44', () => {
      const f = frameOf('02 0B 20 01 10 00 00 54 2A 03 44');
      expect(f.messageType).to.equal(2);
      expect(f.ack).to.equal(0);
      expect(f.deviceType).to.equal(0);
      expect(toHex(f.data)).to.equal('01 10 00 00 54 2A');
      expect(toHex(encodeFrame({ messageType: 2, ack: 0, data: f.data }))).to.equal(
        '02 0B 20 01 10 00 00 54 2A 03 44',
      );
    });
    it('encodes the soft reset for both ack values', () => {
      expect(toHex(encodeSoftReset(0))).to.equal('02 08 60 7F 7F 7F 03 17');
      expect(toHex(encodeSoftReset(1))).to.equal('02 08 61 7F 7F 7F 03 16');
    });
    it('encodes the telemetry ping 02 06 60 00 03 66', () => {
      expect(toHex(encodeFrame({ messageType: 6, ack: 0, data: Uint8Array.of(0) }))).to.equal(
        '02 06 60 00 03 66',
      );
    });
    it('reads the EBDS device type from CTL bits 1-3', () => {
      const f = frameOf(
        toHex(encodeFrame({ messageType: 2, ack: 1, deviceType: 1, data: new Uint8Array(6) })),
      );
      expect(f.deviceType).to.equal(1);
      expect(f.ack).to.equal(1);
    });
  });

  describe('host poll', () => {
    it('sets D1/D2 bits per the sheet', () => {
      const d = (o: Parameters<typeof encodeHostPoll>[0]): string => toHex(encodeHostPoll(o).subarray(3, 6));
      expect(d({ ack: 0, enableMask: 0x1f, escrow: true })).to.equal('1F 10 00');
      expect(d({ ack: 0, enableMask: 0x7f, stack: true })).to.equal('7F 30 00');
      expect(d({ ack: 0, enableMask: 0x7f, return: true })).to.equal('7F 50 00');
      expect(d({ ack: 1, enableMask: 0x7f, escrow: true, orientation: 'four-way' })).to.equal('7F 1C 00');
      expect(d({ ack: 1, enableMask: 0x7f, escrow: true, stack: true, orientation: 'four-way' })).to.equal(
        '7F 3C 00',
      );
      expect(d({ ack: 0, enableMask: 0, orientation: 'two-way' })).to.equal('00 04 00');
      expect(d({ ack: 0, enableMask: 0, barcode: true })).to.equal('00 00 02');
      expect(
        d({
          ack: 0,
          enableMask: 0,
          noPush: true,
          powerUpPolicy: 'C',
          extendedNoteReporting: true,
          extendedCouponReporting: true,
        }),
      ).to.equal('00 00 39');
      expect(encodeHostPoll({ ack: 1, enableMask: 0 })[2]).to.equal(0x11);
    });
    it('decodes what it encodes', () => {
      const poll = fc.record({
        ack: fc.constantFrom(0 as const, 1 as const),
        enableMask: fc.integer({ min: 0, max: 0x7f }),
        escrow: fc.boolean(),
        stack: fc.boolean(),
        return: fc.boolean(),
        orientation: fc.constantFrom('one-way' as const, 'two-way' as const, 'four-way' as const),
        noPush: fc.boolean(),
        barcode: fc.boolean(),
        powerUpPolicy: fc.constantFrom('A' as const, 'B' as const, 'C' as const),
        extendedNoteReporting: fc.boolean(),
        extendedCouponReporting: fc.boolean(),
      });
      fc.assert(
        fc.property(
          poll.filter((p) => !(p.stack && p.return)),
          (p) => {
            const decoded = decodeHostPoll(frameOf(toHex(encodeHostPoll(p))));
            expect(decoded).to.deep.equal({ ...p, escrow: p.escrow || p.stack || p.return });
          },
        ),
      );
    });
    it('refuses bad options with a typed error', () => {
      for (const enableMask of [0x80, 0xff, -1, 1.5, Number.NaN]) {
        expect(() => encodeHostPoll({ ack: 0, enableMask })).to.throw(InvalidArgumentError, /0\.\.0x7F/);
      }
      expect(() => encodeHostPoll({ ack: 0, enableMask: 1, stack: true, return: true })).to.throw(
        InvalidArgumentError,
        /Stack and return/,
      );
      expect(() => encodeHostPoll({ ack: 2 as 0, enableMask: 1 })).to.throw(InvalidArgumentError);
      expect(() => encodeHostPoll({ ack: 0, enableMask: 1, orientation: 'sideways' as 'one-way' })).to.throw(
        InvalidArgumentError,
      );
    });
    it('is not a poll when the type or length differ', () => {
      expect(decodeHostPoll(frameOf('02 0B 20 01 10 00 00 54 2A 03 44'))).to.equal(undefined);
    });
  });

  describe('encodeFrame', () => {
    it('refuses data that a 7-bit line cannot carry, or too much of it', () => {
      expect(() => encodeFrame({ messageType: 1, ack: 0, data: Uint8Array.of(0x80) })).to.throw(
        InvalidArgumentError,
      );
      expect(() => encodeFrame({ messageType: 8, ack: 0 })).to.throw(InvalidArgumentError);
      expect(() => encodeFrame({ messageType: 1, ack: 0, deviceType: 8 })).to.throw(InvalidArgumentError);
      expect(() => encodeFrame({ messageType: 7, ack: 0, data: new Uint8Array(123) })).to.throw(
        InvalidArgumentError,
      );
      expect(encodeFrame({ messageType: 7, ack: 0, data: new Uint8Array(122) }).length).to.equal(0x7f);
    });
  });

  describe('decodeFrame', () => {
    const cases: [string, string][] = [
      ['02 08 10', 'too-short'],
      ['03 08 10 7F 00 00 03 67', 'no-stx'],
      ['02 04 10 7F 00 00 03 67', 'bad-length'],
      ['02 09 10 7F 00 00 03 67', 'length-mismatch'],
      ['02 08 10 7F 00 00 04 67', 'no-etx'],
      ['02 08 10 FF 00 00 03 E7', 'not-7-bit'],
      ['02 08 10 7F 00 00 03 66', 'checksum'],
    ];
    for (const [hex, reason] of cases) {
      it(`reports ${reason} for ${hex}`, () => {
        const r = decodeFrame(fromHex(hex));
        expect(isLeft(r) && r.left.reason).to.equal(reason);
      });
    }
    it('round-trips every frame', () => {
      fc.assert(
        fc.property(frameInit, (init) => {
          const bytes = encodeFrame(init);
          expect(bytes[1]).to.equal(bytes.length);
          let x = 0;
          for (const b of bytes.subarray(1, bytes.length - 2)) x ^= b;
          expect(bytes[bytes.length - 1], 'CHK = XOR of LEN..last data byte').to.equal(x);
          expect(decodeFrame(bytes)).to.deep.equal({ _tag: 'Right', right: { ...init, data: init.data } });
        }),
      );
    });
    it('never throws on arbitrary bytes', () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 140 }), (b) => void decodeFrame(b)));
    });
    it('rejects any single corrupted byte', () => {
      fc.assert(
        fc.property(frameInit, fc.nat(), fc.integer({ min: 1, max: 0x7f }), (init, pos, flip) => {
          const bytes = encodeFrame(init);
          bytes[pos % bytes.length]! ^= flip;
          expect(isRight(decodeFrame(bytes))).to.equal(false);
        }),
      );
    });
  });

  describe('splitFrames', () => {
    it('splits a line holding several frames by their own LEN, skipping ENQ', () => {
      const items = splitFrames(
        fromHex('02 08 10 7F 00 00 03 67 05 02 0B 20 01 10 00 00 54 2A 03 44 02 06 70 01 03 77 AA 02 08'),
      );
      expect(items.map((i) => i.kind)).to.deep.equal(['frame', 'enq', 'frame', 'frame', 'junk']);
      const junk = items[4]!;
      expect(junk.kind === 'junk' && toHex(junk.raw)).to.equal('AA 02 08');
      expect(junk.kind === 'junk' && junk.fault.reason).to.equal('no-stx');
      expect(items.map((i) => i.raw.length)).to.deep.equal([8, 1, 11, 6, 3]);
    });
    it('reports a truncated tail as junk', () => {
      const items = splitFrames(fromHex('02 0B 20 01'));
      expect(items).to.have.length(1);
      expect(items[0]!.kind === 'junk' && items[0]!.fault.reason).to.equal('too-short');
    });
  });
});
