import { expect } from 'chai';
import type { LinkStats } from '../../../lib/operators/stats.js';
import type { FrameTrace } from '../../../lib/operators/trace.js';
import { createCcTalkCoinAcceptor } from '../../../lib/protocols/cctalk/coin-acceptor.js';
import { createCcTalkHopper } from '../../../lib/protocols/cctalk/hopper.js';
import { createHarness } from './harness.js';

describe('ccTalk device stats$', () => {
  it('counts frames, a lost reply as one timeout and one resend, and latency, in virtual time', () => {
    const h = createHarness();
    const acceptor = createCcTalkCoinAcceptor(h.bus, { scheduler: h.scheduler });
    let last: LinkStats | undefined;
    acceptor.stats$.subscribe((s) => (last = s));
    let lost = false;
    h.at(1000, () => {
      // Lose exactly one poll reply: the bus must time out once and resend.
      h.sim.override((ctx) => {
        if (lost || ctx.header !== 229) return undefined;
        lost = true;
        return { kind: 'silent' };
      });
    });
    h.runUntil(3000);
    expect(lost).to.equal(true);
    expect(last).to.not.equal(undefined);
    expect(last!.rx).to.be.greaterThan(10);
    expect(last!.tx).to.equal(last!.rx + 1);
    expect(last!.timeouts).to.equal(1);
    expect(last!.retries).to.equal(1);
    expect(last!.crcErrors).to.equal(0);
    // The simulator answers after a few ms of virtual time, never instantly.
    expect(last!.latency?.samples).to.equal(last!.rx);
    expect(last!.latency!.minMs).to.be.greaterThan(0);
    acceptor.dispose();
  });

  it('counts the whole shared bus, whichever device it is read from, and completes on dispose', () => {
    const h = createHarness({ hopper: {} });
    const acceptor = createCcTalkCoinAcceptor(h.bus, { scheduler: h.scheduler });
    const hopper = createCcTalkHopper(h.bus, { scheduler: h.scheduler });
    let fromAcceptor: LinkStats | undefined;
    let fromHopper: LinkStats | undefined;
    let completed = false;
    acceptor.stats$.subscribe({ next: (s) => (fromAcceptor = s), complete: () => (completed = true) });
    hopper.stats$.subscribe((s) => (fromHopper = s));
    const own: FrameTrace[] = [];
    acceptor.trace$.subscribe((t) => own.push(t));
    let all = 0;
    h.bus.trace$.subscribe(() => (all += 1));
    h.runUntil(1500);
    expect(fromAcceptor).to.deep.equal(fromHopper);
    expect(fromAcceptor!.tx + fromAcceptor!.rx).to.equal(all);
    // The acceptor's own trace$ holds only its address; its stats include the hopper's traffic.
    expect(own.length).to.be.lessThan(all);
    expect(own.every((t) => t.address === 2)).to.equal(true);
    acceptor.dispose();
    expect(completed).to.equal(true);
    hopper.dispose();
  });
});

describe('ccTalk device start-up', () => {
  it('sends nothing while being created, so trace$ subscribed right after holds the first frame', () => {
    const h = createHarness();
    let written = 0;
    h.bus.trace$.subscribe((t) => (written += t.direction === 'tx' ? 1 : 0));
    const acceptor = createCcTalkCoinAcceptor(h.bus, { scheduler: h.scheduler });
    expect(written).to.equal(0);
    const trace: FrameTrace[] = [];
    acceptor.trace$.subscribe((t) => trace.push(t));
    h.runUntil(500);
    expect(trace.slice(0, 2).map((t) => `${t.direction} ${t.name ?? ''} ${t.hex}`)).to.deep.equal([
      'tx SIMPLE_POLL 02 00 01 FE FF',
      'rx SIMPLE_POLL 01 00 02 00 FD',
    ]);
    expect(trace[0]!.time).to.equal(0);
    expect(trace.filter((t) => t.direction === 'tx')).to.have.length(written);
    acceptor.dispose();
  });

  it('writes nothing at all when disposed before its first tick', () => {
    const h = createHarness();
    const trace: FrameTrace[] = [];
    h.bus.trace$.subscribe((t) => trace.push(t));
    const acceptor = createCcTalkCoinAcceptor(h.bus, { scheduler: h.scheduler });
    acceptor.dispose();
    h.runUntil(500);
    expect(trace).to.deep.equal([]);
  });
});
