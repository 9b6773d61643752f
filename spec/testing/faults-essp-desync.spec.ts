/**
 * The eSSP counter desync fault against the real driver: the simulated
 * unit's eCOUNT steps out of line with the host's now and then; the unit
 * refuses the command that meets it (plain KEY NOT SET, not executed), the
 * driver renegotiates the key by itself, and every note is credited exactly
 * once, in order.
 */
import { expect } from 'chai';
import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { seededSource } from '../../bench/soak/essp.js';
import { createEsspDevice } from '../../lib/protocols/essp/device/device.js';
import { createEsspSimulator } from '../../lib/protocols/essp/simulator/index.js';
import { type EsspDesyncInjection, createEsspDesync } from '../../lib/testing/faults/index.js';
import type { FaultPlan } from '../../lib/testing/faults/plan.js';
import { createMemoryPair } from '../../lib/transport/memory.js';

interface Run {
  readonly stacked: number[];
  readonly credits: number[];
  readonly injections: EsspDesyncInjection[];
  readonly refused: number;
  readonly recoveries: number;
  readonly negotiations: number;
  readonly stats: { commands: number; desync: number; ahead: number; behind: number };
  readonly inserted: number;
  readonly lastState: string | undefined;
}

/** `notes` notes, one every 2 s once the driver is up, under `plan`; the desync seed is `seed`. */
function run(plan: FaultPlan, seed: number, notes: number, stopAfter?: number): Run {
  const scheduler = new VirtualTimeScheduler(VirtualAction, 0);
  const [host, end] = createMemoryPair();
  const sim = createEsspSimulator(end, {
    profile: 'NV200_SMART_PAYOUT',
    requireEncryption: true,
    scheduler,
    random: seededSource(seed + 1),
  });
  const desync = createEsspDesync(sim, plan, { seed, scheduler });
  const device = createEsspDevice(host, { scheduler, encryption: 'required', random: seededSource(seed) });
  const stacked: number[] = [];
  const credits: number[] = [];
  const injections: EsspDesyncInjection[] = [];
  let refused = 0;
  let negotiations = 0;
  let recoveries = 0;
  let lastState: string | undefined;
  sim.log$.subscribe((line) => {
    const m = / note on channel (\d+) stacked/.exec(line);
    if (m !== null) stacked.push(sim.profile.channels[Number(m[1]) - 1]!);
    if (line.includes('encrypted packet refused')) refused++;
    if (line.includes('encryption key negotiated')) negotiations++;
  });
  desync.injections$.subscribe((i) => {
    injections.push(i);
    if (stopAfter !== undefined && injections.length >= stopAfter) desync.dispose();
  });
  device.events$.subscribe((e) => {
    if (e.type === 'credit') credits.push(e.money.amount);
  });
  device.state$.subscribe((s) => {
    if (lastState === 'enabled' && s.status === 'recovering') recoveries++;
    lastState = s.status;
  });
  let inserted = 0;
  const tick = (): void => {
    if (inserted >= notes) return;
    if (sim.insertNote(1 + (inserted % sim.profile.channels.length))) inserted++;
    scheduler.schedule(tick, 2_000);
  };
  scheduler.schedule(tick, 5_000);
  scheduler.maxFrames = 5_000 + notes * 2_000 * 4 + 60_000;
  scheduler.flush();
  const stats = desync.stats;
  const finalState = lastState;
  device.dispose();
  desync.dispose();
  sim.dispose();
  return {
    stacked,
    credits,
    injections,
    refused,
    recoveries,
    negotiations,
    stats,
    inserted,
    lastState: finalState,
  };
}

describe('eSSP counter desync (createEsspDesync) against the eSSP driver', function () {
  this.timeout(20_000);

  it('the driver renegotiates after every desync and credits each note exactly once, in order', () => {
    const r = run({ desync: 0.02 }, 11, 60);
    expect(r.inserted).to.equal(60);
    expect(r.stats.desync, 'faults injected').to.be.greaterThan(5);
    expect(r.stats.ahead + r.stats.behind).to.equal(r.stats.desync);
    expect(r.stats.ahead, 'a count skipped').to.be.greaterThan(0);
    expect(r.stats.behind, 'a count repeated').to.be.greaterThan(0);
    expect(r.injections).to.have.length(r.stats.desync);
    // Each desync is met by the next command: refused, then exactly one new key. Most hit
    // an enabled unit (a recovery); the others hit a connect under way, which starts over.
    expect(r.refused).to.equal(r.stats.desync);
    expect(r.negotiations).to.equal(r.stats.desync + 1);
    expect(r.recoveries).to.be.within(1, r.stats.desync);
    expect(r.lastState).to.equal('enabled');
    // Per note, not just in total: the same values in the same order.
    expect(r.stacked).to.have.length(60);
    expect(r.credits).to.deep.equal(r.stacked);
  });

  it('one count skipped and one repeated: each refused before it runs, each healed by a new key', () => {
    const r = run({ desync: 0.3 }, 6, 8, 2);
    expect(r.injections.map((i) => i.shift).sort()).to.deep.equal([-1, 1]);
    expect(r.refused).to.equal(2);
    expect(r.negotiations).to.equal(3);
    expect(r.credits).to.deep.equal(r.stacked);
    expect(r.credits).to.have.length(8);
  });

  it('replays exactly for one seed and differs for another', () => {
    const when = (x: Run): string[] => x.injections.map((i) => `${i.command}:${i.shift}:${i.expected}`);
    const a = run({ desync: 0.05 }, 21, 10);
    const b = run({ desync: 0.05 }, 21, 10);
    const c = run({ desync: 0.05 }, 22, 10);
    expect(when(a)).to.deep.equal(when(b));
    expect(a.injections.map((i) => i.time)).to.deep.equal(b.injections.map((i) => i.time));
    expect(when(c)).not.to.deep.equal(when(a));
  });

  it('a plan without desync only counts the encrypted commands', () => {
    const r = run({ drop: 0 }, 3, 5);
    expect(r.stats.commands).to.be.greaterThan(20);
    expect(r.stats).to.include({ desync: 0, ahead: 0, behind: 0 });
    expect(r.negotiations).to.equal(1);
    expect(r.credits).to.deep.equal(r.stacked);
  });
});
