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
 * the driver returns it (bill-escrow.ts).
 *
 * Options and their limits: bill-validator-options.ts. Buffer ingestion
 * (credits, escrow, status, reading an unread bill type again): bill-ingest.ts.
 */
import {
  EMPTY,
  type Observable,
  ReplaySubject,
  concat,
  concatMap,
  defer,
  ignoreElements,
  map,
  of,
  tap,
} from 'rxjs';
import { pollWhileIdle } from '../../operators/poller.js';
import { createBillEscrow } from './bill-escrow.js';
import { createBillIngest } from './bill-ingest.js';
import { type BillType, readBillTable } from './bill-table.js';
import {
  type CcTalkBillValidatorOptions,
  type CcTalkEscrowedBill,
  checkMask,
  resolveBillValidatorOptions,
} from './bill-validator-options.js';
import type { CcTalkBus } from './bus.js';
import { type CcTalkDevice, createDeviceCore } from './device-base.js';
import type { BillEvent, EventBuffer, SelfCheckResult } from './events.js';
import { sendWish, switchOnAfterRead, switchOnIfWanted, trustedOrFail } from './switch-on.js';

export {
  BILL_VALIDATOR_LIMITS,
  type CcTalkBillValidatorOptions,
  type CcTalkEscrowDecision,
  type CcTalkEscrowedBill,
} from './bill-validator-options.js';
export { NoBillInEscrowError } from './bill-escrow.js';
export type { BillType } from './bill-table.js';

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

export function createCcTalkBillValidator(
  bus: CcTalkBus,
  options: CcTalkBillValidatorOptions = {},
): CcTalkBillValidator {
  const resolved = resolveBillValidatorOptions(options);
  const { address, pollIntervalMs, escrowTimeoutMs, decisionTimeoutMs, escrowMode, idOptions } = resolved;
  let mask = resolved.mask;
  /** What the application asked for last (enable()/disable() set it at once). */
  let accepting = resolved.enabled;
  /**
   * The unit is inhibited while the application wants it on ("master inhibit active", or an
   * enable() that could not switch it on): the next poll reads the buffer, then switches it on.
   */
  let switchOnDue = false;
  const core = createDeviceCore(bus, address, options.scheduler);
  const { scheduler } = core;
  const bills = new ReplaySubject<readonly BillType[]>(1);
  let table: readonly BillType[] = [];
  const escrow = createBillEscrow({
    bus,
    address,
    core,
    escrowTimeoutMs,
    decisionTimeoutMs,
    onEscrow: options.onEscrow,
    typeOf: (billType) => table[billType - 1],
  });

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

  // Only ever run right after a trusted buffer read: at connect, and on a restart that read showed.
  const apply$ = defer(() =>
    concat(
      bus.request(address, 'MODIFY_BILL_OPERATING_MODE', { stacker: true, escrow: escrowMode }),
      bus.request(address, 'MODIFY_INHIBIT_STATUS', { mask }),
      // What the application wants when the master inhibit is sent, not when this started.
      sendWish(bus, address, () => accepting),
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
    // A read showing a restart (power lost during an outage) re-applies the settings through
    // the reset path when acted on; they are not sent a second time here.
    defer(() =>
      switchOnAfterRead({
        reader,
        read$: () => read$().pipe(trustedOrFail('Bill validator', address)),
        ingest$: ingest.ingest$,
        switchOn$: apply$,
      }),
    ),
  );

  /** Master inhibit off, unless the application asked for it off in the meantime. */
  const switchOn$ = switchOnIfWanted(
    bus,
    address,
    () => accepting,
    () => {
      switchOnDue = false;
      core.setState({ status: 'enabled' });
    },
  );

  const ingest = createBillIngest({
    bus,
    address,
    core,
    idOptions,
    escrow,
    table: () => table,
    publish,
    accepting: () => accepting,
    markSwitchOnDue: () => {
      switchOnDue = true;
    },
    onReset: () => {
      escrow.clearHold();
      // The reset path switches the unit on itself, after the read that showed the restart.
      switchOnDue = false;
      apply$.subscribe({ error: (err: unknown) => core.report(err) });
    },
  });
  const { reader, ingest$ } = ingest;

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
    escrow$: escrow.escrow$,
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
    stack: () => escrow.route('stack', 'stack'),
    returnBill: () => escrow.route('return', 'returnBill'),
    selfCheck: () => bus.request(address, 'PERFORM_SELF_CHECK'),
    reset: () => bus.request(address, 'RESET_DEVICE').pipe(map(() => undefined)),
    dispose: () => {
      escrow.dispose();
      bills.complete();
      core.device.dispose();
    },
  };
}
