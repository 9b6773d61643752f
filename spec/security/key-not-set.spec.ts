/**
 * KEY_NOT_SET: the unit lost or refuses the session key. The driver must not
 * loop sending encrypted commands into a unit that cannot read them: it
 * renegotiates (with back-off while the unit keeps refusing), re-runs setup
 * and comes back to 'enabled' on its own, and no credit is lost or repeated.
 */
import { expect } from 'chai';
import { startEssp } from './harness.js';

const STEX = 0x7e;
const KEY_EXCHANGE = 'REQUEST_KEY_EXCHANGE';

describe('security: KEY_NOT_SET loop broken by renegotiation', () => {
  it('the unit forgets its key (power cycle): one KEY_NOT_SET, a new key, enabled again, credits go on', () => {
    const run = startEssp();
    run.at(5_000, () => run.sim.insertNote(2));
    run.at(10_000, () => run.sim.powerCycle());
    run.at(20_000, () => run.sim.insertNote(3));
    run.runUntil(30_000);
    run.device.dispose();
    run.sim.dispose();

    const keyNotSet = run.traces.filter((t) => t.direction === 'rx' && t.hex === keyNotSetHex(t.hex));
    expect(keyNotSet.length, 'KEY_NOT_SET replies').to.be.within(1, 2);
    const exchanges = run.traces.filter((t) => t.direction === 'tx' && t.name === KEY_EXCHANGE);
    expect(exchanges.length, 'key exchanges').to.equal(2);
    const statuses = run.states.map((s) => s.status);
    expect(statuses).to.include('recovering');
    expect(statuses.at(-2)).to.equal('enabled');
    expect(run.credits()).to.deep.equal([1000, 2000]);
    expect(run.sim.stats.creditedValue).to.equal(3000);
  });

  it('the unit refuses every encrypted packet for a while: renegotiation backs off, then recovers', () => {
    const run = startEssp();
    let refusing = false;
    run.sim.intercept({
      // Damage the encrypted payload: the unit cannot decrypt it and answers KEY_NOT_SET.
      inbound: (frame) => {
        if (!refusing || frame.data[0] !== STEX) return frame;
        const data = frame.data.slice();
        data[data.length - 1]! ^= 0xff;
        return { ...frame, data };
      },
    });
    run.at(5_000, () => (refusing = true));
    run.at(35_000, () => (refusing = false));
    run.at(80_000, () => run.sim.insertNote(4));
    run.runUntil(90_000);
    run.device.dispose();
    run.sim.dispose();

    const during = run.traces.filter(
      (t) => t.direction === 'tx' && t.name === KEY_EXCHANGE && t.time >= 5_000 && t.time < 35_000,
    );
    // Back-off 1, 2, 4, 8, 16 s: a handful of attempts in 30 s, not one per poll.
    expect(during.length, 'key exchanges while refused').to.be.within(2, 6);
    expect(run.states.at(-2)?.status).to.equal('enabled');
    expect(run.credits()).to.deep.equal([5000]);
  });
});

/** A plain KEY_NOT_SET reply frame is STX, seq|addr, length 1, 0xFA, CRC: match on its data byte. */
function keyNotSetHex(hex: string): string | undefined {
  const bytes = hex.split(' ');
  return bytes.length >= 6 && bytes[2] === '01' && bytes[3] === 'FA' ? hex : undefined;
}
