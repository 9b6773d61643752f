/**
 * A Transport that plays the device side of a recorded trace.
 *
 * The records are walked in order. Every write of the driver must equal the
 * next `tx` record; the `rx` records that follow it (up to the next `tx`) are
 * then delivered on `data$`, each after the delay it had from its `tx` in the
 * recording (or at once with `timing: 'immediate'`). Leading `rx` records
 * (before the first `tx`) play when `data$` is first subscribed. Time comes
 * from the scheduler, so a replay runs in virtual time under a TestScheduler.
 *
 * Strict mode (the default) stops at the first divergence: the write errors
 * with {@link TraceMismatchError}, `data$` errors with a TransportError caused
 * by it, and `finished()` / `assertConsumed()` report it. Non-strict mode
 * skips ahead to a later `tx` record equal to the write, and leaves a write
 * the trace never recorded unanswered (the driver sees a timeout).
 */
import {
  BehaviorSubject,
  Observable,
  type SchedulerLike,
  Subject,
  Subscription,
  asyncScheduler,
  defer,
  filter,
  of,
  take,
  throwError,
} from 'rxjs';
import { fromHex, toHex } from '../../core/bytes.js';
import { TransportError } from '../../core/errors.js';
import type { FrameTrace } from '../../operators/trace.js';
import type { Transport } from '../../transport/transport.js';
import { TraceMismatchError, TraceUnconsumedError } from './errors.js';

export interface ReplayOptions {
  /** Default `asyncScheduler`; pass the TestScheduler in tests. */
  readonly scheduler?: SchedulerLike;
  /** Default true: the first write the trace did not expect ends the replay. */
  readonly strict?: boolean;
  /** 'recorded' (default) keeps each reply's delay after its request; 'immediate' delivers replies at once. */
  readonly timing?: 'recorded' | 'immediate';
  /** Send every write back on `data$` first, as a one-wire ccTalk bus does. Default false. */
  readonly echo?: boolean;
  readonly description?: string;
}

export interface ReplayTransport extends Transport {
  /** Records consumed so far (written or delivered, or skipped in non-strict mode). */
  readonly consumed: number;
  /** Records not consumed yet, including replies scheduled but not delivered. */
  readonly remaining: number;
  /** Writes that matched no record (non-strict mode only), as hex. */
  readonly unexpectedWrites: readonly string[];
  /** The divergence that ended a strict replay, if any. */
  readonly failure: TraceMismatchError | undefined;
  /**
   * Completes once every record is consumed. Errors with the TraceMismatchError of a
   * failed replay, or with TraceUnconsumedError if the transport is closed with records left.
   */
  finished(): Observable<void>;
  /** Throws the replay's TraceMismatchError, or TraceUnconsumedError if records remain. */
  assertConsumed(): void;
}

interface Entry {
  readonly line: number;
  readonly record: FrameTrace;
  readonly bytes: Uint8Array;
}

const lineOf = (record: FrameTrace, index: number): number => {
  const line = (record as { readonly line?: unknown }).line;
  return typeof line === 'number' ? line : index + 1;
};

export function createReplayTransport(
  records: readonly FrameTrace[],
  options: ReplayOptions = {},
): ReplayTransport {
  const scheduler = options.scheduler ?? asyncScheduler;
  const strict = options.strict ?? true;
  const immediate = options.timing === 'immediate';
  const description = options.description ?? `replay:${records.length} records`;
  // Decode every record up front: a bad hex fails here, not midway through a test.
  const entries: Entry[] = records.map((record, i) => ({
    line: lineOf(record, i),
    record,
    bytes: fromHex(record.hex),
  }));

  const data = new Subject<Uint8Array>();
  const deliveries = new Subscription();
  /** Index of the next record not yet written or scheduled. */
  let cursor = 0;
  /** Replies scheduled and not delivered yet, oldest first. */
  let pending: Entry[] = [];
  let started = false;
  let closed = false;
  let failure: TraceMismatchError | undefined;
  let closedEarly: TraceUnconsumedError | undefined;
  const unexpected: string[] = [];
  /** 'running' until every record is consumed or the replay fails. */
  const status = new BehaviorSubject<'running' | 'done' | 'failed'>('running');

  const settle = (): void => {
    if (status.value === 'running' && cursor >= entries.length && pending.length === 0) status.next('done');
  };

  /** Deliver `rx` records from the cursor up to the next `tx`, timed from `origin`. */
  const playReplies = (originTime: number): void => {
    while (cursor < entries.length && entries[cursor]!.record.direction === 'rx') {
      const entry = entries[cursor]!;
      cursor += 1;
      pending.push(entry);
      const delay = immediate ? 0 : Math.max(0, entry.record.time - originTime);
      deliveries.add(
        scheduler.schedule(() => {
          pending = pending.filter((p) => p !== entry);
          if (!closed && failure === undefined) data.next(entry.bytes.slice());
          settle();
        }, delay),
      );
    }
    settle();
  };

  const fail = (error: TraceMismatchError): void => {
    failure = error;
    deliveries.unsubscribe();
    pending = [];
    status.next('failed');
    if (!closed) {
      closed = true;
      data.error(new TransportError(error.message, { ...error.info }, { cause: error }));
    }
  };

  const unconsumed = (): TraceUnconsumedError | undefined => {
    const left = entries.length - cursor + pending.length;
    const first = pending[0] ?? entries[cursor];
    return left > 0 && first
      ? new TraceUnconsumedError(first.line, left, `${first.record.direction} ${first.record.hex}`)
      : undefined;
  };

  const findTx = (hex: string): number => {
    for (let i = cursor; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.record.direction === 'tx' && e.record.hex === hex) return i;
    }
    return -1;
  };

  const onWrite = (written: Uint8Array): Observable<void> => {
    if (failure) return throwError(() => failure);
    if (closed) return throwError(() => new TransportError(`Cannot write to ${description}: it is closed.`));
    const hex = toHex(written);
    const next = entries[cursor];
    const waiting = pending[0];
    if (strict && waiting) {
      // The recording had this reply arrive before the driver wrote again.
      const error = new TraceMismatchError(waiting.line, waiting.record, hex);
      fail(error);
      return throwError(() => error);
    }
    if (next?.record.direction === 'tx' && next.record.hex === hex) {
      cursor += 1;
    } else if (strict) {
      const error = new TraceMismatchError(next?.line ?? (entries.at(-1)?.line ?? 0) + 1, next?.record, hex);
      fail(error);
      return throwError(() => error);
    } else {
      const at = findTx(hex);
      if (at < 0) {
        unexpected.push(hex);
        return of(undefined);
      }
      cursor = at + 1;
    }
    const origin = entries[cursor - 1]!.record.time;
    if (options.echo) data.next(written.slice());
    playReplies(origin);
    return of(undefined);
  };

  const data$ = new Observable<Uint8Array>((subscriber) => {
    const sub = data.subscribe(subscriber);
    if (!started) {
      started = true;
      // Replies recorded before the first request (a device talking first).
      playReplies(entries[0]?.record.time ?? 0);
    }
    return sub;
  });

  return {
    description,
    data$,
    write: (bytes) => defer(() => onWrite(bytes)),
    close: () =>
      defer(() => {
        if (!closed) {
          closed = true;
          deliveries.unsubscribe();
          // Closed with records left: the driver stopped before the recording did.
          if (status.value === 'running') {
            closedEarly = unconsumed();
            status.next('failed');
          }
          data.complete();
        }
        return of(undefined);
      }),
    get consumed() {
      return cursor - pending.length;
    },
    get remaining() {
      return entries.length - cursor + pending.length;
    },
    get unexpectedWrites() {
      return unexpected;
    },
    get failure() {
      return failure;
    },
    finished: () =>
      new Observable<void>((subscriber) =>
        status
          .pipe(
            filter((s) => s !== 'running'),
            take(1),
          )
          .subscribe((s) => {
            if (s === 'failed') subscriber.error(failure ?? closedEarly);
            else {
              subscriber.next();
              subscriber.complete();
            }
          }),
      ),
    assertConsumed: () => {
      if (failure) throw failure;
      const error = unconsumed();
      if (error) throw error;
    },
  };
}
