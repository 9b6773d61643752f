/**
 * The short soak inside `npm test`: a few thousand items per protocol under
 * the default fault plan (lost chunks, flipped bits, power cycles) with the
 * same runner as `npm run soak`. Every accepted item must be credited exactly
 * once or reported lost with its count, item by item. The runner's own
 * verdicts are tested too: a credit that vanishes or comes twice must fail
 * the run, even when one of each leaves the totals right.
 */
import { expect } from 'chai';
import { EMPTY, mergeMap, of, type Observable } from 'rxjs';
import type { DeviceEvent } from '../../lib/core/events.js';
import { RIGS, runSoak } from '../../bench/soak/run.js';
import { formatSoakReport } from '../../bench/soak/report.js';
import type { RigFactory, SoakResult } from '../../bench/soak/types.js';
import { InvalidArgumentError } from '../../lib/core/errors.js';

const summary = (r: SoakResult): string => formatSoakReport([r]);

describe('soak: credits under lost replies, corrupted bytes and power cycles', function () {
  this.timeout(30_000);

  const runs = [
    { protocol: 'essp', count: 800, seed: 3 },
    { protocol: 'cctalk', count: 3000, seed: 3 },
    { protocol: 'pyramid', count: 1500, seed: 3 },
  ] as const;

  for (const { protocol, count, seed } of runs) {
    it(`${protocol}: ${count} items, seed ${seed}: nothing lost, nothing doubled`, () => {
      const r = runSoak({ protocol, count, seed });
      expect(r.problems, summary(r)).to.deep.equal([]);
      expect(r.lost, summary(r)).to.equal(0);
      expect(r.doubled, summary(r)).to.equal(0);
      // The run really was faulty and really moved money.
      expect(r.inserted).to.equal(count);
      expect(r.accepted).to.be.greaterThan(count * 0.9);
      expect(r.faults.drop).to.be.greaterThan(0);
      expect(r.faults.corrupt).to.be.greaterThan(0);
      expect(r.resets, 'power cycles').to.be.greaterThan(0);
      expect(r.deviceResets + r.reconnects, 'recoveries').to.be.greaterThan(0);
      if (protocol === 'essp') expect(r.faults.desync, 'counter desyncs').to.be.greaterThan(0);
      else expect(r.faults.desync).to.equal(undefined);
      if (r.acceptedValue !== undefined && r.reportedLost === 0 && r.lostAtPowerCycle === 0) {
        expect(r.creditedValue).to.equal(r.acceptedValue);
      }
    });
  }
});

describe('soak runner verdicts', () => {
  /**
   * The Pyramid rig with every 50th credit event dropped, doubled or replaced by an
   * events-lost report, or ('swap') the 50th dropped and the 100th doubled.
   */
  const tampered =
    (alter: 'drop' | 'double' | 'report' | 'swap'): RigFactory =>
    (options) => {
      const rig = RIGS.pyramid(options);
      let n = 0;
      const events$ = rig.device.events$.pipe(
        mergeMap((e): Observable<DeviceEvent> => {
          if (e.type !== 'credit' || ++n % 50 !== 0) return of(e);
          if (alter === 'drop' || (alter === 'swap' && n === 50)) return EMPTY;
          if (alter === 'double' || (alter === 'swap' && n === 100)) return of(e, e);
          if (alter === 'swap') return of(e);
          return of({ type: 'events-lost', device: e.device, count: 1 });
        }),
      );
      return { ...rig, device: { ...rig.device, events$ } };
    };
  const run = (rig: RigFactory, count = 120): SoakResult =>
    runSoak({ protocol: 'pyramid', count, seed: 5, rig, plan: {} });

  it('a credit the driver never emitted fails the run as lost', () => {
    const r = run(tampered('drop'));
    expect(r.pass).to.equal(false);
    expect(r.lost).to.equal(2);
    expect(r.doubled).to.equal(0);
  });

  it('a credit emitted twice fails the run as doubled', () => {
    const r = run(tampered('double'));
    expect(r.pass).to.equal(false);
    expect(r.doubled).to.equal(2);
    expect(r.lost).to.equal(0);
  });

  it('one credit lost and another doubled fails the run with both, though the totals agree', () => {
    const r = run(tampered('swap'));
    expect(r.credited).to.equal(r.accepted);
    expect(r.pass).to.equal(false);
    expect(r.lost).to.equal(1);
    expect(r.doubled).to.equal(1);
    // Item 50 (the 50th bill, index 1 + 49 % 7 = 1: $1) lost; the 100th ($2) doubled.
    expect(r.lostItems.map((i) => [i.serial, i.value])).to.deep.equal([[49, 100]]);
    expect(r.doubledItems.map((i) => i.value)).to.deep.equal([200]);
    expect(formatSoakReport([r])).to.match(/per value: 100: 1 lost, 0 doubled; 200: 0 lost, 1 doubled/);
  });

  it('a fault a protocol does not have is refused by name', () => {
    expect(() => runSoak({ protocol: 'cctalk', count: 5, seed: 1, plan: { desync: 0.01 } }))
      .to.throw(InvalidArgumentError)
      .with.property('message')
      .that.matches(/'desync' does not apply to ccTalk/);
  });

  it('an events-lost report with the count accounts for a missing credit', () => {
    const r = run(tampered('report'));
    expect(r.reportedLost).to.equal(2);
    expect(r.lost).to.equal(0);
    expect(r.pass).to.equal(true);
  });

  it('a unit that never takes an item fails the run instead of hanging', () => {
    const refusing: RigFactory = (options) => ({ ...RIGS.pyramid(options), insert: () => false });
    const r = run(refusing, 5);
    expect(r.pass).to.equal(false);
    expect(r.inserted).to.equal(0);
    expect(r.problems.join()).to.match(/nothing was inserted/);
  });
});
