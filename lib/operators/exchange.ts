/**
 * Protocol-agnostic request/response pipeline.
 *
 * Every byte a device driver sends goes through one {@link RequestQueue}:
 * requests are serialized through a `concatMap` over a Subject of jobs, so
 * exactly one request is on the wire at a time. Each attempt writes the
 * request's bytes verbatim, then waits for a frame that the request's `match`
 * function accepts; a timeout or a `retry` verdict resends the very same bytes
 * (link layers with sequence bits depend on a resend being byte-identical).
 *
 * Time comes only from the scheduler, so every timing rule is marble-testable.
 */
import {
  BehaviorSubject,
  Observable,
  type SchedulerLike,
  Subject,
  Subscription,
  asyncScheduler,
  concatMap,
  defer,
  distinctUntilChanged,
  filter,
  ignoreElements,
  map,
  merge,
  mergeMap,
  of,
  retry,
  take,
  throwError,
  timeout,
  catchError,
} from 'rxjs';
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
  /** Number of requests waiting (not counting the one in flight). */
  readonly pending: number;
  /** Attempts, retries, timeouts, give-ups, abandoned requests and unsolicited frames. */
  readonly events$: Observable<ExchangeEvent>;
  /** Errors every waiting/in-flight request with DisposedError and stops. Idempotent. */
  dispose(): void;
}

export interface ExchangeIo<F> {
  write(bytes: Uint8Array): Observable<void>;
  /** Decoded frames from the device. Subscribed once, when the queue is created. */
  readonly frames$: Observable<F>;
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

/** A match result that ends the wait. */
type Verdict<R> = Exclude<MatchResult<R>, { readonly kind: 'ignore' }>;

/** Internal signals that end one attempt and ask for the next. Never leave this module. */
class AttemptEnded {
  readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}

/** `settling`: the result is being delivered; the subscriber's teardown must not count it as abandoned. */
type JobState = 'waiting' | 'running' | 'settling' | 'done';

interface Job {
  state: JobState;
  readonly label: string;
  /** Executed by the concatMap; completes when the request ends (any way). */
  readonly run: Observable<never>;
  /** Ends the request from outside (dispose, transport loss). */
  readonly kill: (error: unknown) => void;
}

export function createRequestQueue<F>(io: ExchangeIo<F>, options: ExchangeOptions = {}): RequestQueue<F> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const defaultTimeout = resolveTimeout('timeoutMs', options.timeoutMs, EXCHANGE_LIMITS.timeoutMs.default);
  const defaultAttempts = resolveAttempts('attempts', options.attempts, EXCHANGE_LIMITS.attempts.default);

  const events = new Subject<ExchangeEvent>();
  const jobs = new Subject<Job>();
  const live = new Set<Job>();
  const rx = new Subject<F>();
  let waiting = 0;
  let inFlight = false;
  /** Set once the queue can take no more work; sends error with this. */
  let endedWith: (() => unknown) | undefined;

  // busy$ emissions are trampolined: a subscriber reacting to `false` by sending a
  // request must not let other subscribers see `false` after `true`.
  const busy = new BehaviorSubject<boolean>(false);
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
        const now = inFlight || waiting > 0;
        if (now !== busy.value) busy.next(now);
      } while (dirty);
    } finally {
      emitting = false;
    }
  };

  const emit = (event: ExchangeEvent): void => events.next(event);

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

  /** The attempts of one request, from first write to accepted value or error. */
  const exchange = <R>(
    request: Request<F, R>,
    bytes: Uint8Array,
    timeoutMs: number,
    attempts: number,
  ): Observable<R> =>
    defer(() => {
      const { label } = request;
      const startedAt = scheduler.now();
      let attempt = 0;
      const write$ = io.write(bytes).pipe(
        ignoreElements(),
        catchError((e: unknown) => throwError(() => asTransportError(label, e))),
      );

      if (request.expectReply === false) {
        return defer(() => {
          attempt = 1;
          emit({ type: 'attempt', time: scheduler.now(), label, attempt, bytes });
          return write$;
        });
      }

      const once$ = defer(() => {
        attempt += 1;
        const n = attempt;
        emit({ type: 'attempt', time: scheduler.now(), label, attempt: n, bytes });
        const reply$ = rx.pipe(
          map((frame) => request.match(frame)),
          filter((result): result is Verdict<R> => {
            if (result.kind !== 'ignore') return true;
            emit({ type: 'ignored', time: scheduler.now(), label, attempt: n });
            return false;
          }),
          take(1),
          mergeMap((result): Observable<R> => {
            switch (result.kind) {
              case 'accept':
                emit({
                  type: 'reply',
                  time: scheduler.now(),
                  label,
                  attempt: n,
                  elapsedMs: scheduler.now() - startedAt,
                });
                return of(result.value);
              case 'retry':
                emit({ type: 'retry', time: scheduler.now(), label, attempt: n, reason: result.reason });
                return throwError(() => new AttemptEnded(result.reason));
              case 'fail':
                emit({ type: 'fail', time: scheduler.now(), label, attempt: n, error: result.error });
                return throwError(() => result.error);
            }
          }),
        );
        // Listen before writing: an in-memory device may answer synchronously.
        return merge(reply$, write$).pipe(
          take(1),
          timeout({
            first: timeoutMs,
            scheduler,
            with: () => {
              emit({ type: 'timeout', time: scheduler.now(), label, attempt: n, timeoutMs });
              return throwError(() => new AttemptEnded('timeout'));
            },
          }),
        );
      });

      return once$.pipe(
        retry({
          count: attempts - 1,
          delay: (e: unknown) => (e instanceof AttemptEnded ? of(true) : throwError(() => e)),
        }),
        catchError((e: unknown) => {
          if (!(e instanceof AttemptEnded)) return throwError(() => e);
          const elapsedMs = scheduler.now() - startedAt;
          emit({ type: 'give-up', time: scheduler.now(), label, attempts, elapsedMs, reason: e.reason });
          return throwError(
            () => new CommandTimeoutError(label, attempts, elapsedMs, { lastReason: e.reason }),
          );
        }),
      );
    });

  const pipelineSub = jobs.pipe(concatMap((job) => job.run)).subscribe();

  function shutDown(reason: () => unknown): void {
    if (endedWith) return;
    endedWith = reason;
    pipelineSub.unsubscribe();
    framesSub.unsubscribe();
    for (const job of [...live]) job.kill(reason());
    live.clear();
    waiting = 0;
    inFlight = false;
    updateBusy();
    busy.complete();
    events.complete();
    jobs.complete();
  }

  // frames$ may end synchronously on subscribe (a closed transport): shutDown copes.
  const framesSub = new Subscription();
  framesSub.add(
    io.frames$.subscribe({
      next: (frame) => {
        if (rx.observed) rx.next(frame);
        else emit({ type: 'unsolicited', time: scheduler.now(), frame });
      },
      error: (e: unknown) => shutDown(() => e),
      complete: () =>
        shutDown(() => new TransportError('The transport closed; the request queue cannot send any more.')),
    }),
  );

  const send = <R>(request: Request<F, R>): Observable<R> =>
    new Observable<R>((subscriber) => {
      if (endedWith) {
        subscriber.error(endedWith());
        return undefined;
      }
      let timeoutMs: number;
      let attempts: number;
      try {
        timeoutMs = resolveTimeout(`${request.label}.timeoutMs`, request.timeoutMs, defaultTimeout);
        attempts = resolveAttempts(`${request.label}.attempts`, request.attempts, defaultAttempts);
      } catch (e) {
        subscriber.error(e);
        return undefined;
      }
      // Snapshot: a caller reusing its buffer must not change what a resend writes.
      const bytes = request.bytes.slice();
      let running: Subscription | undefined;
      let endRun: (() => void) | undefined;

      /** Bookkeeping after the request ended; lets the concatMap start the next job. */
      const finish = (): void => {
        live.delete(job);
        job.state = 'done';
        inFlight = false;
        updateBusy();
        const end = endRun;
        endRun = undefined;
        end?.();
      };

      const job: Job = {
        state: 'waiting',
        label: request.label,
        run: new Observable<never>((runner) => {
          if (job.state !== 'waiting') {
            runner.complete(); // removed while waiting, or killed
            return undefined;
          }
          job.state = 'running';
          waiting -= 1;
          inFlight = true;
          endRun = () => runner.complete();
          running = exchange(request, bytes, timeoutMs, attempts).subscribe({
            next: (value) => subscriber.next(value),
            // Deliver first, then go idle: a caller sending its next command from the
            // callback gets queued before busy$ turns false and a poll slips in.
            error: (e: unknown) => {
              job.state = 'settling';
              subscriber.error(e);
              finish();
            },
            complete: () => {
              job.state = 'settling';
              subscriber.complete();
              finish();
            },
          });
          return () => running?.unsubscribe();
        }),
        kill: (error) => {
          running?.unsubscribe();
          job.state = 'done';
          subscriber.error(error);
        },
      };

      live.add(job);
      waiting += 1;
      updateBusy();
      jobs.next(job);

      return () => {
        if (job.state === 'waiting') {
          live.delete(job);
          job.state = 'done';
          waiting -= 1;
          updateBusy();
        } else if (job.state === 'running') {
          running?.unsubscribe();
          emit({ type: 'abandoned', time: scheduler.now(), label: request.label });
          finish();
        }
      };
    });

  return {
    send,
    busy$: busy.pipe(distinctUntilChanged()),
    get pending() {
      return waiting;
    },
    events$: events.asObservable(),
    dispose: () => shutDown(() => new DisposedError('Request queue')),
  };
}
