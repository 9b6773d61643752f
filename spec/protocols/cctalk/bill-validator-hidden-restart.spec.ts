/**
 * A bill validator that restarted while it was inhibited, and was switched on
 * again before the driver read its buffer: its counter (0) was then never
 * read. The first result after the switch-on made it 1, and the ring reader
 * measured that against the old counter: from 1 it is no event at all, from
 * a larger counter a jump of some 250 events reported lost. The restart was
 * never seen, so the inhibit mask it wiped was never sent again: the
 * simulated unit returned every bill as inhibited. The driver now reads the buffer (two agreeing reads)
 * right before it switches the unit on, from enable() and after a "master
 * inhibit active" result alike, so the restart is seen as one.
 */
import { expect } from 'chai';
import type { DeviceEvent } from '../../../lib/core/events.js';
import { createCcTalkBillValidator } from '../../../lib/protocols/cctalk/bill-validator.js';
import { type Harness, createHarness, credits, dropBehindLostPoll, lost, switchesOn } from './harness.js';

const resets = (events: readonly DeviceEvent[]) => events.filter((e) => e.type === 'device-reset').length;

/** Times at which the host switched the unit on. */
function recordSwitchOns(h: Harness): number[] {
  const at: number[] = [];
  h.sim.override((c) => {
    if (switchesOn(c)) at.push(h.scheduler.now());
    return undefined;
  });
  return at;
}

/**
 * Bills of types `before` (EUR: 1 = 5 euro … 7 = 500 euro), then a self-check
 * (232) the unit never answers holds the line past the validator's poll
 * watchdog (1 s here): it inhibits itself and posts "master inhibit active"
 * (0,0). With `restart`, the unit restarts just after the driver's second,
 * confirming read of that result. Once it is switched on again, a 20-euro
 * bill is stacked before the driver reads the buffer again.
 */
function selfInhibited(before: readonly number[], restart: boolean) {
  const h = createHarness({ coin: false, bill: { pollWatchdogMs: 1000 } });
  const bv = createCcTalkBillValidator(h.bus, { scheduler: h.scheduler });
  const { events } = h.collect(bv);
  before.forEach((type, i) => h.at(500 + 300 * i, () => h.sim.insertBill(type)));
  h.sim.override((c) => (c.header === 232 ? { kind: 'silent' } : undefined));
  h.at(2000, () => bv.selfCheck().subscribe({ error: () => undefined }));
  let phase: 'wait' | 'seen' | 'restarted' | 'done' = 'wait';
  h.sim.override((c) => {
    const r = c.reply.kind === 'data' ? c.reply.data : undefined;
    const inhibitedResult = c.header === 159 && r !== undefined && r[0] !== 0 && r[1] === 0 && r[2] === 0;
    if (inhibitedResult && phase === 'wait') phase = 'seen';
    else if (inhibitedResult && phase === 'seen') {
      phase = 'restarted';
      if (restart) h.sim.powerCycle();
    } else if (switchesOn(c) && phase === 'restarted') {
      phase = 'done';
      h.sim.insertBill(3);
    }
    return undefined;
  });
  h.runUntil(6000);
  bv.dispose();
  return { h, events, phase };
}

describe('ccTalk bill validator: switched back on after "master inhibit active"', () => {
  it('a restart after that result is read as one: the next bill is credited once, nothing lost', () => {
    const { h, events, phase } = selfInhibited([1, 2], true);
    expect(phase).to.equal('done');
    expect(h.sim.stats).to.include({ resets: 1, accepted: 3, rejected: 0 });
    expect(credits(events)).to.deep.equal([500, 1000, 2000]);
    expect(lost(events)).to.deep.equal([]);
    expect(resets(events)).to.equal(1);
  });

  it('a bill after a restart at counter 1 is credited, not taken for the result already seen', () => {
    const { h, events } = selfInhibited([], true);
    expect(h.sim.stats).to.include({ resets: 1, accepted: 1 });
    expect(credits(events)).to.deep.equal([2000]);
    expect(lost(events)).to.deep.equal([]);
    expect(resets(events)).to.equal(1);
  });

  it('a unit that did not restart is simply switched on again: nothing reported but the result', () => {
    const { h, events, phase } = selfInhibited([1], false);
    expect(phase).to.equal('done');
    expect(h.sim.stats).to.include({ resets: 0, accepted: 2, rejected: 0 });
    expect(credits(events)).to.deep.equal([500, 2000]);
    expect(lost(events)).to.deep.equal([]);
    expect(resets(events)).to.equal(0);
    expect(events.filter((e) => e.type === 'disabled')).to.have.length(1);
  });
});

describe('ccTalk bill validator: enable()', () => {
  /**
   * A 10-euro bill, disable(); the unit restarts right after a poll and
   * enable() reaches it before the next one. Once it is switched on, the
   * reply to the next buffer read is lost and a 50-euro bill is stacked
   * before the driver reads again.
   */
  function enableAfter(restart: boolean) {
    const h = createHarness({ coin: false, bill: {} });
    const bv = createCcTalkBillValidator(h.bus, { scheduler: h.scheduler });
    const { events } = h.collect(bv);
    h.at(1000, () => h.sim.insertBill(2));
    h.at(2000, () => bv.disable().subscribe());
    const switchOns = recordSwitchOns(h);
    let enabled = false;
    let phase: 'wait' | 'enabled' | 'done' = 'wait';
    h.sim.override((c) => {
      if (c.header === 159 && phase === 'wait' && h.scheduler.now() >= 3000) {
        phase = 'enabled';
        if (restart) h.sim.powerCycle();
        bv.enable().subscribe({ complete: () => (enabled = true) });
      }
      return undefined;
    });
    dropBehindLostPoll(
      h,
      159,
      () => phase === 'enabled',
      () => {
        phase = 'done';
        h.sim.insertBill(4);
      },
    );
    h.runUntil(5000);
    bv.dispose();
    return { h, events, enabled, phase, switchOns };
  }

  it('on a unit that restarted since the last poll leaves the switch-on to the restart path', () => {
    const { h, events, enabled, phase } = enableAfter(true);
    expect(enabled).to.equal(true);
    expect(phase).to.equal('done');
    expect(h.sim.stats).to.include({ resets: 1, accepted: 2 });
    expect(credits(events)).to.deep.equal([1000, 5000]);
    expect(lost(events)).to.deep.equal([]);
    expect(resets(events)).to.equal(1);
  });

  it('on a unit that did not restart switches it on at once, with nothing reported', () => {
    const { h, events, enabled, switchOns } = enableAfter(false);
    expect(enabled).to.equal(true);
    // Once at connect, once for enable().
    expect(switchOns).to.have.length(2);
    expect(switchOns[1]).to.be.within(3000, 3100);
    expect(h.sim.stats).to.include({ resets: 0, accepted: 2 });
    expect(credits(events)).to.deep.equal([1000, 5000]);
    expect(lost(events)).to.deep.equal([]);
    expect(resets(events)).to.equal(0);
  });
});

describe('ccTalk bill validator: no switch-on without a trusted buffer read', () => {
  it('the connect keeps acceptance off until two buffer reads agree', () => {
    const h = createHarness({ coin: false, bill: {} });
    const bv = createCcTalkBillValidator(h.bus, { scheduler: h.scheduler });
    const { events, errors } = h.collect(bv);
    // Every 159 reply differs from the one before (noise that passes the checksum) until 3 s.
    let n = 0;
    const noisy = h.sim.override((c) =>
      c.header === 159
        ? { kind: 'data', data: Uint8Array.of(1 + (n++ % 2), 1, 0, 0, 0, 0, 0, 0, 0, 0, 0) }
        : undefined,
    );
    const switchOns = recordSwitchOns(h);
    h.at(3000, noisy);
    h.at(6000, () => h.sim.insertBill(5));
    h.runUntil(8000);
    bv.dispose();
    expect(switchOns).to.have.length(1);
    expect(switchOns[0]).to.be.at.least(3000);
    expect(errors.some((e) => 'kind' in e && e.kind === 'crc')).to.equal(true);
    expect(credits(events)).to.deep.equal([10_000]);
    expect(lost(events)).to.deep.equal([]);
  });

  it('enable() whose reads disagree leaves the unit off; the next poll reads, then switches it on', () => {
    const h = createHarness({ coin: false, bill: {} });
    const bv = createCcTalkBillValidator(h.bus, { scheduler: h.scheduler });
    const { events } = h.collect(bv);
    h.at(1000, () => h.sim.insertBill(1));
    h.at(2000, () => bv.disable().subscribe());
    const switchOns = recordSwitchOns(h);
    let noisy = 0;
    let enabledAt: number | undefined;
    h.sim.override((c) => {
      if (c.header !== 159 || noisy === 0) return undefined;
      noisy--;
      return { kind: 'data', data: Uint8Array.of(100 + (noisy % 2), 9, 9, 0, 0, 0, 0, 0, 0, 0, 0) };
    });
    h.at(3000, () => {
      // Right after a poll: the next four buffer reads (all of enable()'s) are noise.
      noisy = 4;
      bv.enable().subscribe({ complete: () => (enabledAt = h.scheduler.now()) });
    });
    h.at(4000, () => h.sim.insertBill(2));
    h.runUntil(5000);
    bv.dispose();
    expect(enabledAt).to.be.within(3000, 3100);
    const later = switchOns.filter((t) => t > 2000);
    expect(later).to.have.length(1);
    // Not by enable() itself, but by the poll after it.
    expect(later[0]).to.be.within(enabledAt! + 50, enabledAt! + 500);
    expect(credits(events)).to.deep.equal([500, 1000]);
    expect(lost(events)).to.deep.equal([]);
  });
});

describe('ccTalk bill validator: what the application asked for last wins', () => {
  it('disable() during the read before a switch-on keeps the unit off', () => {
    const h = createHarness({ coin: false, bill: { pollWatchdogMs: 1000 } });
    const bv = createCcTalkBillValidator(h.bus, { scheduler: h.scheduler });
    h.sim.override((c) => (c.header === 232 ? { kind: 'silent' } : undefined));
    h.at(2000, () => bv.selfCheck().subscribe({ error: () => undefined }));
    const switchOns = recordSwitchOns(h);
    let reads = 0;
    h.sim.override((c) => {
      const r = c.reply.kind === 'data' ? c.reply.data : undefined;
      // The result read, its confirming read, then the read before the switch-on.
      if (c.header === 159 && r?.[0] === 1 && r[1] === 0 && r[2] === 0 && ++reads === 3) {
        bv.disable().subscribe();
      }
      return undefined;
    });
    h.at(4000, () => h.sim.insertBill(1));
    h.runUntil(5000);
    bv.dispose();
    expect(reads).to.be.at.least(3);
    expect(switchOns.filter((t) => t > 1000)).to.deep.equal([]);
    expect(h.sim.stats).to.include({ accepted: 0, rejected: 1 });
  });

  it('after an enable() whose reads failed, the poll switches the unit on once it can read', () => {
    const h = createHarness({ coin: false, bill: {} });
    const bv = createCcTalkBillValidator(h.bus, { scheduler: h.scheduler });
    const { events } = h.collect(bv);
    h.at(1000, () => bv.disable().subscribe());
    let deaf = false;
    h.sim.override((c) => (c.header === 159 && deaf ? { kind: 'silent' } : undefined));
    const switchOns = recordSwitchOns(h);
    let failed: unknown;
    h.at(2000, () => {
      deaf = true;
      bv.enable().subscribe({ error: (e: unknown) => (failed = e) });
    });
    h.at(4000, () => (deaf = false));
    h.at(5000, () => h.sim.insertBill(2));
    h.runUntil(6000);
    bv.dispose();
    expect(failed).to.be.instanceOf(Error);
    const later = switchOns.filter((t) => t > 1000);
    expect(later).to.have.length(1);
    expect(later[0]).to.be.within(4000, 4500);
    expect(credits(events)).to.deep.equal([1000]);
  });
});
