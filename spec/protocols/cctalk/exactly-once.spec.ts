/**
 * Money properties of the coin acceptor driver against the simulator, for
 * random coin arrivals and random stretches of lost 229 replies: every coin
 * the acceptor took is either credited once or counted in events-lost, and
 * the credits are exactly the newest coins, in order, never one twice.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import type { DeviceEvent } from '../../../lib/core/events.js';
import { createCcTalkCoinAcceptor } from '../../../lib/protocols/cctalk/coin-acceptor.js';
import { createHarness } from './harness.js';

const VALUES = [1, 2, 5, 10, 20, 50, 100, 200];

const step = fc.oneof(
  fc.record({
    kind: fc.constant('coin' as const),
    gap: fc.integer({ min: 0, max: 400 }),
    slot: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({
    kind: fc.constant('outage' as const),
    gap: fc.integer({ min: 0, max: 400 }),
    length: fc.integer({ min: 50, max: 900 }),
  }),
);

describe('ccTalk coin acceptor: exactly-once credits (property)', () => {
  it('credits each accepted coin once or reports it lost, never twice, in order', () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 0, max: 255 }),
        (steps, start) => {
          const h = createHarness();
          if (start > 0) h.sim.setCoinCounter(start);
          const acceptor = createCcTalkCoinAcceptor(h.bus, { scheduler: h.scheduler });
          const events: DeviceEvent[] = [];
          acceptor.events$.subscribe((e) => events.push(e));
          const accepted: number[] = [];
          h.sim.log$.subscribe((line) => {
            const m = /EU(\d{3})A accepted/.exec(line);
            if (m) accepted.push(Number(m[1]));
          });
          let t = 1000;
          let outage = false;
          for (const s of steps) {
            t += s.gap;
            if (s.kind === 'coin') {
              h.at(t, () => h.sim.insertCoin(s.slot));
            } else if (!outage) {
              outage = true;
              const remove: { fn: () => void } = { fn: () => undefined };
              h.at(t, () => {
                remove.fn = h.sim.override((c) => (c.header === 229 ? { kind: 'silent' } : undefined));
              });
              t += s.length;
              h.at(t, () => {
                remove.fn();
                outage = false;
              });
            }
          }
          h.runUntil(t + 3000);
          acceptor.dispose();

          const credited = events.flatMap((e) => (e.type === 'credit' ? [e.money.amount] : []));
          const lost = events.reduce((n, e) => n + (e.type === 'events-lost' ? e.count : 0), 0);
          expect(accepted.every((v) => VALUES.includes(v))).to.equal(true);
          expect(credited.length + lost).to.equal(accepted.length);
          // Lost ones are always the oldest of a burst: the credits are the accepted coins with gaps, in order.
          let i = 0;
          for (const c of credited) {
            while (i < accepted.length && accepted[i] !== c) i++;
            expect(i).to.be.lessThan(accepted.length);
            i++;
          }
          if (lost === 0) expect(credited).to.deep.equal(accepted);
        },
      ),
      { numRuns: 40 },
    );
  });
});
