/**
 * Regression (found by the soak): an acceptor that restarted while its event
 * counter was still 0 (no coin since power-up) looks exactly like one that
 * did not, so the driver kept polling an inhibited unit and every coin fell
 * through for ever. The driver now reads the master inhibit every few polls
 * while the counter is 0 and re-applies inhibits and master enable.
 */
import { expect } from 'chai';
import type { DeviceEvent } from '../../../lib/core/events.js';
import { createCcTalkCoinAcceptor } from '../../../lib/protocols/cctalk/coin-acceptor.js';
import { createHarness } from './harness.js';

const credits = (events: readonly DeviceEvent[]) =>
  events.flatMap((e) => (e.type === 'credit' ? [e.money.amount] : []));

describe('ccTalk coin acceptor: restart before the first coin', () => {
  it('notices the lost master enable, re-applies it, and credits the next coin', () => {
    const h = createHarness();
    const acceptor = createCcTalkCoinAcceptor(h.bus, { scheduler: h.scheduler });
    const { events } = h.collect(acceptor);
    h.at(1000, () => h.sim.powerCycle());
    // Three check periods later (200 ms polls) the acceptor takes coins again.
    h.at(7000, () => h.sim.insertCoin(8));
    h.runUntil(10_000);
    acceptor.dispose();
    expect(h.sim.stats).to.include({ resets: 1, accepted: 1, rejected: 0 });
    expect(credits(events)).to.deep.equal([200]);
    const raw = events.flatMap((e) => (e.type === 'raw' ? [e.name] : []));
    expect(raw).to.include('inhibited-unexpectedly');
  });

  it('while enabled and untouched, the check finds nothing to re-apply', () => {
    const h = createHarness();
    const acceptor = createCcTalkCoinAcceptor(h.bus, { scheduler: h.scheduler });
    const { events } = h.collect(acceptor);
    h.runUntil(10_000);
    acceptor.dispose();
    const raw = events.flatMap((e) => (e.type === 'raw' ? [e.name] : []));
    expect(raw).to.not.include('inhibited-unexpectedly');
    expect(events.filter((e) => e.type === 'device-reset')).to.have.length(0);
  });

  it('stops checking once a coin moved the counter', () => {
    const h = createHarness();
    const acceptor = createCcTalkCoinAcceptor(h.bus, { scheduler: h.scheduler });
    const { events } = h.collect(acceptor);
    const masterReads: number[] = [];
    h.sim.override((c) => {
      if (c.header === 227) masterReads.push(h.scheduler.now());
      return undefined;
    });
    h.at(3000, () => h.sim.insertCoin(1));
    h.runUntil(20_000);
    acceptor.dispose();
    expect(credits(events)).to.deep.equal([1]);
    expect(masterReads.length).to.be.greaterThan(0);
    expect(masterReads.every((t) => t < 3500)).to.equal(true);
  });
});
