import { expect } from 'chai';
import type { DeviceEvent } from '../../../lib/core/events.js';
import {
  type CcTalkEscrowedBill,
  NoBillInEscrowError,
  createCcTalkBillValidator,
} from '../../../lib/protocols/cctalk/bill-validator.js';
import { createHarness } from './harness.js';

const cash = (events: readonly DeviceEvent[]) => events.filter((e) => e.type !== 'raw');

describe('ccTalk bill validator over the simulator', () => {
  it('reads bill ids with the scaling factor and credits a stacked bill once', () => {
    const h = createHarness({ coin: false, bill: {} });
    const bv = createCcTalkBillValidator(h.bus, { scheduler: h.scheduler });
    const { events } = h.collect(bv);
    let amounts: (number | undefined)[] = [];
    bv.bills$.subscribe((b) => (amounts = b.slice(0, 8).map((t) => t.money?.amount)));
    h.at(1000, () => h.sim.insertBill(3));
    h.runUntil(2000);
    expect(amounts).to.deep.equal([500, 1000, 2000, 5000, 10000, 20000, 50000, undefined]);
    expect(cash(events)).to.deep.equal([
      {
        type: 'credit',
        device: { protocol: 'cctalk', address: 40 },
        money: { amount: 2000, currency: 'EUR' },
        kind: 'bill',
        channel: 3,
      },
    ]);
    bv.dispose();
  });

  it('offers an escrowed bill to the hook and stacks it on "stack"', () => {
    const h = createHarness({ coin: false, bill: {} });
    const offered: CcTalkEscrowedBill[] = [];
    const bv = createCcTalkBillValidator(h.bus, {
      scheduler: h.scheduler,
      escrow: true,
      onEscrow: (b) => {
        offered.push(b);
        return 'stack';
      },
    });
    const { events } = h.collect(bv);
    h.at(1000, () => h.sim.insertBill(2));
    h.runUntil(2500);
    expect(offered).to.deep.equal([{ billType: 2, id: 'EU0010A', money: { amount: 1000, currency: 'EUR' } }]);
    expect(cash(events).map((e) => e.type)).to.deep.equal(['escrow', 'credit']);
    expect(h.sim.stats).to.include({ accepted: 1, rejected: 0 });
    bv.dispose();
  });

  it('returns an escrowed bill on "return" and reports it, with no credit', () => {
    const h = createHarness({ coin: false, bill: {} });
    const bv = createCcTalkBillValidator(h.bus, {
      scheduler: h.scheduler,
      escrow: true,
      onEscrow: () => 'return',
    });
    const { events } = h.collect(bv);
    h.at(1000, () => h.sim.insertBill(7));
    h.runUntil(2500);
    expect(cash(events).map((e) => e.type)).to.deep.equal(['escrow', 'rejected']);
    expect(h.sim.stats).to.include({ accepted: 0, rejected: 1 });
  });

  it('keeps the bill in escrow past the device timeout while the application decides, then stacks on stack()', () => {
    const h = createHarness({ coin: false, bill: { escrowTimeoutMs: 2000 } });
    const bv = createCcTalkBillValidator(h.bus, {
      scheduler: h.scheduler,
      escrow: true,
      escrowTimeoutMs: 2000,
    });
    const { events } = h.collect(bv);
    let held: CcTalkEscrowedBill | undefined;
    bv.escrow$.subscribe((b) => (held = b));
    h.at(1000, () => h.sim.insertBill(4));
    h.at(6000, () => bv.stack().subscribe());
    h.runUntil(7000);
    expect(held).to.equal(undefined);
    expect(cash(events).map((e) => e.type)).to.deep.equal(['escrow', 'credit']);
    expect(h.sim.stats).to.include({ accepted: 1, rejected: 0 });
    // Extensions were sent (154 [255]) while waiting.
    expect(h.host.written.filter((w) => w[3] === 154 && w[4] === 255).length).to.be.greaterThan(2);
  });

  it('returns the bill itself when the application never decides', () => {
    const h = createHarness({ coin: false, bill: {} });
    const bv = createCcTalkBillValidator(h.bus, {
      scheduler: h.scheduler,
      escrow: true,
      decisionTimeoutMs: 3000,
    });
    const { events } = h.collect(bv);
    h.at(1000, () => h.sim.insertBill(1));
    h.runUntil(8000);
    expect(cash(events).map((e) => e.type)).to.deep.equal(['escrow', 'rejected']);
    expect(h.sim.stats).to.include({ accepted: 0, rejected: 1 });
  });

  it('stack() with nothing in escrow errors with a typed error and writes nothing', () => {
    const h = createHarness({ coin: false, bill: {} });
    const bv = createCcTalkBillValidator(h.bus, { scheduler: h.scheduler, escrow: true });
    h.runUntil(500);
    const before = h.host.written.length;
    let error: unknown;
    bv.stack().subscribe({ error: (e: unknown) => (error = e) });
    expect(error).to.be.instanceOf(NoBillInEscrowError);
    expect(h.host.written.length).to.equal(before);
    bv.dispose();
  });

  it('switches a validator that inhibited itself for lack of polls back on', () => {
    // The simulated validator's watchdog (1 s) is shorter than the poll interval (1.5 s).
    const h = createHarness({ coin: false, bill: { pollWatchdogMs: 1000 } });
    const bv = createCcTalkBillValidator(h.bus, { scheduler: h.scheduler, pollIntervalMs: 1500 });
    const { events } = h.collect(bv);
    h.runUntil(4000);
    expect(cash(events).map((e) => e.type)).to.include('disabled');
    const enables = h.host.written.filter((w) => w[3] === 228 && w[4] === 1);
    expect(enables.length).to.be.greaterThan(1);
  });

  it('maps jams and validation failures to normalized events', () => {
    const h = createHarness({ coin: false, bill: {} });
    const bv = createCcTalkBillValidator(h.bus, { scheduler: h.scheduler });
    const { events } = h.collect(bv);
    h.at(1000, () => h.sim.reject('bill'));
    h.at(1300, () => h.sim.jam('bill'));
    h.runUntil(2000);
    expect(cash(events)).to.deep.equal([
      {
        type: 'rejected',
        device: { protocol: 'cctalk', address: 40 },
        reason: 'invalid bill (validation fail)',
      },
      { type: 'jam', device: { protocol: 'cctalk', address: 40 }, safe: false },
    ]);
  });
});
