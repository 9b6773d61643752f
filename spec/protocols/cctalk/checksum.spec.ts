import { expect } from 'chai';
import fc from 'fast-check';
import { bytes, fromAscii, fromHex } from '../../../lib/core/bytes.js';
import {
  byteSum,
  checksumValid,
  crc16Xmodem,
  frameCrc,
  simpleChecksum,
} from '../../../lib/protocols/cctalk/checksum.js';

describe('ccTalk checksums', () => {
  describe('simple 8-bit checksum', () => {
    it('makes every byte of the frame add up to 0 (sheet example 1 0 2 0 → 253)', () => {
      expect(simpleChecksum(bytes(1, 0, 2, 0))).to.equal(253);
      expect(checksumValid(bytes(1, 0, 2, 0, 253), 'simple')).to.equal(true);
    });
    it('checks the request and the reply of the equipment category example', () => {
      expect(checksumValid(bytes(2, 0, 1, 245, 8), 'simple')).to.equal(true);
      const reply = bytes(1, 13, 2, 0, ...fromAscii('Coin Acceptor'), 22);
      expect(checksumValid(reply, 'simple')).to.equal(true);
    });
    it('gives 0, never 256, when the sum is already a multiple of 256', () => {
      expect(simpleChecksum(bytes(128, 128))).to.equal(0);
      expect(simpleChecksum(bytes())).to.equal(0);
    });
    it('always seals a frame to a zero sum', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 4, maxLength: 40 }), (body) => {
          const sealed = Uint8Array.from([...body, simpleChecksum(body)]);
          expect(byteSum(sealed)).to.equal(0);
        }),
      );
    });
  });

  describe('CRC-16/XMODEM', () => {
    it('matches the catalogue check value for "123456789"', () => {
      expect(crc16Xmodem(fromAscii('123456789'))).to.equal(0x31c3);
    });
    const verification: readonly (readonly [string, number])[] = [
      ['49D5F2', 0xa6b3],
      ['2FBD9D', 0x90b2],
      ['D953D1', 0x7bb5],
      ['70B8D9640415', 0xfb00],
      ['7261B94ED078', 0x93e3],
      ['63FAD19FE619', 0x5bb3],
    ];
    for (const [hex, crc] of verification) {
      it(`gives ${crc.toString(16).toUpperCase()} for ${hex}`, () => {
        expect(crc16Xmodem(fromHex(hex))).to.equal(crc);
      });
    }
    it('covers destination, length, header and data but not offset 2 (reset to 40 → 0x3F46)', () => {
      expect(frameCrc(bytes(40, 0, 70, 1, 63))).to.equal(0x3f46);
      expect(frameCrc(bytes(40, 0, 0, 1, 0))).to.equal(0x3f46);
      expect(frameCrc(bytes(1, 0, 48, 0, 55))).to.equal(0x3730);
    });
    it('validates the sheet examples and rejects a flipped bit', () => {
      for (const f of [bytes(40, 0, 70, 1, 63), bytes(1, 0, 48, 0, 55), bytes(40, 0, 182, 254, 33)]) {
        expect(checksumValid(f, 'crc16')).to.equal(true);
        const bad = f.slice();
        bad[3]! ^= 0x10;
        expect(checksumValid(bad, 'crc16')).to.equal(false);
      }
    });
    it('never validates fewer than 5 bytes', () => {
      expect(checksumValid(bytes(0, 0, 0, 0), 'simple')).to.equal(false);
      expect(checksumValid(bytes(), 'crc16')).to.equal(false);
    });
  });
});
