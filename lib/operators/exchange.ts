/**
 * Protocol-agnostic request/response pipeline.
 *
 * Every byte a device driver sends goes through one {@link RequestQueue}:
 * requests wait in a first-in first-out list and exactly one is on the wire
 * at a time. Each attempt writes the
 * request's bytes verbatim, then waits for a frame that the request's `match`
 * function accepts; a timeout or a `retry` verdict resends the very same bytes
 * (link layers with sequence bits depend on a resend being byte-identical).
 *
 * Time comes only from the scheduler, so every timing rule is marble-testable.
 *
 * The queue is a small hand-written state machine rather than an operator
 * chain: it sits under every poll of every device, and a device polled a few
 * times a second runs it cold each time, when every extra layer costs. Events
 * are only built while `events$` has a subscriber.
 *
 * The public types live in exchange-types.ts, the per-request record in
 * exchange-job.ts, busy$ in exchange-busy.ts and the deadline check in
 * exchange-clock.ts; everything public is re-exported from here.
 */
import { Observable, Subject, Subscription, asyncScheduler } from 'rxjs';
import { CommandTimeoutError, DisposedError, TransportError } from '../core/errors.js';
import { BusyState } from './exchange-busy.js';
import { DeadlineClock } from './exchange-clock.js';
import { Job, type WriteEnded, WriteWatch } from './exchange-job.js';
import {
  type DirectRequestQueue,
  EXCHANGE_LIMITS,
  type ExchangeEvent,
  type ExchangeIo,
  type ExchangeOptions,
  type MatchResult,
  type Request,
  type RequestSink,
  resolveAttempts,
  resolveTimeout,
} from './exchange-types.js';

export {
  type DirectRequestQueue,
  EXCHANGE_LIMITS,
  type ExchangeEvent,
  type ExchangeIo,
  type ExchangeOptions,
  type MatchResult,
  type Request,
  type RequestQueue,
  type RequestSink,
} from './exchange-types.js';

export function createRequestQueue<F>(
  io: ExchangeIo<F>,
  options: ExchangeOptions = {},
): DirectRequestQueue<F> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const defaultTimeout = resolveTimeout('timeoutMs', options.timeoutMs, EXCHANGE_LIMITS.timeoutMs.default);
  const defaultAttempts = resolveAttempts('attempts', options.attempts, EXCHANGE_LIMITS.attempts.default);

  // Events are built only while somebody listens (statistics, traces).
  const events = new Subject<ExchangeEvent>();
  /** Requests waiting for their turn, in order. */
  const queued: Job<F>[] = [];
  /** The request on the wire. Cleared only after busy$ was updated, so nothing starts inside that emission. */
  let current: Job<F> | undefined;
  let inFlight = false;
  /** Set once the queue can take no more work; sends error with this. */
  let endedWith: (() => unknown) | undefined;

  // busy$ replays its latest value, but a change costs nothing while nobody
  // listens (a poller reads `state` instead).
  const busy = new BusyState(() => inFlight || queued.length > 0);
  const ended = new Subject<never>();

  const asTransportError = (label: string, e: unknown): TransportError =>
    e instanceof TransportError
      ? e
      : new TransportError(
          `Writing ${label} failed: ${e instanceof Error ? e.message : String(e)}`,
          { command: label },
          {
            cause: e,
          },
        );

  /** Stop the current attempt: no more frames, no write. (The deadline check finds nothing to do.) */
  const endAttempt = (job: Job<F>): void => {
    job.listening = false;
    const { writing } = job;
    job.writing = undefined;
    writing?.unsubscribe();
  };

  /** Bookkeeping after the request ended; starts the next one. */
  const finish = (job: Job<F>): void => {
    job.state = 'done';
    inFlight = false;
    busy.update();
    if (current === job) current = undefined;
    pump();
  };

  const fail = (job: Job<F>, e: unknown): void => {
    job.state = 'settling';
    job.subscriber.error(e);
    finish(job);
  };

  /** Deliver first, then go idle: a caller sending its next command from the callback gets queued before busy$ turns false. */
  const deliver = (job: Job<F>, value: unknown): void => {
    job.subscriber.next(value);
    if (job.state !== 'running') return; // the subscriber let go while taking the value
    job.state = 'settling';
    job.subscriber.complete();
    finish(job);
  };

  const giveUp = (job: Job<F>, reason: string): void => {
    const { label } = job.request;
    const elapsedMs = scheduler.now() - job.startedAt;
    if (events.observed) {
      events.next({
        type: 'give-up',
        time: scheduler.now(),
        label,
        attempts: job.attempts,
        elapsedMs,
        reason,
      });
    }
    fail(job, new CommandTimeoutError(label, job.attempts, elapsedMs, { lastReason: reason }));
  };

  /** The attempt ended without an answer (timeout, or a 'retry' verdict): resend, or give up. */
  const attemptEnded = (job: Job<F>, reason: string): void => {
    if (job.attempt >= job.attempts) giveUp(job, reason);
    else if (job.inWrite) job.resendFor = reason;
    else attempt(job);
  };

  const writeEnded: WriteEnded<F> = (job, n, failed, error) => {
    if (job.state !== 'running' || job.attempt !== n) return;
    const replyExpected = job.request.expectReply !== false;
    if (replyExpected && !job.listening) return;
    if (failed) {
      endAttempt(job);
      fail(job, asTransportError(job.request.label, error));
    } else if (!replyExpected) {
      job.writing = undefined;
      job.state = 'settling';
      job.subscriber.complete();
      finish(job);
    }
  };

  // Reply deadlines share one scheduled check (see exchange-clock.ts): it
  // re-arms itself when it comes early, and it is cancelled by dispose.
  const clock = new DeadlineClock(scheduler, checkDeadline);

  function checkDeadline(): void {
    const job = current;
    if (job === undefined || job.state !== 'running' || !job.listening) return;
    if (scheduler.now() < job.deadline) {
      clock.arm(job.deadline);
      return;
    }
    endAttempt(job);
    if (events.observed) {
      events.next({
        type: 'timeout',
        time: scheduler.now(),
        label: job.request.label,
        attempt: job.attempt,
        timeoutMs: job.timeoutMs,
      });
    }
    attemptEnded(job, 'timeout');
  }

  /** Write the request's bytes and, when a reply is expected, wait for it until the deadline. */
  function attempt(job: Job<F>): void {
    const n = ++job.attempt;
    const expectReply = job.request.expectReply !== false;
    if (events.observed) {
      events.next({
        type: 'attempt',
        time: scheduler.now(),
        label: job.request.label,
        attempt: n,
        bytes: job.bytes,
      });
    }
    // Listen before writing: an in-memory device may answer synchronously.
    job.listening = expectReply;
    io.beforeWrite?.(job.request, job.bytes);
    const watch = new WriteWatch(job, n, writeEnded);
    const write$ = job.write$ ?? io.write(job.bytes);
    job.write$ = write$;
    // A device that answers inside the write (in-memory line) may ask for a
    // resend there: it goes out once this write call has returned, never nested in it.
    let sub: Subscription;
    job.inWrite = true;
    try {
      sub = write$.subscribe(watch);
    } catch (e) {
      job.inWrite = false;
      writeEnded(job, n, true, e);
      return;
    } finally {
      job.inWrite = false;
    }
    const resendFor = job.resendFor;
    if (resendFor !== undefined) {
      job.resendFor = undefined;
      sub.unsubscribe();
      if (job.state === 'running') attemptEnded(job, resendFor);
      return;
    }
    if (job.state !== 'running' || (expectReply && !job.listening)) {
      // Answered or failed while writing.
      sub.unsubscribe();
      return;
    }
    // A write that is already over (most are, on a fast line) has nothing to unsubscribe later.
    if (!sub.closed) job.writing = sub;
    if (expectReply) {
      job.deadline = scheduler.now() + job.timeoutMs;
      clock.arm(job.deadline);
    }
  }

  function pump(): void {
    if (current !== undefined || endedWith !== undefined) return;
    const job = queued.shift();
    if (job === undefined) return;
    current = job;
    job.state = 'running';
    inFlight = true;
    job.startedAt = scheduler.now();
    attempt(job);
  }

  const onFrame = (frame: F): void => {
    const job = current;
    if (job === undefined || !job.listening) {
      io.unsolicited?.(frame);
      if (events.observed) events.next({ type: 'unsolicited', time: scheduler.now(), frame });
      return;
    }
    const { label } = job.request;
    let result: MatchResult<unknown>;
    try {
      result = job.request.match(frame);
    } catch (e) {
      endAttempt(job);
      fail(job, e);
      return;
    }
    const n = job.attempt;
    switch (result.kind) {
      case 'ignore':
        if (events.observed) events.next({ type: 'ignored', time: scheduler.now(), label, attempt: n });
        return;
      case 'accept':
        if (events.observed) {
          const now = scheduler.now();
          events.next({ type: 'reply', time: now, label, attempt: n, elapsedMs: now - job.startedAt });
        }
        endAttempt(job);
        deliver(job, result.value);
        return;
      case 'retry':
        if (events.observed) {
          events.next({ type: 'retry', time: scheduler.now(), label, attempt: n, reason: result.reason });
        }
        endAttempt(job);
        attemptEnded(job, result.reason);
        return;
      case 'fail':
        if (events.observed) {
          events.next({ type: 'fail', time: scheduler.now(), label, attempt: n, error: result.error });
        }
        endAttempt(job);
        fail(job, result.error);
        return;
    }
  };

  function shutDown(reason: () => unknown): void {
    if (endedWith) return;
    endedWith = reason;
    framesSub.unsubscribe();
    clock.cancel();
    const jobs = current === undefined ? queued.splice(0) : [current, ...queued.splice(0)];
    current = undefined;
    for (const job of jobs) {
      endAttempt(job);
      job.state = 'done';
      job.subscriber.error(reason());
    }
    inFlight = false;
    busy.end();
    ended.complete();
    events.complete();
  }

  // frames$ may end synchronously on subscribe (a closed transport): shutDown copes.
  const framesSub = new Subscription();
  framesSub.add(
    io.frames$.subscribe({
      next: onFrame,
      error: (e: unknown) => shutDown(() => e),
      complete: () =>
        shutDown(() => new TransportError('The transport closed; the request queue cannot send any more.')),
    }),
  );

  const noop = (): void => undefined;

  const start = <R>(request: Request<F, R>, sink: RequestSink<R>): (() => void) => {
    if (endedWith) {
      sink.error(endedWith());
      return noop;
    }
    let timeoutMs: number;
    let attempts: number;
    try {
      timeoutMs =
        request.timeoutMs === undefined
          ? defaultTimeout
          : resolveTimeout(`${request.label}.timeoutMs`, request.timeoutMs, defaultTimeout);
      attempts =
        request.attempts === undefined
          ? defaultAttempts
          : resolveAttempts(`${request.label}.attempts`, request.attempts, defaultAttempts);
    } catch (e) {
      sink.error(e);
      return noop;
    }
    const bytes = request.bytesFinal === true ? request.bytes : request.bytes.slice();
    const job = new Job<F>(request, bytes, timeoutMs, attempts, sink);
    queued.push(job);
    busy.update();
    pump();
    return () => {
      if (job.state === 'waiting') {
        const i = queued.indexOf(job);
        if (i >= 0) queued.splice(i, 1);
        job.state = 'done';
        busy.update();
      } else if (job.state === 'running') {
        endAttempt(job);
        if (events.observed) events.next({ type: 'abandoned', time: scheduler.now(), label: request.label });
        finish(job);
      }
    };
  };

  return {
    send: (request) => new Observable((subscriber) => start(request, subscriber)),
    start,
    busy$: busy.busy$,
    get state() {
      return busy.ended ? 'ended' : busy.now ? 'busy' : 'idle';
    },
    ended$: ended.asObservable(),
    get pending() {
      return queued.length;
    },
    events$: events.asObservable(),
    dispose: () => shutDown(() => new DisposedError('Request queue')),
  };
}
