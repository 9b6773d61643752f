/**
 * The rule for switching a ccTalk unit's acceptance on (master inhibit off,
 * 228): only right after a trusted read of its event buffer (229/159) that
 * shows no restart the driver has not acted on.
 *
 * Why: a unit that restarted comes back inhibited with a counter of 0, and
 * its counter stays 0 only as long as it is inhibited. Switched on before
 * that 0 is read, its next result moves the counter past 0 unseen, and the
 * ring reader measures it against the old counter (83 → 1 reads as a jump of
 * 173 events; 1 → 1 as no event, so a note or coin is never credited), while
 * the settings the restart wiped are never sent again.
 *
 * Two uses. A connect or the poll reads, acts on the buffer (a restart then
 * re-applies the settings through the device's reset path, which switches the
 * unit on itself, so they are sent once), and switches on otherwise. A user command (enable()) must not act
 * on a buffer (only the poll does, so buffers are acted on in order): it reads,
 * and when the read shows a restart, or no two reads agree, leaves the
 * switch-on to the poll.
 *
 * The wish (what the application asked for last) is recorded when enable()
 * or disable() is called, and read again when a 228 goes out, not when the
 * step that sends it started: a disable() made while a switch-on is under
 * way (its buffer read, or the settings after a restart) wins, and the unit
 * is never switched on behind it.
 */
import {
  type Observable,
  type OperatorFunction,
  concat,
  concatMap,
  defaultIfEmpty,
  defer,
  EMPTY,
  endWith,
  ignoreElements,
  map,
  of,
  tap,
  throwIfEmpty,
} from 'rxjs';
import { DecodeError } from '../../core/errors.js';
import type { CcTalkBus } from './bus.js';
import type { EventBuffer } from './events.js';
import type { RingReader } from './ring-reader.js';

/**
 * How a switch-on went: `'switched-on'`; `'restart'` (the buffer showed a
 * restart: its reset path switches the unit on, after the poll has read it,
 * when the read was not acted on); `'untrusted'` (no two reads agreed:
 * nothing was sent, the unit stays off).
 */
export type SwitchOnOutcome = 'switched-on' | 'restart' | 'untrusted';

export interface SwitchOnSteps<E> {
  readonly reader: RingReader<E>;
  /** A trusted buffer read (RingReader.confirmed): emits the buffer, or nothing when no two reads agreed. */
  readonly read$: () => Observable<EventBuffer<E>>;
  /**
   * What switches the unit on, subscribed only when the read allows it: a 228, or
   * all settings (a connect; the coin acceptor's master inhibit check when they may have been lost).
   */
  readonly switchOn$: Observable<unknown>;
  /** Act on the buffer first: the poll passes its own; a user command passes none. */
  readonly ingest$?: (buffer: EventBuffer<E>) => Observable<never>;
}

/** Read the buffer, then switch the unit on unless the read showed a restart. Emits the outcome once. */
export function switchOnAfterRead<E>(steps: SwitchOnSteps<E>): Observable<SwitchOnOutcome> {
  const { reader, read$, switchOn$, ingest$ } = steps;
  return defer(() =>
    read$().pipe(
      defaultIfEmpty(undefined),
      concatMap((buffer): Observable<SwitchOnOutcome> => {
        if (buffer === undefined) return of('untrusted');
        // Asked before acting on the buffer: acting on it moves the reference counter.
        const restart = reader.restarted(buffer);
        return concat(
          ingest$ ? ingest$(buffer) : [],
          restart
            ? of('restart' as const)
            : switchOn$.pipe(ignoreElements(), endWith('switched-on' as const)),
        );
      }),
    ),
  );
}

/**
 * For a connect: a read that cannot be trusted fails it (it is tried again),
 * so the baseline is never a guess and acceptance is not switched on after one.
 */
export function trustedOrFail<E>(
  what: string,
  address: number,
): OperatorFunction<EventBuffer<E>, EventBuffer<E>> {
  return throwIfEmpty(
    () =>
      new DecodeError(
        `${what} at address ${address}: no two event buffer reads agreed; ` +
          'acceptance stays off until the buffer can be read.',
        { address },
      ),
  );
}

/** The master inhibit (228) as the application wants it when the frame is built; emits what was sent. */
export function sendWish(bus: CcTalkBus, address: number, wanted: () => boolean): Observable<boolean> {
  return defer(() => {
    const accepting = wanted();
    return bus.request(address, 'MODIFY_MASTER_INHIBIT_STATUS', { accepting }).pipe(map(() => accepting));
  });
}

/**
 * Master inhibit off (228), unless the application no longer wants it when the frame would be
 * built: then nothing is sent and nothing emitted. `onSwitchedOn` runs when the unit acknowledged.
 */
export function switchOnIfWanted(
  bus: CcTalkBus,
  address: number,
  wanted: () => boolean,
  onSwitchedOn: () => void,
): Observable<unknown> {
  return defer(() =>
    wanted()
      ? bus.request(address, 'MODIFY_MASTER_INHIBIT_STATUS', { accepting: true }).pipe(tap(onSwitchedOn))
      : EMPTY,
  );
}
