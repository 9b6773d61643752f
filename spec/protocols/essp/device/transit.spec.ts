/**
 * Regression (found by the soak): a CREDIT NOTE lost on the line just before
 * the unit power-cycled vanished without a word. followTransit() turns that
 * case into `events-lost` (count 1): a note the host saw accepted, no outcome
 * before the restart, none with it.
 */
import { expect } from 'chai';
import type { EsspEvent } from '../../../../lib/protocols/essp/events/types.js';
import { followTransit } from '../../../../lib/protocols/essp/device/transit.js';
import { startEssp } from '../../../security/harness.js';

const ev = (event: string, fields: Record<string, unknown> = {}): EsspEvent =>
  ({ event, code: 0, ...fields }) as unknown as EsspEvent;
const escrow = ev('READ_NOTE', { channel: 2 });
const reading = ev('READ_NOTE', { channel: 0 });
const reset = ev('SLAVE_RESET');

describe('eSSP device: a note in the path when the unit restarts', () => {
  it('escrow seen, no outcome, restart without a cleared event: lost', () => {
    const a = followTransit(0, [escrow]);
    expect(a).to.deep.equal({ transit: 2, lostAtReset: false });
    expect(followTransit(a.transit, [])).to.deep.equal({ transit: 2, lostAtReset: false });
    expect(followTransit(2, [reset, ev('DISABLED')])).to.deep.equal({ transit: 0, lostAtReset: true });
  });

  it('a credit, a reject or a fraud settles the note: nothing lost', () => {
    for (const outcome of ['CREDIT_NOTE', 'NOTE_REJECTING', 'NOTE_REJECTED', 'FRAUD_ATTEMPT']) {
      const step = followTransit(2, [ev(outcome, { channel: 2 })]);
      expect(step.transit, outcome).to.equal(0);
      expect(followTransit(step.transit, [reset]).lostAtReset, outcome).to.equal(false);
    }
  });

  it('a cleared event settles the note of its own channel only (another one is a later note)', () => {
    for (const cleared of ['NOTE_CLEARED_TO_CASHBOX', 'NOTE_CLEARED_FROM_FRONT']) {
      expect(followTransit(2, [reset, ev(cleared, { channel: 2 })]).lostAtReset, cleared).to.equal(false);
      expect(followTransit(2, [reset, ev(cleared, { channel: 5 })]).lostAtReset, cleared).to.equal(true);
      expect(followTransit(2, [reset, ev(cleared, { channel: 0 })]).lostAtReset, cleared).to.equal(true);
    }
  });

  it('a note still being read (channel 0) or no note at all: nothing lost', () => {
    expect(followTransit(0, [reading]).transit).to.equal(0);
    expect(followTransit(0, [reset]).lostAtReset).to.equal(false);
  });
});

describe('eSSP device over the simulator: the credit reply lost, then a power cycle', () => {
  it('reports events-lost 1 instead of losing the note silently', () => {
    // Plain eSSP so the test can see which reply carries CREDIT NOTE (0xEE).
    const run = startEssp({ requireEncryption: false }, { encryption: 'off' });
    let dropped = 0;
    run.sim.intercept({
      outbound: (wire, reply) => {
        if (dropped > 0 || !reply.data.includes(0xee)) return wire;
        dropped += 1;
        // The reply is lost on the line and the unit loses power before the host asks again.
        run.at(run.scheduler.now() + 10, () => run.sim.powerCycle());
        return undefined;
      },
    });
    run.at(5_000, () => run.sim.insertNote(2));
    run.runUntil(20_000);
    run.device.dispose();
    run.sim.dispose();
    expect(dropped).to.equal(1);
    expect(run.sim.stats.creditedValue).to.equal(1000);
    expect(run.credits()).to.deep.equal([]);
    expect(run.events.filter((e) => e.type === 'events-lost')).to.deep.equal([
      { type: 'events-lost', device: { protocol: 'essp', address: 0 }, count: 1 },
    ]);
    expect(run.states.at(-2)?.status).to.equal('enabled');
  });
});
