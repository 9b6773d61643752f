import { expect } from 'chai';
import fc from 'fast-check';
import { fromAscii, fromHex } from '../../../lib/core/bytes.js';
import { crc16, crc16Update, ESSP_CRC_SEED } from '../../../lib/protocols/essp/crc.js';

/** The fact sheet's bitwise definition, kept deliberately naive as a reference. */
function bitwiseCrc(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = (crc & 0x8000 ? (crc << 1) ^ 0x8005 : crc << 1) & 0xffff;
  }
  return crc;
}

describe('eSSP CRC-16', () => {
  it('matches the catalogue check value: "123456789" → 0xAEE7', () => {
    expect(crc16(fromAscii('123456789'))).to.equal(0xaee7);
  });

  // Fact sheet section 3 gives these as CRCL CRCH on the wire.
  const vectors: readonly [string, string][] = [
    ['', 'FF FF'],
    ['A', '84 FC'],
    ['ABC', '9B 06'],
    ['ABCD', '8C 9A'],
    ['AAAAAAAA', 'E8 A6'],
    ['123456789', 'E7 AE'],
  ];
  for (const [text, wire] of vectors) {
    it(`"${text}" → ${wire} (low byte first)`, () => {
      const crc = crc16(fromAscii(text));
      const [lo, hi] = fromHex(wire);
      expect(crc & 0xff).to.equal(lo);
      expect(crc >>> 8).to.equal(hi);
    });
  }

  it('follows the SYNC worked example byte by byte (80 01 11 → 7E01, 8001, 8265)', () => {
    let crc = ESSP_CRC_SEED;
    const running: number[] = [];
    for (const b of fromHex('80 01 11')) {
      crc = crc16Update(crc, b);
      running.push(crc);
    }
    expect(running).to.deep.equal([0x7e01, 0x8001, 0x8265]);
  });

  it('follows the flag-0 SYNC example (00 01 11 → FD02, 0008, 0866)', () => {
    const bytes = fromHex('00 01 11');
    expect([1, 2, 3].map((end) => crc16(bytes, 0, end))).to.deep.equal([0xfd02, 0x0008, 0x0866]);
  });

  it('covers only [start, end) of a frame, so the STX and CRC bytes can stay in the buffer', () => {
    const frame = fromHex('7F 80 01 11 65 82');
    expect(crc16(frame, 1, 4)).to.equal(0x8265);
    expect(crc16(frame, 1, 100)).to.equal(crc16(frame.subarray(1)));
  });

  it('does not give a zero residue over data + CRC (CRC is appended low byte first)', () => {
    expect(crc16(fromHex('80 01 11 65 82'))).to.not.equal(0);
  });

  it('equals the bitwise definition on any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(crc16(bytes)).to.equal(bitwiseCrc(bytes));
      }),
    );
  });

  it('can be continued from a running value', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), (a, b) => {
        const whole = new Uint8Array([...a, ...b]);
        expect(crc16(b, 0, b.length, crc16(a))).to.equal(crc16(whole));
      }),
    );
  });
});
