import { expect } from 'chai';
import { money, addMoney, formatMoney, InvalidArgumentError } from '../../lib/index.js';

describe('money', () => {
  it('keeps integer minor units and a currency code', () => {
    expect(money(500, 'EUR')).to.deep.equal({ amount: 500, currency: 'EUR' });
    expect(formatMoney(money(1530, 'EUR'))).to.equal('15.30 EUR');
    expect(formatMoney(money(1000, 'JPY'))).to.equal('1000 JPY');
  });
  it('rejects floats, negatives and bad codes with a typed error', () => {
    expect(() => money(5.5, 'EUR')).to.throw(InvalidArgumentError, /integers of minor units/);
    expect(() => money(-1, 'EUR')).to.throw(InvalidArgumentError);
    expect(() => money(1, 'eur')).to.throw(InvalidArgumentError, /ISO 4217/);
  });
  it('refuses to add different currencies', () => {
    expect(addMoney(money(1, 'EUR'), money(2, 'EUR')).amount).to.equal(3);
    expect(() => addMoney(money(1, 'EUR'), money(2, 'USD'))).to.throw(InvalidArgumentError);
  });
});
