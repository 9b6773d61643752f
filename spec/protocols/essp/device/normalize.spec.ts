import { expect } from 'chai';
import { fromHex } from '../../../../lib/core/bytes.js';
import type { DeviceEvent, DeviceRef } from '../../../../lib/core/events.js';
import { normalizeEvent } from '../../../../lib/protocols/essp/device/normalize.js';
import { parsePollReply } from '../../../../lib/protocols/essp/events/parse.js';
import type { EventContext } from '../../../../lib/protocols/essp/events/blocks.js';

const device: DeviceRef = { protocol: 'essp', address: 0 };
const eur = (amount: number) => ({ amount, currency: 'EUR' });

/** Decode a poll payload (after F0) and normalize it; drop the raw events. */
function cash(hex: string, ctx: EventContext): Omit<DeviceEvent, 'device'>[] {
  const reply = parsePollReply(fromHex(hex), ctx);
  expect(reply.diagnostic).to.equal(undefined);
  return reply.events
    .flatMap((e) => normalizeEvent(e, device))
    .filter((e) => e.type !== 'raw')
    .map(({ device: _d, ...rest }) => rest);
}

const validator: EventContext = {
  protocolVersion: 7,
  unitType: 0,
  currency: 'EUR',
  channels: [eur(500), eur(1000), eur(2000)],
};

describe('eSSP event normalization', () => {
  it('maps read/credit/reject to escrow, credit (money from the channel table) and rejected', () => {
    expect(cash('EF 00 EF 02 EE 02 EB EC E8', validator)).to.deep.equal([
      { type: 'escrow', channel: 2, money: eur(1000) },
      { type: 'credit', kind: 'note', money: eur(1000), channel: 2 },
      { type: 'rejected' },
      { type: 'disabled' },
    ]);
  });

  it('emits every event raw under its legacy name, before its normalized form', () => {
    const reply = parsePollReply(fromHex('EE 01'), validator);
    const out = reply.events.flatMap((e) => normalizeEvent(e, device));
    expect(out.map((e) => e.type)).to.deep.equal(['raw', 'credit']);
    expect(out[0]).to.deep.include({ name: 'CREDIT_NOTE' });
  });

  it('credits a note cleared into the cashbox at power-up (known channel only)', () => {
    expect(cash('E2 03 E2 00', validator)).to.deep.equal([
      { type: 'credit', kind: 'note', money: eur(2000), channel: 3 },
    ]);
  });

  it('does not invent a credit for a channel outside the table', () => {
    expect(cash('EE 09', validator)).to.deep.equal([]);
  });

  it('maps jams, fraud, cashbox, reset', () => {
    expect(cash('EA E9 E6 03 E3 E4 E7 F1', validator)).to.deep.equal([
      { type: 'jam', safe: true },
      { type: 'jam', safe: false },
      { type: 'fraud', channel: 3 },
      { type: 'cashbox-removed' },
      { type: 'cashbox-replaced' },
      { type: 'stacker-full' },
      { type: 'device-reset' },
    ]);
  });

  it('maps payout progress with amounts (SMART Payout, pv 7)', () => {
    const payout: EventContext = { ...validator, unitType: 6 };
    // DISPENSING 1 × 5.00 EUR, DISPENSED 1 × 10.00 EUR, NOTE STORED
    expect(cash('DA 01 F4 01 00 00 45 55 52 D2 01 E8 03 00 00 45 55 52 DB', payout)).to.deep.equal([
      { type: 'dispensing', amounts: [eur(500)] },
      { type: 'dispensed', amounts: [eur(1000)] },
      { type: 'stored' },
    ]);
  });

  it('maps payouts that ended short to payout-incomplete with the amount paid', () => {
    const payout: EventContext = { ...validator, unitType: 6 };
    // TIME OUT 1 × 5.00 EUR; ERROR DURING PAYOUT 1 × 10.00 EUR, reason 1 (jammed)
    expect(cash('D9 01 F4 01 00 00 45 55 52 B1 01 E8 03 00 00 45 55 52 01', payout)).to.deep.equal([
      { type: 'payout-incomplete', amounts: [eur(500)] },
      { type: 'payout-incomplete', amounts: [eur(1000)] },
    ]);
  });

  it('maps a coin credit (SMART Hopper pv 6) to a coin credit', () => {
    const hopper: EventContext = { protocolVersion: 6, unitType: 3, currency: 'EUR' };
    expect(cash('DF 32 00 00 00 45 55 52', hopper)).to.deep.equal([
      { type: 'credit', kind: 'coin', money: eur(50) },
    ]);
  });
});
