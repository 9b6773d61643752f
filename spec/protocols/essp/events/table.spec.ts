import { expect } from 'chai';
import { InvalidArgumentError } from '../../../../lib/core/errors.js';
import { toHex } from '../../../../lib/core/bytes.js';
import {
  EVENT_CODES,
  EVENT_TABLE,
  EVENTS_BY_CODE,
  encodeEvents,
  eventNeedsAck,
  eventRepeats,
  isEvent,
  isEventName,
  payloadFor,
  rejectCodeName,
} from '../../../../lib/protocols/essp/events/index.js';
import type { EsspEvent } from '../../../../lib/protocols/essp/events/index.js';

/** Event names of the legacy Node.js eSSP library README, in its order. */
const README_EVENTS = [
  'OPEN', 'CLOSE', 'READ_NOTE', 'CREDIT_NOTE', 'NOTE_REJECTING', 'NOTE_REJECTED', 'NOTE_STACKED',
  'SAFE_NOTE_JAM', 'UNSAFE_NOTE_JAM', 'DISABLED', 'STACKER_FULL', 'FRAUD_ATTEMPT', 'BAR_CODE_TICKET_VALIDATED',
  'CASHBOX_REPLACED', 'CASHBOX_REMOVED', 'NOTE_CLEARED_TO_CASHBOX', 'NOTE_CLEARED_FROM_FRONT', 'NOTE_PATH_OPEN',
  'COIN_CREDIT', 'CASHBOX_PAID', 'INCOMPLETE_FLOAT', 'INCOMPLETE_PAYOUT', 'NOTE_STORED_IN_PAYOUT', 'DISPENSING',
  'TIME_OUT', 'FLOATED', 'FLOATING', 'HALTED', 'JAMMED', 'DISPENSED', 'BAR_CODE_TICKET_ACKNOWLEDGE',
  'NOTE_HELD_IN_BEZEL', 'NOTE_DISPENSED_AT_POWER-UP', 'NOTE_STACKING', 'NOTE_PAID_INTO_STORE_AT_POWER-UP',
  'NOTE_PAID_INTO_STACKER_AT_POWER-UP', 'NOTE_TRANSFERED_TO_STACKER', 'NOTE_FLOAT_ATTACHED', 'NOTE_FLOAT_REMOVED',
  'PAYOUT_OUT_OF_SERVICE', 'COIN_MECH_RETURN_PRESSED', 'COIN_MECH_JAMMED', 'EMPTIED', 'EMPTYING',
  'COIN_MECH_ERROR', 'INITIALISING', 'CHANNEL_DISABLE', 'SMART_EMPTIED', 'SMART_EMPTYING', 'ERROR_DURING_PAYOUT',
  'JAM_RECOVERY',
]; // prettier-ignore

/** The README's OPEN and CLOSE are serial-port notifications of that library, not poll events. */
const PORT_NOTIFICATIONS = ['OPEN', 'CLOSE'];

/** Every code of the fact sheet's 14.2 table. */
const FACT_SHEET_CODES = [
  0xf1, 0xef, 0xee, 0xed, 0xec, 0xcc, 0xeb, 0xea, 0xe9, 0xe8, 0xe7, 0xe6, 0xe5, 0xe4, 0xe3, 0xe2, 0xe1, 0xe0,
  0xdf, 0xde, 0xdd, 0xdc, 0xdb, 0xda, 0xd9, 0xd8, 0xd7, 0xd6, 0xd5, 0xd4, 0xd3, 0xd2, 0xd1, 0xcf, 0xce, 0xcd,
  0xcb, 0xca, 0xc9, 0xc8, 0xc7, 0xc6, 0xc5, 0xc4, 0xc3, 0xc2, 0xc1, 0xc0, 0xbf, 0xbe, 0xbd, 0xba, 0xb7, 0xb6,
  0xb5, 0xb4, 0xb3, 0xb1, 0xb0, 0xaf, 0xae, 0xad, 0xac, 0xab, 0xaa, 0xa9, 0xa8, 0xa7, 0xa6, 0xa5, 0xa4, 0xa3,
  0xa2, 0xa1, 0xa0, 0x93, 0x92, 0x90, 0x8b, 0x83,
];

describe('eSSP event table', () => {
  it('has every one of the 51 README event names (OPEN/CLOSE as port notifications)', () => {
    expect(README_EVENTS).to.have.length(51);
    const names = new Set(EVENT_TABLE.map((r) => r.name));
    for (const name of README_EVENTS) {
      if (PORT_NOTIFICATIONS.includes(name)) expect(isEventName(name), name).to.equal(false);
      else expect(names.has(name as never), name).to.equal(true);
    }
  });

  it('has exactly one row per fact sheet code, with the code of its name', () => {
    expect(EVENT_TABLE.map((r) => r.code)).to.deep.equal(FACT_SHEET_CODES);
    for (const row of EVENT_TABLE) {
      expect(EVENT_CODES[row.name], row.name).to.equal(row.code);
      expect(EVENTS_BY_CODE[row.code]).to.equal(row);
    }
    expect(Object.keys(EVENT_CODES)).to.have.length(EVENT_TABLE.length);
  });

  it('carries the ack/repeat flags of the fact sheet', () => {
    const e = (event: string, code: number) => ({ event, code }) as EsspEvent;
    expect(eventNeedsAck(e('CREDIT_NOTE', 0xee))).to.equal(true);
    expect(eventRepeats(e('CREDIT_NOTE', 0xee))).to.equal(true);
    expect(eventNeedsAck(e('DISPENSED', 0xd2))).to.equal(true);
    expect(eventNeedsAck(e('DISPENSING', 0xda))).to.equal(false);
    expect(eventRepeats(e('DISPENSING', 0xda))).to.equal(true);
    expect(eventNeedsAck(e('INITIALISING', 0xb6))).to.equal(false);
  });

  it('marks undocumented sizes unsure and parses them as unsized', () => {
    for (const name of [
      'COINS_EMPTY',
      'COINS_LOW',
      'MAINTENANCE_REQUIRED',
      'COIN_REJECTED',
      'ESCROW_ACTIVE',
    ]) {
      const row = EVENT_TABLE.find((r) => r.name === name)!;
      expect(row.unsure, name).to.equal(true);
      expect(payloadFor(row, { protocolVersion: 8, unitType: 0x09 }).kind, name).to.equal('unsized');
    }
  });

  it('selects layouts by protocol version and unit type', () => {
    const row = (name: string) => EVENT_TABLE.find((r) => r.name === name)!;
    const kind = (name: string, pv: number, unitType: number) =>
      payloadFor(row(name), { protocolVersion: pv, unitType }).kind;
    expect(kind('DISPENSING', 4, 3)).to.equal('u32');
    expect(kind('DISPENSING', 6, 3)).to.equal('VC');
    expect(kind('FRAUD_ATTEMPT', 6, 0)).to.equal('channel');
    expect(kind('FRAUD_ATTEMPT', 5, 3)).to.equal('u32');
    expect(kind('FRAUD_ATTEMPT', 6, 9)).to.equal('VC');
    expect(kind('NOTE_HELD_IN_BEZEL', 7, 7)).to.equal('none');
    expect(kind('NOTE_HELD_IN_BEZEL', 8, 7)).to.equal('V7');
    expect(kind('INCOMPLETE_PAYOUT', 5, 3)).to.equal('u32-pair');
    expect(kind('INCOMPLETE_PAYOUT', 6, 3)).to.equal('VVC');
  });

  it('names reject codes, unknown ones as unknown(n)', () => {
    expect(rejectCodeName(0x00)).to.equal('NOTE_ACCEPTED');
    expect(rejectCodeName(0x08)).to.equal('REJECTED_BY_HOST');
    expect(rejectCodeName(0x1f)).to.equal('CREDIT_CARD_DETECTED');
    expect(rejectCodeName(0x1e)).to.equal('unknown(30)');
    expect(rejectCodeName(0x99)).to.equal('unknown(153)');
  });

  it('guards narrow events by name', () => {
    const e: EsspEvent = { event: 'CREDIT_NOTE', code: 0xee, channel: 2 };
    expect(isEvent(e, 'CREDIT_NOTE') && e.channel).to.equal(2);
    expect(isEvent(e, 'READ_NOTE')).to.equal(false);
    expect(isEventName('NOTE_DISPENSED_AT_POWER-UP')).to.equal(true);
    expect(isEventName('toString')).to.equal(false);
  });
});

describe('eSSP encodeEvents', () => {
  const eur = (amount: number) => ({ amount, currency: 'EUR' });

  it('emits either framing of a single-note event (14.2a)', () => {
    const held: EsspEvent[] = [{ event: 'NOTE_HELD_IN_BEZEL', code: 0xce, value: eur(500) }];
    const ctx = { protocolVersion: 8, unitType: 0x07 };
    expect(toHex(encodeEvents(held, ctx))).to.equal('CE F4 01 00 00 45 55 52');
    expect(toHex(encodeEvents(held, ctx, { alternateFraming: true }))).to.equal('CE 01 F4 01 00 00 45 55 52');
    expect(toHex(encodeEvents(held, ctx, { alternateFraming: ['JAMMED'] }))).to.equal(
      'CE F4 01 00 00 45 55 52',
    );
  });

  it('reproduces the fact sheet hopper frame payload', () => {
    const fraud: EsspEvent[] = [{ event: 'FRAUD_ATTEMPT', code: 0xe6, amounts: [eur(1530)] }];
    expect(toHex(encodeEvents(fraud, { protocolVersion: 6, unitType: 0x03 }))).to.equal(
      'E6 01 FA 05 00 00 45 55 52',
    );
  });

  it('refuses events its layout cannot carry', () => {
    const two: EsspEvent[] = [
      { event: 'DISPENSING', code: 0xda, amounts: [eur(1), { amount: 2, currency: 'USD' }] },
    ];
    expect(() => encodeEvents(two, { protocolVersion: 4, unitType: 3, currency: 'EUR' })).to.throw(
      InvalidArgumentError,
      /exactly one value/,
    );
    const usd: EsspEvent[] = [{ event: 'DISPENSING', code: 0xda, amounts: [{ amount: 2, currency: 'USD' }] }];
    expect(() => encodeEvents(usd, { protocolVersion: 4, unitType: 3, currency: 'EUR' })).to.throw(
      InvalidArgumentError,
      /EUR values only/,
    );
    const big: EsspEvent[] = [{ event: 'CREDIT_NOTE', code: 0xee, channel: 256 }];
    expect(() => encodeEvents(big, { protocolVersion: 6, unitType: 0 })).to.throw(
      InvalidArgumentError,
      /byte/,
    );
  });
});
