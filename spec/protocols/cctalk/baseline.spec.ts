import { expect } from 'chai';
import { createCcTalkCoinAcceptor } from '../../../lib/protocols/cctalk/coin-acceptor.js';
import { createHarness, credits } from './harness.js';

describe('ccTalk coin acceptor: the buffer baseline', () => {
  it('is read before acceptance is switched on, so a coin taken at once after "enabled" is credited', () => {
    const h = createHarness();
    const acceptor = createCcTalkCoinAcceptor(h.bus, { scheduler: h.scheduler });
    const { events } = h.collect(acceptor);
    let inserted = false;
    acceptor.state$.subscribe((s) => {
      // The very moment the driver says it is enabled, before any further poll.
      if (s.status === 'enabled' && !inserted) inserted = h.sim.insertCoin(8);
    });
    h.runUntil(3000);
    expect(inserted).to.equal(true);
    expect(h.sim.stats).to.include({ accepted: 1 });
    expect(credits(events)).to.deep.equal([200]);
    acceptor.dispose();
  });
});
