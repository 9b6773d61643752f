import { expect } from 'chai';
import type { LinkStats } from '../../../lib/operators/stats.js';
import { runScenario } from './device-harness.js';

describe('Pyramid device stats$', () => {
  it('counts frames, a lost reply as one timeout and one resend, and latency, in virtual time', () => {
    let last: LinkStats | undefined;
    let completed = false;
    // The unit answers 5 ms after a poll, so every latency sample is at least that.
    const r = runScenario({ untilMs: 3000, sim: { timing: { replyDelayMs: 5 } } }, (run) => {
      run.device.stats$.subscribe({ next: (s) => (last = s), complete: () => (completed = true) });
      run.at(1000, () => run.sim.dropReplies(1));
    });
    const count = (d: 'tx' | 'rx'): number => r.trace.filter((t) => t.direction === d).length;
    expect(completed).to.equal(true);
    expect(last!.rx).to.be.greaterThan(5);
    expect(last!.tx).to.equal(count('tx'));
    expect(last!.rx).to.equal(count('rx'));
    expect(last!.tx).to.equal(last!.rx + 1);
    expect(last!.timeouts).to.equal(1);
    expect(last!.retries).to.equal(1);
    expect(last!.crcErrors).to.equal(0);
    expect(last!.latency?.samples).to.equal(last!.rx);
    expect(last!.latency!.minMs).to.be.at.least(5);
  });

  it('counts a reply with a bad checksum as a CRC error, and the resend it causes', () => {
    let last: LinkStats | undefined;
    runScenario({ untilMs: 2000 }, (run) => {
      run.device.stats$.subscribe((s) => (last = s));
      run.at(1000, () => {
        const remove = run.sim.override((ctx) => {
          remove();
          const bad = Uint8Array.from(ctx.reply);
          bad[bad.length - 1] = bad[bad.length - 1]! ^ 0x01;
          return bad;
        });
      });
    });
    expect(last!.crcErrors).to.equal(1);
    expect(last!.timeouts).to.equal(1);
    expect(last!.retries).to.equal(1);
    // The corrupted frame never reached the driver as a frame: it is not an rx.
    expect(last!.tx).to.equal(last!.rx + 1);
  });
});
