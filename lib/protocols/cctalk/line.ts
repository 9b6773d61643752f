/**
 * The wire under a ccTalk bus, and how it survives being lost.
 *
 * A bus is given either a Transport (losing it is final: the bus closes) or an
 * opener, `Observable<Transport>` such as `openSerialTransport(path, settings)`.
 * With an opener the line is opened on first use and, whenever the transport
 * errors, closes or fails a write, it is closed and opened again after a
 * growing pause ({@link backoffDelay}), until the bus is disposed. A USB
 * adapter that re-enumerates, or a cable pulled and pushed back, costs an
 * outage, not the bus.
 *
 * Every opened transport is one *generation*: the bus builds its per-line
 * parts on it (`attach`) and drops them when it goes (`detach`). Several
 * devices share the bus, so the line state is published once, on `state$`,
 * and each device re-syncs itself when the line is back.
 *
 * Order on a loss: the new state is published first (devices stop their work
 * on this generation), then the generation's byte stream errors, which ends
 * whatever requests are still in flight with the TransportError.
 */
import {
  BehaviorSubject,
  type Observable,
  type SchedulerLike,
  Subject,
  Subscription,
  catchError,
  defer,
  filter,
  isObservable,
  switchMap,
  take,
  throwError,
} from 'rxjs';
import { DisposedError, InvalidArgumentError, TransportError } from '../../core/errors.js';
import { type ResolvedBackoff, backoffDelay, resolveBackoff } from '../../operators/backoff.js';
import type { Transport } from '../../transport/transport.js';

/** What a bus runs on: a Transport (used once) or an opener (reopened after a loss). */
export type CcTalkBusTarget = Transport | Observable<Transport>;

export interface CcTalkReconnectOptions {
  /** Pause before the first reopen after a loss, ms; doubles per failed attempt. 10..60000, default 500. */
  readonly initialDelayMs?: number;
  /** Longest pause between two reopen attempts, ms. 10..600000 and not below initialDelayMs, default 10000. */
  readonly maxDelayMs?: number;
}

export const CCTALK_RECONNECT_LIMITS = {
  initialDelayMs: { min: 10, max: 60_000, default: 500 },
  maxDelayMs: { min: 10, max: 600_000, default: 10_000 },
} as const;

export type ResolvedReconnect = ResolvedBackoff;

/** The life of the line under a bus. */
export type CcTalkLineState =
  /** An opener nobody has used yet: it is opened by the first request or device. */
  | { readonly status: 'idle' }
  /** An open attempt is under way (attempt 1 is the first since the line was last open). */
  | { readonly status: 'opening'; readonly attempt: number }
  /** Requests go out on the `generation`-th opened transport. */
  | { readonly status: 'open'; readonly generation: number; readonly description: string }
  /** Lost (`after: 'loss'`), or an open failed: the next attempt starts in `retryInMs`. Requests fail at once meanwhile. */
  | {
      readonly status: 'down';
      readonly after: 'loss' | 'failed-open';
      readonly reason: string;
      readonly error: TransportError;
      readonly attempt: number;
      readonly retryInMs: number;
    }
  /** For good: the bus was disposed (no error) or its Transport was lost (the error). */
  | { readonly status: 'closed'; readonly error?: TransportError };

/** The part of a transport a generation's owner may use. Writes that fail end the generation. */
export interface LineIo {
  readonly data$: Observable<Uint8Array>;
  write(bytes: Uint8Array): Observable<void>;
  readonly description: string;
}

export interface LineHooks<S> {
  readonly scheduler: SchedulerLike;
  readonly reconnect: ResolvedReconnect;
  /** Shown while no transport is open yet. */
  readonly description?: string;
  /** Build what lives on one opened transport. */
  attach(io: LineIo, generation: number): S;
  /** That transport is gone (its byte stream has already ended): release what attach built. */
  detach(session: S): void;
}

export interface CcTalkLine<S> {
  /** Replays the current state; completes once the line is closed for good. */
  readonly state$: Observable<CcTalkLineState>;
  readonly state: CcTalkLineState;
  /** True with an opener: a lost line is reopened. */
  readonly reconnects: boolean;
  readonly description: string;
  /** Start opening (an opener that is idle); otherwise nothing. */
  open(): void;
  /** The session of the open generation, if any. */
  current(): S | undefined;
  /**
   * Cold: run `work` on the open generation. While the line is being opened it
   * waits for that attempt; while it is down or closed it errors at once.
   */
  use<R>(work: (session: S) => Observable<R>): Observable<R>;
  dispose(): void;
}

/** Check the `reconnect` option. A Transport cannot be reopened, so the option needs an opener. */
export function resolveReconnect(
  target: CcTalkBusTarget,
  options: CcTalkReconnectOptions | undefined,
): ResolvedReconnect {
  if (options !== undefined && !isObservable(target)) {
    throw new InvalidArgumentError(
      "Option 'reconnect' needs an opener (an Observable<Transport> such as openSerialTransport(path, " +
        'CCTALK_LINE_SETTINGS)); a Transport given directly cannot be reopened.',
      { option: 'reconnect' },
    );
  }
  return resolveBackoff(options, CCTALK_RECONNECT_LIMITS);
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function asTransportError(e: unknown, description: string): TransportError {
  return e instanceof TransportError
    ? e
    : new TransportError(
        `The ccTalk line ${description} failed: ${messageOf(e)}`,
        { path: description },
        {
          cause: e,
        },
      );
}

interface Generation<S> {
  readonly transport: Transport;
  readonly data: Subject<Uint8Array>;
  readonly sub: Subscription;
  session: S | undefined;
  dead: boolean;
}

export function createCcTalkLine<S>(target: CcTalkBusTarget, hooks: LineHooks<S>): CcTalkLine<S> {
  const opener = isObservable(target) ? target : undefined;
  const { scheduler, reconnect } = hooks;
  const state = new BehaviorSubject<CcTalkLineState>({ status: 'idle' });
  let gen: Generation<S> | undefined;
  let generations = 0;
  /** Losses and failed opens since bytes last arrived: drives the back-off. */
  let failures = 0;
  /** Open attempts since the line was last open. */
  let attempts = 0;
  /** Scheduler time of the next open attempt while down (requests say how long is left). */
  let nextAttemptAt = 0;
  let openSub: Subscription | undefined;
  let retryTimer: Subscription | undefined;
  let disposed = false;
  let lastDescription = hooks.description ?? (opener ? 'ccTalk line (not open yet)' : '');

  const publish = (next: CcTalkLineState): void => {
    if (!state.closed) state.next(next);
  };

  const closeOwned = (t: Transport): void => {
    if (opener) t.close().subscribe({ error: () => undefined });
  };

  const down = (error: TransportError, after: 'loss' | 'failed-open'): void => {
    failures += 1;
    const retryInMs = backoffDelay(failures, reconnect.initialDelayMs, reconnect.maxDelayMs);
    nextAttemptAt = scheduler.now() + retryInMs;
    publish({ status: 'down', after, reason: error.message, error, attempt: attempts + 1, retryInMs });
    retryTimer?.unsubscribe();
    retryTimer = scheduler.schedule(() => {
      retryTimer = undefined;
      tryOpen();
    }, retryInMs);
  };

  const lose = (g: Generation<S>, error: TransportError): void => {
    if (g.dead) return;
    g.dead = true;
    if (gen === g) gen = undefined;
    g.sub.unsubscribe();
    if (opener && !disposed) down(error, 'loss');
    else publish({ status: 'closed', error });
    // Requests still in flight on this generation end with the loss.
    g.data.error(error);
    if (g.session !== undefined) hooks.detach(g.session);
    closeOwned(g.transport);
    if (!opener) state.complete();
  };

  const attach = (t: Transport): void => {
    const g: Generation<S> = {
      transport: t,
      data: new Subject<Uint8Array>(),
      sub: new Subscription(),
      session: undefined,
      dead: false,
    };
    generations += 1;
    lastDescription = t.description;
    const io: LineIo = {
      data$: g.data.asObservable(),
      description: t.description,
      write: (bytes) =>
        defer(() =>
          g.dead
            ? throwError(() => new TransportError(`The ccTalk line ${t.description} is gone.`))
            : t.write(bytes),
        ).pipe(
          catchError((e: unknown) => {
            const err = asTransportError(e, t.description);
            // A write the line refuses means the line is gone, whatever data$ says.
            lose(g, err);
            return throwError(() => err);
          }),
        ),
    };
    g.session = hooks.attach(io, generations);
    gen = g;
    attempts = 0;
    // A transport may end on subscribe (already closed): lose() then runs before 'open' would.
    g.sub.add(
      t.data$.subscribe({
        next: (bytes) => {
          if (g.dead) return;
          failures = 0; // bytes arrived: the line works, the next loss starts the back-off afresh
          g.data.next(bytes);
        },
        error: (e: unknown) => lose(g, asTransportError(e, t.description)),
        complete: () =>
          lose(g, new TransportError(`The ccTalk line ${t.description} closed.`, { path: t.description })),
      }),
    );
    if (!g.dead) publish({ status: 'open', generation: generations, description: t.description });
  };

  function tryOpen(): void {
    if (disposed || opener === undefined || gen !== undefined) return;
    attempts += 1;
    publish({ status: 'opening', attempt: attempts });
    let got = false;
    openSub = opener.pipe(take(1)).subscribe({
      next: (t) => {
        got = true;
        if (disposed) closeOwned(t);
        else attach(t);
      },
      error: (e: unknown) => {
        if (!disposed) down(asTransportError(e, lastDescription), 'failed-open');
      },
      complete: () => {
        if (!got && !disposed) {
          down(
            new TransportError(`The opener of ${lastDescription} completed without a transport.`),
            'failed-open',
          );
        }
      },
    });
  }

  if (!opener) attach(target as Transport);

  const errorOf = (s: CcTalkLineState): unknown => {
    if (s.status === 'down') {
      const retryInMs = Math.max(0, nextAttemptAt - scheduler.now());
      return new TransportError(
        `The ccTalk line ${lastDescription} is down (${s.reason}); the next attempt to open it is in ${retryInMs} ms.`,
        { path: lastDescription, reason: s.reason, retryInMs },
        { cause: s.error },
      );
    }
    if (s.status === 'closed') return s.error ?? new DisposedError('ccTalk bus');
    return new TransportError(`The ccTalk line ${lastDescription} is not open.`, { path: lastDescription });
  };

  const open = (): void => {
    if (state.value.status === 'idle') tryOpen();
  };

  return {
    state$: state.asObservable(),
    get state() {
      return state.value;
    },
    reconnects: opener !== undefined,
    get description() {
      return lastDescription;
    },
    open,
    current: () => gen?.session,
    use: <R>(work: (session: S) => Observable<R>): Observable<R> =>
      defer(() => {
        open();
        if (gen?.session !== undefined) return work(gen.session);
        if (state.value.status !== 'opening') return throwError(() => errorOf(state.value));
        return state.pipe(
          filter((s) => s.status !== 'opening'),
          take(1),
          switchMap((s) => (gen?.session !== undefined ? work(gen.session) : throwError(() => errorOf(s)))),
        );
      }),
    dispose: () => {
      if (disposed) return;
      disposed = true;
      openSub?.unsubscribe();
      retryTimer?.unsubscribe();
      const g = gen;
      gen = undefined;
      if (g !== undefined) {
        g.dead = true;
        g.sub.unsubscribe();
        if (g.session !== undefined) hooks.detach(g.session);
        g.data.complete();
        closeOwned(g.transport);
      }
      publish({ status: 'closed' });
      state.complete();
    },
  };
}
