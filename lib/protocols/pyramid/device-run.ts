/**
 * Driving one open line: the poll loop on its request queue, until the line
 * has to be given up. The Observable errors with the reason (a TransportError
 * from the line, or SilentLine), and the device decides what comes next.
 */
import { Observable, type SchedulerLike, observeOn } from 'rxjs';
import { DisposedError, TransportError } from '../../core/errors.js';
import type { RequestQueue } from '../../operators/exchange.js';
import { pollWhileIdle } from '../../operators/poller.js';
import { SilentLine } from './device-line.js';
import type { MessageSlot } from './device-slot.js';
import type { PyramidFrame } from './framing.js';

export interface DriveDeps {
  readonly scheduler: SchedulerLike;
  readonly pollIntervalMs: number;
  readonly slot: MessageSlot;
  /** One cycle of the loop: the message the slot chooses. */
  readonly cycle: () => Observable<unknown>;
  /** Emits the silence (ms) once the line has been silent too long; never for a plain Transport. */
  readonly silence$: Observable<number>;
  /** The queue every message goes through from now on; undefined between lines. */
  readonly use: (queue: RequestQueue<PyramidFrame> | undefined) => void;
}

const reasonOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * The line is being given up: the command on it (if any) fails now, before
 * the line's request queue is disposed. Its outcome is unknown; a status the
 * acceptor sends for it later is still processed.
 */
export function interruptCommand(slot: MessageSlot, cause: unknown): void {
  slot.interrupt(
    new TransportError(
      `The line was lost while this command was on it; its outcome is unknown (${reasonOf(cause)}).`,
      {},
      { cause },
    ),
  );
}

/** Poll on `queue` until the line has to be given up; the error says why. */
export function driveLine(queue: RequestQueue<PyramidFrame>, deps: DriveDeps): Observable<never> {
  const { scheduler, slot } = deps;
  return new Observable<never>((subscriber) => {
    deps.use(queue);
    const lose = (e: unknown): void => {
      interruptCommand(slot, e);
      subscriber.error(e);
    };
    // Off the queue's own call stack: giving the line up disposes that queue.
    const sub = deps.silence$.pipe(observeOn(scheduler)).subscribe((ms) => lose(new SilentLine(ms)));
    sub.add(
      pollWhileIdle(queue, deps.cycle, {
        intervalMs: deps.pollIntervalMs,
        scheduler,
        onError: (e) => {
          if (e instanceof DisposedError || e instanceof TransportError) lose(e);
        },
      }).subscribe({ complete: () => lose(new TransportError('The Pyramid line closed.')) }),
    );
    return () => {
      deps.use(undefined);
      interruptCommand(slot, new TransportError('The line was given up.'));
      sub.unsubscribe();
    };
  });
}
