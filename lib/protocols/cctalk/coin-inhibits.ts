/**
 * ccTalk coin acceptor inhibits: the mask the application asked for, the one
 * the unit last acknowledged, and the one it gets (the application's, without
 * positions whose coin id is unread), kept in step as ids are read.
 */
import { EMPTY, type Observable, concat, defer, ignoreElements, map, tap } from 'rxjs';
import type { CcTalkBus } from './bus.js';
import { checkMask } from './coin-acceptor-options.js';
import type { CoinTable } from './coin-table.js';
import type { DeviceCore } from './device-base.js';
import { sendWish } from './switch-on.js';

export interface CoinInhibitsDeps {
  readonly bus: CcTalkBus;
  readonly address: number;
  readonly core: DeviceCore;
  readonly coins: Pick<CoinTable, 'unreadMask'>;
  /** Keep positions whose coin id is unread inhibited at the unit. */
  readonly guardUnread: boolean;
  /** The application's mask at start (already checked). */
  readonly mask: number;
  /** What the application asked for last (recorded when enable()/disable() is called). */
  readonly accepting: () => boolean;
}

export interface CoinInhibits {
  /** Inhibit mask and master inhibit as the application wants them; sets the device state. */
  readonly apply$: Observable<never>;
  /** Send the inhibit mask again when the set of unread positions changed since it was applied. */
  readonly syncMask$: Observable<never>;
  /** The inhibit mask the unit last acknowledged; undefined until connect has applied one. */
  readonly applied: () => number | undefined;
  readonly setApplied: (mask: number) => void;
  /** The mask the unit should have now. */
  readonly unitMask: () => number;
  /** setInhibits(): errors on subscribe, nothing written for a bad mask. */
  readonly set: (next: number) => Observable<void>;
}

export function createCoinInhibits(deps: CoinInhibitsDeps): CoinInhibits {
  const { bus, address, core, coins, guardUnread } = deps;
  let mask = deps.mask;
  /** The inhibit mask the unit last acknowledged; undefined until connect has applied one. */
  let applied: number | undefined;

  /** The mask the unit gets: the user's, without positions whose value is unknown. */
  const unitMask = (m: number): number => (guardUnread ? m & ~coins.unreadMask() : m);

  const apply$ = defer(() => {
    const m = unitMask(mask);
    return concat(
      bus.request(address, 'MODIFY_INHIBIT_STATUS', { mask: m }).pipe(tap(() => (applied = m))),
      // What the application wants when the master inhibit is sent, not when this started.
      sendWish(bus, address, deps.accepting),
    );
  }).pipe(
    ignoreElements(),
    tap({ complete: () => core.setState({ status: deps.accepting() ? 'enabled' : 'disabled' }) }),
  );

  const syncMask$ = defer(() => {
    const m = unitMask(mask);
    if (applied === undefined || applied === m) return EMPTY;
    return bus.request(address, 'MODIFY_INHIBIT_STATUS', { mask: m }).pipe(
      tap(() => (applied = m)),
      ignoreElements(),
    );
  });

  return {
    apply$,
    syncMask$,
    applied: () => applied,
    setApplied: (m) => {
      applied = m;
    },
    unitMask: () => unitMask(mask),
    set: (next) =>
      defer(() => {
        const m = checkMask(next);
        const sent = unitMask(m);
        return bus.request(address, 'MODIFY_INHIBIT_STATUS', { mask: sent }).pipe(
          tap(() => {
            mask = m;
            applied = sent;
          }),
          map(() => undefined),
        );
      }),
  };
}
