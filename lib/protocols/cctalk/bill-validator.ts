/**
 * ccTalk bill validator driver.
 *
 * Connect: bill ids of types 1..16 (157) and each country's scaling factor
 * (156) to turn them into money, operating mode (153: stacker, and escrow
 * when asked for), inhibits (231) and master inhibit (228). Then 159 is
 * polled; the validator inhibits itself after ~5 s without a poll and says
 * so with "master inhibit active", which the driver answers by re-enabling.
 *
 * Acceptance is only switched on right after a trusted read of the buffer
 * (switch-on.ts): at connect, after "master inhibit active", and in enable().
 * A unit that restarted while inhibited keeps a counter of 0 only until its
 * first result once switched on; read first, the restart is seen as one
 * (device-reset, settings re-applied) instead of being measured against the
 * old counter.
 *
 * Escrow: a bill held in escrow (pair [type][1]) is offered to `onEscrow`;
 * it answers 'stack' or 'return', or undefined to decide later with
 * stack()/returnBill(). While undecided, the driver asks the validator to
 * extend its own escrow timeout (154 [255]) at half that timeout, so the bill
 * is not returned behind the application's back; after `decisionTimeoutMs`
 * the driver returns it.
 */
import {
  EMPTY,
  type Observable,
  ReplaySubject,
  type SchedulerLike,
  type Subscription,
  catchError,
  concat,
  concatMap,
  defer,
  ignoreElements,
  interval,
  map,
  of,
  tap,
  throwError,
} from 'rxjs';
import { CashwireError, DeviceError, InvalidArgumentError, TransportError } from '../../core/errors.js';
import type { Money } from '../../core/money.js';
import { pollWhileIdle } from '../../operators/poller.js';
import { type BillType, readBillTable, readBillType } from './bill-table.js';
import type { CcTalkBus } from './bus.js';
import type { IdOptions } from './coin-id.js';
import { type CcTalkDevice, checkDeviceAddress, checkOption, createDeviceCore } from './device-base.js';
import type { BillEvent, EventBuffer, SelfCheckResult } from './events.js';
import { normalizeBillEvent, rawBillEvent } from './normalize.js';
import { createRingReader } from './ring-reader.js';
import { switchOnAfterRead, trustedOrFail } from './switch-on.js';

export const BILL_VALIDATOR_LIMITS = {
  /** Well below the validator's ~5 s watchdog. */
  pollIntervalMs: { min: 20, max: 2000, default: 200 },
  escrowTimeoutMs: { min: 1000, max: 120_000, default: 10_000 },
  decisionTimeoutMs: { min: 1000, max: 600_000, default: 30_000 },
  types: 16,
} as const;

export type CcTalkEscrowDecision = 'stack' | 'return';

export interface CcTalkEscrowedBill {
  readonly billType: number;
  readonly id?: string;
  readonly money?: Money;
}

export interface CcTalkBillValidatorOptions extends IdOptions {
  /** Default 40. */
  readonly address?: number;
  /** Pause between 159 polls, ms. 20..2000, default 200. */
  readonly pollIntervalMs?: number;
  /** Bill types to accept, bit n-1 = type n. 0..0xFFFF, default 0xFFFF. */
  readonly inhibitMask?: number;
  /** Start accepting after connecting. Default true. */
  readonly enabled?: boolean;
  /** Hold bills in escrow for a decision. Default false (stack straight away). */
  readonly escrow?: boolean;
  /** The validator's own escrow timeout (see its manual), ms. 1000..120000, default 10000. */
  readonly escrowTimeoutMs?: number;
  /** How long the driver waits for the application's decision before returning the bill, ms. Default 30000. */
  readonly decisionTimeoutMs?: number;
  readonly onEscrow?: (bill: CcTalkEscrowedBill) => CcTalkEscrowDecision | undefined;
  readonly scheduler?: SchedulerLike;
}

export type { BillType } from './bill-table.js';

export class NoBillInEscrowError extends CashwireError {
  override readonly name = 'NoBillInEscrowError';
  constructor(command: string) {
    super('ESCROW_STATE', `${command}: no bill is held in escrow.`, { command });
  }
}

export interface CcTalkBillValidator extends CcTalkDevice {
  readonly bills$: Observable<readonly BillType[]>;
  /** The bill in escrow, or undefined (replays). */
  readonly escrow$: Observable<CcTalkEscrowedBill | undefined>;
  enable(): Observable<void>;
  disable(): Observable<void>;
  setInhibits(mask: number): Observable<void>;
  /** Route the escrowed bill to the stacker (154 [1]). */
  stack(): Observable<void>;
  /** Hand the escrowed bill back (154 [0]). */
  returnBill(): Observable<void>;
  selfCheck(): Observable<SelfCheckResult>;
  reset(): Observable<void>;
}

function checkMask(mask: number): number {
  if (!Number.isInteger(mask) || mask < 0 || mask > 0xffff) {
    throw new InvalidArgumentError(
      `Bill inhibit mask must be an integer 0..0xFFFF (bit n-1 enables bill type n), got ${String(mask)}.`,
      { field: 'mask', mask },
    );
  }
  return mask;
}

export function createCcTalkBillValidator(
  bus: CcTalkBus,
  options: CcTalkBillValidatorOptions = {},
): CcTalkBillValidator {
  const L = BILL_VALIDATOR_LIMITS;
  const address = checkDeviceAddress(options.address ?? 40);
  const pollIntervalMs =
    checkOption('pollIntervalMs', options.pollIntervalMs, L.pollIntervalMs.min, L.pollIntervalMs.max) ??
    L.pollIntervalMs.default;
  const escrowTimeoutMs =
    checkOption('escrowTimeoutMs', options.escrowTimeoutMs, L.escrowTimeoutMs.min, L.escrowTimeoutMs.max) ??
    L.escrowTimeoutMs.default;
  const decisionTimeoutMs =
    checkOption(
      'decisionTimeoutMs',
      options.decisionTimeoutMs,
      L.decisionTimeoutMs.min,
      L.decisionTimeoutMs.max,
    ) ?? L.decisionTimeoutMs.default;
  let mask = checkMask(options.inhibitMask ?? 0xffff);
  /** What the application asked for last (enable()/disable() set it at once). */
  let accepting = options.enabled ?? true;
  /**
   * The unit is inhibited while the application wants it on ("master inhibit active", or an
   * enable() that could not switch it on): the next poll reads the buffer, then switches it on.
   */
  let switchOnDue = false;
  const escrowMode = options.escrow ?? false;
  const core = createDeviceCore(bus, address, options.scheduler);
  const { ref, scheduler } = core;
  const bills = new ReplaySubject<readonly BillType[]>(1);
  const escrow = new ReplaySubject<CcTalkEscrowedBill | undefined>(1);
  escrow.next(undefined);
  let table: readonly BillType[] = [];
  let held: CcTalkEscrowedBill | undefined;
  let holdTimers: Subscription | undefined;

  const idOptions: IdOptions = options.currencyOf ? { currencyOf: options.currencyOf } : {};
  const publish = (types: readonly BillType[]): void => {
    table = types;
    bills.next(types);
  };
  const readBills$ = readBillTable(bus, address, idOptions).pipe(
    tap(({ types, unread }) => {
      for (const u of unread) {
        core.errors.next({
          kind: 'decode',
          protocol: 'cctalk',
          message:
            `Bill validator at address ${address}: bill type ${u.billType} could not be read (${u.reason}); ` +
            'its value is unknown, not empty. It is read again when a bill of that type arrives.',
          info: { address, billType: u.billType, reason: u.reason },
        });
      }
      publish(types);
    }),
    ignoreElements(),
  );

  /**
   * Act on a confirmed buffer. A new bill (stacked or in escrow) of a type whose value is unread
   * has that type read again first, so it carries its value, in order with the rest.
   */
  const ingest$ = (buffer: EventBuffer<BillEvent>): Observable<never> =>
    defer(() => {
      const types = new Set<number>();
      for (const e of reader.pending(buffer)) {
        if ((e.kind === 'credit' || e.kind === 'escrow') && table[e.billType - 1]?.unread)
          types.add(e.billType);
      }
      return concat(
        ...[...types].map((t) =>
          readBillType(bus, address, t, idOptions).pipe(
            tap((type) => {
              if (type.unread) return;
              publish(table.map((b) => (b.billType === t ? type : b)));
              core.raw('bill-id', { billType: t, id: type.id });
            }),
            ignoreElements(),
          ),
        ),
        defer(() => {
          reader.read(buffer);
          return EMPTY;
        }),
      );
    });

  // Only ever run right after a trusted buffer read: at connect, and on a restart that read showed.
  const apply$ = defer(() =>
    concat(
      bus.request(address, 'MODIFY_BILL_OPERATING_MODE', { stacker: true, escrow: escrowMode }),
      bus.request(address, 'MODIFY_INHIBIT_STATUS', { mask }),
      // What the application wants when the master inhibit is sent, not when this started.
      defer(() => bus.request(address, 'MODIFY_MASTER_INHIBIT_STATUS', { accepting })),
    ),
  ).pipe(
    ignoreElements(),
    tap({
      complete: () => {
        switchOnDue = false;
        core.setState({ status: accepting ? 'enabled' : 'disabled' });
      },
    }),
  );

  // The baseline is read before acceptance is switched on, so no bill taken afterwards is
  // folded into it. Without a trusted read acceptance stays off and the connect is tried again:
  // a unit that restarted during an outage shows it only by its counter of 0.
  const connect$ = concat(
    bus.request(address, 'SIMPLE_POLL'),
    readBills$,
    defer(() => read$().pipe(trustedOrFail('Bill validator', address), concatMap(ingest$))),
    apply$,
  );

  /** Master inhibit off, unless the application asked for it off in the meantime. */
  const switchOn$ = defer(() =>
    accepting
      ? bus.request(address, 'MODIFY_MASTER_INHIBIT_STATUS', { accepting: true }).pipe(
          tap(() => {
            switchOnDue = false;
            core.setState({ status: 'enabled' });
          }),
        )
      : EMPTY,
  );

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
    const type = table[billType - 1];
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
    const decision = options.onEscrow?.(bill);
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

  const reader = createRingReader<BillEvent>(
    core,
    'Bill validator',
    (e, counter) => {
      const raw = rawBillEvent(e, counter);
      core.raw(raw.name, raw.data);
      if (e.kind === 'escrow') return onEscrow(e.billType);
      if (e.kind === 'credit') {
        if (held?.billType === e.billType) clearHold();
        const type = table[e.billType - 1];
        if (type?.money) {
          core.events.next({
            type: 'credit',
            device: ref,
            money: type.money,
            kind: 'bill',
            channel: e.billType,
          });
        } else if (type?.unread) {
          // Stacked, value unknown even after reading the type again: counted, never silent.
          core.events.next({ type: 'events-lost', device: ref, count: 1 });
          core.errors.next({
            kind: 'events-lost',
            protocol: 'cctalk',
            message:
              `Bill validator at address ${address}: a bill of type ${e.billType} was stacked (event ${counter}) ` +
              'but that type could not be read, even when read again for this bill: its value is unknown and ' +
              "it is not credited. Count it by hand (raw 'bill-stacked' event) and check the validator.",
            info: { address, billType: e.billType, counter },
          });
        } else {
          core.errors.next({
            kind: 'decode',
            protocol: 'cctalk',
            message: `Bill type ${e.billType} stacked with no known value.`,
            info: { address, billType: e.billType },
          });
        }
        return;
      }
      if (e.kind === 'status' && e.code === 1) clearHold();
      const normalized = normalizeBillEvent(ref, e);
      if (normalized) core.events.next(normalized);
      // Self-inhibited (a poll gap, a full stacker): switched back on by this poll, after one
      // more buffer read, if the application wants it on. The unit may restart in between.
      if (e.kind === 'status' && e.code === 0 && accepting) switchOnDue = true;
    },
    () => {
      clearHold();
      // The reset path switches the unit on itself, after the read that showed the restart.
      switchOnDue = false;
      apply$.subscribe({ error: (err: unknown) => core.report(err) });
    },
  );

  const read$ = (): Observable<EventBuffer<BillEvent>> =>
    reader.confirmed(() => bus.request(address, 'READ_BUFFERED_BILL_EVENTS'));
  // Without a trusted read the unit stays off and the next poll tries again.
  const switchOnIfDue$ = defer(() =>
    switchOnDue && accepting
      ? switchOnAfterRead({ reader, read$, switchOn$, ingest$ }).pipe(ignoreElements())
      : EMPTY,
  );
  core.start(connect$, () =>
    pollWhileIdle(
      bus.queue,
      () =>
        read$().pipe(
          concatMap((buffer) => {
            if (core.state.value.status === 'recovering')
              core.setState({ status: accepting ? 'enabled' : 'disabled' });
            return concat(ingest$(buffer), switchOnIfDue$);
          }),
        ),
      {
        intervalMs: pollIntervalMs,
        scheduler,
        onError: (e) => {
          core.report(e);
          core.setState({ status: 'recovering', reason: e instanceof Error ? e.message : String(e) });
        },
      },
    ),
  );

  return {
    ...core.device,
    bills$: bills.asObservable(),
    escrow$: escrow.asObservable(),
    enable: () =>
      defer(() => {
        accepting = true;
        // Not connected yet: the connect switches acceptance on after its baseline read.
        if (reader.lastCounter() === undefined) return of(undefined);
        // A user command does not act on the buffer (the poll does, in order): a restart it
        // shows, reads that do not agree, or a failed request leave the switch-on to the next
        // poll (the error is still passed on).
        return switchOnAfterRead({ reader, read$, switchOn$ }).pipe(
          map((outcome) => {
            if (outcome !== 'switched-on') switchOnDue = true;
          }),
          tap({ error: () => (switchOnDue = accepting) }),
        );
      }),
    disable: () =>
      defer(() => {
        accepting = false;
        switchOnDue = false;
        return bus
          .request(address, 'MODIFY_MASTER_INHIBIT_STATUS', { accepting: false })
          .pipe(map(() => core.setState({ status: 'disabled' })));
      }),
    setInhibits: (next) =>
      defer(() => {
        const m = checkMask(next);
        return bus.request(address, 'MODIFY_INHIBIT_STATUS', { mask: m }).pipe(map(() => void (mask = m)));
      }),
    stack: () => route('stack', 'stack'),
    returnBill: () => route('return', 'returnBill'),
    selfCheck: () => bus.request(address, 'PERFORM_SELF_CHECK'),
    reset: () => bus.request(address, 'RESET_DEVICE').pipe(map(() => undefined)),
    dispose: () => {
      holdTimers?.unsubscribe();
      escrow.complete();
      bills.complete();
      core.device.dispose();
    },
  };
}
