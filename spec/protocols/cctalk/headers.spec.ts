import { expect } from 'chai';
import fc from 'fast-check';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { bytes, fromAscii } from '../../../lib/core/bytes.js';
import { InvalidArgumentError, UnknownCommandError } from '../../../lib/core/errors.js';
import { encodeFrame } from '../../../lib/protocols/cctalk/framing.js';
import {
  HEADERS,
  decodeReply,
  decodeReplyOf,
  deviceClassOf,
  encodeRequest,
  headerByNumber,
  supportsHeader,
} from '../../../lib/protocols/cctalk/headers.js';

const data = (r: { readonly data: Uint8Array }) => Array.from(r.data);
const untyped = encodeRequest as (name: string, args?: unknown) => { header: number; data: Uint8Array };
const value = (header: number, d: Uint8Array) => {
  const r = decodeReply(header, d);
  if (!isRight(r)) throw new Error(r.left.message);
  return r.right.value;
};

describe('ccTalk header table', () => {
  it('gives every entry a distinct header number in 0–255', () => {
    const numbers = Object.values(HEADERS).map((h) => h.header);
    expect(new Set(numbers).size).to.equal(numbers.length);
    for (const n of numbers) expect(n).to.be.within(0, 255);
    expect(headerByNumber(229)?.name).to.equal('READ_BUFFERED_CREDIT_OR_ERROR_CODES');
    expect(headerByNumber(42)).to.equal(undefined);
  });

  it('carries the sheet header numbers', () => {
    const expected: Readonly<Record<string, number>> = {
      SIMPLE_POLL: 254,
      ADDRESS_POLL: 253,
      REQUEST_EQUIPMENT_CATEGORY_ID: 245,
      REQUEST_MANUFACTURER_ID: 246,
      REQUEST_PRODUCT_CODE: 244,
      REQUEST_SERIAL_NUMBER: 242,
      REQUEST_SOFTWARE_REVISION: 241,
      REQUEST_COMMS_REVISION: 4,
      REQUEST_BUILD_CODE: 192,
      REQUEST_POLLING_PRIORITY: 249,
      READ_BUFFERED_CREDIT_OR_ERROR_CODES: 229,
      MODIFY_INHIBIT_STATUS: 231,
      REQUEST_INHIBIT_STATUS: 230,
      MODIFY_MASTER_INHIBIT_STATUS: 228,
      REQUEST_MASTER_INHIBIT_STATUS: 227,
      REQUEST_COIN_ID: 184,
      MODIFY_SORTER_PATHS: 210,
      REQUEST_SORTER_PATHS: 209,
      MODIFY_DEFAULT_SORTER_PATH: 189,
      REQUEST_DEFAULT_SORTER_PATH: 188,
      REQUEST_OPTION_FLAGS: 213,
      PERFORM_SELF_CHECK: 232,
      READ_BUFFERED_BILL_EVENTS: 159,
      REQUEST_BILL_ID: 157,
      REQUEST_COUNTRY_SCALING_FACTOR: 156,
      REQUEST_BILL_POSITION: 155,
      ROUTE_BILL: 154,
      MODIFY_BILL_OPERATING_MODE: 153,
      REQUEST_BILL_OPERATING_MODE: 152,
      ENABLE_HOPPER: 164,
      DISPENSE_HOPPER_COINS: 167,
      REQUEST_HOPPER_STATUS: 166,
      REQUEST_HOPPER_DISPENSE_COUNT: 168,
      TEST_HOPPER: 163,
      EMERGENCY_STOP: 172,
      RESET_DEVICE: 1,
      ACK: 0,
      NAK: 5,
      BUSY: 6,
    };
    const table = HEADERS as Readonly<Record<string, { readonly header: number }>>;
    for (const [name, n] of Object.entries(expected)) expect(table[name]?.header, name).to.equal(n);
  });

  describe('encodeRequest', () => {
    it('builds the equipment category request of the overview example', () => {
      const r = encodeRequest('REQUEST_EQUIPMENT_CATEGORY_ID');
      expect(encodeFrame({ destination: 2, source: 1, ...r }, 'simple')).to.deep.equal(
        bytes(2, 0, 1, 245, 8),
      );
    });

    it('encodes arguments to the sheet layouts', () => {
      expect(data(encodeRequest('MODIFY_INHIBIT_STATUS', { mask: 0xffff }))).to.deep.equal([255, 255]);
      expect(data(encodeRequest('MODIFY_INHIBIT_STATUS', { mask: 0x01ff }))).to.deep.equal([0xff, 0x01]);
      expect(data(encodeRequest('MODIFY_INHIBIT_STATUS', { mask: 0x030201, bytes: 3 }))).to.deep.equal([
        1, 2, 3,
      ]);
      expect(data(encodeRequest('MODIFY_MASTER_INHIBIT_STATUS', { accepting: true }))).to.deep.equal([1]);
      expect(data(encodeRequest('MODIFY_MASTER_INHIBIT_STATUS', { accepting: false }))).to.deep.equal([0]);
      expect(data(encodeRequest('REQUEST_COIN_ID', { position: 16 }))).to.deep.equal([16]);
      expect(data(encodeRequest('ENABLE_HOPPER', { enable: true }))).to.deep.equal([165]);
      expect(data(encodeRequest('ROUTE_BILL', { action: 'stack' }))).to.deep.equal([1]);
      expect(data(encodeRequest('ROUTE_BILL', { action: 'extend-escrow' }))).to.deep.equal([255]);
      expect(data(encodeRequest('SWITCH_ENCRYPTION_CODE', { code: '123456' }))).to.deep.equal([
        0x21, 0x43, 0x65,
      ]);
      expect(data(encodeRequest('REQUEST_ENCRYPTION_SUPPORT'))).to.deep.equal([170, 85, 0, 0, 85, 170]);
      expect(data(encodeRequest('REQUEST_COUNTRY_SCALING_FACTOR', { country: 'EU' }))).to.deep.equal([
        69, 85,
      ]);
      expect(data(encodeRequest('MODIFY_SORTER_PATHS', { position: 3, paths: [2] }))).to.deep.equal([3, 2]);
      expect(
        data(encodeRequest('MODIFY_BILL_OPERATING_MODE', { stacker: true, escrow: true })),
      ).to.deep.equal([3]);
      expect(data(encodeRequest('MODIFY_COIN_ID', { position: 1, id: 'EU200A' }))).to.deep.equal([
        1,
        ...fromAscii('EU200A'),
      ]);
      expect(data(encodeRequest('PAY_MONEY_OUT', { value: 0x01020304 }))).to.deep.equal([4, 3, 2, 1]);
      const security = bytes(1, 2, 3, 4, 5, 6, 7, 8);
      expect(data(encodeRequest('DISPENSE_HOPPER_COINS', { security, count: 5 }))).to.deep.equal([
        1, 2, 3, 4, 5, 6, 7, 8, 5,
      ]);
      expect(data(encodeRequest('SIMPLE_POLL', undefined))).to.deep.equal([]);
    });

    it('rejects bad arguments with an InvalidArgumentError naming the field', () => {
      const bad: readonly (readonly [string, unknown, string])[] = [
        ['MODIFY_INHIBIT_STATUS', { mask: -1 }, 'mask'],
        ['MODIFY_INHIBIT_STATUS', { mask: 0x10000 }, 'mask'],
        ['MODIFY_INHIBIT_STATUS', { mask: 0x1ff, bytes: 1 }, 'mask'],
        ['MODIFY_INHIBIT_STATUS', { mask: 1.5 }, 'mask'],
        ['REQUEST_COIN_ID', { position: 0 }, 'position'],
        ['REQUEST_COIN_ID', {}, 'position'],
        ['MODIFY_MASTER_INHIBIT_STATUS', { accepting: 1 }, 'accepting'],
        ['ROUTE_BILL', { action: 'keep' }, 'action'],
        ['SWITCH_ENCRYPTION_CODE', { code: '12345' }, 'code'],
        ['REQUEST_COUNTRY_SCALING_FACTOR', { country: 'eu' }, 'country'],
        ['DISPENSE_HOPPER_COINS', { security: bytes(1, 2, 3), count: 0 }, 'count'],
        ['DISPENSE_HOPPER_COINS', { security: bytes(1), count: 1 }, 'security'],
        ['MODIFY_SORTER_PATHS', { position: 1, paths: [9] }, 'paths'],
        ['MODIFY_COIN_ID', { position: 1, id: 'EU200' }, 'id'],
      ];
      for (const [name, args, field] of bad) {
        let caught: unknown;
        try {
          untyped(name, args);
        } catch (e) {
          caught = e;
        }
        expect(caught, `${name} ${JSON.stringify(args)}`).to.be.instanceOf(InvalidArgumentError);
        expect((caught as InvalidArgumentError).info['field'], name).to.equal(field);
      }
      expect(() => untyped('SIMPLE_POLL', { extra: 1 })).to.throw(InvalidArgumentError);
    });

    it('rejects unknown names with UnknownCommandError and suggestions', () => {
      expect(() => untyped('NOPE')).to.throw(UnknownCommandError);
      expect(() => untyped('coin_id')).to.throw(UnknownCommandError, /REQUEST_COIN_ID/);
      expect(() => untyped('toString')).to.throw(UnknownCommandError);
    });
  });

  describe('decodeReply', () => {
    it('decodes identification replies', () => {
      expect(value(245, fromAscii('Coin Acceptor'))).to.equal('Coin Acceptor');
      expect(value(192, fromAscii('ABC12   '))).to.equal('ABC12');
      expect(value(242, bytes(0x01, 0x02, 0x03))).to.equal(0x030201);
      expect(value(4, bytes(1, 4, 7))).to.deep.equal({ release: 1, major: 4, minor: 7 });
      expect(value(249, bytes(2, 20))).to.deep.equal({ units: 2, value: 20, intervalMs: 200 });
      expect(value(249, bytes(0, 255))).to.deep.equal({ units: 0, value: 255, intervalMs: undefined });
    });

    it('decodes status replies', () => {
      expect(value(254, bytes())).to.equal(undefined);
      expect(value(227, bytes(1))).to.deep.equal({ accepting: true });
      expect(value(230, bytes(0xff, 0x03))).to.equal(0x03ff);
      expect(value(156, bytes(100, 0, 2))).to.deep.equal({ factor: 100, decimalPlaces: 2 });
      expect(value(154, bytes())).to.equal('ok');
      expect(value(154, bytes(254))).to.equal('escrow-empty');
      expect(value(166, bytes(7, 0, 10, 0))).to.deep.equal({ counter: 7, remaining: 0, paid: 10, unpaid: 0 });
      expect(value(163, bytes(0x41, 0x80))).to.deep.equal({
        registers: [0x41, 0x80],
        flags: ['max current exceeded', 'power-up detected', 'PIN mechanism enabled'],
      });
      expect(value(184, fromAscii('EU200A'))).to.equal('EU200A');
      expect(value(229, bytes(1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0))).to.deep.include({ counter: 1 });
      expect(value(173, bytes(0xfe))).to.equal(-2);
    });

    it('returns a DecodeError value for malformed data and raw bytes for unknown headers', () => {
      const bad = decodeReply(254, bytes(1));
      expect(isLeft(bad) && bad.left.message).to.match(/SIMPLE_POLL/);
      expect(isLeft(decodeReply(229, bytes(1, 2)))).to.equal(true);
      expect(value(42, bytes(9, 8))).to.deep.equal(bytes(9, 8));
      const typed = decodeReplyOf('REQUEST_SERIAL_NUMBER', bytes(1, 0, 0));
      expect(isRight(typed) && typed.right).to.equal(1);
    });

    it('never throws on any header and data', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 40 }), (h, d) => {
          decodeReply(h, d);
        }),
      );
    });
  });

  it('says which device classes implement a header', () => {
    expect(supportsHeader('READ_BUFFERED_CREDIT_OR_ERROR_CODES', 'coin-acceptor')).to.equal(true);
    expect(supportsHeader('READ_BUFFERED_CREDIT_OR_ERROR_CODES', 'bill-validator')).to.equal(false);
    expect(supportsHeader('SIMPLE_POLL', 'payout')).to.equal(true);
    expect(deviceClassOf('Coin Acceptor')).to.equal('coin-acceptor');
    expect(deviceClassOf('Bill Acceptor')).to.equal('bill-validator');
    expect(deviceClassOf('Payout')).to.equal('payout');
    expect(deviceClassOf('Reel')).to.equal(undefined);
  });
});
