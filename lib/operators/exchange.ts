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
 */
import { Observable, type SchedulerLike, Subject, Subscription, asyncScheduler } from 'rxjs';
import {
  type CashwireError,
  CommandTimeoutError,
  DisposedError,
  OptionRangeError,
  TransportError,
} from '../core/errors.js';

export interface ExchangeOptions {
  /** Reply timeout per attempt, ms. Range 10..60000. Default 1000. */
  readonly timeoutMs?: number;
  /** Total attempts (first send + resends). Range 1..100. Default 3. */
  readonly attempts?: number;
  readonly scheduler?: SchedulerLike;
}

export type MatchResult<R> =
  /** This frame answers the request. */
  | { readonly kind: 'accept'; readonly value: R }
  /** Not for us (stale, foreign, echo): keep waiting, same deadline. */
  | { readonly kind: 'ignore' }
  /** Bad reply (NAK, wrong sequence): resend identical bytes now; counts as an attempt. */
  | { readonly kind: 'retry'; readonly reason: string }
  /** Definitive failure: error the request, no resend. */
  | { readonly kind: 'fail'; readonly error: CashwireError };

export interface Request<F, R> {
  /** Command name, used in errors and traces. */
  readonly label: string;
  /** Written verbatim on every attempt (never re-encoded). Copied when the request starts. */
  readonly bytes: Uint8Array;
  readonly match: (frame: F) => MatchResult<R>;
  /** Per-request override of {@link ExchangeOptions.timeoutMs} (same range). */
  readonly timeoutMs?: number;
  /** Per-request override of {@link ExchangeOptions.attempts} (same range). */
  readonly attempts?: number;
  /** Default true. When false the request completes, without a value, once the bytes are written. */
  readonly expectReply?: boolean;
}

/** What the queue did, for traces and statistics. `time` is `scheduler.now()`. */
export type ExchangeEvent =
  | {
      readonly type: 'attempt';
      readonly time: number;
      readonly label: string;
      readonly attempt: number;
      /** The bytes written (the same on every attempt of a request). */
      readonly bytes: Uint8Array;
    }
  | {
      readonly type: 'reply';
      readonly time: number;
      readonly label: string;
      readonly attempt: number;
      readonly elapsedMs: number;
    }
  | { readonly type: 'ignored'; readonly time: number; readonly label: string; readonly attempt: number }
  | {
      readonly type: 'retry';
      readonly time: number;
      readonly label: string;
      readonly attempt: number;
      readonly reason: string;
    }
  | {
      readonly type: 'timeout';
      readonly time: number;
      readonly label: string;
      readonly attempt: number;
      readonly timeoutMs: number;
    }
  | {
      readonly type: 'fail';
      readonly time: number;
      readonly label: string;
      readonly attempt: number;
      readonly error: unknown;
    }
  | {
      readonly type: 'give-up';
      readonly time: number;
      readonly label: string;
      readonly attempts: number;
      readonly elapsedMs: number;
      readonly reason: string;
    }
  | { readonly type: 'abandoned'; readonly time: number; readonly label: string }
  | { readonly type: 'unsolicited'; readonly time: number; readonly frame: unknown };

export interface RequestQueue<F> {
  /**
   * Cold: enqueued on subscribe; emits the matched value once and completes, or errors.
   * Unsubscribing before it runs removes it from the queue; unsubscribing while in flight
   * abandons it (the next request may start).
   */
  send<R>(request: Request<F, R>): Observable<R>;
  /** True while a request is in flight or waiting. Replays the latest value. */
  readonly busy$: Observable<boolean>;
  /**
   * busy$'s latest value without subscribing, 'ended' once it has completed.
   * Optional (a hand-written queue may leave it out): a poller reads it once
   * per cycle instead of listening to every request.
   */
  readonly state?: 'idle' | 'busy' | 'ended';
  /**
   * Completes, without a value, when busy$ does (the queue was disposed or lost
   * its line). Optional; for watchers that only care about the end, so that
   * they do not get called for every request.
   */
  readonly ended$?: Observable<never>;
  /** Number of requests waiting (not counting the one in flight). */
  readonly pending: number;
  /** Attempts, retries, timeouts, give-ups, abandoned requests and unsolicited frames. */
  readonly events$: Observable<ExchangeEvent>;
  /** Errors every waiting/in-flight request with DisposedError and stops. Idempotent. */
  dispose(): void;
}

/** Where a request started with {@link DirectRequestQueue.start} reports: its value, then completion, or an error. */
export interface RequestSink<R> {
  next(value: R): void;
  error(e: unknown): void;
  complete(): void;
}

/**
 * The queue `createRequestQueue` makes: a {@link RequestQueue} that can also
 * start a request without an Observable around it, for a driver layer that
 * already runs inside its own (one layer fewer on every poll).
 */
export interface DirectRequestQueue<F> extends RequestQueue<F> {
  /**
   * `send(request).subscribe(sink)` without the Observable: the request is
   * queued at once; the returned function does what unsubscribing would
   * (removes it while waiting, abandons it in flight).
   */
  start<R>(request: Request<F, R>, sink: RequestSink<R>): () => void;
}

export interface ExchangeIo<F> {
  write(bytes: Uint8Array): Observable<void>;
  /** Decoded frames from the device. Subscribed once, when the queue is created. */
  readonly frames$: Observable<F>;
  /**
   * Called with every frame no request waits for (the same frames as the
   * 'unsolicited' events, which are only built while `events$` is watched).
   */
  readonly unsolicited?: (frame: F) => void;
}

export const EXCHANGE_LIMITS = {
  timeoutMs: { min: 10, max: 60_000, default: 1000 },
  attempts: { min: 1, max: 100, default: 3 },
} as const;

function checkRange(
  option: string,
  value: number,
  limits: { min: number; max: number },
  unit: string,
  integer: boolean,
): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!integer || Number.isInteger(value)) &&
    value >= limits.min &&
    value <= limits.max;
  if (!ok) throw new OptionRangeError(option, value, limits.min, limits.max, unit);
  return value;
}

function resolveTimeout(option: string, value: number | undefined, fallback: number): number {
  return value === undefined ? fallback : checkRange(option, value, EXCHANGE_LIMITS.timeoutMs, 'ms', false);
}

function resolveAttempts(option: string, value: number | undefined, fallback: number): number {
  return value === undefined ? fallback : checkRange(option, value, EXCHANGE_LIMITS.attempts, '', true);
}

/** `settling`: the result is being delivered; the subscriber's teardown must not count it as abandoned. */
type JobState = 'waiting' | 'running' | 'settling' | 'done';

/**
 * One request from subscribe to result. A plain record driven by the queue's
 * functions: a poll goes through this path several times a second for the
 * life of a device, so it allocates one of these per request and no operator
 * chain (a cold process pays for every distinct layer it runs through).
 */
class Job<F> {
  state: JobState = 'waiting';
  /** Attempts written so far; the current attempt's number. */
  attempt = 0;
  startedAt = 0;
  /** The current attempt waits for its reply (frames go to `match`). */
  listening = false;
  /** Inside the write's subscribe call: a resend asked for now waits until the call returns. */
  inWrite = false;
  /** Why the attempt ended while its write was being subscribed (resend due when it returns). */
  resendFor: string | undefined = undefined;
  /** Scheduler time at which the current attempt times out. */
  deadline = Number.POSITIVE_INFINITY;
  writing: Subscription | undefined = undefined;
  write$: Observable<void> | undefined = undefined;
  readonly request: Request<F, unknown>;
  /** Snapshot: a caller reusing its buffer must not change what a resend writes. */
  readonly bytes: Uint8Array;
  readonly timeoutMs: number;
  readonly attempts: number;
  /** Where the outcome goes: the subscriber of `send`, or the sink given to `start`. */
  readonly subscriber: RequestSink<unknown>;
  constructor(
    request: Request<F, unknown>,
    bytes: Uint8Array,
    timeoutMs: number,
    attempts: number,
    subscriber: RequestSink<unknown>,
  ) {
    this.request = request;
    this.bytes = bytes;
    this.timeoutMs = timeoutMs;
    this.attempts = attempts;
    this.subscriber = subscriber;
  }
}

/** Called when attempt `n`'s write ended, with its error when `failed`. */
type WriteEnded<F> = (job: Job<F>, n: number, failed: boolean, error: unknown) => void;

/** Observer of one attempt's write; ignores anything once that attempt is over. */
class WriteWatch<F> {
  readonly #job: Job<F>;
  readonly #n: number;
  readonly #settle: WriteEnded<F>;
  constructor(job: Job<F>, n: number, settle: WriteEnded<F>) {
    this.#job = job;
    this.#n = n;
    this.#settle = settle;
  }
  next(): void {
    // A write's values mean nothing; only its end does.
  }
  error(e: unknown): void {
    this.#settle(this.#job, this.#n, true, e);
  }
  complete(): void {
    this.#settle(this.#job, this.#n, false, undefined);
  }
}

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

  // busy$ replays its latest value like a BehaviorSubject, but a change costs
  // nothing while nobody listens (a poller reads `state` instead).
  let busyNow = false;
  let busyEnded = false;
  const busyChanges = new Subject<boolean>();
  const ended = new Subject<never>();
  const busy$ = new Observable<boolean>((subscriber) => {
    if (busyEnded) {
      subscriber.complete();
      return undefined;
    }
    // Listen first: a subscriber reacting to the replayed value may change it.
    const sub = busyChanges.subscribe(subscriber);
    if (!sub.closed) subscriber.next(busyNow);
    return sub;
  });
  // busy$ emissions are trampolined: a subscriber reacting to `false` by sending a
  // request must not let other subscribers see `false` after `true`.
  let emitting = false;
  let dirty = false;
  const updateBusy = (): void => {
    if (emitting) {
      dirty = true;
      return;
    }
    emitting = true;
    try {
      do {
        dirty = false;
        const now = inFlight || queued.length > 0;
        if (now !== busyNow) {
          busyNow = now;
          if (busyChanges.observed) busyChanges.next(now);
        }
      } while (dirty);
    } finally {
      emitting = false;
    }
  };

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
    updateBusy();
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

  // Reply deadlines share one scheduled check instead of a timer set and
  // cleared per attempt: a poll is answered long before its deadline, and
  // setting and clearing a timer is one of the costliest steps of a poll when
  // the process runs cold. A check that comes early re-arms itself for the
  // rest, so an attempt still times out exactly at its deadline; one that finds
  // nothing waiting just ends (so it outlives the last request by at most one
  // timeout). It is cancelled by dispose.
  let clock: Subscription | undefined;
  let clockDue = 0;
  const armClock = (due: number): void => {
    if (clock !== undefined && clockDue <= due) return;
    clock?.unsubscribe();
    clockDue = due;
    clock = scheduler.schedule(checkDeadline, Math.max(0, due - scheduler.now()));
  };

  function checkDeadline(): void {
    clock = undefined;
    const job = current;
    if (job === undefined || job.state !== 'running' || !job.listening) return;
    if (scheduler.now() < job.deadline) {
      armClock(job.deadline);
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
    const write$ = job.write$ ?? io.write(job.bytes);
    job.write$ = write$;
    // A device that answers inside the write (in-memory line) may ask for a
    // resend there: it goes out once this write call has returned, never nested in it.
    let sub: Subscription;
    job.inWrite = true;
    try {
      sub = write$.subscribe(new WriteWatch(job, n, writeEnded));
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
    job.writing = sub;
    if (expectReply) {
      job.deadline = scheduler.now() + job.timeoutMs;
      armClock(job.deadline);
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
    clock?.unsubscribe();
    clock = undefined;
    const jobs = current === undefined ? queued.splice(0) : [current, ...queued.splice(0)];
    current = undefined;
    for (const job of jobs) {
      endAttempt(job);
      job.state = 'done';
      job.subscriber.error(reason());
    }
    inFlight = false;
    updateBusy();
    busyEnded = true;
    busyChanges.complete();
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
    const job = new Job<F>(request, request.bytes.slice(), timeoutMs, attempts, sink);
    queued.push(job);
    updateBusy();
    pump();
    return () => {
      if (job.state === 'waiting') {
        const i = queued.indexOf(job);
        if (i >= 0) queued.splice(i, 1);
        job.state = 'done';
        updateBusy();
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
    busy$,
    get state() {
      return busyEnded ? 'ended' : busyNow ? 'busy' : 'idle';
    },
    ended$: ended.asObservable(),
    get pending() {
      return queued.length;
    },
    events$: events.asObservable(),
    dispose: () => shutDown(() => new DisposedError('Request queue')),
  };
}
