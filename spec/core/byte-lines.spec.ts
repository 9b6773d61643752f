import { expect } from 'chai';
import { parseByteLine } from '../../lib/core/byte-lines.js';
import { InvalidArgumentError } from '../../lib/core/errors.js';

const list = (b: Uint8Array): number[] => Array.from(b);

describe('parseByteLine', () => {
  it('reads hex with any separators', () => {
    expect(list(parseByteLine('7F 80 01 11 65 82'))).to.deep.equal([0x7f, 0x80, 1, 0x11, 0x65, 0x82]);
    expect(list(parseByteLine('7f-80,01  11'))).to.deep.equal([0x7f, 0x80, 1, 0x11]);
    expect(list(parseByteLine('0x7F,0x80'))).to.deep.equal([0x7f, 0x80]);
    expect(list(parseByteLine('7F800111'))).to.deep.equal([0x7f, 0x80, 1, 0x11]);
  });
  it('reads ccTalk-style decimal', () => {
    expect(list(parseByteLine('002 000 001 254 255'))).to.deep.equal([2, 0, 1, 254, 255]);
    expect(list(parseByteLine('002 000 001 254 255 --- 001 000 002 000 253'))).to.deep.equal([
      2, 0, 1, 254, 255, 1, 0, 2, 0, 253,
    ]);
  });
  it('honours an explicit radix', () => {
    expect(list(parseByteLine('10 20', 'dec'))).to.deep.equal([10, 20]);
    expect(list(parseByteLine('10 20', 'hex'))).to.deep.equal([16, 32]);
  });
  it('gives a typed error naming the bad token', () => {
    expect(() => parseByteLine('7F ZZ')).to.throw(InvalidArgumentError, /ZZ/);
    expect(() => parseByteLine('256 001', 'dec')).to.throw(InvalidArgumentError, /256/);
    expect(() => parseByteLine('7F8')).to.throw(InvalidArgumentError, /odd/);
  });
  it('returns nothing for a blank line', () => {
    expect(parseByteLine('   ').length).to.equal(0);
  });
});
