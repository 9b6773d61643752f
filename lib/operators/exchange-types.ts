/**
 * The request queue's public contract: requests and their match verdicts,
 * the queue and its I/O, the events it reports, and its option limits.
 * The state machine that implements it lives in exchange.ts.
 */
import type { Observable, SchedulerLike } from 'rxjs';
import { type CashwireError, OptionRangeError } from '../core/errors.js';

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
  /** Written verbatim on every attempt (never re-encoded). Copied when the request starts, unless `bytesFinal`. */
  readonly bytes: Uint8Array;
  /**
   * The caller built `bytes` for this request alone and never writes to them
   * again: the queue keeps them instead of a copy. Default false.
   */
  readonly bytesFinal?: boolean;
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
  /** Cold: the queue calls it once per request and subscribes to it on every attempt. */
  write(bytes: Uint8Array): Observable<void>;
  /**
   * Called on every attempt just before its write (before `write` is called
   * on the first attempt), with the request and the bytes going out: a line
   * that traces what it writes describes the frame from the request. Must
   * not throw.
   */
  readonly beforeWrite?: (request: Request<F, unknown>, bytes: Uint8Array) => void;
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

/** An option value checked against {@link EXCHANGE_LIMITS}, or `fallback` when it is not given. */
export function resolveTimeout(option: string, value: number | undefined, fallback: number): number {
  return value === undefined ? fallback : checkRange(option, value, EXCHANGE_LIMITS.timeoutMs, 'ms', false);
}

/** As {@link resolveTimeout}, for an attempt count. */
export function resolveAttempts(option: string, value: number | undefined, fallback: number): number {
  return value === undefined ? fallback : checkRange(option, value, EXCHANGE_LIMITS.attempts, '', true);
}
