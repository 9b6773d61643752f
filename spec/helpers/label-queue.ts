/**
 * A fake device behind a real request queue, for the poller specs: each
 * written command (its label, as ASCII) is answered with the same label after
 * a per-command latency; a label without a latency is never answered.
 */
import { Subject, defer, of } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { createRequestQueue, type Request } from '../../lib/operators/exchange.js';
import type { PollSink } from '../../lib/operators/poller.js';

export function labelQueue(ts: TestScheduler, latency: Readonly<Record<string, number>>) {
  const frames$ = new Subject<string>();
  const writes: [number, string][] = [];
  const queue = createRequestQueue(
    {
      frames$,
      write: (b: Uint8Array) =>
        defer(() => {
          const label = String.fromCharCode(...b);
          writes.push([ts.now(), label]);
          const delay = latency[label];
          if (delay !== undefined) ts.schedule(() => frames$.next(label), delay);
          return of(undefined);
        }),
    },
    { timeoutMs: 200, attempts: 1, scheduler: ts },
  );
  const req = (label: string): Request<string, string> => ({
    label,
    bytes: Uint8Array.from(label, (c) => c.charCodeAt(0)),
    match: (f) => (f === label ? { kind: 'accept', value: label.toLowerCase() } : { kind: 'ignore' }),
  });
  /** Starts a POLL on the queue, the way the direct poller does. */
  const startPoll = (sink: PollSink<string>) => queue.start(req('POLL'), sink);
  return { queue, writes, req, startPoll };
}
