import { expect } from 'chai';
import { Observable, Subject, defer, of } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { type Request, type RequestQueue, createRequestQueue } from '../../lib/operators/exchange.js';
import { pollWhileIdle } from '../../lib/operators/poller.js';
import { createTestScheduler } from '../helpers/marbles.js';

/**
 * A real request queue in front of a toy device that answers each command
 * (its ASCII label) with the label after a per-command latency, and a view of
 * the queue that counts how the poller looks at it: `state` reads, busy$
 * subscriptions, and busy$ subscriptions still open.
 */
function rig(ts: TestScheduler, latency: Readonly<Record<string, number>>) {
  const frames$ = new Subject<string>();
  const writes: string[] = [];
  const queue = createRequestQueue<string>(
    {
      frames$,
      write: (b) =>
        defer(() => {
          const label = String.fromCharCode(...b);
          writes.push(`${ts.now()} ${label}`);
          const delay = latency[label];
          if (delay !== undefined) ts.schedule(() => frames$.next(label), delay);
          return of(undefined);
        }),
    },
    { timeoutMs: 500, attempts: 1, scheduler: ts },
  );
  const seen = { stateReads: 0, busySubscriptions: 0, busyOpen: 0 };
  const busy$ = new Observable<boolean>((subscriber) => {
    seen.busySubscriptions++;
    seen.busyOpen++;
    const sub = queue.busy$.subscribe(subscriber);
    return () => {
      seen.busyOpen--;
      sub.unsubscribe();
    };
  });
  const watched: Pick<RequestQueue<unknown>, 'busy$' | 'state'> = {
    busy$,
    get state(): 'idle' | 'busy' | 'ended' {
      seen.stateReads++;
      const state = queue.state;
      if (state === undefined) throw new Error('createRequestQueue is expected to report state');
      return state;
    },
  };
  const req = (label: string): Request<string, string> => ({
    label,
    bytes: Uint8Array.from(label, (c) => c.charCodeAt(0)),
    match: (f) => (f === label ? { kind: 'accept', value: label.toLowerCase() } : { kind: 'ignore' }),
  });
  return { queue, watched, seen, writes, req };
}

describe('pollWhileIdle with a queue that has `state`', () => {
  let ts: TestScheduler;
  beforeEach(() => {
    ts = createTestScheduler();
  });

  it('polls at the interval while idle, reading state once per cycle and never listening to busy$', () => {
    ts.run(({ expectObservable }) => {
      const { queue, watched, seen, writes, req } = rig(ts, { POLL: 10 });
      const polls = pollWhileIdle(watched, () => queue.send(req('POLL')), { intervalMs: 100, scheduler: ts });
      expectObservable(polls, '^ 399ms !').toBe('10ms p 109ms p 109ms p 109ms p', { p: 'poll' });
      ts.flush();
      expect(writes).to.deep.equal(['0 POLL', '110 POLL', '220 POLL', '330 POLL']);
      expect(seen).to.deep.equal({ stateReads: 4, busySubscriptions: 0, busyOpen: 0 });
    });
  });

  it('yields to a user command in flight, listens to busy$ only while it waits, and resumes after it', () => {
    ts.run(({ expectObservable }) => {
      const { queue, watched, seen, writes, req } = rig(ts, { POLL: 10, SLOW: 100 });
      const polls = pollWhileIdle(watched, () => queue.send(req('POLL')), { intervalMs: 100, scheduler: ts });
      expectObservable(polls, '^ 299ms !').toBe('10ms p 149ms p 109ms p', { p: 'poll' });
      // SLOW runs 50..150; the poll due at 110 waits for it.
      ts.schedule(() => queue.send(req('SLOW')).subscribe(), 50);
      const open: number[] = [];
      for (const t of [100, 120, 149, 151]) ts.schedule(() => open.push(seen.busyOpen), t);
      ts.flush();
      expect(writes).to.deep.equal(['0 POLL', '50 SLOW', '150 POLL', '260 POLL']);
      expect(open).to.deep.equal([0, 1, 1, 0]);
      expect(seen.busySubscriptions).to.equal(1);
      // One read per due moment, and one when the wait ends (idle, or a queue going away?).
      expect(seen.stateReads).to.equal(4);
    });
  });

  it('lets a command sent while a due poll waits go first, then polls', () => {
    ts.run(() => {
      const { queue, watched, writes, req } = rig(ts, { POLL: 10, SLOW: 100, USER: 10 });
      const sub = pollWhileIdle(watched, () => queue.send(req('POLL')), {
        intervalMs: 100,
        scheduler: ts,
      }).subscribe();
      ts.schedule(() => queue.send(req('SLOW')).subscribe(), 50);
      ts.schedule(() => queue.send(req('USER')).subscribe(), 120);
      ts.schedule(() => sub.unsubscribe(), 200);
      ts.flush();
      expect(writes).to.deep.equal(['0 POLL', '50 SLOW', '150 USER', '160 POLL']);
    });
  });

  it('polls just the same through busy$ alone, for a queue without state', () => {
    ts.run(({ expectObservable }) => {
      const { queue, writes, req } = rig(ts, { POLL: 10, SLOW: 100 });
      const polls = pollWhileIdle({ busy$: queue.busy$ }, () => queue.send(req('POLL')), {
        intervalMs: 100,
        scheduler: ts,
      });
      expectObservable(polls, '^ 299ms !').toBe('10ms p 149ms p 109ms p', { p: 'poll' });
      ts.schedule(() => queue.send(req('SLOW')).subscribe(), 50);
      ts.flush();
      expect(writes).to.deep.equal(['0 POLL', '50 SLOW', '150 POLL', '260 POLL']);
    });
  });

  it('completes at the next due moment once the queue has ended, without polling it or listening to busy$', () => {
    ts.run(({ expectObservable }) => {
      const { queue, watched, seen, writes, req } = rig(ts, { POLL: 10 });
      const polls = pollWhileIdle(watched, () => queue.send(req('POLL')), { intervalMs: 100, scheduler: ts });
      ts.schedule(() => queue.dispose(), 50);
      expectObservable(polls).toBe('10ms p 99ms |', { p: 'poll' });
      ts.flush();
      expect(writes).to.deep.equal(['0 POLL']);
      // 'ended' is read from state: busy$ is not needed to learn it.
      expect(seen).to.deep.equal({ stateReads: 2, busySubscriptions: 0, busyOpen: 0 });
    });
  });

  it('completes at once, without another poll, when the queue is disposed while a due poll waits for it', () => {
    ts.run(({ expectObservable }) => {
      const { queue, watched, writes, req } = rig(ts, { POLL: 10, SLOW: 100 });
      const errors: unknown[] = [];
      const polls = pollWhileIdle(watched, () => queue.send(req('POLL')), {
        intervalMs: 100,
        scheduler: ts,
        onError: (e) => errors.push(e),
      });
      // SLOW runs from 50; the poll due at 110 waits for it; the queue goes at 130.
      ts.schedule(() => queue.send(req('SLOW')).subscribe({ error: () => undefined }), 50);
      ts.schedule(() => queue.dispose(), 130);
      expectObservable(polls).toBe('10ms p 119ms |', { p: 'poll' });
      ts.flush();
      expect(writes).to.deep.equal(['0 POLL', '50 SLOW']);
      expect(errors).to.deep.equal([]);
      expect(ts.actions ?? []).to.have.length(0);
    });
  });
});
