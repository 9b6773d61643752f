import { expect } from 'chai';
import { fromHex } from '../../../../lib/core/bytes.js';
import type { EventContext } from '../../../../lib/protocols/essp/events/index.js';
import { parsePollReply } from '../../../../lib/protocols/essp/events/index.js';

/** Data after the 0xF0 status byte of a whole SSP frame (7F, address, length, data, CRC). */
function pollPayload(frameHex: string): Uint8Array {
  const frame = fromHex(frameHex);
  expect(frame[0]).to.equal(0x7f);
  const length = frame[2]!;
  expect(frame.length).to.equal(3 + length + 2);
  expect(frame[3]).to.equal(0xf0);
  return frame.subarray(4, 3 + length);
}

const eur = (amount: number) => ({ amount, currency: 'EUR' });

const VALIDATOR: EventContext = { protocolVersion: 6, unitType: 0x00 };
const HOPPER: EventContext = { protocolVersion: 6, unitType: 0x03 };
const PAYOUT8: EventContext = { protocolVersion: 8, unitType: 0x06 };
const NV11: EventContext = { protocolVersion: 6, unitType: 0x07 };

describe('eSSP parsePollReply: fact sheet 14.3 examples', () => {
  it('credit channel 1 then stacked (GA138-2021)', () => {
    const r = parsePollReply(pollPayload('7F 80 04 F0 EE 01 EB B9 48'), VALIDATOR);
    expect(r).to.deep.equal({
      events: [
        { event: 'CREDIT_NOTE', code: 0xee, channel: 1 },
        { event: 'NOTE_STACKED', code: 0xeb },
      ],
    });
  });

  it('gives the credited note a value when the channel table is known', () => {
    const ctx = { ...VALIDATOR, channels: [eur(500), eur(1000)] };
    const r = parsePollReply(pollPayload('7F 80 04 F0 EE 01 EB B9 48'), ctx);
    expect(r.events[0]).to.deep.equal({ event: 'CREDIT_NOTE', code: 0xee, channel: 1, value: eur(500) });
  });

  it('stacking then credit (POLL WITH ACK)', () => {
    const r = parsePollReply(pollPayload('7F 80 04 F0 CC EE 01 62 AA'), VALIDATOR);
    expect(r.events).to.deep.equal([
      { event: 'NOTE_STACKING', code: 0xcc },
      { event: 'CREDIT_NOTE', code: 0xee, channel: 1 },
    ]);
  });

  it('SMART Hopper pv6 fraud attempt: 15.30 EUR paid so far', () => {
    const r = parsePollReply(pollPayload('7F 90 0A F0 E6 01 FA 05 00 00 45 55 52 B6 64'), HOPPER);
    expect(r).to.deep.equal({ events: [{ event: 'FRAUD_ATTEMPT', code: 0xe6, amounts: [eur(1530)] }] });
  });

  it('SMART Payout pv8: error during payout, smart emptied, cashbox replaced (kybarg)', () => {
    const usd = '01 00 00 00 55 53 44';
    const uah = '02 00 00 00 55 41 48';
    const payload = fromHex(`B1 02 ${usd} ${uah} 00 B4 02 ${usd} ${uah} E4`);
    const amounts = [
      { amount: 1, currency: 'USD' },
      { amount: 2, currency: 'UAH' },
    ];
    expect(parsePollReply(payload, PAYOUT8)).to.deep.equal({
      events: [
        { event: 'ERROR_DURING_PAYOUT', code: 0xb1, amounts, reason: 0, reasonName: 'NOTE_NOT_DETECTED' },
        { event: 'SMART_EMPTIED', code: 0xb4, amounts },
        { event: 'CASHBOX_REPLACED', code: 0xe4 },
      ],
    });
  });

  it('NV11 pv6 jammed: 2.30 EUR paid (kybarg)', () => {
    const r = parsePollReply(fromHex('D5 01 E6 00 00 00 45 55 52'), NV11);
    expect(r).to.deep.equal({ events: [{ event: 'JAMMED', code: 0xd5, amounts: [eur(230)] }] });
  });

  it('GA973 hopper flows: fraud attempt and jam with 5.50 EUR', () => {
    expect(parsePollReply(fromHex('E6 01 26 02 00 00 45 55 52'), HOPPER).events).to.deep.equal([
      { event: 'FRAUD_ATTEMPT', code: 0xe6, amounts: [eur(550)] },
    ]);
    expect(parsePollReply(fromHex('D5 01 26 02 00 00 45 55 52'), HOPPER).events).to.deep.equal([
      { event: 'JAMMED', code: 0xd5, amounts: [eur(550)] },
    ]);
  });

  it('an empty reply has no events and no diagnostic', () => {
    expect(parsePollReply(new Uint8Array(0), VALIDATOR)).to.deep.equal({ events: [] });
  });
});

describe('eSSP parsePollReply: payload size follows the protocol version', () => {
  const at = (pv: number, unitType: number, hex: string, currency?: string) =>
    parsePollReply(fromHex(hex), {
      protocolVersion: pv,
      unitType,
      ...(currency === undefined ? {} : { currency }),
    });

  it('DISPENSING: bare u32 in the dataset currency before pv6, VC from pv6', () => {
    const expected = { events: [{ event: 'DISPENSING', code: 0xda, amounts: [eur(1000)] }] };
    expect(at(4, 0x03, 'DA E8 03 00 00', 'EUR')).to.deep.equal(expected);
    expect(at(5, 0x03, 'DA E8 03 00 00', 'EUR')).to.deep.equal(expected);
    expect(at(6, 0x03, 'DA 01 E8 03 00 00 45 55 52')).to.deep.equal(expected);
    expect(at(8, 0x03, 'DA 01 E8 03 00 00 45 55 52')).to.deep.equal(expected);
  });

  it('reports bare values in XXX when the dataset currency is not known', () => {
    expect(at(4, 0x03, 'DA 0A 00 00 00').events).to.deep.equal([
      { event: 'DISPENSING', code: 0xda, amounts: [{ amount: 10, currency: 'XXX' }] },
    ]);
  });

  it('a pv6 DISPENSING read at pv4 does not fit and is kept raw', () => {
    const r = at(4, 0x03, 'DA 01 E8 03 00 00 45 55 52', 'EUR');
    expect(r.events).to.deep.equal([
      { event: 'DISPENSING', code: 0xda, amounts: [{ amount: 0x0003e801, currency: 'EUR' }] },
    ]);
    expect(r.rest).to.deep.equal({ hex: '00 45 55 52', offset: 5 });
    expect(r.diagnostic?.kind).to.equal('decode');
  });

  it('NOTE_HELD_IN_BEZEL: no data below pv8, V7 from pv8', () => {
    expect(at(6, 0x06, 'CE EB').events).to.deep.equal([
      { event: 'NOTE_HELD_IN_BEZEL', code: 0xce },
      { event: 'NOTE_STACKED', code: 0xeb },
    ]);
    expect(at(8, 0x06, 'CE F4 01 00 00 45 55 52 EB').events).to.deep.equal([
      { event: 'NOTE_HELD_IN_BEZEL', code: 0xce, value: eur(500) },
      { event: 'NOTE_STACKED', code: 0xeb },
    ]);
  });

  it('NOTE_HELD_IN_BEZEL: also accepts the count-prefixed GA973 NV11 framing', () => {
    expect(at(8, 0x07, 'CE 01 F4 01 00 00 45 55 52 EB').events).to.deep.equal([
      { event: 'NOTE_HELD_IN_BEZEL', code: 0xce, value: eur(500) },
      { event: 'NOTE_STACKED', code: 0xeb },
    ]);
  });

  it('NOTE_TRANSFERED_TO_STACKER: nothing at pv5, V7 at pv6', () => {
    expect(at(5, 0x07, 'C9').events).to.deep.equal([{ event: 'NOTE_TRANSFERED_TO_STACKER', code: 0xc9 }]);
    expect(at(6, 0x07, 'C9 E8 03 00 00 45 55 52').events).to.deep.equal([
      { event: 'NOTE_TRANSFERED_TO_STACKER', code: 0xc9, value: eur(1000) },
    ]);
  });

  it('COIN_CREDIT: u32 at pv5, V7 at pv6', () => {
    expect(at(5, 0x03, 'DF 64 00 00 00', 'EUR').events).to.deep.equal([
      { event: 'COIN_CREDIT', code: 0xdf, value: eur(100) },
    ]);
    expect(at(6, 0x03, 'DF 64 00 00 00 45 55 52').events).to.deep.equal([
      { event: 'COIN_CREDIT', code: 0xdf, value: eur(100) },
    ]);
  });

  it('INCOMPLETE_PAYOUT: two u32 at pv4, VVC at pv6', () => {
    const expected = [
      { event: 'INCOMPLETE_PAYOUT', code: 0xdc, amounts: [{ completed: eur(200), requested: eur(500) }] },
    ];
    expect(at(4, 0x03, 'DC C8 00 00 00 F4 01 00 00', 'EUR').events).to.deep.equal(expected);
    expect(at(6, 0x03, 'DC 01 C8 00 00 00 F4 01 00 00 45 55 52').events).to.deep.equal(expected);
  });

  it('ERROR_DURING_PAYOUT: one error byte at pv6, VC + error byte from pv7', () => {
    expect(at(6, 0x06, 'B1 03').events).to.deep.equal([
      { event: 'ERROR_DURING_PAYOUT', code: 0xb1, amounts: [], reason: 3, reasonName: 'PAYOUT_STALLED' },
    ]);
    expect(at(7, 0x06, 'B1 01 0A 00 00 00 45 55 52 09').events).to.deep.equal([
      { event: 'ERROR_DURING_PAYOUT', code: 0xb1, amounts: [eur(10)], reason: 9, reasonName: 'unknown(9)' },
    ]);
  });

  it('FRAUD_ATTEMPT: channel on validators, u32 on pv5 hoppers', () => {
    expect(at(8, 0x00, 'E6 03').events).to.deep.equal([{ event: 'FRAUD_ATTEMPT', code: 0xe6, channel: 3 }]);
    expect(at(5, 0x03, 'E6 64 00 00 00', 'EUR').events).to.deep.equal([
      { event: 'FRAUD_ATTEMPT', code: 0xe6, amounts: [eur(100)] },
    ]);
  });

  it('READ_NOTE / CREDIT_NOTE on pv9 SMART Currency devices: country then value', () => {
    const ctx: EventContext = { protocolVersion: 9, unitType: 0, smartCurrency: true, channels: [eur(500)] };
    expect(
      parsePollReply(fromHex('EF 00 00 00 00 00 00 00 EE 45 55 52 F4 01 00 00'), ctx).events,
    ).to.deep.equal([
      { event: 'READ_NOTE', code: 0xef, channel: 0 },
      { event: 'CREDIT_NOTE', code: 0xee, channel: 1, value: eur(500) },
    ]);
    // Without SMART Currency the same version keeps the channel byte.
    expect(parsePollReply(fromHex('EE 01'), { protocolVersion: 9, unitType: 0 }).events).to.deep.equal([
      { event: 'CREDIT_NOTE', code: 0xee, channel: 1 },
    ]);
  });

  it('reason bytes get names', () => {
    expect(at(7, 0x03, 'B7 81 83 02').events).to.deep.equal([
      { event: 'COIN_MECH_ERROR', code: 0xb7, reason: 0x81, reasonName: 'INHIBITED_COIN_TYPE_2' },
      { event: 'CALIBRATION_FAILED', code: 0x83, reason: 2, reasonName: 'EXIT_SENSOR' },
    ]);
  });
});

describe('eSSP parsePollReply: stops instead of mis-parsing', () => {
  it('unknown code mid-reply: earlier events kept, rest raw with a decode diagnostic', () => {
    const r = parsePollReply(fromHex('EE 01 EB 42 00 11 EC'), VALIDATOR);
    expect(r.events).to.deep.equal([
      { event: 'CREDIT_NOTE', code: 0xee, channel: 1 },
      { event: 'NOTE_STACKED', code: 0xeb },
    ]);
    expect(r.rest).to.deep.equal({ hex: '42 00 11 EC', offset: 3 });
    expect(r.diagnostic).to.include({ kind: 'decode', protocol: 'essp', hex: '42 00 11 EC' });
    expect(r.diagnostic?.message).to.match(/0x42/);
    expect(r.diagnostic?.info).to.include({ offset: 3, code: 0x42, protocolVersion: 6, unitType: 0 });
  });

  it('a truncated value block is kept raw from its event code', () => {
    const r = parsePollReply(fromHex('EB DA 01 E8 03 00'), HOPPER);
    expect(r.events).to.deep.equal([{ event: 'NOTE_STACKED', code: 0xeb }]);
    expect(r.rest).to.deep.equal({ hex: 'DA 01 E8 03 00', offset: 1 });
  });

  it('country bytes must be upper-case ASCII', () => {
    const r = parsePollReply(fromHex('DA 01 E8 03 00 00 65 75 72'), HOPPER);
    expect(r.events).to.deep.equal([]);
    expect(r.rest?.offset).to.equal(0);
    expect(r.diagnostic?.message).to.match(/DISPENSING/);
  });

  it('an event of undocumented size ends the decodable part', () => {
    const last = parsePollReply(fromHex('EB D3'), HOPPER);
    expect(last).to.deep.equal({
      events: [
        { event: 'NOTE_STACKED', code: 0xeb },
        { event: 'COINS_LOW', code: 0xd3 },
      ],
    });
    const mid = parsePollReply(fromHex('D3 EB'), HOPPER);
    expect(mid.events).to.deep.equal([{ event: 'COINS_LOW', code: 0xd3 }]);
    expect(mid.rest).to.deep.equal({ hex: 'EB', offset: 1 });
    expect(mid.diagnostic?.kind).to.equal('decode');
  });

  it('SMART Payout fraud attempt: takes the framing that fits, refuses when both do', () => {
    expect(parsePollReply(fromHex('E6 02 EB'), PAYOUT8).events).to.deep.equal([
      { event: 'FRAUD_ATTEMPT', code: 0xe6, channel: 2 },
      { event: 'NOTE_STACKED', code: 0xeb },
    ]);
    expect(parsePollReply(fromHex('E6 01 F4 01 00 00 45 55 52'), PAYOUT8).events).to.deep.equal([
      { event: 'FRAUD_ATTEMPT', code: 0xe6, amounts: [eur(500)] },
    ]);
    // Channel 1 followed by DISABLED events, or 1 currency worth 0xE8E8E8E8: refuse.
    const both = parsePollReply(fromHex('E6 01 E8 E8 E8 E8 45 55 52'), PAYOUT8);
    expect(both.events).to.deep.equal([]);
    expect(both.rest?.offset).to.equal(0);
    expect(both.diagnostic?.message).to.match(/not guessing/);
  });

  it('SMART Payout JAMMED: with or without its count byte (GA973)', () => {
    const expected = [{ event: 'JAMMED', code: 0xd5, amounts: [eur(500)] }];
    expect(parsePollReply(fromHex('D5 01 F4 01 00 00 45 55 52'), PAYOUT8).events).to.deep.equal(expected);
    expect(parsePollReply(fromHex('D5 F4 01 00 00 45 55 52'), PAYOUT8).events).to.deep.equal(expected);
    // Other units follow GA138: the count byte is required.
    expect(parsePollReply(fromHex('D5 F4 01 00 00 45 55 52'), HOPPER).events).to.deep.equal([]);
  });

  it('NV11 NOTE_STORED_IN_PAYOUT: empty, or count + value when reporting by value', () => {
    expect(parsePollReply(fromHex('DB EB'), NV11).events).to.deep.equal([
      { event: 'NOTE_STORED_IN_PAYOUT', code: 0xdb },
      { event: 'NOTE_STACKED', code: 0xeb },
    ]);
    expect(parsePollReply(fromHex('DB 01 E8 03 00 00 45 55 52 EB'), NV11).events).to.deep.equal([
      { event: 'NOTE_STORED_IN_PAYOUT', code: 0xdb, value: eur(1000) },
      { event: 'NOTE_STACKED', code: 0xeb },
    ]);
  });
});

describe('eSSP parsePollReply: decoding from an offset', () => {
  it('decodes the DATA of a reply from index 1 exactly like the payload after F0', () => {
    const data = fromHex('F0 EF 01 EE 01 EB');
    const fromOffset = parsePollReply(data, VALIDATOR, 1);
    expect(fromOffset).to.deep.equal(parsePollReply(data.slice(1), VALIDATOR));
    expect(fromOffset.events.map((e) => e.event)).to.deep.equal(['READ_NOTE', 'CREDIT_NOTE', 'NOTE_STACKED']);
  });

  it('an empty reply (F0 alone) gives no events and no diagnostic', () => {
    expect(parsePollReply(fromHex('F0'), VALIDATOR, 1)).to.deep.equal({ events: [] });
  });

  it('reports the offset of undecodable bytes from the start given, not from the array', () => {
    const data = fromHex('F0 EB 01 02');
    const reply = parsePollReply(data, VALIDATOR, 1);
    expect(reply.events.map((e) => e.event)).to.deep.equal(['NOTE_STACKED']);
    expect(reply.rest).to.deep.equal({ hex: '01 02', offset: 1 });
    expect(reply.rest).to.deep.equal(parsePollReply(data.slice(1), VALIDATOR).rest);
  });
});
