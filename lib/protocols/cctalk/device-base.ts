/**
 * What every ccTalk device driver on a bus shares: its address, the output
 * streams (events$, state$, errors$, trace$), a typed `send` of any table
 * header to this address, and the connect → poll life cycle with retries.
 *
 * The life cycle follows the bus's line: each time the line is open the
 * device runs its connect sequence (which re-reads its event buffer against
 * the counter it already knows, so nothing is credited twice or dropped) and
 * then polls; while the line is down it is 'recovering' (or still
 * 'connecting' if it never connected) and the loss is reported once on
 * errors$ as a TransportError; a line that is closed for good is 'error'.
 */
import {
  BehaviorSubject,
  EMPTY,
  type Observable,
  type SchedulerLike,
  Subject,
  type Subscription,
  asyncScheduler,
  catchError,
  concat,
  defer,
  filter,
  ignoreElements,
  retry,
  switchMap,
  takeUntil,
  tap,
  throwError,
  timer,
} from 'rxjs';
import type { Diagnostic } from '../../core/diagnostics.js';
import {
  type CashwireError,
  DisposedError,
  InvalidArgumentError,
  OptionRangeError,
  TransportError,
  isCashwireError,
} from '../../core/errors.js';
import type { DeviceEvent, DeviceRef, DeviceState } from '../../core/events.js';
import { type LinkStats, linkStats } from '../../operators/stats.js';
import type { FrameTrace } from '../../operators/trace.js';
import type { CcTalkBus } from './bus.js';
import type { ArgsParam, HeaderName, ReplyOf } from './headers.js';
import type { CcTalkLineState } from './line.js';

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export interface CcTalkDevice {
  readonly address: number;
  /** Hot: normalized cash events plus raw ccTalk events (`type: 'raw'`). Completes on dispose. */
  readonly events$: Observable<DeviceEvent>;
  /** Replays the latest life-cycle state. */
  readonly state$: Observable<DeviceState>;
  /** Recoverable problems: failed polls, decode problems, lost events. Never terminates on them. */
  readonly errors$: Observable<Diagnostic | CashwireError>;
  /**
   * Frames to and from this device's address. The first command goes out one
   * scheduler tick after the device is created, so subscribing right after
   * creating it sees every frame.
   */
  readonly trace$: Observable<FrameTrace>;
  /**
   * Link counters (tx, rx, checksum errors, resyncs, timeouts, retries, NAKs)
   * and latency, from subscription on. ccTalk devices share one wire and one
   * request queue, so these count the whole bus (every address on it), not
   * only this device. Completes on dispose.
   */
  readonly stats$: Observable<LinkStats>;
  /** Any header of the table, to this device (cold; bad arguments error with nothing written). */
  send<K extends HeaderName>(name: K, ...args: ArgsParam<K>): Observable<ReplyOf<K>>;
  /** Stops polling and completes the streams. The bus stays open (other devices use it). */
  dispose(): void;
}

/** Pause between two connection attempts, ms. */
export const RECONNECT_DELAY_MS = 1000;

export interface DeviceCore {
  readonly ref: DeviceRef;
  readonly scheduler: SchedulerLike;
  readonly events: Subject<DeviceEvent>;
  readonly state: BehaviorSubject<DeviceState>;
  readonly errors: Subject<Diagnostic | CashwireError>;
  readonly disposed$: Subject<void>;
  readonly device: CcTalkDevice;
  raw(name: string, data: Readonly<Record<string, unknown>>): void;
  /** Report a recoverable problem on errors$. */
  report(e: unknown): void;
  setState(next: DeviceState): void;
  /**
   * One scheduler tick from now, run `connect$` (retried every second until
   * it succeeds), then `run$` (the poll loop) until dispose. Both start again
   * each time a reopening bus has its line back.
   */
  start(connect$: Observable<unknown>, run: () => Observable<unknown>): void;
}

export function checkDeviceAddress(address: number): number {
  if (!Number.isInteger(address) || address < 2 || address > 255) {
    throw new InvalidArgumentError(
      `ccTalk device address must be an integer 2..255, got ${String(address)}.`,
      {
        address,
      },
    );
  }
  return address;
}

export function checkOption(
  option: string,
  value: number | undefined,
  min: number,
  max: number,
  unit = 'ms',
) {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new OptionRangeError(option, value, min, max, unit);
  }
  return value;
}

export function createDeviceCore(
  bus: CcTalkBus,
  address: number,
  scheduler: SchedulerLike = asyncScheduler,
): DeviceCore {
  const ref: DeviceRef = { protocol: 'cctalk', address };
  const events = new Subject<DeviceEvent>();
  const state = new BehaviorSubject<DeviceState>({ status: 'connecting', attempt: 1 });
  const errors = new Subject<Diagnostic | CashwireError>();
  const disposed$ = new Subject<void>();
  let starter: Subscription | undefined;
  let sub: Subscription | undefined;
  let disposed = false;

  const setState = (next: DeviceState): void => {
    if (disposed || JSON.stringify(state.value) === JSON.stringify(next)) return;
    state.next(next);
  };
  const report = (e: unknown): void => {
    if (isCashwireError(e)) errors.next(e);
    else errors.next({ kind: 'decode', protocol: 'cctalk', message: String(e), info: { address } });
  };

  const device: CcTalkDevice = {
    address,
    events$: events.asObservable(),
    state$: state.asObservable(),
    errors$: errors.asObservable(),
    trace$: bus.trace$.pipe(filter((t) => t.address === address)),
    stats$: linkStats(bus.trace$, bus.queue.events$, bus.diagnostics$).pipe(takeUntil(disposed$)),
    send: (name, ...args) => bus.request(address, name, ...args),
    dispose: () => {
      if (disposed) return;
      starter?.unsubscribe();
      sub?.unsubscribe();
      disposed$.next();
      disposed$.complete();
      state.next({ status: 'disposed' });
      disposed = true;
      state.complete();
      events.complete();
      errors.complete();
    },
  };

  return {
    ref,
    scheduler,
    events,
    state,
    errors,
    disposed$,
    device,
    report,
    raw: (name, data) => events.next({ type: 'raw', device: ref, name, data }),
    setState,
    start: (connect$, run) => {
      let attempt = 1;
      /** Connected at least once: a later outage is 'recovering', not 'connecting'. */
      let connected = false;
      /** The message last reported for this outage, so a port that stays missing is reported once. */
      let reported: string | undefined;
      const connected$ = defer(() => connect$).pipe(
        retry({
          delay: (e: unknown) => {
            // The line is gone or the bus was disposed: line$ says what comes next.
            if (e instanceof TransportError || e instanceof DisposedError) return throwError(() => e);
            report(e);
            attempt += 1;
            setState(
              connected ? { status: 'recovering', reason: messageOf(e) } : { status: 'connecting', attempt },
            );
            return timer(RECONNECT_DELAY_MS, scheduler);
          },
        }),
      );
      /** One open line: (re-)sync, then poll. After a reopen the connect sequence runs again. */
      const session$ = concat(
        connected$.pipe(
          ignoreElements(),
          tap({
            complete: () => {
              connected = true;
              reported = undefined;
            },
          }),
        ),
        defer(run),
      ).pipe(
        // On a reopening bus a request failing with the line is followed by line$ going down.
        catchError((e: unknown) =>
          bus.reconnects && e instanceof TransportError ? EMPTY : throwError(() => e),
        ),
      );
      const outage = (s: Extract<CcTalkLineState, { status: 'down' }>): void => {
        if (reported !== s.reason) report(s.error);
        reported = s.reason;
        setState(
          connected
            ? {
                status: 'recovering',
                reason: `${s.after === 'loss' ? 'line lost' : 'reopening the line failed'}: ${s.reason}`,
              }
            : { status: 'connecting', attempt: s.attempt },
        );
      };
      const life$ = bus.line$.pipe(
        switchMap((s): Observable<unknown> => {
          switch (s.status) {
            case 'open':
              attempt = 1;
              return session$;
            case 'down':
              outage(s);
              return EMPTY;
            case 'closed':
              return throwError(
                () => s.error ?? new TransportError(`The ccTalk bus of device ${address} closed.`),
              );
            default:
              return EMPTY;
          }
        }),
      );
      const lineLost = (e: unknown): void => {
        report(e);
        setState({ status: 'error', error: e instanceof Error ? e : new TransportError(String(e)) });
      };
      // Started on the scheduler, not inside the factory: the caller subscribes
      // to trace$ (and events$) right after creating the device, and the first
      // command must not go out before that.
      starter = scheduler.schedule(() => {
        if (disposed) return;
        bus.open();
        sub = life$.pipe(takeUntil(disposed$)).subscribe({
          error: lineLost,
          // line$ only completes after 'closed', which errors above.
          complete: () => {
            if (!disposed) lineLost(new TransportError(`The ccTalk bus of device ${address} closed.`));
          },
        });
      });
    },
  };
}
