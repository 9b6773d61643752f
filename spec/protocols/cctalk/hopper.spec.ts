import { expect } from 'chai';
import type { DeviceEvent, PayoutProgressEvent } from '../../../lib/core/events.js';
import { InvalidArgumentError } from '../../../lib/core/errors.js';
import { createCcTalkHopper } from '../../../lib/protocols/cctalk/hopper.js';
import { createHarness } from './harness.js';

const paid = (e: PayoutProgressEvent) => `${e.type}:${e.amounts[0]!.amount}`;

describe('ccTalk hopper over the simulator', () => {
  it('enables after connecting and reports payout progress until dispensed', () => {
    const h = createHarness({ coin: false, hopper: { coinIntervalMs: 150 } });
    const hopper = createCcTalkHopper(h.bus, { scheduler: h.scheduler });
    const events: DeviceEvent[] = [];
    hopper.events$.subscribe((e) => events.push(e));
    const progress: PayoutProgressEvent[] = [];
    let done = false;
    h.at(500, () =>
      hopper.dispense(3).subscribe({ next: (p) => progress.push(p), complete: () => (done = true) }),
    );
    h.runUntil(2000);
    expect(done).to.equal(true);
    expect(progress.map(paid)).to.deep.equal([
      'dispensing:0',
      'dispensing:100',
      'dispensing:200',
      'dispensed:300',
    ]);
    expect(progress[0]!.amounts[0]!.currency).to.equal('EUR');
    expect(events.filter((e) => e.type !== 'raw')).to.have.length(4);
    expect(h.sim.stats.paidOut).to.equal(3);
  });

  it('reports payout-incomplete when the hopper runs dry', () => {
    const h = createHarness({ coin: false, hopper: { level: 2, coinIntervalMs: 50 } });
    const hopper = createCcTalkHopper(h.bus, { scheduler: h.scheduler, security: 'serial' });
    const progress: PayoutProgressEvent[] = [];
    h.at(500, () => hopper.dispense(5).subscribe((p) => progress.push(p)));
    h.runUntil(2500);
    expect(progress[progress.length - 1]).to.deep.include({
      type: 'payout-incomplete',
      amounts: [{ amount: 200, currency: 'EUR' }],
    });
    // The serial-number form: 3 security bytes + count.
    const dispense = h.host.written.find((w) => w[3] === 167)!;
    expect(Array.from(dispense.slice(4, 8))).to.deep.equal([0x09, 0x08, 0x07, 5]);
  });

  it('follows a payout whose reply was lost, once the event counter shows it started, and never resends it', () => {
    const h = createHarness({ coin: false, hopper: { coinIntervalMs: 50 } });
    h.sim.override((ctx) => (ctx.header === 167 ? { kind: 'silent' } : undefined));
    const hopper = createCcTalkHopper(h.bus, { scheduler: h.scheduler });
    const progress: PayoutProgressEvent[] = [];
    h.at(500, () => hopper.dispense(2).subscribe((p) => progress.push(p)));
    h.runUntil(4000);
    expect(h.host.written.filter((w) => w[3] === 167)).to.have.length(1);
    expect(progress[progress.length - 1]).to.deep.include({ type: 'dispensed' });
    expect(h.sim.stats.paidOut).to.equal(2);
  });

  it('stops on emergency stop and tells how many coins were not paid', () => {
    const h = createHarness({ coin: false, hopper: { coinIntervalMs: 100 } });
    const hopper = createCcTalkHopper(h.bus, { scheduler: h.scheduler });
    const progress: PayoutProgressEvent[] = [];
    let unpaid: number | undefined;
    h.at(500, () => hopper.dispense(10).subscribe((p) => progress.push(p)));
    h.at(760, () => hopper.emergencyStop().subscribe((n) => (unpaid = n)));
    h.runUntil(3000);
    expect(unpaid).to.be.a('number').and.greaterThan(0);
    expect(progress[progress.length - 1]!.type).to.equal('payout-incomplete');
    expect(h.sim.stats.paidOut).to.equal(10 - unpaid!);
  });

  it('switches a hopper that lost power back on before paying', () => {
    const h = createHarness({ coin: false, hopper: { coinIntervalMs: 50 } });
    const hopper = createCcTalkHopper(h.bus, { scheduler: h.scheduler });
    const progress: PayoutProgressEvent[] = [];
    h.at(300, () => h.sim.powerCycle());
    h.at(500, () => hopper.dispense(1).subscribe((p) => progress.push(p)));
    h.runUntil(2000);
    expect(progress[progress.length - 1]).to.deep.include({ type: 'dispensed' });
    expect(h.host.written.filter((w) => w[3] === 164)).to.have.length(2);
  });

  it('pays a value on the value-based headers (134/133)', () => {
    const h = createHarness({ coin: false, hopper: { coinIntervalMs: 50 } });
    const hopper = createCcTalkHopper(h.bus, { scheduler: h.scheduler });
    const progress: PayoutProgressEvent[] = [];
    h.at(300, () => hopper.dispenseValue(300).subscribe((p) => progress.push(p)));
    h.runUntil(2000);
    expect(progress[progress.length - 1]).to.deep.include({
      type: 'dispensed',
      amounts: [{ amount: 300, currency: 'EUR' }],
    });
    expect(h.sim.stats.paidOut).to.equal(3);
  });

  it('rejects a bad count with a typed error before writing', () => {
    const h = createHarness({ coin: false, hopper: {} });
    const hopper = createCcTalkHopper(h.bus, { scheduler: h.scheduler });
    h.runUntil(200);
    const before = h.host.written.length;
    let error: unknown;
    hopper.dispense(0).subscribe({ error: (e: unknown) => (error = e) });
    expect(error).to.be.instanceOf(InvalidArgumentError);
    expect(h.host.written.length).to.equal(before);
  });

  it('decodes the test registers', () => {
    const h = createHarness({ coin: false, hopper: {} });
    const hopper = createCcTalkHopper(h.bus, { scheduler: h.scheduler, enabled: false });
    let flags: readonly string[] = [];
    h.at(200, () => hopper.test().subscribe((t) => (flags = t.flags)));
    h.runUntil(1000);
    expect(flags).to.deep.equal(['power-up detected', 'payout disabled']);
  });
});
