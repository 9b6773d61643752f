/**
 * ccTalk hopper (payout) driver: enable (164), dispense by coin count (167)
 * or by value on accumulator hoppers (134), progress from the status
 * registers (166 / 133) as `dispensing` events, then `dispensed` or
 * `payout-incomplete`.
 *
 * Dispense commands are never resent blindly: a lost reply is followed by a
 * status read, and the payout is only followed if the device's event counter
 * moved (the coins are on their way). A payout under way when the line is
 * lost is followed again once the line is back (see hopper-payout.ts). The security bytes of 167/134 are
 * either ignored by unencrypted units ('none': eight zero bytes), or the
 * unit's 3-byte serial number ('serial'); the vendors' cipher algorithms are
 * not published, so a `security` function can supply the bytes instead.
 */
import {
  type Observable,
  ReplaySubject,
  type SchedulerLike,
  catchError,
  concat,
  concatMap,
  defer,
  ignoreElements,
  map,
  of,
  switchMap,
  tap,
  throwError,
} from 'rxjs';
import { CommandTimeoutError, InvalidArgumentError, TransportError } from '../../core/errors.js';
import type { PayoutProgressEvent } from '../../core/events.js';
import { type Money, money } from '../../core/money.js';
import type { CcTalkBus } from './bus.js';
import { type IdOptions, parseCoinId } from './coin-id.js';
import { type CcTalkDevice, checkDeviceAddress, checkOption, createDeviceCore } from './device-base.js';
import type { HopperTest } from './headers.js';
import { type HopperStatus, createPayoutFollower } from './hopper-payout.js';

export type { HopperStatus } from './hopper-payout.js';

export type HopperSecurity =
  | 'none'
  | 'serial'
  /** Vendor cipher: produce the security bytes (3 or 8) for the next dispense. */
  | ((bus: CcTalkBus, address: number) => Observable<Uint8Array>);

export const HOPPER_LIMITS = {
  progressIntervalMs: { min: 20, max: 2000, default: 200 },
} as const;

export interface CcTalkHopperOptions extends IdOptions {
  /** Default 3. */
  readonly address?: number;
  /** Default 'none'. */
  readonly security?: HopperSecurity;
  /** Enable the hopper (164) after connecting. Default true. */
  readonly enabled?: boolean;
  /** Status polling while paying, ms. 20..2000, default 200. */
  readonly progressIntervalMs?: number;
  /** Value of one coin when the hopper's coin id (171) is not usable. */
  readonly coinValue?: Money;
  readonly scheduler?: SchedulerLike;
}

export interface CcTalkHopper extends CcTalkDevice {
  /** Value of one coin (replays once known). */
  readonly coinValue$: Observable<Money | undefined>;
  enable(on?: boolean): Observable<void>;
  /** Pay `count` coins (1..255). Emits progress and completes after the final event. */
  dispense(count: number): Observable<PayoutProgressEvent>;
  /** Pay a value on an accumulator hopper (134), in minor units 1..65535. */
  dispenseValue(value: number): Observable<PayoutProgressEvent>;
  status(): Observable<HopperStatus>;
  /** Total coins paid since manufacture (168). */
  dispenseCount(): Observable<number>;
  test(): Observable<HopperTest>;
  /** Stop now (172); emits the number of coins not paid. */
  emergencyStop(): Observable<number>;
  reset(): Observable<void>;
}

const NO_SECURITY = new Uint8Array(8);

export function createCcTalkHopper(bus: CcTalkBus, options: CcTalkHopperOptions = {}): CcTalkHopper {
  const address = checkDeviceAddress(options.address ?? 3);
  const { min, max, default: fallback } = HOPPER_LIMITS.progressIntervalMs;
  const progressMs = checkOption('progressIntervalMs', options.progressIntervalMs, min, max) ?? fallback;
  const security = options.security ?? 'none';
  const core = createDeviceCore(bus, address, options.scheduler);
  const { ref } = core;
  const coinValue = new ReplaySubject<Money | undefined>(1);
  let value: Money | undefined = options.coinValue;
  let enabled = options.enabled ?? true;

  const enable$ = (on: boolean): Observable<void> =>
    bus.request(address, 'ENABLE_HOPPER', { enable: on }).pipe(
      map(() => {
        enabled = on;
        core.setState({ status: on ? 'enabled' : 'disabled' });
      }),
    );

  const connect$ = concat(
    bus.request(address, 'SIMPLE_POLL'),
    bus.request(address, 'REQUEST_HOPPER_COIN').pipe(
      tap((id) => {
        const parsed = parseCoinId(id, options);
        if (!value && parsed.kind === 'coin') value = money(parsed.amount, parsed.currency);
      }),
      catchError(() => of(undefined)),
      tap(() => coinValue.next(value)),
    ),
    defer(() => (enabled ? enable$(true) : of(core.setState({ status: 'disabled' })))),
  );
  // No background polling: a hopper is only read while paying. The device lives as long as the bus.
  core.start(connect$, () => bus.queue.busy$.pipe(ignoreElements()));

  const securityBytes$ = (): Observable<Uint8Array> => {
    if (typeof security === 'function') return security(bus, address);
    if (security === 'serial') {
      return bus
        .request(address, 'REQUEST_SERIAL_NUMBER')
        .pipe(map((n) => Uint8Array.of(n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff)));
    }
    return of(NO_SECURITY);
  };

  /**
   * Hoppers come back disabled after a power cut (163 register 1 bit 7). If
   * the application wants the hopper enabled, switch it back on before paying.
   */
  const ensureEnabled$ = (): Observable<unknown> =>
    defer(() =>
      enabled
        ? bus
            .request(address, 'TEST_HOPPER')
            .pipe(concatMap((t) => ((t.registers[0] ?? 0) & 0x80 ? enable$(true) : of(undefined))))
        : of(undefined),
    );

  const payout = createPayoutFollower(bus, core, progressMs);

  const runPayout = (
    label: string,
    start$: (sec: Uint8Array) => Observable<unknown>,
    status$: () => Observable<HopperStatus>,
    perUnit: () => Money | undefined,
  ): Observable<PayoutProgressEvent> =>
    concat(ensureEnabled$().pipe(ignoreElements()), status$()).pipe(
      switchMap((before) =>
        securityBytes$().pipe(
          concatMap((sec) =>
            start$(sec).pipe(
              map((): number | undefined => undefined),
              catchError((e: unknown) =>
                e instanceof CommandTimeoutError || (bus.reconnects && e instanceof TransportError)
                  ? payout.afterLostReply$(label, before, status$, e)
                  : throwError(() => e),
              ),
            ),
          ),
          switchMap((known) => payout.follow$(label, before, known, status$, perUnit)),
        ),
      ),
      tap((e) => {
        core.events.next(e);
        if (e.type === 'payout-incomplete') core.raw('payout-incomplete', { command: label });
      }),
    );

  const coinStatus$ = (): Observable<HopperStatus> => bus.request(address, 'REQUEST_HOPPER_STATUS');
  const valueStatus$ = (): Observable<HopperStatus> => bus.request(address, 'REQUEST_HOPPER_POLLING_VALUE');

  return {
    ...core.device,
    coinValue$: coinValue.asObservable(),
    enable: (on = true) => enable$(on),
    dispense: (count) =>
      defer(() => {
        if (!Number.isInteger(count) || count < 1 || count > 255) {
          throw new InvalidArgumentError(
            `Hopper dispense count must be an integer 1..255, got ${String(count)}.`,
            {
              field: 'count',
              count,
            },
          );
        }
        return runPayout(
          'DISPENSE_HOPPER_COINS',
          (sec) => bus.request(address, 'DISPENSE_HOPPER_COINS', { security: sec, count }),
          coinStatus$,
          () => value,
        );
      }),
    dispenseValue: (amount) =>
      defer(() => {
        if (!Number.isInteger(amount) || amount < 1 || amount > 0xffff) {
          throw new InvalidArgumentError(
            `Hopper dispense value must be an integer 1..65535 minor units, got ${String(amount)}.`,
            {
              field: 'value',
              value: amount,
            },
          );
        }
        const unit = value ? money(1, value.currency) : undefined;
        return runPayout(
          'DISPENSE_HOPPER_VALUE',
          (sec) => bus.request(address, 'DISPENSE_HOPPER_VALUE', { security: sec, count: amount }),
          valueStatus$,
          () => unit,
        );
      }),
    status: coinStatus$,
    dispenseCount: () => bus.request(address, 'REQUEST_HOPPER_DISPENSE_COUNT'),
    test: () => bus.request(address, 'TEST_HOPPER'),
    emergencyStop: () => bus.request(address, 'EMERGENCY_STOP'),
    reset: () =>
      bus
        .request(address, 'RESET_DEVICE')
        .pipe(
          ignoreElements(),
          tap({ complete: () => core.events.next({ type: 'device-reset', device: ref }) }),
        ),
  };
}
