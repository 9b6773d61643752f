// Testing your own logic on top of cashwire with marble diagrams and virtual time.
//
// `sessionTotal` is application code: it adds up the credits of one customer
// session and closes the session once no credit came for `idleMs`. The first
// test checks it against hand-written events (pure marbles); the second runs
// it on a real driver and simulator, every timer of both on the TestScheduler,
// so ten seconds of polling take a few milliseconds.
import { expect } from 'chai';
import {
  type Observable,
  type SchedulerLike,
  asyncScheduler,
  debounceTime,
  filter,
  map,
  scan,
  share,
  takeUntil,
} from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { createEsspDevice, isCredit, money, type DeviceEvent } from '../lib/index.js';
import { createEsspSimulator, createMemoryPair } from '../lib/testing/index.js';

/** Running total (minor units) of a session's credits; completes after `idleMs` without one. */
export function sessionTotal(
  events$: Observable<DeviceEvent>,
  idleMs: number,
  scheduler: SchedulerLike = asyncScheduler,
): Observable<number> {
  const credits$ = events$.pipe(filter(isCredit), share());
  return credits$.pipe(
    scan((sum, e) => sum + e.money.amount, 0),
    takeUntil(credits$.pipe(debounceTime(idleMs, scheduler))),
  );
}

const device = { protocol: 'essp', address: 0 } as const;
const credit = (amount: number): DeviceEvent => ({
  type: 'credit',
  device,
  kind: 'note',
  money: money(amount, 'EUR'),
});

describe('example: marble test of application polling logic', () => {
  it('sums credits and closes the session after 100 ms without one', () => {
    const ts = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
    ts.run(({ hot, expectObservable }) => {
      const events$ = hot<DeviceEvent>('-a-r-b 50ms c', {
        a: credit(500),
        r: { type: 'rejected', device },
        b: credit(1000),
        c: credit(2000),
      });
      // b comes at frame 5, c at frame 56: within 100 ms, so one session; it ends 100 ms after c.
      expectObservable(sessionTotal(events$, 100, ts)).toBe('-a---b 50ms c 99ms |', {
        a: 500,
        b: 1500,
        c: 3500,
      });
    });
  });

  it('drives the real driver and simulator on virtual time', () => {
    const ts = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
    ts.run(() => {
      const [host, line] = createMemoryPair();
      const sim = createEsspSimulator(line, { profile: 'NV9USB', scheduler: ts });
      const dev = createEsspDevice(host, { scheduler: ts });
      const totals: number[] = [];
      let closedAt = -1;
      sessionTotal(dev.events$, 3000, ts)
        .pipe(map((t) => t / 100))
        .subscribe({ next: (t) => totals.push(t), complete: () => (closedAt = ts.now()) });

      ts.schedule(() => sim.insertNote(1), 1000); // 5 EUR
      ts.schedule(() => sim.insertNote(2), 3500); // 10 EUR, before the session idles out
      ts.schedule(() => {
        expect(totals).to.deep.equal([5, 15]);
        expect(closedAt).to.be.greaterThan(3500);
        dev.dispose();
        sim.dispose();
      }, 20_000);
    });
  });
});
