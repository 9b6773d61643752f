/**
 * Escrow control. A note in escrow is accepted by the next POLL and returned
 * by the device if no command arrives within its escrow timeout (5-10 s
 * depending on the manual). Holding it therefore means: while any hold() is
 * subscribed, the poll slots send HOLD instead of POLL, at most every
 * `holdIntervalMs` (≤ 3 s), and nothing else; accept() ends the holds and
 * polls at once, reject() ends them and sends REJECT_BANKNOTE.
 */
import { EMPTY, Observable, type SchedulerLike, catchError, defer, ignoreElements } from 'rxjs';
import { UnsupportedCommandError } from '../../../core/errors.js';
import { isSupportedBy } from '../commands/table.js';
import { unitTypeName } from '../context.js';
import type { EsspSession } from '../session.js';
import type { EsspDevice } from './types.js';

export interface EscrowControl {
  readonly api: EsspDevice['escrow'];
  /** What a poll slot sends while a hold is active (HOLD, or nothing until it is due); undefined: POLL as usual. */
  holdSlot(): Observable<never> | undefined;
  /** End every hold: complete them, or error them with `e`. */
  endAll(e?: unknown): void;
}

export function createEscrowControl(
  session: EsspSession,
  scheduler: SchedulerLike,
  holdIntervalMs: number,
  pollNow: () => Observable<void>,
): EscrowControl {
  const holders = new Set<{ readonly end: (e?: unknown) => void }>();
  let lastHold = Number.NEGATIVE_INFINITY;

  const endAll = (e?: unknown): void => {
    for (const h of [...holders]) h.end(e);
    holders.clear();
  };

  const holdSlot = (): Observable<never> | undefined => {
    if (holders.size === 0) return undefined;
    if (scheduler.now() - lastHold < holdIntervalMs) return EMPTY;
    lastHold = scheduler.now();
    return session.send('HOLD').pipe(
      ignoreElements(),
      catchError((e: unknown) => {
        // Nothing held any more (returned, timed out, refused): the holds end with the
        // reason and polling resumes, so the next POLL tells what became of the note.
        endAll(e);
        return EMPTY;
      }),
    );
  };

  const hold = (): Observable<void> =>
    new Observable<void>((subscriber) => {
      const ctx = session.context;
      if (ctx.unitKnown === true && !isSupportedBy('HOLD', ctx.unitType)) {
        subscriber.error(new UnsupportedCommandError('HOLD', unitTypeName(ctx.unitType)));
        return undefined;
      }
      const holder = {
        end: (e?: unknown) => (e === undefined ? subscriber.complete() : subscriber.error(e)),
      };
      holders.add(holder);
      // The next poll slot sends HOLD straight away.
      lastHold = Number.NEGATIVE_INFINITY;
      return () => holders.delete(holder);
    });

  return {
    holdSlot,
    endAll,
    api: {
      hold,
      accept: () =>
        defer(() => {
          endAll();
          return pollNow();
        }),
      reject: () =>
        defer(() => {
          endAll();
          return session.send('REJECT_BANKNOTE').pipe(ignoreElements());
        }),
    },
  };
}
