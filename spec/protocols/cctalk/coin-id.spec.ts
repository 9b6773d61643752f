import { expect } from 'chai';
import fc from 'fast-check';
import { parseBillId, parseCoinId, parseValueCode } from '../../../lib/protocols/cctalk/coin-id.js';

const amountOf = (id: string) => {
  const r = parseCoinId(id);
  return r.kind === 'coin' ? r.amount : r.kind;
};

describe('ccTalk coin and bill ids', () => {
  it('reads the usual coin ids into minor units and ISO 4217 currencies', () => {
    expect(parseCoinId('EU200A')).to.deep.equal({
      kind: 'coin',
      id: 'EU200A',
      country: 'EU',
      currency: 'EUR',
      amount: 200,
      issue: 'A',
    });
    expect(parseCoinId('GB010B')).to.include({ currency: 'GBP', amount: 10, issue: 'B' });
    expect(parseCoinId('US025A')).to.include({ currency: 'USD', amount: 25 });
    expect(parseCoinId('US100B')).to.include({ currency: 'USD', amount: 100 });
  });

  it('scales value codes by the letter standing for the decimal point (sheet examples)', () => {
    const whole: readonly (readonly [string, number])[] = [
      ['001', 1],
      ['100', 100],
      ['1K0', 1000],
      ['2K5', 2500],
      ['10K', 10_000],
      ['M25', 250_000],
      ['1M0', 1_000_000],
      ['G10', 100_000_000],
    ];
    for (const [code, value] of whole) expect(amountOf(`EU${code}A`), code).to.equal(value);
    expect(parseValueCode('5m0')).to.deep.equal({ mantissa: 50, exponent: -4 });
    expect(parseValueCode('25m')).to.deep.equal({ mantissa: 25, exponent: -3 });
    expect(parseValueCode('.50')).to.deep.equal({ mantissa: 50, exponent: -2 });
    expect(parseValueCode('2.5')).to.deep.equal({ mantissa: 25, exponent: -1 });
  });

  it('reports fractional minor units, unknown countries and bad formats as typed results', () => {
    expect(parseCoinId('EU.50A')).to.deep.equal({
      kind: 'unknown',
      id: 'EU.50A',
      problem: 'fractional',
      country: 'EU',
    });
    expect(parseCoinId('EU5m0A')).to.include({ problem: 'fractional' });
    expect(parseCoinId('XX100A')).to.include({ kind: 'unknown', problem: 'country', country: 'XX' });
    expect(parseCoinId('EU2K5K5')).to.include({ problem: 'format' });
    expect(parseCoinId('EU1KKA')).to.include({ problem: 'value' });
    expect(parseCoinId('eu200A')).to.include({ problem: 'format' });
  });

  it('recognises tokens, blank slots and dot-padded issue letters', () => {
    expect(parseCoinId('TK000A')).to.deep.equal({
      kind: 'token',
      id: 'TK000A',
      catalogue: '000',
      issue: 'A',
    });
    expect(parseCoinId('......')).to.deep.equal({ kind: 'blank', id: '......' });
    expect(parseCoinId('GB050.')).to.include({ amount: 50, issue: undefined });
  });

  it('lets the caller map extra countries to currencies', () => {
    expect(parseCoinId('XX100A', { currencyOf: (c) => (c === 'XX' ? 'XTS' : undefined) })).to.include({
      currency: 'XTS',
      amount: 100,
    });
  });

  it('multiplies bill value codes by the country scaling factor', () => {
    const factor = { factor: 100, decimalPlaces: 2 };
    expect(parseBillId('EU0020A', factor)).to.include({ kind: 'bill', currency: 'EUR', amount: 2000 });
    expect(parseBillId('US0001A', factor)).to.include({ amount: 100 });
    expect(parseBillId('GB0020A', factor)).to.include({ amount: 2000 });
    expect(parseBillId('BN0.10A', { factor: 1000, decimalPlaces: 0 })).to.include({
      kind: 'unknown',
      problem: 'country',
    });
    expect(parseBillId('EU0.10A', { factor: 1000, decimalPlaces: 0 })).to.include({ amount: 100 });
    expect(parseBillId('EU0020A', { factor: 0, decimalPlaces: 0 })).to.include({ problem: 'scaling' });
    expect(parseBillId('.......', factor)).to.deep.equal({ kind: 'blank', id: '.......' });
    expect(parseBillId('EU20A', factor)).to.include({ problem: 'format' });
  });

  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 9 }), (s) => {
        parseCoinId(s);
        parseBillId(s, { factor: 100, decimalPlaces: 2 });
      }),
    );
  });
});
