/**
 * Background polling that never gets in the way of user commands.
 *
 * Cash devices report credits, rejects and faults only when polled, so a
 * device layer polls continuously. A naive interval would stack polls up
 * in the request queue while a slow user command runs; instead each poll is
 * only started when the queue is idle, and the pause is measured from the
 * end of the previous poll.
 */
import { Observable, type SchedulerLike, type Subscription, asyncScheduler } from 'rxjs';
import { OptionRangeError } from '../core/errors.js';
import type { RequestQueue } from './exchange.js';

export interface PollerOptions {
  /** Pause between the end of one poll and the start of the next, ms. Range 0..600000. */
  readonly intervalMs: number;
  /** Begin with a pause instead of a poll (the caller has just polled). Default false. */
  readonly pauseFirst?: boolean;
  readonly scheduler?: SchedulerLike;
}

export const POLLER_LIMITS = { intervalMs: { min: 0, max: 600_000 } } as const;

/** Where one poll reports: its values, then its end (complete, or error). */
export interface PollSink<T> {
  next(value: T): void;
  error(e: unknown): void;
  complete(): void;
}

/**
 * Start one poll now, reporting to `sink`; returns what abandons it. It must
 * make no call on `sink` once abandoned, and must end (complete or error).
 */
export type PollStarter<T> = (sink: PollSink<T>) => () => void;

/**
 * Repeatedly runs `poll()` and emits every value it produces.
 *
 * Cadence, precisely:
 * 1. On subscribe, the first poll starts as soon as the queue is idle
 *    (immediately if it already is). Idle is read from `queue.state` when the
 *    queue has one, else from `queue.busy$`. With `pauseFirst`, a pause of
 *    `intervalMs` comes before it.
 * 2. When a poll finishes (completes, or errors), a pause of `intervalMs` starts.
 * 3. When the pause is over, the next poll starts at the first moment the queue
 *    is idle: if a user command is in flight or waiting, the poll waits for it, so
 *    at most one poll is ever queued and never ahead of a user command sent
 *    during the pause.
 *
 * `poll()` is called afresh for every cycle and must complete (the request
 * queue's timeouts guarantee that for queued requests). A poll error is not
 * fatal: it goes to `onError` and the cadence continues. Polling stops on
 * unsubscribe (the poll in flight is then unsubscribed, i.e. abandoned), and
 * completes at the next due moment once the queue has ended (`busy$` completed,
 * `state` 'ended': the queue was disposed or lost its line).
 *
 * @throws OptionRangeError when `intervalMs` is out of range.
 */
export function pollWhileIdle<T>(
  queue: Pick<RequestQueue<unknown>, 'busy$' | 'state'>,
  poll: () => Observable<T>,
  options: PollerOptions & { onError?: (e: unknown) => void },
): Observable<T> {
  return pollLoop(queue, poll, undefined, options);
}

/**
 * {@link pollWhileIdle} for a poll that is started by a call instead of an
 * Observable: same cadence, same rules. A device polled a few times a second
 * runs this path cold every time, and a subscription per poll is one more
 * layer it pays for (see exchange.ts).
 */
export function startPollsWhileIdle<T>(
  queue: Pick<RequestQueue<unknown>, 'busy$' | 'state'>,
  startPoll: PollStarter<T>,
  options: PollerOptions & { onError?: (e: unknown) => void },
): Observable<T> {
  return pollLoop(queue, undefined, startPoll, options);
}

/** The poll loop behind both entry points: exactly one of `poll` and `startPoll` is given. */
function pollLoop<T>(
  queue: Pick<RequestQueue<unknown>, 'busy$' | 'state'>,
  poll: (() => Observable<T>) | undefined,
  startPoll: PollStarter<T> | undefined,
  options: PollerOptions & { onError?: (e: unknown) => void },
): Observable<T> {
  const { intervalMs, onError } = options;
  const { min, max } = POLLER_LIMITS.intervalMs;
  if (
    typeof intervalMs !== 'number' ||
    !Number.isFinite(intervalMs) ||
    intervalMs < min ||
    intervalMs > max
  ) {
    throw new OptionRangeError('intervalMs', intervalMs, min, max, 'ms');
  }
  const scheduler = options.scheduler ?? asyncScheduler;
  const pauseFirst = options.pauseFirst === true;

  // Per cycle: one timer for the pause, and a look at the queue's `state`
  // when it has one. busy$ is listened to only while a due poll waits for a
  // busy queue (and briefly at each due moment, for a queue without `state`),
  // so an idle device's cycle builds no operator chain and takes no busy$
  // emission (see exchange.ts).
  return new Observable<T>((subscriber) => {
    let stopped = false;
    /** A poll should start at the first moment the queue is idle. */
    let due = !pauseFirst;
    /** A poll was started and has not ended yet. */
    let running = false;
    let polling: Subscription | undefined;
    let abandon: (() => void) | undefined;
    let pause: Subscription | undefined;
    let waiting: Subscription | undefined;

    const pollEnded = (): void => {
      running = false;
      polling = undefined;
      abandon = undefined;
      if (!stopped) pause = scheduler.schedule(pauseOver, intervalMs);
    };
    const observer: PollSink<T> = {
      next: (value: T) => subscriber.next(value),
      error: (e: unknown) => {
        onError?.(e);
        pollEnded();
      },
      complete: pollEnded,
    };
    const start = (): void => {
      due = false;
      running = true;
      if (startPoll !== undefined) {
        let cancel: () => void;
        try {
          cancel = startPoll(observer);
        } catch (e) {
          observer.error(e);
          return;
        }
        if (running) abandon = cancel;
        return;
      }
      let source: Observable<T>;
      try {
        source = poll!();
      } catch (e) {
        observer.error(e);
        return;
      }
      const sub = source.subscribe(observer);
      if (!sub.closed) polling = sub;
    };
    /** Wait on busy$ until the queue is idle (or ends). */
    const wait = (): void => {
      let idleNow = false;
      const sub = queue.busy$.subscribe({
        next: (busy) => {
          if (busy || !due || stopped) return;
          // The last 'idle' of a queue that is going away: no poll on it.
          if (queue.state === 'ended') return;
          if (waiting === undefined) {
            idleNow = true; // replayed during subscribe: start once it returned
            return;
          }
          waiting.unsubscribe();
          waiting = undefined;
          start();
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => {
          waiting = undefined;
          if (due && !stopped) subscriber.complete();
        },
      });
      if (idleNow) {
        sub.unsubscribe();
        start();
      } else if (!sub.closed) waiting = sub;
    };
    /** The pause is over (or, at subscribe, there is none): poll at the first idle moment. */
    function pauseOver(): void {
      pause = undefined;
      due = true;
      if (stopped) return;
      const state = queue.state;
      if (state === 'idle') start();
      else if (state === 'ended') subscriber.complete();
      else wait();
    }

    if (pauseFirst) pause = scheduler.schedule(pauseOver, intervalMs);
    else pauseOver();
    return () => {
      stopped = true;
      polling?.unsubscribe();
      abandon?.();
      pause?.unsubscribe();
      waiting?.unsubscribe();
    };
  });
}
