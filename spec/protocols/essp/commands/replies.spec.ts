import { expect } from 'chai';
import fc from 'fast-check';
import { fromHex } from '../../../../lib/core/bytes.js';
import { DecodeError } from '../../../../lib/core/errors.js';
import type { EsspContext } from '../../../../lib/protocols/essp/context.js';
import {
  ESSP_COMMAND_LIST,
  decodeReply,
  type EsspCommandName,
} from '../../../../lib/protocols/essp/commands/table.js';

const PV6: EsspContext = { protocolVersion: 6, unitType: 0x06 };
const info = (name: EsspCommandName, hex: string, ctx: EsspContext = PV6): unknown =>
  decodeReply(name, fromHex(hex), ctx).info;

describe('eSSP reply decoding', () => {
  it('GET_SERIAL_NUMBER is a big-endian u32', () => {
    const reply = decodeReply('GET_SERIAL_NUMBER', fromHex('F0 00 4A 78 B4'));
    expect(reply.status).to.equal('OK');
    expect(reply.code).to.equal(0xf0);
    const serial: number = reply.info!.serial_number;
    expect(serial).to.equal(4880564);
    expect(() => decodeReply('GET_SERIAL_NUMBER', fromHex('F0 00 4A 78'))).to.throw(DecodeError, /too short/);
  });

  it('GET_ALL_LEVELS: count, then level u16, value u32, country per denomination', () => {
    const reply = decodeReply(
      'GET_ALL_LEVELS',
      fromHex('F0 02 05 00 64 00 00 00 45 55 52 00 00 C8 00 00 00 45 55 52'),
    );
    expect(reply.info).to.deep.equal({
      levels: [
        { level: 5, value: { amount: 100, currency: 'EUR' } },
        { level: 0, value: { amount: 200, currency: 'EUR' } },
      ],
    });
    expect(info('GET_ALL_LEVELS', 'F0 00')).to.deep.equal({ levels: [] });
    expect(() => info('GET_ALL_LEVELS', 'F0 02 05 00 64 00 00 00 45 55 52')).to.throw(DecodeError);
  });

  it('0xF5 error bytes are named from the command family table', () => {
    expect(decodeReply('PAYOUT_AMOUNT', fromHex('F5 01'))).to.deep.equal({
      status: 'COMMAND_CANNOT_BE_PROCESSED',
      code: 0xf5,
      error: { code: 1, name: 'NOT_ENOUGH_VALUE' },
    });
    expect(decodeReply('FLOAT_AMOUNT', fromHex('F5 02')).error?.name).to.equal('CANNOT_PAY_EXACT_AMOUNT');
    expect(decodeReply('PAYOUT_BY_DENOMINATION', fromHex('F5 03')).error?.name).to.equal('BUSY');
    expect(decodeReply('SET_DENOMINATION_ROUTE', fromHex('F5 02')).error?.name).to.equal('INVALID_CURRENCY');
    expect(decodeReply('ENABLE_PAYOUT_DEVICE', fromHex('F5 04')).error?.name).to.equal('EMPTY_ONLY');
    expect(decodeReply('STACK_NOTE', fromHex('F5 02')).error?.name).to.equal('EMPTY');
    expect(decodeReply('GET_NOTE_POSITIONS', fromHex('F5 02')).error?.name).to.equal('INVALID_CURRENCY');
    expect(decodeReply('GET_TEBS_BARCODE', fromHex('F5 05')).error?.name).to.equal('CASHBOX_UNLOCKED');
    expect(decodeReply('GET_TEBS_LOG', fromHex('F5 05')).error?.name).to.equal('GATHERING_DATA');
    expect(decodeReply('PAYOUT_AMOUNT', fromHex('F5 09')).error).to.deep.equal({
      code: 9,
      name: 'UNKNOWN_9',
    });
    expect(decodeReply('HOLD', fromHex('F5'))).to.deep.equal({
      status: 'COMMAND_CANNOT_BE_PROCESSED',
      code: 0xf5,
    });
  });

  it('other generic responses carry no info', () => {
    expect(decodeReply('PAYOUT_AMOUNT', fromHex('F4'))).to.deep.equal({
      status: 'PARAMETER_OUT_OF_RANGE',
      code: 0xf4,
    });
    expect(decodeReply('HOST_PROTOCOL_VERSION', fromHex('F8')).status).to.equal('FAIL');
    expect(decodeReply('POLL', fromHex('FA')).status).to.equal('KEY_NOT_SET');
  });

  it('empty replies and non-generic first bytes are DecodeErrors', () => {
    expect(() => decodeReply('SYNC', new Uint8Array(0))).to.throw(DecodeError, /Empty/);
    expect(() => decodeReply('SYNC', fromHex('42'))).to.throw(DecodeError, /not a generic response/);
    expect(() => decodeReply('SYNC', fromHex('F1'))).to.throw(DecodeError);
  });

  it('key exchange reply is the slave intermediate key (u64 LE)', () => {
    const reply = decodeReply('REQUEST_KEY_EXCHANGE', fromHex('F0 08 07 06 05 04 03 02 01'));
    const key: bigint = reply.info!.key;
    expect(key).to.equal(0x0102030405060708n);
    expect(() => info('REQUEST_KEY_EXCHANGE', 'F0 08 07 06')).to.throw(DecodeError);
  });

  it('LAST_REJECT_CODE names the reason', () => {
    expect(info('LAST_REJECT_CODE', 'F0 08')).to.deep.equal({
      code: 8,
      name: 'REJECT_BY_HOST',
      description: 'rejected by the host from escrow',
    });
    expect(info('LAST_REJECT_CODE', 'F0 13')).to.include({ name: 'ESCROW_TIME_OUT' });
    expect(info('LAST_REJECT_CODE', 'F0 1F')).to.include({ name: 'CREDIT_CARD_DETECTED' });
    expect(info('LAST_REJECT_CODE', 'F0 1E')).to.include({ code: 0x1e, name: 'UNKNOWN_30' });
  });

  it('UNIT_DATA, firmware and dataset strings', () => {
    expect(info('UNIT_DATA', 'F0 00 30 31 31 30 45 55 52 00 00 01 06')).to.deep.equal({
      unitType: 0,
      unitTypeName: 'BANKNOTE_VALIDATOR',
      firmware: '0110',
      country: 'EUR',
      valueMultiplier: 1,
      protocolVersion: 6,
    });
    expect(info('GET_DATASET_VERSION', 'F0 45 55 52 30 31 36 31 30')).to.deep.equal({ dataset: 'EUR01610' });
    expect(info('GET_FIRMWARE_VERSION', 'F0 4E 56 30 32')).to.deep.equal({ firmware: 'NV02' });
  });

  it('CHANNEL_VALUE_REQUEST: value bytes, plus country and u32 value from pv6', () => {
    expect(info('CHANNEL_VALUE_REQUEST', 'F0 02 05 0A', { protocolVersion: 5, unitType: 0 })).to.deep.equal({
      channels: [
        { channel: 1, value: 5 },
        { channel: 2, value: 10 },
      ],
    });
    expect(
      info('CHANNEL_VALUE_REQUEST', 'F0 02 05 0A 45 55 52 45 55 52 05 00 00 00 0A 00 00 00'),
    ).to.deep.equal({
      channels: [
        { channel: 1, value: 5, country_code: 'EUR', full_value: 5 },
        { channel: 2, value: 10, country_code: 'EUR', full_value: 10 },
      ],
    });
    expect(() => info('CHANNEL_VALUE_REQUEST', 'F0 02 05 0A')).to.throw(DecodeError);
  });

  it('GET_COUNTERS picks the layout by length and unit', () => {
    const validator = info(
      'GET_COUNTERS',
      'F0 05 01 00 00 00 02 00 00 00 03 00 00 00 04 00 00 00 05 00 00 00',
    );
    expect(validator).to.deep.equal({
      stacked: 1,
      stored: 2,
      dispensed: 3,
      transferred_to_stack: 4,
      rejected: 5,
    });
    const sh3 = info('GET_COUNTERS', `F0 ${'01 00 00 00 '.repeat(6)}`, { protocolVersion: 6, unitType: 3 });
    expect(sh3).to.include({ past_sensors: 1, float_requests: 1 });
    const sh4 = info('GET_COUNTERS', 'F0 02 07 00 00 00 09 00 00 00', { protocolVersion: 6, unitType: 3 });
    expect(sh4).to.deep.equal({ paid_out: 7, paid_in: 9 });
  });

  it('GET_NOTE_POSITIONS by value or by channel', () => {
    expect(info('GET_NOTE_POSITIONS', 'F0 02 E8 03 00 00 D0 07 00 00')).to.deep.equal({
      reportBy: 'value',
      positions: [1000, 2000],
    });
    expect(info('GET_NOTE_POSITIONS', 'F0 02 01 03')).to.deep.equal({
      reportBy: 'channel',
      positions: [1, 3],
    });
    expect(() => info('GET_NOTE_POSITIONS', 'F0 03 01')).to.throw(DecodeError);
  });

  it('other structured replies', () => {
    expect(info('GET_DENOMINATION_ROUTE', 'F0 01')).to.deep.equal({ route: 'cashbox', code: 1 });
    expect(info('GET_DENOMINATION_LEVEL', 'F0 0C 00')).to.deep.equal({ level: 12 });
    expect(info('GET_MINIMUM_PAYOUT', 'F0 F4 01 00 00')).to.deep.equal({ value: 500 });
    expect(info('GET_BUILD_REVISION', 'F0 00 10 00 06 02 01')).to.deep.equal({
      modules: [
        { type: 0, revision: 16 },
        { type: 6, revision: 258 },
      ],
    });
    expect(() => info('GET_BUILD_REVISION', 'F0 00 10')).to.throw(DecodeError);
    expect(info('GET_HOPPER_OPTIONS', 'F0 0E 01')).to.include({
      payMode: false,
      levelCheck: true,
      coinRejectedEvents: true,
    });
    expect(info('GET_BAR_CODE_READER_CONFIGURATION', 'F0 03 01 01 12')).to.deep.equal({
      hardware: 'both',
      enabled: 'top',
      format: 1,
      numChar: 18,
    });
    expect(info('GET_BAR_CODE_INHIBIT_STATUS', 'F0 FE')).to.deep.equal({
      currencyRead: true,
      barCode: false,
    });
    expect(info('GET_BAR_CODE_DATA', 'F0 01 03 31 32 33')).to.deep.equal({ status: 'escrow', data: '123' });
    expect(info('CHANNEL_SECURITY_DATA', 'F0 02 02 04')).to.deep.equal({ levels: ['standard', 'inhibited'] });
    expect(info('SET_REFILL_MODE', 'F0 01')).to.deep.equal({ enabled: true });
    expect(info('GET_RTC', 'F0 16 0B 1A 15 1E 05')).to.deep.equal({
      day: 22,
      month: 11,
      year: 26,
      hour: 21,
      minute: 30,
      second: 5,
    });
    expect(
      info('CASHBOX_PAYOUT_OPERATION_DATA', 'F0 01 02 00 C8 00 00 00 45 55 52 03 00 00 00'),
    ).to.deep.equal({
      levels: [{ level: 2, value: { amount: 200, currency: 'EUR' } }],
      unknown: 3,
    });
    const poll = decodeReply('POLL', fromHex('F0 EF 01')).info;
    expect(Array.from(poll!.data)).to.deep.equal([0xef, 0x01]);
  });

  it('arbitrary reply bytes only ever raise DecodeError (property)', () => {
    const ctxs: EsspContext[] = [
      PV6,
      { protocolVersion: 4, unitType: 0x03 },
      { protocolVersion: 7, unitType: 0x08 },
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...ESSP_COMMAND_LIST.map((r) => r.name as EsspCommandName)),
        fc.constantFrom(...ctxs),
        fc.uint8Array({ maxLength: 64 }),
        (name, ctx, tail) => {
          try {
            decodeReply(name, Uint8Array.of(0xf0, ...tail), ctx);
          } catch (e) {
            expect(e).to.be.instanceOf(DecodeError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
