import { expect } from 'chai';
import fc from 'fast-check';
import type { TestScheduler } from 'rxjs/testing';
import { type PollSink, pollWhileIdle, startPollsWhileIdle } from '../../lib/operators/poller.js';
import { labelQueue } from '../helpers/label-queue.js';
import { createTestScheduler } from '../helpers/marbles.js';

describe('startPollsWhileIdle', () => {
  let ts: TestScheduler;
  beforeEach(() => {
    ts = createTestScheduler();
  });

  it('starts at once, then waits intervalMs after each poll finished before the next', () => {
    ts.run(({ expectObservable }) => {
      const { writes, queue, startPoll } = labelQueue(ts, { POLL: 10 });
      const polls = startPollsWhileIdle(queue, startPoll, { intervalMs: 100, scheduler: ts });
      expectObservable(polls, '^ 399ms !').toBe('10ms p 109ms p 109ms p 109ms p', { p: 'poll' });
      ts.flush();
      expect(writes.map(([t]) => t)).to.deep.equal([0, 110, 220, 330]);
    });
  });

  it('with pauseFirst, begins with a pause', () => {
    ts.run(({ expectObservable }) => {
      const { writes, queue, startPoll } = labelQueue(ts, { POLL: 10 });
      const polls = startPollsWhileIdle(queue, startPoll, {
        intervalMs: 100,
        pauseFirst: true,
        scheduler: ts,
      });
      expectObservable(polls, '^ 339ms !').toBe('110ms p 109ms p 109ms p', { p: 'poll' });
      ts.flush();
      expect(writes.map(([t]) => t)).to.deep.equal([100, 210, 320]);
    });
  });

  it('pauseFirst works the same for pollWhileIdle', () => {
    ts.run(({ expectObservable }) => {
      const { writes, queue, req } = labelQueue(ts, { POLL: 10 });
      const polls = pollWhileIdle(queue, () => queue.send(req('POLL')), {
        intervalMs: 100,
        pauseFirst: true,
        scheduler: ts,
      });
      expectObservable(polls, '^ 229ms !').toBe('110ms p 109ms p', { p: 'poll' });
      ts.flush();
      expect(writes.map(([t]) => t)).to.deep.equal([100, 210]);
    });
  });

  it('abandons the poll in flight on unsubscribe, freeing the queue', () => {
    ts.run(({ expectObservable }) => {
      const { queue, startPoll } = labelQueue(ts, { POLL: 10 });
      const polls = startPollsWhileIdle(queue, startPoll, { intervalMs: 100, scheduler: ts });
      expectObservable(polls, '^ 4ms !').toBe('');
      expectObservable(queue.busy$).toBe('t 4ms f', { t: true, f: false });
    });
  });

  it('keeps the cadence after a poll that fails, throws, or ends inside the start call, and never abandons an ended poll', () => {
    ts.run(({ expectObservable }) => {
      const errors: unknown[] = [];
      let calls = 0;
      let abandoned = 0;
      const startPoll = (sink: PollSink<number>): (() => void) => {
        calls += 1;
        if (calls === 1) throw new Error('could not start');
        if (calls === 2) sink.error(new Error('refused'));
        else {
          sink.next(calls);
          sink.complete();
        }
        return () => abandoned++;
      };
      const { queue } = labelQueue(ts, {});
      const polls = startPollsWhileIdle(queue, startPoll, {
        intervalMs: 10,
        scheduler: ts,
        onError: (e) => errors.push(e),
      });
      expectObservable(polls, '^ 25ms !').toBe('20ms a', { a: 3 });
      ts.flush();
      expect(errors.map((e) => (e as Error).message)).to.deep.equal(['could not start', 'refused']);
      expect(abandoned).to.equal(0);
    });
  });

  it('completes when the queue is disposed', () => {
    ts.run(({ expectObservable }) => {
      const { queue, writes, startPoll } = labelQueue(ts, { POLL: 10 });
      const polls = startPollsWhileIdle(queue, startPoll, { intervalMs: 100, scheduler: ts });
      ts.schedule(() => queue.dispose(), 50);
      expectObservable(polls).toBe('10ms p 99ms |', { p: 'poll' });
      ts.flush();
      expect(writes).to.have.length(1);
    });
  });

  it('property: writes the same timeline as pollWhileIdle, user commands and slow polls included', () => {
    const scenario = fc.record({
      poll: fc.integer({ min: 1, max: 60 }),
      intervalMs: fc.integer({ min: 0, max: 80 }),
      pauseFirst: fc.boolean(),
      users: fc.array(
        fc.record({ at: fc.integer({ min: 0, max: 400 }), latency: fc.integer({ min: 1, max: 90 }) }),
        {
          maxLength: 6,
        },
      ),
    });
    interface Scenario {
      readonly poll: number;
      readonly intervalMs: number;
      readonly pauseFirst: boolean;
      readonly users: readonly { readonly at: number; readonly latency: number }[];
    }
    const timeline = (s: Scenario, direct: boolean): string[] => {
      const t = createTestScheduler();
      const out: string[] = [];
      t.run(() => {
        const latency: Record<string, number> = { POLL: s.poll };
        s.users.forEach((u, i) => (latency[`U${i}`] = u.latency));
        const { queue, writes, req, startPoll } = labelQueue(t, latency);
        const options = { intervalMs: s.intervalMs, pauseFirst: s.pauseFirst, scheduler: t };
        const polls = direct
          ? startPollsWhileIdle(queue, startPoll, options)
          : pollWhileIdle(queue, () => queue.send(req('POLL')), options);
        const sub = polls.subscribe((v) => out.push(`${t.now()} ${v}`));
        s.users.forEach((u, i) => t.schedule(() => queue.send(req(`U${i}`)).subscribe(), u.at));
        t.schedule(() => sub.unsubscribe(), 600);
        t.flush();
        out.push(...writes.map(([at, label]) => `${at} wrote ${label}`));
      });
      return out;
    };
    fc.assert(
      fc.property(scenario, (s) => {
        expect(timeline(s, true)).to.deep.equal(timeline(s, false));
      }),
      { numRuns: 60 },
    );
  });
});
