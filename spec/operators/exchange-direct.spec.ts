import { expect } from 'chai';
import { Subject, VirtualTimeScheduler, defer, of } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { CommandTimeoutError, DisposedError } from '../../lib/core/errors.js';
import {
  type ExchangeEvent,
  type ExchangeOptions,
  type Request,
  type RequestSink,
  createRequestQueue,
} from '../../lib/operators/exchange.js';
import { createTestScheduler } from '../helpers/marbles.js';

/**
 * A toy device behind a real queue. Requests are ASCII labels; the device
 * answers a write with the label itself after `delay(label, n)` ms (n counts
 * that label's writes from 1), or stays silent when it returns undefined.
 * `log` holds what happened, as "<time> <what>" lines.
 */
function rig(
  scheduler: VirtualTimeScheduler,
  delay: (label: string, n: number) => number | undefined,
  options: Omit<ExchangeOptions, 'scheduler'> = { timeoutMs: 100, attempts: 3 },
  unsolicited?: (frame: string) => void,
) {
  const frames$ = new Subject<string>();
  const log: string[] = [];
  const writes: { t: number; bytes: Uint8Array }[] = [];
  const counts = new Map<string, number>();
  const queue = createRequestQueue<string>(
    {
      frames$,
      write: (b) =>
        defer(() => {
          const label = String.fromCharCode(...b);
          const n = (counts.get(label) ?? 0) + 1;
          counts.set(label, n);
          writes.push({ t: scheduler.now(), bytes: b });
          log.push(`${scheduler.now()} write ${label}`);
          const d = delay(label, n);
          if (d !== undefined) scheduler.schedule(() => frames$.next(label), d);
          return of(undefined);
        }),
      ...(unsolicited === undefined ? {} : { unsolicited }),
    },
    { ...options, scheduler },
  );
  /** A request answered only by a frame equal to its label (or by any frame when `anyFrame`). */
  const req = (label: string, anyFrame = false): Request<string, string> => ({
    label,
    bytes: Uint8Array.from(label, (c) => c.charCodeAt(0)),
    match: (f) => (anyFrame || f === label ? { kind: 'accept', value: f.toLowerCase() } : { kind: 'ignore' }),
  });
  /** A sink that logs what it receives, tagged with `name`. */
  const sink = (name: string): RequestSink<string> => ({
    next: (v) => log.push(`${scheduler.now()} ${name} next ${v}`),
    error: (e: unknown) =>
      log.push(`${scheduler.now()} ${name} error ${e instanceof Error ? e.name : String(e)}`),
    complete: () => log.push(`${scheduler.now()} ${name} complete`),
  });
  return { queue, frames$, log, writes, req, sink };
}

/** Run the scheduler's actions due up to and including `t`, leaving later ones queued. */
function runUntil(vts: VirtualTimeScheduler, t: number): void {
  vts.maxFrames = t;
  vts.flush();
  vts.maxFrames = Number.POSITIVE_INFINITY;
}

describe('createRequestQueue: state, ended$ and start()', () => {
  let vts: VirtualTimeScheduler;
  beforeEach(() => {
    vts = new VirtualTimeScheduler();
  });

  describe('state and ended$', () => {
    it('goes idle → busy while requests are in flight or waiting → idle, and ended after dispose', () => {
      const { queue, req, sink } = rig(vts, () => 10);
      const seen: string[] = [];
      const look = (when: string) => seen.push(`${when}:${String(queue.state)}:${queue.pending}`);
      look('created');
      queue.start(req('A'), sink('a'));
      look('A started');
      queue.start(req('B'), sink('b'));
      look('B waiting');
      runUntil(vts, 10);
      look('A answered');
      runUntil(vts, 20);
      look('B answered');
      queue.dispose();
      look('disposed');
      expect(seen).to.deep.equal([
        'created:idle:0',
        'A started:busy:0',
        'B waiting:busy:1',
        'A answered:busy:0',
        'B answered:idle:0',
        'disposed:ended:0',
      ]);
    });

    it('ended$ completes, without a value, when the queue is disposed (marbles)', () => {
      const ts: TestScheduler = createTestScheduler();
      ts.run(({ expectObservable, hot }) => {
        const queue = createRequestQueue<string>(
          { frames$: hot('-'), write: () => of(undefined) },
          { scheduler: ts },
        );
        ts.schedule(() => queue.dispose(), 40);
        expectObservable(queue.ended$!).toBe('40ms |');
        expectObservable(queue.busy$).toBe('f 39ms |', { f: false });
      });
    });

    it('ended$ completes when the line ends, and completes at once for a late subscriber', () => {
      const ts: TestScheduler = createTestScheduler();
      ts.run(({ expectObservable, hot }) => {
        const queue = createRequestQueue<string>(
          { frames$: hot('25ms |'), write: () => of(undefined) },
          { scheduler: ts },
        );
        expectObservable(queue.ended$!).toBe('25ms |');
        expectObservable(queue.ended$!, '30ms ^').toBe('30ms |');
        ts.schedule(() => expect(queue.state).to.equal('ended'), 26);
      });
    });

    it('ended$ does not complete while the queue lives, however many requests it runs', () => {
      const { queue, req, sink } = rig(vts, () => 5);
      let ended = false;
      queue.ended$!.subscribe({ complete: () => (ended = true) });
      for (let i = 0; i < 5; i++) queue.start(req(`R${i}`), sink(`r${i}`));
      vts.flush();
      expect(ended).to.equal(false);
      queue.dispose();
      expect(ended).to.equal(true);
    });
  });

  describe('start(request, sink)', () => {
    it('delivers the reply to the sink, then completes it', () => {
      const { queue, req, sink, log } = rig(vts, () => 10);
      queue.start(req('PING'), sink('p'));
      vts.flush();
      expect(log).to.deep.equal(['0 write PING', '10 p next ping', '10 p complete']);
    });

    it('resends byte-identical bytes after a lost reply and takes the answer to the resend', () => {
      const { queue, req, sink, log, writes } = rig(vts, (_, n) => (n === 1 ? undefined : 10));
      const r = req('GET');
      queue.start(r, sink('g'));
      vts.flush();
      expect(log).to.deep.equal(['0 write GET', '100 write GET', '110 g next get', '110 g complete']);
      expect(writes.map((w) => w.t)).to.deep.equal([0, 100]);
      expect(writes[1]!.bytes).to.deep.equal(writes[0]!.bytes);
      expect(writes[1]!.bytes).to.deep.equal(r.bytes);
    });

    it('errors with CommandTimeoutError after the configured attempts', () => {
      const { queue, req, log } = rig(vts, () => undefined, { timeoutMs: 100, attempts: 3 });
      let error: unknown;
      queue.start(req('SYNC'), {
        next: () => log.push('unexpected value'),
        error: (e: unknown) => (error = e),
        complete: () => log.push('unexpected complete'),
      });
      vts.flush();
      expect(log).to.deep.equal(['0 write SYNC', '100 write SYNC', '200 write SYNC']);
      expect(error).to.be.instanceOf(CommandTimeoutError);
      expect((error as CommandTimeoutError).info).to.deep.include({
        command: 'SYNC',
        attempts: 3,
        elapsedMs: 300,
      });
      expect(vts.now()).to.equal(300);
    });

    it('is cancelled by dispose with DisposedError, in flight or waiting, and writes nothing more', () => {
      const { queue, req, sink, log } = rig(vts, () => 50);
      queue.start(req('A'), sink('a'));
      queue.start(req('B'), sink('b'));
      vts.schedule(() => queue.dispose(), 20);
      vts.flush();
      expect(log).to.deep.equal(['0 write A', '20 a error DisposedError', '20 b error DisposedError']);
    });

    it('errors at once with DisposedError when started after dispose', () => {
      const { queue, req } = rig(vts, () => 10);
      queue.dispose();
      let error: unknown;
      queue.start(req('A'), {
        next: () => undefined,
        error: (e: unknown) => (error = e),
        complete: () => undefined,
      });
      expect(error).to.be.instanceOf(DisposedError);
    });

    it('its cancel function removes a waiting request and abandons one in flight', () => {
      const { queue, req, sink, log } = rig(vts, () => 30);
      const cancelA = queue.start(req('A'), sink('a'));
      const cancelB = queue.start(req('B'), sink('b'));
      queue.start(req('C'), sink('c'));
      cancelB();
      expect(queue.pending).to.equal(1);
      vts.schedule(() => cancelA(), 10);
      vts.flush();
      // A's late reply (at 30) is not C's: C only takes frames equal to its label.
      expect(log).to.deep.equal(['0 write A', '10 write C', '40 c next c', '40 c complete']);
      expect(queue.state).to.equal('idle');
    });

    it('serializes requests started directly with those sent through the Observable API', () => {
      const { queue, req, sink, log } = rig(vts, () => 10);
      queue.start(req('A'), sink('a'));
      queue.send(req('B')).subscribe(sink('b'));
      queue.start(req('C'), sink('c'));
      queue.send(req('D')).subscribe(sink('d'));
      expect(queue.pending).to.equal(3);
      vts.flush();
      // Each write comes only after the previous request's reply: never two on the wire.
      expect(log.filter((l) => !l.endsWith('complete'))).to.deep.equal([
        '0 write A',
        '10 a next a',
        '10 write B',
        '20 b next b',
        '20 write C',
        '30 c next c',
        '30 write D',
        '40 d next d',
      ]);
    });
  });

  describe('frames nobody waits for', () => {
    it('go to the unsolicited hook (idle, or after the request gave up), never to the next request', () => {
      const hook: string[] = [];
      // A is silent on its only attempt but answers late (at 130); B accepts any frame.
      const { queue, frames$, req, sink, log } = rig(
        vts,
        (label) => (label === 'A' ? 130 : 10),
        { timeoutMs: 100, attempts: 1 },
        (f) => hook.push(`${vts.now()} ${f}`),
      );
      vts.schedule(() => frames$.next('HELLO'), 5);
      vts.schedule(() => queue.start(req('A'), sink('a')), 10);
      vts.schedule(() => queue.start(req('B', true), sink('b')), 150);
      vts.flush();
      expect(hook).to.deep.equal(['5 HELLO', '140 A']);
      expect(log).to.deep.equal([
        '10 write A',
        '110 a error CommandTimeoutError',
        '150 write B',
        '160 b next b',
        '160 b complete',
      ]);
    });

    it('a frame while a request waits goes to that request, not to the hook', () => {
      const hook: string[] = [];
      const { queue, req, sink, log } = rig(
        vts,
        () => 10,
        {},
        (f) => hook.push(f),
      );
      queue.start(req('A'), sink('a'));
      vts.flush();
      expect(hook).to.deep.equal([]);
      expect(log).to.include('10 a next a');
    });
  });

  describe('the deadline check and the scheduler', () => {
    it('leaves no scheduled action after dispose, with a request in flight and one waiting', () => {
      const { queue, req, sink } = rig(vts, () => undefined);
      queue.start(req('A'), sink('a'));
      queue.start(req('B'), sink('b'));
      expect(vts.actions.length).to.equal(1); // A's deadline check
      queue.dispose();
      expect(vts.actions.length).to.equal(0);
    });

    it('stays armed up to one timeout after the last request while the queue lives, then is gone', () => {
      const { queue, req, sink, log } = rig(vts, () => 10, { timeoutMs: 100, attempts: 3 });
      queue.start(req('A'), sink('a'));
      runUntil(vts, 10);
      expect(log).to.include('10 a complete');
      // The queue is idle, but the check armed for A's deadline (0 + 100) is still queued:
      // it is not cancelled per request, it finds nothing to do and ends.
      expect(queue.state).to.equal('idle');
      expect(vts.actions.map((a) => a.delay)).to.deep.equal([100]);
      vts.flush();
      expect(vts.now()).to.equal(100);
      expect(vts.actions.length).to.equal(0);
      expect(log).to.deep.equal(['0 write A', '10 a next a', '10 a complete']);
    });

    it('a check armed for an earlier request re-arms itself, so a later request times out exactly at its deadline', () => {
      const { queue, req, sink, log } = rig(vts, (label) => (label === 'A' ? 10 : undefined), {
        timeoutMs: 100,
        attempts: 1,
      });
      queue.start(req('A'), sink('a')); // check armed for 100
      vts.schedule(() => queue.start(req('B'), sink('b')), 50); // deadline 150
      vts.flush();
      expect(log).to.deep.equal([
        '0 write A',
        '10 a next a',
        '10 a complete',
        '50 write B',
        '150 b error CommandTimeoutError',
      ]);
      expect(vts.actions.length).to.equal(0);
    });
  });

  describe('events$', () => {
    it('reports attempts, timeouts and the reply to a subscriber, and a later subscriber sees only later events', () => {
      const { queue, req, sink } = rig(vts, (_, n) => (n === 3 ? 10 : undefined), {
        timeoutMs: 100,
        attempts: 3,
      });
      const first: string[] = [];
      const later: string[] = [];
      const fmt = (e: ExchangeEvent) => `${e.time} ${e.type}${'attempt' in e ? ` ${e.attempt}` : ''}`;
      queue.events$.subscribe((e) => first.push(fmt(e)));
      queue.start(req('A'), sink('a'));
      vts.schedule(() => queue.events$.subscribe((e) => later.push(fmt(e))), 150);
      vts.flush();
      expect(first).to.deep.equal([
        '0 attempt 1',
        '100 timeout 1',
        '100 attempt 2',
        '200 timeout 2',
        '200 attempt 3',
        '210 reply 3',
      ]);
      expect(later).to.deep.equal(['200 timeout 2', '200 attempt 3', '210 reply 3']);
    });

    it('keeps nothing for a subscriber that comes after the events (no replay)', () => {
      const { queue, req, sink } = rig(vts, () => 10);
      queue.start(req('A'), sink('a'));
      vts.flush();
      const seen: ExchangeEvent[] = [];
      queue.events$.subscribe((e) => seen.push(e));
      expect(seen).to.deep.equal([]);
      queue.start(req('B'), sink('b'));
      vts.flush();
      expect(seen.map((e) => e.type)).to.deep.equal(['attempt', 'reply']);
    });

    it('reports resends after a retry verdict and an unsolicited frame', () => {
      const { queue, frames$, req, sink } = rig(vts, (_, n) => (n === 2 ? 10 : undefined));
      const seen: string[] = [];
      queue.events$.subscribe((e) => seen.push(`${e.time} ${e.type}`));
      const r = req('A');
      queue.start(
        { ...r, match: (f) => (f === 'NAK' ? { kind: 'retry', reason: 'NAK' } : r.match(f)) },
        sink('a'),
      );
      vts.schedule(() => frames$.next('NAK'), 5);
      vts.schedule(() => frames$.next('LATE'), 50);
      vts.flush();
      expect(seen).to.deep.equal(['0 attempt', '5 retry', '5 attempt', '15 reply', '50 unsolicited']);
    });
  });

  describe('beforeWrite', () => {
    it('is called on every attempt, with the request and the bytes, just before that write', () => {
      const vts = new VirtualTimeScheduler();
      const frames$ = new Subject<string>();
      const log: string[] = [];
      const queue = createRequestQueue<string>(
        {
          frames$,
          write: (b) =>
            defer(() => {
              log.push(`${vts.now()} write ${String.fromCharCode(...b)}`);
              return of(undefined);
            }),
          beforeWrite: (request, bytes) => log.push(`${vts.now()} before ${request.label} ${bytes.length}`),
        },
        { timeoutMs: 100, attempts: 2, scheduler: vts },
      );
      const request: Request<string, string> = {
        label: 'AB',
        bytes: Uint8Array.of(0x41, 0x42),
        match: () => ({ kind: 'ignore' }),
      };
      queue.start(request, {
        next: () => undefined,
        error: () => log.push(`${vts.now()} gave up`),
        complete: () => undefined,
      });
      vts.flush();
      expect(log).to.deep.equal([
        '0 before AB 2',
        '0 write AB',
        '100 before AB 2',
        '100 write AB',
        '200 gave up',
      ]);
    });
  });

  describe('bytesFinal', () => {
    it("writes the request's own bytes when they are final, a copy taken at start otherwise", () => {
      const vts = new VirtualTimeScheduler();
      const written: Uint8Array[] = [];
      const queue = createRequestQueue<string>(
        {
          frames$: new Subject<string>(),
          write: (b) =>
            defer(() => {
              written.push(b);
              return of(undefined);
            }),
        },
        { timeoutMs: 100, attempts: 1, scheduler: vts },
      );
      const request = (bytesFinal: boolean): Request<string, string> => ({
        label: 'X',
        bytes: Uint8Array.of(1, 2),
        bytesFinal,
        match: () => ({ kind: 'ignore' }),
      });
      const quiet = { next: () => undefined, error: () => undefined, complete: () => undefined };
      const final = request(true);
      const copied = request(false);
      queue.start(final, quiet);
      queue.start(copied, quiet);
      vts.flush();
      expect(written).to.have.length(2);
      expect(written[0]).to.equal(final.bytes);
      expect(written[1]).to.not.equal(copied.bytes);
      expect([...written[1]!]).to.deep.equal([1, 2]);
    });
  });
});
