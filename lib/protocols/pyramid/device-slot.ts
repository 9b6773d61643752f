/**
 * The device's single message slot: each cycle of the poll loop sends exactly
 * one message, chosen here.
 *
 * 1. A message still unanswered goes out again with the very same bytes (the
 *    ack rule: nothing new until the acceptor answered what it was sent).
 * 2. Otherwise the oldest waiting user command (barcode query, soft reset).
 *    A soft reset goes first, even before an unanswered message: the unit
 *    forgets its ack on reset anyway, and a silent unit is when it is needed.
 * 3. Otherwise a poll.
 *
 * Commands build their bytes when their turn comes, so they always carry the
 * ack bit current at that moment.
 */
import { EMPTY, Observable, catchError, defer, finalize, tap } from 'rxjs';
import { DeviceError, DisposedError } from '../../core/errors.js';
import type { DeviceState } from '../../core/events.js';
import type { PrimaryState, PyramidStatus } from './status.js';

/** A message sent and not yet answered, with what it carried. */
export interface Unanswered {
  readonly label: string;
  readonly bytes: Uint8Array;
  readonly sentMask: number;
  readonly sentGen: number;
}

interface Job {
  readonly preempt: boolean;
  readonly run: () => Observable<unknown>;
  readonly fail: (e: unknown) => void;
}

export interface MessageSlot {
  /** Set when a message expecting a reply goes out; cleared by its fresh reply (or a soft reset). */
  unanswered: Unanswered | undefined;
  /** What the loop sends this cycle. */
  next(resend: (m: Unanswered) => Observable<unknown>, poll: () => Observable<unknown>): Observable<unknown>;
  /** Queue a user command; its values and completion or error go to the caller. Cold. */
  command<T>(build: () => Observable<T>, preempt?: boolean): Observable<T>;
  /**
   * Error the command whose message is on the line now (the line was lost: its
   * outcome is unknown). Waiting commands stay queued for the next line.
   */
  interrupt(reason: unknown): void;
  /** Error the running and every waiting command, and refuse new ones. */
  close(reason: unknown): void;
}

export function createMessageSlot(): MessageSlot {
  const jobs: Job[] = [];
  let running: Job | undefined;
  let closedWith: unknown;
  const slot: MessageSlot = {
    unanswered: undefined,
    next: (resend, poll) => {
      const u = slot.unanswered;
      if (u && !jobs[0]?.preempt) return resend(u);
      const job = jobs.shift();
      return job ? job.run() : poll();
    },
    command: <T>(build: () => Observable<T>, preempt = false) =>
      new Observable<T>((subscriber) => {
        if (closedWith !== undefined) {
          subscriber.error(closedWith);
          return undefined;
        }
        const job: Job = {
          preempt,
          run: () =>
            defer(() => {
              running = job;
              return defer(build).pipe(
                tap({ next: (v) => subscriber.next(v), complete: () => subscriber.complete() }),
                catchError((e: unknown) => {
                  subscriber.error(e);
                  return EMPTY;
                }),
                finalize(() => {
                  if (running === job) running = undefined;
                }),
              );
            }),
          fail: (e) => subscriber.error(e),
        };
        if (preempt) jobs.unshift(job);
        else jobs.push(job);
        return () => {
          const i = jobs.indexOf(job);
          if (i >= 0) jobs.splice(i, 1);
        };
      }),
    interrupt: (reason) => {
      const job = running;
      running = undefined;
      job?.fail(reason);
    },
    close: (reason) => {
      closedWith = reason ?? new DisposedError('Pyramid device');
      slot.interrupt(closedWith);
      for (const job of jobs.splice(0)) job.fail(closedWith);
    },
  };
  return slot;
}

/**
 * Life-cycle state from a fresh reply: a failure bit is an error; no state
 * bit or the power-up flag is connecting (before the unit was first ready) or
 * recovering (after); otherwise enabled or disabled by the mask the poll carried.
 */
export function lifeState(
  primary: PrimaryState,
  s: PyramidStatus,
  sentMask: number,
  wasReady: boolean,
): DeviceState {
  if (s.failure) {
    return {
      status: 'error',
      error: new DeviceError('poll', 'failure', 'The acceptor reports a non-recoverable failure.'),
    };
  }
  if (primary === 'initialising' || s.powerUp) {
    return wasReady
      ? { status: 'recovering', reason: 'acceptor initialising' }
      : { status: 'connecting', attempt: 1 };
  }
  return { status: sentMask === 0 ? 'disabled' : 'enabled' };
}
