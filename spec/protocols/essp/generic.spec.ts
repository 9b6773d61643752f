import { expect } from 'chai';
import {
  F5_ERRORS,
  GENERIC_RESPONSES,
  explainResponse,
  f5Error,
  genericName,
} from '../../../lib/protocols/essp/generic.js';

describe('eSSP generic responses', () => {
  it('names the ten generic response bytes (fact sheet §6)', () => {
    expect(Object.entries(GENERIC_RESPONSES).map(([k, v]) => [Number(k), v])).to.deep.equal([
      [0xf0, 'OK'],
      [0xf2, 'COMMAND_NOT_KNOWN'],
      [0xf3, 'WRONG_NO_PARAMETERS'],
      [0xf4, 'PARAMETER_OUT_OF_RANGE'],
      [0xf5, 'COMMAND_CANNOT_BE_PROCESSED'],
      [0xf6, 'SOFTWARE_ERROR'],
      [0xf7, 'CHECKSUM_ERROR'],
      [0xf8, 'FAIL'],
      [0xf9, 'HEADER_FAILURE'],
      [0xfa, 'KEY_NOT_SET'],
    ]);
    expect(genericName(0xf1)).to.equal(undefined);
    expect(genericName(0x00)).to.equal(undefined);
  });

  it('explains responses, with payout-specific advice for 0xF4', () => {
    for (const code of [0xf0, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa]) {
      expect(explainResponse(code).length, String(code)).to.be.greaterThan(20);
    }
    expect(explainResponse(0xf4, 'payout')).to.match(/encrypted/);
    expect(explainResponse(0xf4, 'payout')).to.match(/currency/);
    expect(explainResponse(0xf4)).not.to.match(/encrypted/);
    expect(explainResponse(0xfa)).to.match(/SET_GENERATOR/);
    expect(explainResponse(0xf1)).to.match(/Unknown response byte 0xf1/);
  });

  it('names 0xF5 error bytes per family (fact sheet §13)', () => {
    expect(f5Error(1, 'payout')).to.deep.equal({ code: 1, name: 'NOT_ENOUGH_VALUE' });
    expect(f5Error(2, 'payout').name).to.equal('CANNOT_PAY_EXACT_AMOUNT');
    expect(f5Error(4, 'payout').name).to.equal('DISABLED');
    expect(f5Error(3, 'route').name).to.equal('PAYOUT_DEVICE_FAILURE');
    expect(f5Error(5, 'enablePayout').name).to.equal('DEVICE_ERROR');
    expect(f5Error(1, 'noteFloat').name).to.equal('NOT_CONNECTED');
    expect(f5Error(6, 'tebsBarcode').name).to.equal('CURRENCY_MISMATCH');
    expect(f5Error(1, 'notePositions').name).to.equal('UNKNOWN_1');
    expect(f5Error(3)).to.deep.equal({ code: 3, name: 'UNKNOWN_3' });
    expect(Object.keys(F5_ERRORS)).to.have.length(7);
  });
});
