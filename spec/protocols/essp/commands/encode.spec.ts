import { expect } from 'chai';
import fc from 'fast-check';
import { toHex } from '../../../../lib/core/bytes.js';
import { InvalidArgumentError } from '../../../../lib/core/errors.js';
import type { EsspContext } from '../../../../lib/protocols/essp/context.js';
import {
  ESSP_COMMAND_LIST,
  encodeCommand,
  encodeCommandByName,
} from '../../../../lib/protocols/essp/commands/table.js';

const pv = (protocolVersion: number, unitType = 0x06): EsspContext => ({ protocolVersion, unitType });
const PV6 = pv(6);
const hex = (name: string, args: unknown, ctx: EsspContext = PV6) =>
  toHex(encodeCommandByName(name, args, ctx));

/** Expect an InvalidArgumentError whose info names `field`. */
function rejects(name: string, args: unknown, field: string, ctx: EsspContext = PV6): InvalidArgumentError {
  let caught: unknown;
  let out: Uint8Array | undefined;
  try {
    out = encodeCommandByName(name, args, ctx);
  } catch (e) {
    caught = e;
  }
  expect(out, 'no bytes on bad input').to.equal(undefined);
  expect(caught).to.be.instanceOf(InvalidArgumentError);
  const err = caught as InvalidArgumentError;
  expect(err.info['field']).to.equal(field);
  expect(err.message).to.contain(field);
  return err;
}

describe('eSSP command encoding (legacy README examples, fact sheet layouts)', () => {
  it('SET_CHANNEL_INHIBITS packs channel i into bit i-1, one byte per 8 channels', () => {
    expect(toHex(encodeCommand('SET_CHANNEL_INHIBITS', { channels: [1, 1, 1, 0, 0, 0, 0, 0] }))).to.equal(
      '02 07',
    );
    expect(hex('SET_CHANNEL_INHIBITS', { channels: [1, 1, 1, 1, 1, 1, 1, 1, 1] })).to.equal('02 FF 01');
    expect(hex('SET_CHANNEL_INHIBITS', { channels: [true, false, true] })).to.equal('02 05');
    expect(hex('SET_CHANNEL_INHIBITS', { channels: Array.from({ length: 24 }, () => 1) })).to.equal(
      '02 FF FF FF',
    );
  });

  it('SET_CHANNEL_INHIBITS: every accepted channel sets exactly its bit (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom<0 | 1>(0, 1), { minLength: 1, maxLength: 24 }), (channels) => {
        const out = encodeCommand('SET_CHANNEL_INHIBITS', { channels });
        expect(out.length).to.equal(1 + Math.ceil(channels.length / 8));
        channels.forEach((on, i) => expect((out[1 + (i >> 3)]! >> (i & 7)) & 1).to.equal(on));
      }),
    );
  });

  it('HOST_PROTOCOL_VERSION', () => {
    expect(toHex(encodeCommand('HOST_PROTOCOL_VERSION', { version: 6 }))).to.equal('06 06');
    rejects('HOST_PROTOCOL_VERSION', { version: 42 }, 'version');
  });

  it('GET_SERIAL_NUMBER takes an optional module byte (NV4000 modules 0x11-0x15)', () => {
    expect(toHex(encodeCommand('GET_SERIAL_NUMBER', undefined))).to.equal('0C');
    expect(toHex(encodeCommand('GET_SERIAL_NUMBER', { module: 0x13 }))).to.equal('0C 13');
    rejects('GET_SERIAL_NUMBER', { module: 256 }, 'module');
  });

  it('bar-code configuration and inhibits', () => {
    expect(hex('SET_BAR_CODE_CONFIGURATION', { enable: 'top', numChar: 6 })).to.equal('24 01 01 06');
    expect(hex('SET_BAR_CODE_CONFIGURATION', { enable: 'both', numChar: 24 })).to.equal('24 03 01 18');
    rejects('SET_BAR_CODE_CONFIGURATION', { enable: 'top', numChar: 5 }, 'numChar');
    rejects('SET_BAR_CODE_CONFIGURATION', { enable: 'left', numChar: 6 }, 'enable');
    // A cleared bit enables: both enabled → bits 0 and 1 clear.
    expect(hex('SET_BAR_CODE_INHIBIT_STATUS', { currencyRead: true, barCode: true })).to.equal('26 FC');
    expect(hex('SET_BAR_CODE_INHIBIT_STATUS', { currencyRead: true, barCode: false })).to.equal('26 FE');
    expect(hex('SET_BAR_CODE_INHIBIT_STATUS', { currencyRead: false, barCode: false })).to.equal('26 FF');
  });

  it('SET_REFILL_MODE sub-command sequences', () => {
    expect(hex('SET_REFILL_MODE', { mode: 'on' })).to.equal('30 05 81 10 11 01');
    expect(hex('SET_REFILL_MODE', { mode: 'off' })).to.equal('30 05 81 10 11 00');
    expect(hex('SET_REFILL_MODE', { mode: 'get' })).to.equal('30 05 81 10 01');
  });

  it('PAYOUT_AMOUNT: pv6 adds country and option (0x58 pay, 0x19 test)', () => {
    const eur = { amount: 500, country_code: 'EUR', test: false };
    expect(toHex(encodeCommand('PAYOUT_AMOUNT', eur, PV6))).to.equal('33 F4 01 00 00 45 55 52 58');
    expect(hex('PAYOUT_AMOUNT', { ...eur, test: true })).to.equal('33 F4 01 00 00 45 55 52 19');
    expect(hex('PAYOUT_AMOUNT', { amount: 10000, country_code: 'RUB', test: false })).to.equal(
      '33 10 27 00 00 52 55 42 58',
    );
    expect(hex('PAYOUT_AMOUNT', eur, pv(4))).to.equal('33 F4 01 00 00');
  });

  it('PAYOUT_AMOUNT refuses a test payout below pv6 (it would pay for real)', () => {
    rejects('PAYOUT_AMOUNT', { amount: 500, country_code: 'EUR', test: true }, 'test', pv(5));
  });

  it('PAYOUT_AMOUNT amount travels as u32 LE (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (amount) => {
        const out = encodeCommand('PAYOUT_AMOUNT', { amount, country_code: 'EUR', test: false });
        expect(out[1]! + out[2]! * 0x100 + out[3]! * 0x10000 + out[4]! * 0x1000000).to.equal(amount);
      }),
    );
  });

  it('money arguments are integer minor units', () => {
    const err = rejects('PAYOUT_AMOUNT', { amount: 5.5, country_code: 'EUR', test: false }, 'amount');
    expect(err.message).to.match(/integer/);
    rejects('PAYOUT_AMOUNT', { amount: -1, country_code: 'EUR', test: false }, 'amount');
    rejects('PAYOUT_AMOUNT', { amount: 2 ** 32, country_code: 'EUR', test: false }, 'amount');
    rejects('PAYOUT_AMOUNT', { amount: 500, country_code: 'eur', test: false }, 'country_code');
    rejects('PAYOUT_AMOUNT', { amount: 500, country_code: 'EUR' }, 'test');
    rejects(
      'FLOAT_AMOUNT',
      { min_possible_payout: 0.5, amount: 1, country_code: 'EUR', test: false },
      'min_possible_payout',
    );
  });

  it('misspelt field names are reported, not ignored', () => {
    const err = rejects('PAYOUT_AMOUNT', { amount: 500, countryCode: 'EUR', test: false }, 'countryCode');
    expect(err.message).to.contain('country_code');
  });

  it('SET_DENOMINATION_LEVEL: count u16, value u16 (pv<6) or u32 + country (pv6)', () => {
    const args = { value: 1, denomination: 10000, country_code: 'RUB' };
    expect(hex('SET_DENOMINATION_LEVEL', args)).to.equal('34 01 00 10 27 00 00 52 55 42');
    expect(hex('SET_DENOMINATION_LEVEL', args, pv(5))).to.equal('34 01 00 10 27');
    rejects('SET_DENOMINATION_LEVEL', { ...args, denomination: 70000 }, 'denomination', pv(5));
  });

  it('GET_DENOMINATION_LEVEL', () => {
    expect(hex('GET_DENOMINATION_LEVEL', { amount: 100, country_code: 'RUB' })).to.equal(
      '35 64 00 00 00 52 55 42',
    );
    expect(hex('GET_DENOMINATION_LEVEL', { amount: 100, country_code: 'RUB' }, pv(5))).to.equal(
      '35 64 00 00 00',
    );
  });

  it('SET/GET_DENOMINATION_ROUTE: route byte, value width by unit below pv6', () => {
    const args = { route: 'payout', value: 10000, country_code: 'RUB' };
    expect(hex('SET_DENOMINATION_ROUTE', args)).to.equal('3B 00 10 27 00 00 52 55 42');
    expect(hex('SET_DENOMINATION_ROUTE', { ...args, route: 'cashbox' })).to.equal(
      '3B 01 10 27 00 00 52 55 42',
    );
    expect(hex('SET_DENOMINATION_ROUTE', args, pv(5, 0x06))).to.equal('3B 00 10 27 00 00');
    expect(hex('SET_DENOMINATION_ROUTE', args, pv(5, 0x03))).to.equal('3B 00 10 27');
    expect(hex('SET_DENOMINATION_ROUTE', { ...args, isHopper: true }, pv(5, 0x06))).to.equal('3B 00 10 27');
    rejects('SET_DENOMINATION_ROUTE', { ...args, route: 'recycler' }, 'route');
    const get = { isHopper: false, value: 10000, country_code: 'RUB' };
    expect(hex('GET_DENOMINATION_ROUTE', get)).to.equal('3C 10 27 00 00 52 55 42');
    expect(hex('GET_DENOMINATION_ROUTE', get, pv(4))).to.equal('3C 10 27 00 00');
    expect(hex('GET_DENOMINATION_ROUTE', { ...get, isHopper: true }, pv(4))).to.equal('3C 10 27');
  });

  it('FLOAT_AMOUNT: minimum payout u16 on hoppers, u32 on note payouts', () => {
    const args = { min_possible_payout: 1000, amount: 10000, country_code: 'RUB', test: false };
    expect(hex('FLOAT_AMOUNT', args, pv(6, 0x06))).to.equal('3D E8 03 00 00 10 27 00 00 52 55 42 58');
    expect(hex('FLOAT_AMOUNT', args, pv(6, 0x03))).to.equal('3D E8 03 10 27 00 00 52 55 42 58');
    expect(hex('FLOAT_AMOUNT', { ...args, test: true }, pv(6, 0x09))).to.equal(
      '3D E8 03 10 27 00 00 52 55 42 19',
    );
    expect(hex('FLOAT_AMOUNT', args, pv(5, 0x03))).to.equal('3D E8 03 10 27 00 00');
    rejects('FLOAT_AMOUNT', { ...args, min_possible_payout: 70000 }, 'min_possible_payout', pv(6, 0x03));
  });

  it('GET_MINIMUM_PAYOUT sends the country from pv6', () => {
    expect(hex('GET_MINIMUM_PAYOUT', { country_code: 'EUR' })).to.equal('3E 45 55 52');
    expect(hex('GET_MINIMUM_PAYOUT', undefined, pv(5))).to.equal('3E');
    rejects('GET_MINIMUM_PAYOUT', undefined, 'country_code');
  });

  it('SET_COIN_MECH_INHIBITS: accept byte, value u16 [, country pv6]', () => {
    expect(hex('SET_COIN_MECH_INHIBITS', { amount: 100, inhibited: true }, pv(5))).to.equal('40 00 64 00');
    expect(hex('SET_COIN_MECH_INHIBITS', { amount: 100, inhibited: false, country_code: 'EUR' })).to.equal(
      '40 01 64 00 45 55 52',
    );
    rejects('SET_COIN_MECH_INHIBITS', { amount: 100, inhibited: true }, 'country_code');
  });

  it('FLOAT/PAYOUT_BY_DENOMINATION: k, k × [count u16, value u32, country], option', () => {
    const value = [
      { number: 1, denomination: 10000, country_code: 'RUB' },
      { number: 1, denomination: 50000, country_code: 'RUB' },
    ];
    const body = '02 01 00 10 27 00 00 52 55 42 01 00 50 C3 00 00 52 55 42';
    expect(hex('FLOAT_BY_DENOMINATION', { value, test: false })).to.equal(`44 ${body} 58`);
    expect(hex('PAYOUT_BY_DENOMINATION', { value, test: true })).to.equal(`46 ${body} 19`);
    expect(() => encodeCommandByName('PAYOUT_BY_DENOMINATION', { value, test: false }, pv(5))).to.throw(
      InvalidArgumentError,
      /protocol version 6/,
    );
    rejects('PAYOUT_BY_DENOMINATION', { value: [], test: false }, 'value');
    const err = rejects(
      'PAYOUT_BY_DENOMINATION',
      { value: [{ ...value[0], number: 1.5 }], test: false },
      'value.0.number',
    );
    expect(err.message).to.contain('integer');
  });

  it('NV11 and payout-module switches', () => {
    expect(hex('SET_VALUE_REPORTING_TYPE', { reportBy: 'channel' })).to.equal('45 01');
    expect(hex('SET_VALUE_REPORTING_TYPE', { reportBy: 'value' })).to.equal('45 00');
    expect(
      hex('ENABLE_PAYOUT_DEVICE', { REQUIRE_FULL_STARTUP: true, OPTIMISE_FOR_PAYIN_SPEED: true }),
    ).to.equal('5C 03');
    expect(
      hex('ENABLE_PAYOUT_DEVICE', { GIVE_VALUE_ON_STORED: true, NO_HOLD_NOTE_ON_PAYOUT: false }),
    ).to.equal('5C 01');
    expect(hex('ENABLE_PAYOUT_DEVICE', undefined)).to.equal('5C');
  });

  it('hopper options and coin mech', () => {
    expect(hex('SET_COIN_MECH_GLOBAL_INHIBIT', { enable: true })).to.equal('49 01');
    expect(hex('SET_COIN_MECH_GLOBAL_INHIBIT', { enable: false })).to.equal('49 00');
    const opts = { payMode: true, levelCheck: true, motorSpeed: true, cashBoxPayAcive: true };
    expect(hex('SET_HOPPER_OPTIONS', opts)).to.equal('50 0F 00');
    expect(
      hex('SET_HOPPER_OPTIONS', { ...opts, payMode: false, valueAddedEvent: true, coinRejectedEvents: true }),
    ).to.equal('50 8E 01');
    expect(hex('COIN_MECH_OPTIONS', { ccTalk: false })).to.equal('5A 00');
    expect(hex('COIN_MECH_OPTIONS', { ccTalk: true })).to.equal('5A 01');
    expect(hex('COIN_STIR', { seconds: 10 })).to.equal('5D 0A');
    rejects('COIN_STIR', { seconds: 0 }, 'seconds');
    expect(
      hex('SET_CASHBOX_PAYOUT_LIMIT', { limits: [{ limit: 5, denomination: 200, country_code: 'EUR' }] }),
    ).to.equal('4E 01 05 00 C8 00 00 00 45 55 52');
  });

  it('SET_BAUD_RATE: rate index and persist byte', () => {
    expect(hex('SET_BAUD_RATE', { baudrate: 9600, reset_to_default_on_reset: true })).to.equal('4D 00 00');
    expect(hex('SET_BAUD_RATE', { baudrate: 38400, reset_to_default_on_reset: true })).to.equal('4D 01 00');
    expect(hex('SET_BAUD_RATE', { baudrate: 115200, reset_to_default_on_reset: false })).to.equal('4D 02 01');
    rejects('SET_BAUD_RATE', { baudrate: 19200, reset_to_default_on_reset: true }, 'baudrate');
  });

  it('CONFIGURE_BEZEL: R, G, B, store (0 = RAM when volatile) [, type]', () => {
    expect(hex('CONFIGURE_BEZEL', { RGB: '0000ff', volatile: true })).to.equal('54 00 00 FF 00');
    expect(hex('CONFIGURE_BEZEL', { RGB: 'FF8000', volatile: false, type: 'flashing' })).to.equal(
      '54 FF 80 00 01 01',
    );
    rejects('CONFIGURE_BEZEL', { RGB: 'blue', volatile: true }, 'RGB');
  });

  it('clock and TEBS rows', () => {
    const rtc = { day: 22, month: 11, year: 26, hour: 21, minute: 30, second: 5 };
    expect(hex('SET_RTC', rtc)).to.equal('64 16 0B 1A 15 1E 05');
    rejects('SET_RTC', { ...rtc, month: 13 }, 'month');
    expect(hex('GET_TEBS_LOG', { index: 4 })).to.equal('66 04');
    expect(hex('COMMUNICATION_PASS_THROUGH', undefined)).to.equal('37 00');
    expect(hex('COMMUNICATION_PASS_THROUGH', { uart: 'cctalk' })).to.equal('37 01');
  });

  it('key management: u64 LE numbers, fixed key from 16 hex digits', () => {
    expect(toHex(encodeCommand('SET_GENERATOR', { generator: 0x3a8f05c5n }))).to.equal(
      '4A C5 05 8F 3A 00 00 00 00',
    );
    expect(hex('SET_MODULUS', { modulus: 0x1234n })).to.equal('4B 34 12 00 00 00 00 00 00');
    expect(hex('REQUEST_KEY_EXCHANGE', { key: 0x0102030405060708n })).to.equal('4C 08 07 06 05 04 03 02 01');
    expect(hex('SET_FIXED_ENCRYPTION_KEY', { fixedKey: '0123456701234567' })).to.equal(
      '60 67 45 23 01 67 45 23 01',
    );
    expect(hex('SET_FIXED_ENCRYPTION_KEY', { fixedKey: '0000000000000000' })).to.equal(
      '60 00 00 00 00 00 00 00 00',
    );
  });

  it('key material never appears in argument errors', () => {
    const big = (1n << 64n) + 123456789n;
    const err = rejects('SET_MODULUS', { modulus: big }, 'modulus');
    expect(err.message).not.to.contain('123456789');
    expect(JSON.stringify(err.toJSON())).not.to.contain('123456789');
    rejects('SET_GENERATOR', { generator: 5 }, 'generator');
    const keyErr = rejects('SET_FIXED_ENCRYPTION_KEY', { fixedKey: '0123456789abcdeZ' }, 'fixedKey');
    expect(keyErr.message).not.to.contain('0123456789');
  });

  it('commands without arguments encode to their code alone and refuse arguments', () => {
    const plain: [string, string][] = [
      ['RESET', '01'],
      ['DISPLAY_ON', '03'],
      ['DISPLAY_OFF', '04'],
      ['SETUP_REQUEST', '05'],
      ['POLL', '07'],
      ['REJECT_BANKNOTE', '08'],
      ['DISABLE', '09'],
      ['ENABLE', '0A'],
      ['SYNC', '11'],
      ['HALT_PAYOUT', '38'],
      ['EMPTY_ALL', '3F'],
      ['SMART_EMPTY', '52'],
      ['POLL_WITH_ACK', '56'],
      ['EVENT_ACK', '57'],
      ['RESET_FIXED_ENCRYPTION_KEY', '61'],
    ];
    for (const [name, code] of plain) {
      expect(hex(name, undefined), name).to.equal(code);
      expect(hex(name, {}), name).to.equal(code);
    }
    expect(() => encodeCommandByName('SYNC', { now: true })).to.throw(InvalidArgumentError, /SYNC/);
  });

  it('every argument-less row in the table encodes to exactly its command byte', () => {
    const plain = ESSP_COMMAND_LIST.filter((row) => row.args.name === 'no arguments');
    expect(plain.length).to.be.greaterThan(30);
    for (const row of plain)
      expect(Array.from(encodeCommandByName(row.name, undefined)), row.name).to.deep.equal([row.code]);
  });
});
