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
  switchMap,
  take,
  tap,
  concatMap,
} from 'rxjs';
import { InvalidArgumentError } from '../../core/errors.js';
import { type Money, money } from '../../core/money.js';
import { pollWhileIdle } from '../../operators/poller.js';
import type { CcTalkBus } from './bus.js';
import type { IdOptions } from './coin-id.js';
import { type CoinSlot, createCoinTable } from './coin-table.js';
import { type CcTalkDevice, checkDeviceAddress, checkOption, createDeviceCore } from './device-base.js';
import { type CoinEvent, type EventBuffer, type SelfCheckResult, decodeCvf } from './events.js';
import { normalizeCoinEvent, rawCoinEvent } from './normalize.js';
import { createRingReader } from './ring-reader.js';
import { switchOnAfterRead, trustedOrFail } from './switch-on.js';

export const COIN_ACCEPTOR_LIMITS = {
  /** Capped well below the acceptor's ~1 s watchdog, leaving room for a retry. */
  pollIntervalMs: { min: 20, max: 600, default: 200 },
  positions: 16,
} as const;

/** Polls between two master inhibit checks while the event counter is 0. */
export const ZERO_COUNTER_CHECK_EVERY = 10;

/** Polls between two reads of the master inhibit and the inhibit mask while the counter is not 0. */
export const SETTINGS_CHECK_EVERY = 50;

export { COIN_ID_RETRY_MS, type CoinSlot } from './coin-table.js';

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
  /**
   * Keep a position whose coin id could not be read inhibited until it is
   * read, so the unit returns those coins instead of taking coins of unknown
   * value. Default true. Not applied to CVF devices (their credits carry the value).
   */
  readonly inhibitUnreadPositions?: boolean;
  readonly scheduler?: SchedulerLike;
}

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
  const guardUnread = options.inhibitUnreadPositions ?? true;
  const core = createDeviceCore(bus, address, options.scheduler);
  const { ref } = core;
  const interval = new ReplaySubject<number>(1);
  let cvf = false;
  /** The inhibit mask the unit last acknowledged; undefined until connect has applied one. */
  let applied: number | undefined;
  const coins = createCoinTable({
    bus,
    address,
    core,
    idOptions: options.currencyOf ? { currencyOf: options.currencyOf } : {},
    valuesByPosition: () => !cvf,
    inhibitsUnread: () => guardUnread && !cvf,
  });

  /** The mask the unit gets: the user's, without positions whose value is unknown. */
  const unitMask = (m: number): number => (guardUnread ? m & ~coins.unreadMask() : m);

  const apply$ = defer(() => {
    const m = unitMask(mask);
    return concat(
      bus.request(address, 'MODIFY_INHIBIT_STATUS', { mask: m }).pipe(tap(() => (applied = m))),
      bus.request(address, 'MODIFY_MASTER_INHIBIT_STATUS', { accepting }),
    );
  }).pipe(
    ignoreElements(),
    tap({ complete: () => core.setState({ status: accepting ? 'enabled' : 'disabled' }) }),
  );

  /** Send the inhibit mask again when the set of unread positions changed since it was applied. */
  const syncMask$ = defer(() => {
    const m = unitMask(mask);
    if (applied === undefined || applied === m) return EMPTY;
    return bus.request(address, 'MODIFY_INHIBIT_STATUS', { mask: m }).pipe(
      tap(() => (applied = m)),
      ignoreElements(),
    );
  });

  /**
   * Act on a confirmed buffer. A new credit at a position whose id is unread has that id read
   * again first, so it is credited with its value in the same pass, in order.
   */
  const ingest$ = (buffer: EventBuffer<CoinEvent>): Observable<never> =>
    concat(
      defer(() =>
        coins.reread(reader.pending(buffer).flatMap((e) => (e.kind === 'credit' ? [e.position] : []))),
      ),
      defer(() => {
        reader.read(buffer);
        return EMPTY;
      }),
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
    defer(() => read$().pipe(trustedOrFail('Coin acceptor', address), concatMap(ingest$))),
    apply$,
  );

  /** A coin the unit took whose value cannot be known: counted as lost, never dropped silently. */
  const unvalued = (position: number, counter: number): void => {
    core.events.next({ type: 'events-lost', device: ref, count: 1 });
    core.errors.next({
      kind: 'events-lost',
      protocol: 'cctalk',
      message:
        `Coin acceptor at address ${address}: a coin was accepted at position ${position} (event ${counter}) ` +
        "but that position's coin id could not be read, even when read again for this coin: its value is " +
        "unknown and it is not credited. Count it by hand (raw 'coin-credit' event) and check the acceptor.",
      info: { address, position, counter },
    });
  };

  const credit = (e: Extract<CoinEvent, { kind: 'credit' }>, counter: number): void => {
    let value: Money | undefined;
    const slot = coins.slots()[e.position - 1];
    if (cvf) {
      const v = decodeCvf(e.position);
      const currency = options.cvfCurrency ?? coins.slots().find((s) => s.money)?.money?.currency;
      if (typeof v === 'number' && currency) value = money(v, currency);
    } else {
      value = slot?.money;
    }
    if (value) {
      core.events.next({ type: 'credit', device: ref, money: value, kind: 'coin', channel: e.position });
    } else if (!cvf && slot?.unread) {
      unvalued(e.position, counter);
    } else {
      // A token or an unprogrammed position: accepted, but no money value to count.
      core.errors.next({
        kind: 'decode',
        protocol: 'cctalk',
        message: `Coin accepted at position ${e.position} has no known value (id '${slot?.id ?? '?'}').`,
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
      if (e.kind === 'credit') credit(e, counter);
      else {
        if (e.code === 2 || e.coinType !== undefined) maskSuspect = true;
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

  // A restart shows as the event counter going back to 0, except when it already was 0 (no
  // coin since power-up): then the acceptor silently comes back inhibited. While the counter
  // is 0 the master inhibit is read every few polls and re-applied when it was lost.
  // Settings can also change without a restart: a damaged host frame can pass the 8-bit
  // checksum as another command (a 229 read turned into a 228 or 231 without data switches
  // the unit, or its positions, off, and coins are returned with no event or as "inhibited").
  // So both are read every SETTINGS_CHECK_EVERY polls, and the mask at once after an
  // "inhibited coin" result.
  let zeroPolls = 0;
  let settingsPolls = 0;
  let maskSuspect = false;
  let masterSuspect = false;
  // A unit found inhibited may have restarted since the last buffer read: its counter is then 0
  // and stays 0 only while it is inhibited. Switching it on before the buffer is read again
  // would let new coins move the counter past 0 unseen; the ring reader would then measure them
  // against the old counter (83 → 1 reads as 173 events, 168 of them "lost"; 1 → 1 hides a coin).
  // So the buffer is read and acted on first (switch-on.ts): a restart is then seen as one, and
  // re-applies the settings itself; otherwise the settings are applied again here.
  const checkMaster$ = (counter: number): Observable<unknown> =>
    bus.request(address, 'REQUEST_MASTER_INHIBIT_STATUS').pipe(
      concatMap((status) => {
        masterSuspect = false;
        if (status.accepting || !accepting) return EMPTY;
        core.raw('inhibited-unexpectedly', { counter });
        return switchOnAfterRead({ reader, read$, switchOn$: apply$, ingest$ }).pipe(
          // Without a trusted read the unit stays off, and the next poll checks again.
          tap((outcome) => {
            if (outcome === 'untrusted') masterSuspect = true;
          }),
          ignoreElements(),
        );
      }),
    );
  const checkMask$ = defer(() =>
    applied === undefined
      ? EMPTY
      : bus.request(address, 'REQUEST_INHIBIT_STATUS').pipe(
          concatMap((found) => {
            if (found === applied) return EMPTY;
            core.raw('inhibits-changed', { expected: applied, found });
            const m = unitMask(mask);
            return bus.request(address, 'MODIFY_INHIBIT_STATUS', { mask: m }).pipe(tap(() => (applied = m)));
          }),
          ignoreElements(),
        ),
  );
  const suspectMask$ = defer(() => {
    if (!maskSuspect) return EMPTY;
    maskSuspect = false;
    return checkMask$;
  });
  const read$ = (): Observable<EventBuffer<CoinEvent>> =>
    reader.confirmed(() => bus.request(address, 'READ_BUFFERED_CREDIT_OR_ERROR_CODES'));
  const poll = (): Observable<unknown> =>
    read$().pipe(
      concatMap((buffer) => {
        const s = core.state.value.status;
        if (s === 'recovering') core.setState({ status: accepting ? 'enabled' : 'disabled' });
        let settings: Observable<unknown> = EMPTY;
        if (buffer.counter !== 0 || !accepting) zeroPolls = 0;
        else if (++zeroPolls % ZERO_COUNTER_CHECK_EVERY === 0) settings = checkMaster$(0);
        if (buffer.counter === 0) settingsPolls = 0;
        else if (++settingsPolls % SETTINGS_CHECK_EVERY === 0) {
          settings = concat(checkMaster$(buffer.counter), checkMask$);
        }
        if (masterSuspect && settings === EMPTY) settings = checkMaster$(buffer.counter);
        return concat(ingest$(buffer), settings, suspectMask$, coins.probe$, syncMask$);
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
    coins$: coins.slots$,
    pollIntervalMs$: interval.asObservable(),
    // The buffer is read before acceptance is switched on, as in the checks above: a unit that
    // restarted since the last poll shows a counter of 0 only until its first coin.
    enable: () =>
      defer(() => {
        const known = reader.lastCounter();
        if (known === undefined) {
          // Not connected yet: the connect switches acceptance on after its baseline read.
          accepting = true;
          return of(undefined);
        }
        return switchOnAfterRead({
          reader,
          read$,
          // A counter of 0 where the one known when enable() started was not: a restart the poll
          // has not acted on yet (or acted on meanwhile: the next master inhibit check settles it).
          restarted: (buffer) => buffer.counter === 0 && known !== 0,
          switchOn$: bus.request(address, 'MODIFY_MASTER_INHIBIT_STATUS', { accepting: true }).pipe(
            tap(() => {
              accepting = true;
              core.setState({ status: 'enabled' });
            }),
          ),
        }).pipe(
          map((outcome) => {
            // A restart, or no trusted read: the next poll reads the buffer, then switches the
            // unit on (or the restart path does).
            if (outcome === 'switched-on') return;
            accepting = true;
            masterSuspect = true;
          }),
        );
      }),
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
        const sent = unitMask(m);
        return ack(
          bus.request(address, 'MODIFY_INHIBIT_STATUS', { mask: sent }).pipe(
            tap(() => {
              mask = m;
              applied = sent;
            }),
          ),
        );
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
