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
    const a = followTransit(false, [escrow]);
    expect(a).to.deep.equal({ inTransit: true, lostAtReset: false });
    expect(followTransit(a.inTransit, [])).to.deep.equal({ inTransit: true, lostAtReset: false });
    expect(followTransit(true, [reset, ev('DISABLED')])).to.deep.equal({
      inTransit: false,
      lostAtReset: true,
    });
  });

  it('a credit, a reject or a cleared event settles the note: nothing lost', () => {
    for (const outcome of ['CREDIT_NOTE', 'NOTE_REJECTING', 'NOTE_REJECTED', 'FRAUD_ATTEMPT']) {
      const step = followTransit(true, [ev(outcome, { channel: 2 })]);
      expect(step.inTransit, outcome).to.equal(false);
      expect(followTransit(step.inTransit, [reset]).lostAtReset, outcome).to.equal(false);
    }
    for (const cleared of ['NOTE_CLEARED_TO_CASHBOX', 'NOTE_CLEARED_FROM_FRONT']) {
      expect(followTransit(true, [reset, ev(cleared, { channel: 2 })]).lostAtReset, cleared).to.equal(false);
    }
  });

  it('a note still being read (channel 0) or no note at all: nothing lost', () => {
    expect(followTransit(false, [reading]).inTransit).to.equal(false);
    expect(followTransit(false, [reset]).lostAtReset).to.equal(false);
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
