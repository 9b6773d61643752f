/**
 * Following a hopper payout to its end, across a lost line.
 *
 * A payout runs in the hopper, not in the host: once started it goes on
 * whether the line is up or not. So a status read that fails because the
 * line went down is made again once the bus has the line back (the payout is
 * never re-issued), and a dispense whose reply was lost is judged by the
 * event counter alone. A hopper that restarted meanwhile (power cut: counter
 * back to 0) no longer knows the payout: it ends as payout-incomplete with the
 * coins seen paid, and an 'events-lost' report asks for a count.
 */
import {
  type Observable,
  concatMap,
  defer,
  distinctUntilChanged,
  exhaustMap,
  filter,
  interval,
  map,
  of,
  retry,
  startWith,
  take,
  takeWhile,
  throwError,
  throwIfEmpty,
} from 'rxjs';
import { DeviceError, TransportError } from '../../core/errors.js';
import type { PayoutProgressEvent } from '../../core/events.js';
import { type Money, money } from '../../core/money.js';
import type { CcTalkBus } from './bus.js';
import type { DeviceCore } from './device-base.js';

export interface HopperStatus {
  readonly counter: number;
  readonly remaining: number;
  readonly paid: number;
  readonly unpaid: number;
}

export interface PayoutFollower {
  /** The dispense reply was lost (or the line with it): emits the payout's counter if it started, else errors with `e`. */
  afterLostReply$(
    label: string,
    before: HopperStatus,
    status$: () => Observable<HopperStatus>,
    e: unknown,
  ): Observable<number>;
  /** Progress events of a started payout until it ends. `known`: its event counter, when already read. */
  follow$(
    label: string,
    before: HopperStatus,
    known: number | undefined,
    status$: () => Observable<HopperStatus>,
    perUnit: () => Money | undefined,
  ): Observable<PayoutProgressEvent>;
}

/** Money paid so far: coins × coin value, or coins in the 'XXX' (no currency) code when the value is unknown. */
export const amountOf = (units: number, perUnit: Money | undefined): Money =>
  perUnit ? money(units * perUnit.amount, perUnit.currency) : money(units, 'XXX');

export function createPayoutFollower(bus: CcTalkBus, core: DeviceCore, progressMs: number): PayoutFollower {
  const { ref, scheduler } = core;
  const { address } = ref;
  const acrossOutage = <T>(read: () => Observable<T>, onLost: () => void): Observable<T> =>
    defer(read).pipe(
      retry({
        delay: (e: unknown) => {
          if (!bus.reconnects || !(e instanceof TransportError)) return throwError(() => e);
          onLost();
          return bus.line$.pipe(
            filter((s) => s.status === 'open' || s.status === 'closed'),
            take(1),
            throwIfEmpty(() => e),
            concatMap((s) => (s.status === 'open' ? of(s) : throwError(() => e))),
          );
        },
      }),
    );

  /** The dispense reply was lost, or the line with it: only the event counter tells whether coins are moving. */
  const afterLostReply$ = (
    label: string,
    before: HopperStatus,
    status$: () => Observable<HopperStatus>,
    e: unknown,
  ): Observable<number> =>
    acrossOutage(status$, () => undefined).pipe(
      concatMap((after) => {
        if (after.counter === 0 && before.counter !== 0) {
          return throwError(
            () =>
              new DeviceError(
                label,
                'RESTARTED',
                `Hopper ${address} restarted while ${label} was on its way: whether it paid anything is ` +
                  'unknown. Compare its dispense count (168) with the last one before paying again.',
                { address, counterBefore: before.counter },
              ),
          );
        }
        return after.counter !== before.counter ? of(after.counter) : throwError(() => e);
      }),
    );

  /**
   * Follow a started payout through its status registers until it ends. A line
   * lost meanwhile is waited out and the registers are read again (the payout
   * is never re-issued). A hopper that restarted meanwhile (counter back to 0,
   * or other than the payout's) no longer knows the payout: it ends as
   * payout-incomplete with the coins seen paid, and an 'events-lost' report.
   */
  const follow$ = (
    label: string,
    before: HopperStatus,
    known: number | undefined,
    status$: () => Observable<HopperStatus>,
    perUnit: () => Money | undefined,
  ): Observable<PayoutProgressEvent> =>
    defer(() => {
      let counter = known;
      let outage = false;
      let paid = 0;
      const lost = (): void => {
        if (!outage) core.raw('payout-interrupted', { command: label, paid });
        outage = true;
      };
      const restarted = (s: HopperStatus): boolean =>
        counter !== undefined
          ? s.counter !== counter
          : outage && (s.counter === 0 || s.counter === before.counter);
      return interval(progressMs, scheduler).pipe(
        // exhaustMap: ticks during a long outage are dropped, not queued up.
        exhaustMap(() => acrossOutage(status$, lost)),
        map((s) => (restarted(s) ? undefined : s)),
        takeWhile((s) => s !== undefined && s.remaining > 0, true),
        distinctUntilChanged((a, b) => a?.paid === b?.paid && a?.remaining === b?.remaining),
        map((s): PayoutProgressEvent => {
          if (s === undefined) {
            core.errors.next({
              kind: 'events-lost',
              protocol: 'cctalk',
              message:
                `Hopper ${address} restarted during ${label}${outage ? ' while the line was down' : ''}: ` +
                `its status showed ${paid} paid; anything paid after that is not known. ` +
                'Count the coins before paying again.',
              info: { address, command: label, paid },
            });
            return { type: 'payout-incomplete', device: ref, amounts: [amountOf(paid, perUnit())] };
          }
          counter ??= s.counter;
          outage = false;
          paid = s.paid;
          const amounts = [amountOf(s.paid, perUnit())];
          if (s.remaining > 0) return { type: 'dispensing', device: ref, amounts };
          return { type: s.unpaid > 0 ? 'payout-incomplete' : 'dispensed', device: ref, amounts };
        }),
        startWith<PayoutProgressEvent>({
          type: 'dispensing',
          device: ref,
          amounts: [amountOf(0, perUnit())],
        }),
      );
    });

  return { afterLostReply$, follow$ };
}
