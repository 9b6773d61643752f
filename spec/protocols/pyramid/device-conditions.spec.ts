import { expect } from 'chai';
import { toHex } from '../../../lib/core/bytes.js';
import { credits, rawNames, runScenario } from './device-harness.js';

const types = (run: ReturnType<typeof runScenario>): string[] =>
  run.events.filter((e) => e.type !== 'raw').map((e) => e.type);

describe('Pyramid device: conditions, reset, power-up', () => {
  it('cashbox removal and replacement are reported once each, on their edges', () => {
    const run = runScenario({ untilMs: 3000 }, (r) => {
      r.at(1000, () => r.sim.removeCashbox());
      r.at(2000, () => r.sim.replaceCashbox());
    });
    expect(types(run)).to.deep.equal(['cashbox-removed', 'cashbox-replaced']);
  });

  it('jam: one jam event while it lasts, cleared raw event afterwards, no credit', () => {
    const run = runScenario({ untilMs: 4000 }, (r) => {
      r.at(1000, () => r.sim.insertBill(3));
      r.at(1200, () => r.sim.jam());
      r.at(3000, () => r.sim.clearJam());
    });
    expect(types(run)).to.deep.equal(['jam']);
    expect(rawNames(run)).to.include.members(['jammed', 'jam-cleared']);
    expect(credits(run)).to.have.length(0);
    let last: string | undefined;
    run.device.acceptor$.subscribe((a) => (last = a.state)); // replays the latest snapshot
    expect(last).to.equal('idling');
  });

  it('stacker full after N notes; further notes are rejected', () => {
    const run = runScenario({ untilMs: 8000, sim: { stackerCapacity: 2 } }, (r) => {
      for (const t of [1000, 3000, 5000]) r.at(t, () => r.sim.insertBill(1));
    });
    expect(credits(run)).to.have.length(2);
    // Within one reply, conditions come before the credit.
    expect(types(run)).to.deep.equal(['credit', 'stacker-full', 'credit', 'rejected']);
  });

  it('a cheat attempt is reported as fraud', () => {
    const run = runScenario({ untilMs: 2000 }, (r) => {
      r.at(1000, () => r.sim.insertBill(4));
      r.at(1400, () => r.sim.cheat());
    });
    expect(types(run)).to.include('fraud');
    expect(credits(run)).to.have.length(0);
  });

  it('a power cycle of the unit is a device-reset; the session carries on', () => {
    const run = runScenario({ untilMs: 5000 }, (r) => {
      r.at(1000, () => r.sim.powerCycle());
      r.at(2500, () => r.sim.insertBill(3));
    });
    expect(types(run)).to.deep.equal(['device-reset', 'credit']);
    expect(run.states.map((s) => s.status)).to.deep.equal([
      'connecting',
      'enabled',
      'recovering',
      'enabled',
      'disposed',
    ]);
  });

  it('soft reset: the fact-sheet frame, no reply expected, polling resumes, new baseline', () => {
    let done = false;
    const run = runScenario({ untilMs: 5000 }, (r) => {
      r.at(1050, () => r.device.reset().subscribe({ complete: () => (done = true) }));
      r.at(3500, () => r.sim.insertBill(2));
    });
    expect(done).to.equal(true);
    const resets = run.host.written.map((b) => toHex(b)).filter((h) => h.startsWith('02 08 6'));
    expect(resets).to.have.length(1);
    expect(['02 08 60 7F 7F 7F 03 17', '02 08 61 7F 7F 7F 03 16']).to.include(resets[0]);
    expect(run.sim.stats.resets).to.equal(1);
    expect(credits(run)).to.have.length(1);
    expect(rawNames(run)).to.include('soft-reset');
  });

  it('soft reset goes out even while a poll is unanswered', () => {
    const run = runScenario({ untilMs: 6000 }, (r) => {
      r.at(1000, () => {
        const remove = r.sim.override(() => 'silent');
        r.at(4000, remove);
      });
      r.at(1500, () => r.device.reset().subscribe());
    });
    // Right after the poll in flight gives up (4 attempts), not after the unit answers again.
    const reset = run.trace.find((t) => t.direction === 'tx' && t.hex.startsWith('02 08 6'));
    expect(reset?.time).to.equal(2100);
    expect(run.sim.stats.resets).to.equal(1);
  });

  it('queryBarcode() goes out between polls and answers the last barcode read', () => {
    let barcode: string | undefined;
    const run = runScenario({ untilMs: 4000, device: { barcode: true } }, (r) => {
      r.at(1000, () => r.sim.insertBarcode('TICKET-42'));
      r.at(3000, () => r.device.queryBarcode().subscribe((b) => (barcode = b)));
    });
    expect(barcode).to.equal('TICKET-42');
    expect(run.host.written.some((b) => b[2] === 0x70 || b[2] === 0x71)).to.equal(true);
  });

  it('a barcode query answered with the Stacked bit of a bill still credits the bill', () => {
    let barcode: string | undefined;
    const run = runScenario({ untilMs: 6000, device: { barcode: true } }, (r) => {
      r.at(1000, () => r.sim.insertBarcode('T1'));
      r.at(3000, () => r.sim.insertBill(3));
      // The bill is stacked at 4200; the query is the first message after it.
      r.at(4150, () => r.device.queryBarcode().subscribe((b) => (barcode = b)));
    });
    const stackedReply = run.trace.find((t) => t.direction === 'rx' && t.time >= 4200);
    expect(stackedReply?.name).to.equal('extended');
    expect(barcode).to.equal('T1');
    expect(credits(run).map((c) => c.money.amount)).to.deep.equal([500]);
    expect(rawNames(run).filter((n) => n === 'ticket-stacked')).to.have.length(1);
  });

  it('commands after dispose fail with DisposedError', () => {
    let error: unknown;
    const run = runScenario({ untilMs: 100 }, () => undefined);
    run.device.queryBarcode().subscribe({ error: (e: unknown) => (error = e) });
    expect((error as { code?: string }).code).to.equal('DISPOSED');
  });
});
