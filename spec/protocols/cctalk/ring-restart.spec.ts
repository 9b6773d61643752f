/**
 * A restart whose counter of 0 the host never read (the reply to that poll
 * was lost, and the unit posted an event before the next one) must not be
 * taken for a wrap of the counter: that reports up to 250 events lost that
 * never happened. A 229 buffer is all (0,0) after a restart and a unit never
 * buffers the null event, so blank slots where a wrap would have left events
 * show the restart.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import type { DeviceEvent } from '../../../lib/core/events.js';
import { createCcTalkCoinAcceptor } from '../../../lib/protocols/cctalk/coin-acceptor.js';
import {
  type EventBuffer,
  createCreditRingTracker,
  updateCreditRing,
} from '../../../lib/protocols/cctalk/events.js';
import { createHarness } from './harness.js';

type Pair = readonly [number, number];
const BLANK: Pair = [0, 0];
const isBlank = (p: Pair): boolean => p[0] === 0 && p[1] === 0;
const buf = (counter: number, ...pairs: Pair[]): EventBuffer<Pair> => {
  const entries = [...pairs];
  while (entries.length < 5) entries.push(BLANK);
  return { counter, entries };
};
const feed = (last: number, b: EventBuffer<Pair>, blank: typeof isBlank | null = isBlank) =>
  updateCreditRing(createCreditRingTracker(last), b, blank ?? undefined).outputs;

describe('ccTalk ring: a restart whose 0 was not read', () => {
  it('is a reset followed by the events since, when blank slots show it', () => {
    expect(feed(83, buf(1, [8, 1]))).to.deep.equal([
      { type: 'reset', previous: 83 },
      { type: 'event', counter: 1, event: [8, 1] },
    ]);
    expect(feed(3, buf(2, [5, 1], [4, 1]))).to.deep.equal([
      { type: 'reset', previous: 3 },
      { type: 'event', counter: 1, event: [4, 1] },
      { type: 'event', counter: 2, event: [5, 1] },
    ]);
  });

  it('without a blank pair to tell by, is measured as a wrap (168 reported lost)', () => {
    expect(feed(83, buf(1, [8, 1]), null)[0]).to.deep.equal({
      type: 'events-lost',
      lost: 168,
      after: 83,
      counter: 1,
    });
  });

  it('a real wrap fills the slots, so it stays a wrap', () => {
    const out = feed(254, buf(2, [3, 0], [2, 0], [1, 0], [9, 9], [8, 8]));
    expect(out.map((o) => (o.type === 'event' ? o.counter : o.type))).to.deep.equal([255, 1, 2]);
  });

  it('blank slots above a counter that moved forward are the ones left by a restart already seen', () => {
    expect(feed(1, buf(3, [3, 1], [2, 1], [1, 1]))).to.deep.equal([
      { type: 'event', counter: 2, event: [2, 1] },
      { type: 'event', counter: 3, event: [3, 1] },
    ]);
  });

  it('from a counter of 5 on nothing tells a restart from a wrap: the jump is reported lost', () => {
    const out = feed(83, buf(5, [1, 1], [1, 1], [1, 1], [1, 1], [1, 1]));
    expect(out[0]).to.deep.include({ type: 'events-lost', lost: 172 });
  });

  it('with no restart, reads exactly as without the rule (any history of non-blank events)', () => {
    const pair = fc
      .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }))
      .filter((p) => !isBlank(p));
    // Each step: events the unit takes, then one read by the host.
    const history = fc.array(fc.array(pair, { maxLength: 300 }), { minLength: 1, maxLength: 40 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 600 }), history, (before, steps) => {
        let counter = 0;
        let ring: Pair[] = [BLANK, BLANK, BLANK, BLANK, BLANK];
        const occur = (p: Pair) => {
          counter = counter === 255 ? 1 : counter + 1;
          ring = [p, ...ring.slice(0, 4)];
        };
        for (let i = 0; i < before; i++) occur([1, 1]);
        let withRule = createCreditRingTracker();
        let plain = createCreditRingTracker();
        for (const events of [[], ...steps]) {
          events.forEach(occur);
          const reply = { counter, entries: ring.slice() };
          const a = updateCreditRing(withRule, reply, isBlank);
          const b = updateCreditRing(plain, reply);
          expect(a.outputs).to.deep.equal(b.outputs);
          withRule = a.tracker;
          plain = b.tracker;
        }
      }),
    );
  });
});

describe('ccTalk coin acceptor: a restart whose 0 was not read', () => {
  it('reports the restart, re-applies the settings and reports nothing lost', () => {
    const h = createHarness();
    const acceptor = createCcTalkCoinAcceptor(h.bus, { scheduler: h.scheduler });
    const { events } = h.collect(acceptor);
    [1, 2, 3].forEach((slot, i) => h.at(1000 + 500 * i, () => h.sim.insertCoin(slot)));
    // The reply to the first poll after the restart is lost, and the unit posts an event
    // before the next one (some units post a dummy event once polled at 0).
    let phase: 'wait' | 'restarted' | 'done' = 'wait';
    h.at(4000, () => {
      h.sim.powerCycle();
      phase = 'restarted';
    });
    h.sim.override((c) => {
      if (c.header !== 229 || phase !== 'restarted') return undefined;
      phase = 'done';
      h.sim.reject();
      return { kind: 'silent' };
    });
    h.at(6000, () => h.sim.insertCoin(8));
    h.runUntil(7000);
    acceptor.dispose();
    expect(h.sim.stats).to.include({ resets: 1, accepted: 4 });
    expect(events.flatMap((e) => (e.type === 'credit' ? [e.money.amount] : []))).to.deep.equal([
      1, 2, 5, 200,
    ]);
    expect(events.filter((e: DeviceEvent) => e.type === 'events-lost')).to.deep.equal([]);
    expect(events.filter((e) => e.type === 'device-reset')).to.have.length(1);
  });
});
