/**
 * Regression (found by the soak): a Pyramid acceptor that loses power while a
 * note is in its transport forgets the note; one being stacked ends in the
 * cashbox without any Stacked reply. The driver used to say only
 * `device-reset`, so that money vanished silently. It now reports
 * `events-lost` (count 1) whenever the last fresh reply before the power-up
 * showed a note in the transport.
 */
import { expect } from 'chai';
import { credits, runScenario } from './device-harness.js';

const lostCounts = (events: readonly { type: string; count?: number }[]): number[] =>
  events.flatMap((e) => (e.type === 'events-lost' ? [e.count ?? -1] : []));

describe('Pyramid device: power lost with a note in the transport', () => {
  it('while the note is being stacked: events-lost 1 (the unit put it in the cashbox), no credit', () => {
    const run = runScenario({ untilMs: 8_000 }, (r) => {
      r.at(1_000, () => r.sim.insertBill(3));
      // Read 600 ms (with 300 ms of silence), then stacking for 600 ms: cut power half-way.
      r.at(1_950, () => r.sim.powerCycle());
    });
    expect(run.sim.stats).to.include({ accepted: 1, resets: 1 });
    expect(credits(run)).to.deep.equal([]);
    expect(lostCounts(run.events)).to.deep.equal([1]);
    expect(run.events.map((e) => e.type)).to.include('device-reset');
  });

  it('while the note is being read: also reported (the host cannot know it came back out)', () => {
    const run = runScenario({ untilMs: 8_000 }, (r) => {
      r.at(1_000, () => r.sim.insertBill(3));
      r.at(1_580, () => r.sim.powerCycle());
    });
    expect(run.sim.stats).to.include({ accepted: 0, returned: 1, resets: 1 });
    expect(lostCounts(run.events)).to.deep.equal([1]);
  });

  it('while idle, or after the Stacked reply arrived: nothing is reported lost', () => {
    const run = runScenario({ untilMs: 10_000 }, (r) => {
      r.at(1_000, () => r.sim.insertBill(3));
      r.at(4_000, () => r.sim.powerCycle());
      r.at(7_000, () => r.sim.powerCycle());
    });
    expect(run.sim.stats).to.include({ accepted: 1, resets: 2 });
    expect(credits(run).map((c) => c.money.amount)).to.deep.equal([500]);
    expect(lostCounts(run.events)).to.deep.equal([]);
  });
});
