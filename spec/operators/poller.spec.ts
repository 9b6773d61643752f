import { expect } from 'chai';
import { BehaviorSubject, of, throwError } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { OptionRangeError } from '../../lib/core/errors.js';
import { pollWhileIdle } from '../../lib/operators/poller.js';
import { labelQueue } from '../helpers/label-queue.js';
import { createTestScheduler } from '../helpers/marbles.js';

describe('pollWhileIdle', () => {
  let ts: TestScheduler;
  beforeEach(() => {
    ts = createTestScheduler();
  });

  it('starts at once, then waits intervalMs after each poll finished before the next', () => {
    ts.run(({ expectObservable }) => {
      const { queue, writes, req } = labelQueue(ts, { POLL: 10 });
      const polls = pollWhileIdle(queue, () => queue.send(req('POLL')), { intervalMs: 100, scheduler: ts });
      expectObservable(polls, '^ 399ms !').toBe('10ms p 109ms p 109ms p 109ms p', { p: 'poll' });
      ts.flush();
      expect(writes.map(([t]) => t)).to.deep.equal([0, 110, 220, 330]);
    });
  });

  it('lets user commands sent during the pause go first; the due poll waits until the queue is idle', () => {
    ts.run(({ expectObservable }) => {
      const { queue, writes, req } = labelQueue(ts, { POLL: 10, SLOW: 100, USER: 10 });
      const polls = pollWhileIdle(queue, () => queue.send(req('POLL')), { intervalMs: 100, scheduler: ts });
      expectObservable(polls, '^ 299ms !').toBe('10ms p 159ms p 109ms p', { p: 'poll' });
      // SLOW is sent at 50, during the pause, and is still in flight at 110 when the
      // next poll is due; USER is sent at 120, after the poll became due, and still
      // goes before it because the poll was never enqueued.
      ts.schedule(() => queue.send(req('SLOW')).subscribe(), 50);
      ts.schedule(() => queue.send(req('USER')).subscribe(), 120);
      ts.flush();
      expect(writes).to.deep.equal([
        [0, 'POLL'],
        [50, 'SLOW'],
        [150, 'USER'],
        [160, 'POLL'],
        [270, 'POLL'],
      ]);
    });
  });

  it('never queues a second poll behind a user command that is waiting', () => {
    ts.run(() => {
      const { queue, req } = labelQueue(ts, { POLL: 10, SLOW: 100 });
      const pending: number[] = [];
      const sub = pollWhileIdle(queue, () => queue.send(req('POLL')), {
        intervalMs: 20,
        scheduler: ts,
      }).subscribe();
      ts.schedule(() => sub.unsubscribe(), 400);
      ts.schedule(() => {
        queue.send(req('SLOW')).subscribe();
        queue.send(req('SLOW')).subscribe();
      }, 15);
      for (let t = 16; t < 400; t += 7) ts.schedule(() => pending.push(queue.pending), t);
      ts.flush();
      expect(Math.max(...pending)).to.equal(1);
    });
  });

  it('does not stack polls while a user command keeps the queue busy past several intervals', () => {
    ts.run(() => {
      const { queue, writes, req } = labelQueue(ts, { POLL: 10, SLOW: 45 });
      const sub = pollWhileIdle(queue, () => queue.send(req('POLL')), {
        intervalMs: 5,
        scheduler: ts,
      }).subscribe();
      ts.schedule(() => queue.send(req('SLOW')).subscribe(), 12);
      ts.schedule(() => sub.unsubscribe(), 80);
      ts.flush();
      expect(writes).to.deep.equal([
        [0, 'POLL'],
        [12, 'SLOW'],
        [57, 'POLL'],
        [72, 'POLL'],
      ]);
    });
  });

  it('reports a failed poll to onError and keeps the cadence', () => {
    ts.run(({ expectObservable }) => {
      const { queue, writes, req } = labelQueue(ts, { POLL: 10 });
      const errors: unknown[] = [];
      let n = 0;
      // The second poll goes unanswered (LOST) and times out after 50 ms.
      const poll = () => queue.send(++n === 2 ? { ...req('LOST'), timeoutMs: 50 } : req('POLL'));
      const polls = pollWhileIdle(queue, poll, {
        intervalMs: 100,
        scheduler: ts,
        onError: (e) => errors.push(e),
      });
      expectObservable(polls, '^ 299ms !').toBe('10ms p 259ms p', { p: 'poll' });
      ts.flush();
      expect(writes.map(([t]) => t)).to.deep.equal([0, 110, 260]);
      expect(errors.map((e) => (e as Error).name)).to.deep.equal(['CommandTimeoutError']);
    });
  });

  it('keeps polling after poll() itself throws', () => {
    ts.run(({ expectObservable }) => {
      const busy$ = new BehaviorSubject(false);
      let n = 0;
      const errors: unknown[] = [];
      const poll = () => (++n === 1 ? throwError(() => new Error('boom')) : of(n));
      const polls = pollWhileIdle({ busy$ }, poll, {
        intervalMs: 10,
        scheduler: ts,
        onError: (e) => errors.push(e),
      });
      expectObservable(polls, '^ 25ms !').toBe('10ms a 9ms b', { a: 2, b: 3 });
      ts.flush();
      expect(errors).to.have.length(1);
    });
  });

  it('abandons the poll in flight on unsubscribe, freeing the queue', () => {
    ts.run(({ expectObservable }) => {
      const { queue, req } = labelQueue(ts, { POLL: 10 });
      const polls = pollWhileIdle(queue, () => queue.send(req('POLL')), { intervalMs: 100, scheduler: ts });
      expectObservable(polls, '^ 4ms !').toBe('');
      expectObservable(queue.busy$).toBe('t 4ms f', { t: true, f: false });
    });
  });

  it('completes when the queue is disposed', () => {
    ts.run(({ expectObservable }) => {
      const { queue, writes, req } = labelQueue(ts, { POLL: 10 });
      const polls = pollWhileIdle(queue, () => queue.send(req('POLL')), {
        intervalMs: 100,
        scheduler: ts,
        onError: () => undefined,
      });
      ts.schedule(() => queue.dispose(), 50);
      expectObservable(polls).toBe('10ms p 99ms |', { p: 'poll' });
      ts.flush();
      expect(writes).to.have.length(1);
    });
  });

  it('validates intervalMs', () => {
    const busy$ = new BehaviorSubject(false);
    for (const intervalMs of [-1, 600_001, Number.NaN]) {
      expect(() => pollWhileIdle({ busy$ }, () => of(1), { intervalMs })).to.throw(
        OptionRangeError,
        /'intervalMs' must be between 0 ms and 600000 ms/,
      );
    }
  });
});
