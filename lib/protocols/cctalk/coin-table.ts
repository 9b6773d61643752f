/**
 * A coin acceptor's coin table (184, one request per position), read so that
 * a read that failed is never taken for a position that is empty.
 *
 * "Not programmed" is an answer: the device sends `......` (some send six
 * NULs or spaces). No reply, a NAK, or a reply that does not decode is not
 * an answer: the position may well hold a coin the unit accepts, so its value
 * is *unknown* (`unread`), and the acceptor driver reads it again later and
 * when a coin arrives there ({@link createCoinTable} does that work).
 *
 * Each id is read as id-read.ts describes: failed requests asked again,
 * a malformed answer asked again until two agree, a lost line passed on.
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
  range,
  tap,
  toArray,
} from 'rxjs';
import { type Money, money } from '../../core/money.js';
import type { CcTalkBus } from './bus.js';
import { type IdOptions, parseCoinId } from './coin-id.js';
import type { DeviceCore } from './device-base.js';
import { type TrustedRead, readTrusted } from './id-read.js';

/** Back-off between background reads of a coin id that could not be read, ms: doubles from `first` to `max`. */
export const COIN_ID_RETRY_MS = { first: 1000, max: 60_000 } as const;

/** Coin positions a 184 table has. */
const POSITIONS = 16;

/** One coin position as the acceptor reported it (184). */
export interface CoinSlot {
  readonly position: number;
  /** The id as the device sent it; '' when it could not be read. */
  readonly id: string;
  /** Value, for a known coin id. */
  readonly money?: Money;
  readonly token?: boolean;
  /**
   * The id could not be read (no reply, NAK, damaged replies): the value of
   * this position is unknown, not empty. The driver keeps trying to read it.
   */
  readonly unread?: true;
}

interface CoinIdReadOptions extends IdOptions {
  /** Give up at the first failed request (a background probe that must not hold up polling). */
  readonly stopOnFailure?: boolean;
}

/** `......`, or the six NULs or spaces some devices send for an empty position. */
const BLANK_ID = /^[.\0 ]{6}$/;

/** An answer a unit would give: blank, a coin, or a token (not a damaged or unknown id). */
function wellFormed(id: string, options: IdOptions): boolean {
  if (BLANK_ID.test(id)) return true;
  const kind = parseCoinId(id, options).kind;
  return kind === 'coin' || kind === 'token';
}

/**
 * Read the id of one position: the first well-formed answer, or two that
 * agree (see id-read.ts). Emits one result; errors only when the line is lost
 * or the bus disposed.
 */
function readCoinId(
  bus: CcTalkBus,
  address: number,
  position: number,
  options: CoinIdReadOptions = {},
): Observable<TrustedRead<string>> {
  return readTrusted(() => bus.request(address, 'REQUEST_COIN_ID', { position }), {
    wellFormed: (id) => wellFormed(id, options),
    show: (id) => `'${id}'`,
    ...(options.stopOnFailure !== undefined && { stopOnFailure: options.stopOnFailure }),
  });
}

/** What a position holds, from its read. */
function coinSlot(position: number, read: TrustedRead<string>, options: IdOptions = {}): CoinSlot {
  if (read.kind === 'unread') return { position, id: '', unread: true };
  const id = read.value;
  if (BLANK_ID.test(id)) return { position, id };
  const parsed = parseCoinId(id, options);
  if (parsed.kind === 'coin') return { position, id, money: money(parsed.amount, parsed.currency) };
  if (parsed.kind === 'token') return { position, id, token: true };
  return { position, id };
}

/** Bit n-1 set for each position n whose id is unread. */
function unreadMask(table: readonly CoinSlot[]): number {
  return table.reduce((m, s) => (s.unread ? m | (1 << (s.position - 1)) : m), 0);
}

export interface CoinTableContext {
  readonly bus: CcTalkBus;
  readonly address: number;
  readonly core: Pick<DeviceCore, 'errors' | 'raw' | 'scheduler'>;
  readonly idOptions: IdOptions;
  /** False for CVF units: their credits carry the value, so ids are not read again. */
  readonly valuesByPosition: () => boolean;
  /** Whether an unread position is kept inhibited (said in the diagnostic). */
  readonly inhibitsUnread: () => boolean;
}

/** A coin acceptor's coin table and the work of reading the ids it could not read. */
export interface CoinTable {
  /** Replays the table: after each full read, and each time an unread id is read. */
  readonly slots$: Observable<readonly CoinSlot[]>;
  slots(): readonly CoinSlot[];
  /** Read all 16 ids (at connect); one diagnostic per position left unread. */
  readonly readAll$: Observable<never>;
  /** Read again, in full, the ids of those of `positions` that are unread (coins arrived there). */
  reread(positions: Iterable<number>): Observable<never>;
  /** Read the first unread id once, when the back-off allows; gives up at its first failed request. */
  readonly probe$: Observable<never>;
  /** Bit n-1 set for each unread position n (0 for CVF units). */
  unreadMask(): number;
}

export function createCoinTable(ctx: CoinTableContext): CoinTable {
  const { bus, address, core, idOptions } = ctx;
  const slots$ = new ReplaySubject<readonly CoinSlot[]>(1);
  let table: readonly CoinSlot[] = [];
  /** When the next background read may go out, and the pause after it if it fails. */
  let retryAt = 0;
  let retryMs: number = COIN_ID_RETRY_MS.first;

  const publish = (next: readonly CoinSlot[]): void => {
    table = next;
    slots$.next(next);
  };
  /** Take a fresh read of an unread position; true when it now has an id. */
  const learn = (position: number, read: TrustedRead<string>): boolean => {
    if (read.kind !== 'read') return false;
    const slot = coinSlot(position, read, idOptions);
    publish(table.map((s) => (s.position === position ? slot : s)));
    core.raw('coin-id', { position, id: read.value });
    return true;
  };
  const unread = (position: number): boolean => ctx.valuesByPosition() && !!table[position - 1]?.unread;

  const reportUnread = (position: number, reason: string): void => {
    core.errors.next({
      kind: 'decode',
      protocol: 'cctalk',
      message:
        `Coin acceptor at address ${address}: the coin id of position ${position} could not be read ` +
        `(${reason}); its value is unknown, not empty. ` +
        (ctx.inhibitsUnread() ? 'The position stays inhibited until it is read; ' : '') +
        'reading it again while polling.',
      info: { address, position, reason },
    });
  };

  const readAll$ = range(1, POSITIONS).pipe(
    concatMap((position) =>
      readCoinId(bus, address, position, idOptions).pipe(
        tap((read) => {
          if (read.kind === 'unread') reportUnread(position, read.reason);
        }),
        map((read) => coinSlot(position, read, idOptions)),
      ),
    ),
    toArray(),
    tap((slots) => {
      publish(slots);
      retryMs = COIN_ID_RETRY_MS.first;
      retryAt = core.scheduler.now() + retryMs;
    }),
    ignoreElements(),
  );

  const probe$ = defer(() => {
    const slot = table.find((s) => unread(s.position));
    if (slot === undefined || core.scheduler.now() < retryAt) return EMPTY;
    return readCoinId(bus, address, slot.position, { ...idOptions, stopOnFailure: true }).pipe(
      tap((read) => {
        if (learn(slot.position, read)) return; // the next unread one at the next poll
        retryMs = Math.min(COIN_ID_RETRY_MS.max, retryMs * 2);
        retryAt = core.scheduler.now() + retryMs;
      }),
      ignoreElements(),
    );
  });

  return {
    slots$: slots$.asObservable(),
    slots: () => table,
    readAll$,
    reread: (positions) =>
      defer(() =>
        concat(
          ...[...new Set(positions)].filter(unread).map((p) =>
            readCoinId(bus, address, p, idOptions).pipe(
              tap((read) => learn(p, read)),
              ignoreElements(),
            ),
          ),
        ),
      ),
    probe$,
    unreadMask: () => (ctx.valuesByPosition() ? unreadMask(table) : 0),
  };
}
