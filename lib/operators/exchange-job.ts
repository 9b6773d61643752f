/**
 * The request queue's per-request record and the observer of one attempt's
 * write. Plain data and callbacks: the queue in exchange.ts drives them.
 */
import type { Observable, Subscription } from 'rxjs';
import type { Request, RequestSink } from './exchange-types.js';

/** `settling`: the result is being delivered; the subscriber's teardown must not count it as abandoned. */
export type JobState = 'waiting' | 'running' | 'settling' | 'done';

/**
 * One request from subscribe to result. A plain record driven by the queue's
 * functions: a poll goes through this path several times a second for the
 * life of a device, so it allocates one of these per request and no operator
 * chain (a cold process pays for every distinct layer it runs through).
 */
export class Job<F> {
  // Fields are `declare`d and set in the constructor: building a Job then
  // runs no separate field initializer.
  declare state: JobState;
  /** Attempts written so far; the current attempt's number. */
  declare attempt: number;
  declare startedAt: number;
  /** The current attempt waits for its reply (frames go to `match`). */
  declare listening: boolean;
  /** Inside the write's subscribe call: a resend asked for now waits until the call returns. */
  declare inWrite: boolean;
  /** Why the attempt ended while its write was being subscribed (resend due when it returns). */
  declare resendFor: string | undefined;
  /** Scheduler time at which the current attempt times out. */
  declare deadline: number;
  declare writing: Subscription | undefined;
  declare write$: Observable<void> | undefined;
  declare readonly request: Request<F, unknown>;
  /** Snapshot: a caller reusing its buffer must not change what a resend writes. */
  declare readonly bytes: Uint8Array;
  declare readonly timeoutMs: number;
  declare readonly attempts: number;
  /** Where the outcome goes: the subscriber of `send`, or the sink given to `start`. */
  declare readonly subscriber: RequestSink<unknown>;
  constructor(
    request: Request<F, unknown>,
    bytes: Uint8Array,
    timeoutMs: number,
    attempts: number,
    subscriber: RequestSink<unknown>,
  ) {
    this.state = 'waiting';
    this.attempt = 0;
    this.startedAt = 0;
    this.listening = false;
    this.inWrite = false;
    this.resendFor = undefined;
    this.deadline = Number.POSITIVE_INFINITY;
    this.writing = undefined;
    this.write$ = undefined;
    this.request = request;
    this.bytes = bytes;
    this.timeoutMs = timeoutMs;
    this.attempts = attempts;
    this.subscriber = subscriber;
  }
}

/** Called when attempt `n`'s write failed (with its error), or completed for a request that expects no reply. */
export type WriteEnded<F> = (job: Job<F>, n: number, failed: boolean, error: unknown) => void;

/** Observer of one attempt's write; ignores anything once that attempt is over. */
export class WriteWatch<F> {
  declare readonly job: Job<F>;
  declare readonly n: number;
  declare readonly settle: WriteEnded<F>;
  constructor(job: Job<F>, n: number, settle: WriteEnded<F>) {
    this.job = job;
    this.n = n;
    this.settle = settle;
  }
  next(): void {
    // A write's values mean nothing; only its end does.
  }
  error(e: unknown): void {
    this.settle(this.job, this.n, true, e);
  }
  complete(): void {
    // The end of a write only matters to a request that expects no reply
    // (it completes then); skipping the call keeps a poll's path short.
    if (this.job.request.expectReply === false) this.settle(this.job, this.n, false, undefined);
  }
}
