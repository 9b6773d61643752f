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
 * crediting anything again. Acceptance is only ever switched on after a
 * trusted buffer read: a restarted unit's counter stays 0 while it is
 * inhibited, so the restart is always seen before its next coin.
 *
 * A coin id that cannot be read (see coin-table.ts) leaves its position's
 * value unknown, never empty: the position is kept inhibited until the id is
 * read (retried with back-off while polling), and a coin that arrives there
 * anyway has its id read again before it is credited. If that fails too, the
 * coin is reported as `events-lost` with a diagnostic, never dropped silently.
 *
 * Options: coin-acceptor-options.ts. The credit path: coin-credit.ts. The
 * periodic read-back of the master inhibit and the mask: coin-settings-check.ts.
 */
import {
  type Observable,
  ReplaySubject,
  catchError,
  concat,
  defer,
  map,
  of,
  switchMap,
  take,
  tap,
  concatMap,
} from 'rxjs';
import { pollWhileIdle } from '../../operators/poller.js';
import type { CcTalkBus } from './bus.js';
import { type CcTalkCoinAcceptorOptions, COIN_ACCEPTOR_LIMITS, checkMask } from './coin-acceptor-options.js';
import { createCoinCredit } from './coin-credit.js';
import { createCoinInhibits } from './coin-inhibits.js';
import { createCoinSettingsCheck } from './coin-settings-check.js';
import { type CoinSlot, createCoinTable } from './coin-table.js';
import { type CcTalkDevice, checkDeviceAddress, checkOption, createDeviceCore } from './device-base.js';
import type { CoinEvent, EventBuffer, SelfCheckResult } from './events.js';
import { normalizeCoinEvent, rawCoinEvent } from './normalize.js';
import { createRingReader, readPrepared } from './ring-reader.js';
import { switchOnAfterRead, switchOnIfWanted, trustedOrFail } from './switch-on.js';

export { COIN_ACCEPTOR_LIMITS, type CcTalkCoinAcceptorOptions } from './coin-acceptor-options.js';
export { SETTINGS_CHECK_EVERY } from './coin-settings-check.js';
export { COIN_ID_RETRY_MS, type CoinSlot } from './coin-table.js';

export interface CcTalkCoinAcceptor extends CcTalkDevice {
  /** Replays the coin table read at connect, and again each time an unread id is read. */
  readonly coins$: Observable<readonly CoinSlot[]>;
  /** The poll interval in use (replays), ms. */
  readonly pollIntervalMs$: Observable<number>;
  /** Master inhibit off: accept coins. */
  enable(): Observable<void>;
  /** Master inhibit on: reject every coin. */
  disable(): Observable<void>;
  /**
   * Set which positions are accepted. Throws nothing: errors on subscribe, nothing written for a bad mask.
   * Positions whose coin id is unread stay inhibited at the unit until it is read (`inhibitUnreadPositions`).
   */
  setInhibits(mask: number): Observable<void>;
  getInhibits(): Observable<number>;
  getSorterPaths(position: number): Observable<readonly number[]>;
  setSorterPath(position: number, path: number): Observable<void>;
  getOptionFlags(): Observable<number>;
  selfCheck(): Observable<SelfCheckResult>;
  /** Reset the acceptor (header 1). Settings are re-applied when the poll sees the restart. */
  reset(): Observable<void>;
}

export function createCcTalkCoinAcceptor(
  bus: CcTalkBus,
  options: CcTalkCoinAcceptorOptions = {},
): CcTalkCoinAcceptor {
  const address = checkDeviceAddress(options.address ?? 2);
  const { min, max, default: fallback } = COIN_ACCEPTOR_LIMITS.pollIntervalMs;
  const fixedInterval = checkOption('pollIntervalMs', options.pollIntervalMs, min, max);
  const mask = checkMask(options.inhibitMask ?? 0xffff);
  /** What the application asked for last (enable()/disable() set it at once). */
  let accepting = options.enabled ?? true;
  const guardUnread = options.inhibitUnreadPositions ?? true;
  const core = createDeviceCore(bus, address, options.scheduler);
  const { ref } = core;
  const interval = new ReplaySubject<number>(1);
  let cvf = false;
  const coins = createCoinTable({
    bus,
    address,
    core,
    idOptions: options.currencyOf ? { currencyOf: options.currencyOf } : {},
    valuesByPosition: () => !cvf,
    inhibitsUnread: () => guardUnread && !cvf,
  });
  const inhibits = createCoinInhibits({
    bus,
    address,
    core,
    coins,
    guardUnread,
    mask,
    accepting: () => accepting,
  });
  const { apply$, syncMask$ } = inhibits;

  /**
   * Act on a confirmed buffer. A new credit at a position whose id is unread has that id read
   * again first, so it is credited with its value in the same pass, in order.
   */
  const ingest$ = (buffer: EventBuffer<CoinEvent>): Observable<never> =>
    readPrepared(reader, buffer, (pending) =>
      coins.reread(pending.flatMap((e) => (e.kind === 'credit' ? [e.position] : []))),
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
    coins.readAll$,
    // The baseline is read while the acceptor is still inhibited: a coin taken after
    // acceptance is switched on is then always newer than the baseline, never folded into it.
    // Without a trusted read acceptance stays off (the connect is tried again): a unit that
    // restarted during an outage shows it only by its counter of 0, which its first coin ends.
    // A read showing a restart (power lost during an outage) re-applies the settings through
    // the reset path when acted on; they are not sent a second time here.
    defer(() =>
      switchOnAfterRead({
        reader,
        read$: () => read$().pipe(trustedOrFail('Coin acceptor', address)),
        ingest$,
        switchOn$: apply$,
      }),
    ),
  );

  const credit = createCoinCredit({ core, address, coins, cvf: () => cvf, cvfCurrency: options.cvfCurrency });

  const reader = createRingReader<CoinEvent>(
    core,
    'Coin acceptor',
    (e, counter) => {
      const raw = rawCoinEvent(e, counter);
      core.raw(raw.name, raw.data);
      if (e.kind === 'credit') credit(e, counter);
      else {
        if (e.code === 2 || e.coinType !== undefined) checks.markMaskSuspect();
        const normalized = normalizeCoinEvent(ref, e);
        if (normalized) core.events.next(normalized);
      }
    },
    () => {
      apply$.subscribe({ error: (err: unknown) => core.report(err) });
    },
    // (0,0) is the null event: a unit never buffers it, its buffer is all (0,0) after a restart.
    (e) => e.kind === 'error' && e.code === 0,
  );

  const read$ = (): Observable<EventBuffer<CoinEvent>> =>
    reader.confirmed(() => bus.request(address, 'READ_BUFFERED_CREDIT_OR_ERROR_CODES'));
  const checks = createCoinSettingsCheck({
    bus,
    address,
    core,
    reader,
    read$,
    ingest$,
    apply$,
    accepting: () => accepting,
    applied: inhibits.applied,
    setApplied: inhibits.setApplied,
    unitMask: inhibits.unitMask,
  });
  const poll = (): Observable<unknown> =>
    read$().pipe(
      concatMap((buffer) => {
        const s = core.state.value.status;
        if (s === 'recovering') core.setState({ status: accepting ? 'enabled' : 'disabled' });
        const settings = checks.settingsFor(buffer);
        return concat(ingest$(buffer), settings, checks.suspectMask$, coins.probe$, syncMask$);
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

  /** Master inhibit off, unless the application asked for it off in the meantime. */
  const switchOn$ = switchOnIfWanted(
    bus,
    address,
    () => accepting,
    () => core.setState({ status: 'enabled' }),
  );

  const ack = (o: Observable<unknown>): Observable<void> => o.pipe(map(() => undefined));
  return {
    ...core.device,
    coins$: coins.slots$,
    pollIntervalMs$: interval.asObservable(),
    // The buffer is read before acceptance is switched on, as in the settings checks: a unit that
    // restarted since the last poll shows a counter of 0 only until its first coin.
    enable: () =>
      defer(() => {
        accepting = true;
        // Not connected yet: the connect switches acceptance on after its baseline read.
        if (reader.lastCounter() === undefined) return of(undefined);
        // A user command does not act on the buffer (the poll does, in order): a restart it
        // shows, reads that do not agree, or a failed request leave the switch-on to the next
        // poll's master inhibit check (the error is still passed on).
        return switchOnAfterRead({ reader, read$, switchOn$ }).pipe(
          map((outcome) => {
            if (outcome !== 'switched-on') checks.markMasterSuspect();
          }),
          tap({
            error: () => {
              if (accepting) checks.markMasterSuspect();
            },
          }),
        );
      }),
    disable: () =>
      defer(() => {
        // Recorded at once: a switch-on under way checks it before its 228 goes out.
        accepting = false;
        return bus.request(address, 'MODIFY_MASTER_INHIBIT_STATUS', { accepting: false }).pipe(
          map(() => core.setState({ status: 'disabled' })),
          // The unit may still be taking coins: the next poll reads its master inhibit
          // and switches it off (the error is still passed on).
          tap({
            error: () => {
              if (!accepting) checks.markMasterSuspect();
            },
          }),
        );
      }),
    setInhibits: (next) => inhibits.set(next),
    getInhibits: () => bus.request(address, 'REQUEST_INHIBIT_STATUS'),
    getSorterPaths: (position) => bus.request(address, 'REQUEST_SORTER_PATHS', { position }),
    setSorterPath: (position, path) =>
      ack(bus.request(address, 'MODIFY_SORTER_PATHS', { position, paths: [path] })),
    getOptionFlags: () => bus.request(address, 'REQUEST_OPTION_FLAGS'),
    selfCheck: () => bus.request(address, 'PERFORM_SELF_CHECK'),
    reset: () => ack(bus.request(address, 'RESET_DEVICE')),
  };
}
