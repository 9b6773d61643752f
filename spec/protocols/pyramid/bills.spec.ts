import { expect } from 'chai';
import fc from 'fast-check';
import { toHex } from '../../../lib/core/bytes.js';
import { CashwireError, InvalidArgumentError } from '../../../lib/core/errors.js';
import { money } from '../../../lib/core/money.js';
import {
  billIndexesOf,
  billValue,
  createBillTable,
  encodeHostPoll,
  indexesFromMask,
  maskFromIndexes,
  maskFromValues,
  maskUpTo,
  UnknownBillValueError,
  USD_BILLS,
} from '../../../lib/protocols/pyramid/index.js';

describe('pyramid bill tables and enable masks', () => {
  it('maps the typical US table in minor units', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((i) => billValue(USD_BILLS, i)?.amount)).to.deep.equal([
      100, 200, 500, 1000, 2000, 5000, 10000,
    ]);
    expect(billValue(USD_BILLS, 3)).to.deep.equal({ amount: 500, currency: 'USD' });
    expect(billValue(USD_BILLS, 0)).to.equal(undefined);
  });

  describe('the enable-mask note examples', () => {
    it('bit 0 alone enables only the $1, bit 2 alone only the $5', () => {
      expect(maskFromIndexes([1])).to.equal(0b00000001);
      expect(maskFromValues([100])).to.equal(0b00000001);
      expect(maskFromValues([500])).to.equal(0b00000100);
    });
    it('0b00011111 enables notes 1-5', () => {
      expect(maskFromIndexes([1, 2, 3, 4, 5])).to.equal(0b00011111);
      expect(indexesFromMask(0b00011111)).to.deep.equal([1, 2, 3, 4, 5]);
    });
    it('after 10 PM accept nothing over $20', () => {
      const mask = maskUpTo(USD_BILLS, 2000);
      expect(mask).to.equal(0x1f);
      expect(indexesFromMask(mask).map((i) => billValue(USD_BILLS, i)!.amount)).to.deep.equal([
        100, 200, 500, 1000, 2000,
      ]);
      // "reject notes $20 and higher" reading of the same example
      expect(maskUpTo(USD_BILLS, money(1999, 'USD'))).to.equal(0x0f);
      expect(toHex(encodeHostPoll({ ack: 0, enableMask: mask }))).to.equal('02 08 10 1F 00 00 03 07');
    });
    it('setEnableMask(29) is $1, $5, $10 and $20 without the $2', () => {
      expect(maskFromValues([100, 500, 1000, 2000])).to.equal(29);
      expect(maskFromValues([money(2000, 'USD'), 1000, 500, 100])).to.equal(29);
    });
  });

  it('supports other firmware tables (Canadian Apex: 1=$5 … 5=$100)', () => {
    const cad = createBillTable('CAD', { 1: 500, 2: 1000, 3: 2000, 4: 5000, 5: 10000 });
    expect(maskFromValues([1000], cad)).to.equal(0b10);
    expect(maskUpTo(cad, 2000)).to.equal(0b111);
    expect(billValue(cad, 6)).to.equal(undefined);
    const twoSeries = createBillTable('EUR', { 1: 500, 2: 500, 3: 1000 });
    expect(billIndexesOf(twoSeries, 500)).to.deep.equal([1, 2]);
    expect(maskFromValues([500], twoSeries)).to.equal(0b11);
  });

  it('round-trips masks and index lists', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x7f }), (mask) => {
        expect(maskFromIndexes(indexesFromMask(mask))).to.equal(mask);
      }),
    );
  });

  it('refuses unknown values with a typed error', () => {
    expect(() => maskFromValues([100, 300])).to.throw(UnknownBillValueError, /3\.00 USD is not a note/);
    try {
      maskFromValues([2500]);
      expect.fail('no error');
    } catch (e) {
      expect(e).to.be.instanceOf(CashwireError);
      expect((e as CashwireError).code).to.equal('UNKNOWN_BILL_VALUE');
      expect((e as CashwireError).info).to.include({ amount: 2500, currency: 'USD' });
    }
    expect(() => maskFromValues([money(100, 'EUR')])).to.throw(UnknownBillValueError);
    expect(() => maskFromValues([1.5])).to.throw(InvalidArgumentError);
  });

  it('refuses bad indexes, tables and limits', () => {
    for (const i of [0, 8, -1, 2.5]) expect(() => maskFromIndexes([i])).to.throw(InvalidArgumentError);
    expect(() => createBillTable('USD', { 8: 100 })).to.throw(InvalidArgumentError);
    expect(() => createBillTable('USD', { 1: 0 })).to.throw(InvalidArgumentError);
    expect(() => createBillTable('USD', { 1: 1.5 })).to.throw(InvalidArgumentError);
    expect(() => createBillTable('usd', {})).to.throw(InvalidArgumentError);
    expect(() => maskUpTo(USD_BILLS, money(2000, 'EUR'))).to.throw(InvalidArgumentError);
  });
});
