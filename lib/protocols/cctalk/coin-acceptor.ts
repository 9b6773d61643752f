/**
 * ccTalk coin acceptor driver.
 *
 *   const bus = createCcTalkBus(transport);
 *   const acceptor = createCcTalkCoinAcceptor(bus, { address: 2 });
 *   acceptor.events$.pipe(filter(isCredit)).subscribe((c) => count(c.money));
 *
 * Connect: polling priority (249), option flags (213), the coin ids of all
 * 16 positions (184), then inhibits (231) and master inhibit (228). Then 229
 * is polled at the device's own recommended rate, capped so the acceptor's
 * ~1 s poll watchdog never trips (it stops accepting when not polled).
 * Credits are reported exactly once through the event counter (a changed
 * counter is confirmed by a second identical read first); a restart
 * (counter back to 0) re-applies inhibits and master enable without
 * crediting anything again.
 */
import {
  EMPTY,
  type Observable,
  ReplaySubject,
  type SchedulerLike,
  catchError,
  concat,
  defer,
  ignoreElements,
  map,
  of,
  range,
  switchMap,
  take,
  tap,
  toArray,
  concatMap,
} from 'rxjs';
import { InvalidArgumentError } from '../../core/errors.js';
import { type Money, money } from '../../core/money.js';
import { pollWhileIdle } from '../../operators/poller.js';
import type { CcTalkBus } from './bus.js';
import { type IdOptions, parseCoinId } from './coin-id.js';
import { type CcTalkDevice, checkDeviceAddress, checkOption, createDeviceCore } from './device-base.js';
import { type CoinEvent, type EventBuffer, type SelfCheckResult, decodeCvf } from './events.js';
import { normalizeCoinEvent, rawCoinEvent } from './normalize.js';
import { createRingReader } from './ring-reader.js';

export const COIN_ACCEPTOR_LIMITS = {
  /** Capped well below the acceptor's ~1 s watchdog, leaving room for a retry. */
  pollIntervalMs: { min: 20, max: 600, default: 200 },
  positions: 16,
} as const;

/** Polls between two master inhibit checks while the event counter is 0. */
export const ZERO_COUNTER_CHECK_EVERY = 10;

export interface CcTalkCoinAcceptorOptions extends IdOptions {
  /** Default 2. */
  readonly address?: number;
  /** Pause between 229 polls, ms. 20..600. Default: the device's 249 answer, capped to that range; 200 if it has none. */
  readonly pollIntervalMs?: number;
  /** Coin positions to accept, bit n-1 = position n (1 = enabled). 0..0xFFFF, default 0xFFFF. */
  readonly inhibitMask?: number;
  /** Start accepting (master inhibit off) after connecting. Default true. */
  readonly enabled?: boolean;
  /** Currency for CVF devices (option flag bit 0), whose credits carry values instead of positions. */
  readonly cvfCurrency?: string;
  readonly scheduler?: SchedulerLike;
}

/** One coin position as the acceptor reported it (184). */
export interface CoinSlot {
  readonly position: number;
  readonly id: string;
  /** Value, for a known coin id. */
  readonly money?: Money;
  readonly token?: boolean;
}

export interface CcTalkCoinAcceptor extends CcTalkDevice {
  /** Replays the coin table read at connect (and after a restart). */
  readonly coins$: Observable<readonly CoinSlot[]>;
  /** The poll interval in use (replays), ms. */
  readonly pollIntervalMs$: Observable<number>;
  /** Master inhibit off: accept coins. */
  enable(): Observable<void>;
  /** Master inhibit on: reject every coin. */
  disable(): Observable<void>;
  /** Set which positions are accepted. Throws nothing: errors on subscribe, nothing written for a bad mask. */
  setInhibits(mask: number): Observable<void>;
  getInhibits(): Observable<number>;
  getSorterPaths(position: number): Observable<readonly number[]>;
  setSorterPath(position: number, path: number): Observable<void>;
  getOptionFlags(): Observable<number>;
  selfCheck(): Observable<SelfCheckResult>;
  /** Reset the acceptor (header 1). Settings are re-applied when the poll sees the restart. */
  reset(): Observable<void>;
}

function checkMask(mask: number): number {
  if (!Number.isInteger(mask) || mask < 0 || mask > 0xffff) {
    throw new InvalidArgumentError(
      `Coin inhibit mask must be an integer 0..0xFFFF (bit n-1 enables position n), got ${String(mask)}.`,
      { field: 'mask', mask },
    );
  }
  return mask;
}

export function createCcTalkCoinAcceptor(
  bus: CcTalkBus,
  options: CcTalkCoinAcceptorOptions = {},
): CcTalkCoinAcceptor {
  const address = checkDeviceAddress(options.address ?? 2);
  const { min, max, default: fallback } = COIN_ACCEPTOR_LIMITS.pollIntervalMs;
  const fixedInterval = checkOption('pollIntervalMs', options.pollIntervalMs, min, max);
  let mask = checkMask(options.inhibitMask ?? 0xffff);
  let accepting = options.enabled ?? true;
  const core = createDeviceCore(bus, address, options.scheduler);
  const { ref } = core;
  const coins = new ReplaySubject<readonly CoinSlot[]>(1);
  const interval = new ReplaySubject<number>(1);
  let table: readonly CoinSlot[] = [];
  let cvf = false;

  const slotOf = (position: number, id: string): CoinSlot => {
    const parsed = parseCoinId(id, options);
    if (parsed.kind === 'coin') return { position, id, money: money(parsed.amount, parsed.currency) };
    if (parsed.kind === 'token') return { position, id, token: true };
    return { position, id };
  };

  const readCoins$ = range(1, COIN_ACCEPTOR_LIMITS.positions).pipe(
    concatMap((position) =>
      bus.request(address, 'REQUEST_COIN_ID', { position }).pipe(
        map((id) => slotOf(position, id)),
        // A position the device does not answer for is simply not programmed.
        catchError(() => of(slotOf(position, '......'))),
      ),
    ),
    toArray(),
    tap((slots) => {
      table = slots;
      coins.next(slots);
    }),
  );

  const apply$ = defer(() =>
    concat(
      bus.request(address, 'MODIFY_INHIBIT_STATUS', { mask }),
      bus.request(address, 'MODIFY_MASTER_INHIBIT_STATUS', { accepting }),
    ),
  ).pipe(
    ignoreElements(),
    tap({ complete: () => core.setState({ status: accepting ? 'enabled' : 'disabled' }) }),
  );

  const priority$ = bus.request(address, 'REQUEST_POLLING_PRIORITY').pipe(
    map((p) => p.intervalMs),
    catchError(() => of(undefined)),
  );
  const flags$ = bus.request(address, 'REQUEST_OPTION_FLAGS').pipe(catchError(() => of(0)));

  const connect$ = concat(
    bus.request(address, 'SIMPLE_POLL'),
    priority$.pipe(
      tap((recommended) => {
        const chosen =
          fixedInterval ??
          (recommended === undefined || recommended === 0
            ? fallback
            : Math.min(max, Math.max(min, recommended)));
        interval.next(chosen);
      }),
    ),
    flags$.pipe(tap((f) => (cvf = (f & 1) === 1))),
    readCoins$,
    // The baseline is read while the acceptor is still inhibited: a coin taken after
    // acceptance is switched on is then always newer than the baseline, never folded into it.
    defer(() =>
      read$().pipe(
        tap((buffer) => reader.read(buffer)),
        ignoreElements(),
      ),
    ),
    apply$,
  );

  const credit = (e: Extract<CoinEvent, { kind: 'credit' }>): void => {
    let value: Money | undefined;
    if (cvf) {
      const v = decodeCvf(e.position);
      const currency = options.cvfCurrency ?? table.find((s) => s.money)?.money?.currency;
      if (typeof v === 'number' && currency) value = money(v, currency);
    } else {
      value = table[e.position - 1]?.money;
    }
    if (value) {
      core.events.next({ type: 'credit', device: ref, money: value, kind: 'coin', channel: e.position });
    } else {
      // A token or an unprogrammed position: accepted, but no money value to count.
      core.errors.next({
        kind: 'decode',
        protocol: 'cctalk',
        message: `Coin accepted at position ${e.position} has no known value (id '${table[e.position - 1]?.id ?? '?'}').`,
        info: { address, position: e.position },
      });
    }
  };

  const reader = createRingReader<CoinEvent>(
    core,
    'Coin acceptor',
    (e, counter) => {
      const raw = rawCoinEvent(e, counter);
      core.raw(raw.name, raw.data);
      if (e.kind === 'credit') credit(e);
      else {
        const normalized = normalizeCoinEvent(ref, e);
        if (normalized) core.events.next(normalized);
      }
    },
    () => apply$.subscribe({ error: (err: unknown) => core.report(err) }),
  );

  // A restart shows as the event counter going back to 0, except when it already was 0 (no
  // coin since power-up): then the acceptor silently comes back inhibited. While the counter
  // is 0 the master inhibit is read every few polls and re-applied when it was lost.
  let zeroPolls = 0;
  const checkMaster$ = defer(() =>
    bus.request(address, 'REQUEST_MASTER_INHIBIT_STATUS').pipe(
      concatMap((status) => {
        if (status.accepting || !accepting) return EMPTY;
        core.raw('inhibited-unexpectedly', { counter: 0 });
        return apply$;
      }),
    ),
  );
  const read$ = (): Observable<EventBuffer<CoinEvent>> =>
    reader.confirmed(() => bus.request(address, 'READ_BUFFERED_CREDIT_OR_ERROR_CODES'));
  const poll = (): Observable<unknown> =>
    read$().pipe(
      tap((buffer) => {
        const s = core.state.value.status;
        if (s === 'recovering') core.setState({ status: accepting ? 'enabled' : 'disabled' });
        reader.read(buffer);
      }),
      concatMap((buffer) => {
        if (buffer.counter !== 0 || !accepting) zeroPolls = 0;
        else if (++zeroPolls % ZERO_COUNTER_CHECK_EVERY === 0) return checkMaster$;
        return EMPTY;
      }),
    );

  core.start(connect$, () =>
    interval.pipe(
      take(1),
      switchMap((intervalMs) =>
        pollWhileIdle(bus.queue, poll, {
          intervalMs,
          scheduler: core.scheduler,
          onError: (e) => {
            core.report(e);
            core.setState({ status: 'recovering', reason: e instanceof Error ? e.message : String(e) });
          },
        }),
      ),
    ),
  );

  const ack = (o: Observable<unknown>): Observable<void> => o.pipe(map(() => undefined));
  return {
    ...core.device,
    coins$: coins.asObservable(),
    pollIntervalMs$: interval.asObservable(),
    enable: () =>
      ack(
        bus.request(address, 'MODIFY_MASTER_INHIBIT_STATUS', { accepting: true }).pipe(
          tap(() => {
            accepting = true;
            core.setState({ status: 'enabled' });
          }),
        ),
      ),
    disable: () =>
      ack(
        bus.request(address, 'MODIFY_MASTER_INHIBIT_STATUS', { accepting: false }).pipe(
          tap(() => {
            accepting = false;
            core.setState({ status: 'disabled' });
          }),
        ),
      ),
    setInhibits: (next) =>
      defer(() => {
        const m = checkMask(next);
        return ack(bus.request(address, 'MODIFY_INHIBIT_STATUS', { mask: m }).pipe(tap(() => (mask = m))));
      }),
    getInhibits: () => bus.request(address, 'REQUEST_INHIBIT_STATUS'),
    getSorterPaths: (position) => bus.request(address, 'REQUEST_SORTER_PATHS', { position }),
    setSorterPath: (position, path) =>
      ack(bus.request(address, 'MODIFY_SORTER_PATHS', { position, paths: [path] })),
    getOptionFlags: () => bus.request(address, 'REQUEST_OPTION_FLAGS'),
    selfCheck: () => bus.request(address, 'PERFORM_SELF_CHECK'),
    reset: () => ack(bus.request(address, 'RESET_DEVICE')),
  };
}
