/**
 * ccTalk bill validator escrow: the bill held (pair [type][1]), routing it
 * (154 [1] stack, [0] return), and holding it while the application decides.
 *
 * A bill held in escrow is offered to `onEscrow`; it answers 'stack' or
 * 'return', or undefined to decide later with stack()/returnBill(). While
 * undecided, the validator is asked to extend its own escrow timeout
 * (154 [255]) at half that timeout, so the bill is not returned behind the
 * application's back; after `decisionTimeoutMs` the driver returns it.
 */
import {
  EMPTY,
  type Observable,
  ReplaySubject,
  type Subscription,
  catchError,
  concatMap,
  defer,
  ignoreElements,
  interval,
  map,
  throwError,
} from 'rxjs';
import { CashwireError, DeviceError, TransportError } from '../../core/errors.js';
import type { BillType } from './bill-table.js';
import type { CcTalkEscrowDecision, CcTalkEscrowedBill } from './bill-validator-options.js';
import type { CcTalkBus } from './bus.js';
import type { DeviceCore } from './device-base.js';

export class NoBillInEscrowError extends CashwireError {
  override readonly name = 'NoBillInEscrowError';
  constructor(command: string) {
    super('ESCROW_STATE', `${command}: no bill is held in escrow.`, { command });
  }
}

export interface BillEscrowDeps {
  readonly bus: CcTalkBus;
  readonly address: number;
  readonly core: DeviceCore;
  readonly escrowTimeoutMs: number;
  readonly decisionTimeoutMs: number;
  readonly onEscrow?: ((bill: CcTalkEscrowedBill) => CcTalkEscrowDecision | undefined) | undefined;
  /** The bill type as last read (its id and value), if known. */
  readonly typeOf: (billType: number) => BillType | undefined;
}

export interface BillEscrow {
  /** The bill in escrow, or undefined (replays). */
  readonly escrow$: Observable<CcTalkEscrowedBill | undefined>;
  held(): CcTalkEscrowedBill | undefined;
  /** Forget the held bill and stop extending its timeout. */
  clearHold(): void;
  route(action: 'stack' | 'return', command: string): Observable<void>;
  /** A bill of this type is now held: publish it and ask for (or wait on) a decision. */
  onEscrow(billType: number): void;
  dispose(): void;
}

export function createBillEscrow(deps: BillEscrowDeps): BillEscrow {
  const { bus, address, core, escrowTimeoutMs, decisionTimeoutMs } = deps;
  const { ref, scheduler } = core;
  const escrow = new ReplaySubject<CcTalkEscrowedBill | undefined>(1);
  escrow.next(undefined);
  let held: CcTalkEscrowedBill | undefined;
  let holdTimers: Subscription | undefined;

  const clearHold = (): void => {
    holdTimers?.unsubscribe();
    holdTimers = undefined;
    held = undefined;
    escrow.next(undefined);
  };

  const route = (action: 'stack' | 'return', command: string): Observable<void> =>
    defer(() => {
      if (!held) return throwError(() => new NoBillInEscrowError(command));
      return bus.request(address, 'ROUTE_BILL', { action }).pipe(
        map((result) => {
          if (result === 'escrow-empty') {
            clearHold();
            throw new NoBillInEscrowError(command);
          }
          if (result === 'failed') {
            throw new DeviceError(
              command,
              'route-failed',
              `${command}: the validator could not route the bill.`,
              {
                address,
              },
            );
          }
          clearHold();
          return undefined;
        }),
      );
    });
  const decide = (d: CcTalkEscrowDecision): void => {
    (d === 'stack' ? route('stack', 'stack') : route('return', 'returnBill')).subscribe({
      error: (e: unknown) => core.report(e),
    });
  };

  const onEscrow = (billType: number): void => {
    const type = deps.typeOf(billType);
    const bill: CcTalkEscrowedBill = {
      billType,
      ...(type && { id: type.id }),
      ...(type?.money && { money: type.money }),
    };
    held = bill;
    escrow.next(bill);
    core.events.next({
      type: 'escrow',
      device: ref,
      channel: billType,
      ...(bill.money && { money: bill.money }),
    });
    const decision = deps.onEscrow?.(bill);
    if (decision) return decide(decision);
    // Keep the validator from timing out on its own while the application decides.
    const extendEvery = Math.max(500, Math.floor(escrowTimeoutMs / 2));
    const started = scheduler.now();
    holdTimers = interval(extendEvery, scheduler)
      .pipe(
        concatMap(() =>
          (scheduler.now() - started + extendEvery > decisionTimeoutMs
            ? route('return', 'escrow decision timeout')
            : bus.request(address, 'ROUTE_BILL', { action: 'extend-escrow' }).pipe(ignoreElements())
          ).pipe(
            // The line is down (the device reports that once): keep holding, the next tick may reach it.
            catchError((e: unknown) =>
              bus.reconnects && e instanceof TransportError ? EMPTY : throwError(() => e),
            ),
          ),
        ),
        catchError((e: unknown) => {
          core.report(e);
          return EMPTY;
        }),
      )
      .subscribe();
  };

  return {
    escrow$: escrow.asObservable(),
    held: () => held,
    clearHold,
    route,
    onEscrow,
    dispose: () => {
      holdTimers?.unsubscribe();
      escrow.complete();
    },
  };
}
