import { expect } from 'chai';
import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';
import { createMemoryPair } from '../../../../lib/transport/memory.js';
import { createEsspSimulator } from '../../../../lib/protocols/essp/simulator/index.js';
import { names, SteppingScheduler, TestHost } from './host.js';

const DISABLED_ITSELF = 'NV9USB@0: no command for 10000 ms: disabled itself';

/** An enabled NV9USB (10 s watchdog) whose scheduler counts the timers the unit sets. */
function unit() {
  const clock = new SteppingScheduler();
  let timers = 0;
  const schedule = <T>(
    work: (this: SchedulerAction<T>, state?: T) => void,
    delay?: number,
    state?: T,
  ): Subscription => {
    timers++;
    return clock.schedule(work, delay, state);
  };
  const counting: SchedulerLike = { now: () => clock.now(), schedule };
  const [hostEnd, deviceEnd] = createMemoryPair();
  const sim = createEsspSimulator(deviceEnd, { profile: 'NV9USB', scheduler: counting });
  const log: { at: number; line: string }[] = [];
  sim.log$.subscribe((line) => log.push({ at: clock.now(), line }));
  const host = new TestHost(hostEnd, sim.address);
  host.sync();
  host.command('ENABLE');
  expect(names(host.poll())).to.deep.equal(['SLAVE_RESET']);
  const disabledAt = (): number[] => log.filter((l) => l.line === DISABLED_ITSELF).map((l) => l.at);
  return { host, clock, disabledAt, timers: () => timers };
}

describe('eSSP simulator: command watchdog', () => {
  it('stays enabled while polled, then disables itself exactly 10 s after the last poll', () => {
    const { host, clock, disabledAt } = unit();
    // 25 s of polls: longer than two watchdog periods.
    for (let i = 0; i < 125; i++) {
      clock.advance(200);
      expect(names(host.poll())).to.deep.equal([]);
    }
    const last = clock.now();
    clock.advance(9_999);
    expect(disabledAt()).to.deep.equal([]);
    clock.advance(1);
    expect(disabledAt()).to.deep.equal([last + 10_000]);
    expect(names(host.poll())).to.deep.equal(['DISABLED']);
  });

  it('answers a poll arriving at the very instant of the deadline as a unit already disabled', () => {
    const { host, clock, disabledAt } = unit();
    for (let i = 0; i < 125; i++) {
      clock.advance(200);
      host.poll();
    }
    const last = clock.now();
    // The host's next poll falls due 10 s after the last one, at the same instant as the watchdog.
    const replies: string[][] = [];
    clock.schedule(() => replies.push(names(host.poll())), 10_000);
    clock.advance(10_000);
    expect(disabledAt()).to.deep.equal([last + 10_000]);
    expect(replies).to.deep.equal([['DISABLED']]);
  });

  it('counts a command other than POLL as activity too', () => {
    const { host, clock, disabledAt } = unit();
    clock.advance(6_000);
    expect(host.command('DISPLAY_ON').status).to.equal('OK');
    clock.advance(9_999);
    expect(disabledAt()).to.deep.equal([]);
    clock.advance(1);
    expect(disabledAt()).to.deep.equal([16_000]);
  });

  it('sets no timer per poll: a polling host costs one watchdog timer per period', () => {
    const { host, clock, timers } = unit();
    const before = timers();
    for (let i = 0; i < 100; i++) {
      clock.advance(200);
      host.poll();
    }
    // 20 s of polls five times a second: the watchdog timer re-armed at most once per 10 s period.
    expect(timers() - before).to.be.at.most(3);
  });
});
