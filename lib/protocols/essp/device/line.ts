/**
 * Where a device's session lives, and how it survives the loss of the line.
 *
 * A device is given one of:
 * - an existing bus (shared with other addresses): the device never owns it;
 * - a Transport: the device owns a bus on it; losing the transport is final;
 * - an opener, `Observable<Transport>` (e.g. `openSerialTransport(path, ESSP_LINE)`):
 *   the device opens the line when it connects and opens it again after the
 *   line is lost (a USB unit drops off the bus when it resets and comes back
 *   as a new port).
 *
 * The device talks to one stable session facade; behind it the real session
 * (and bus) may be replaced after a loss. The protocol context is carried
 * over, traces and diagnostics of every generation flow into one stream.
 */
import { EMPTY, Observable, Subject, type Subscription, defer, isObservable, map, take } from 'rxjs';
import type { Diagnostic } from '../../../core/diagnostics.js';
import { TransportError } from '../../../core/errors.js';
import type { ExchangeEvent } from '../../../operators/exchange.js';
import type { FrameTrace } from '../../../operators/trace.js';
import type { Transport } from '../../../transport/transport.js';
import type { EsspBusOptions } from '../bus.js';
import { DEFAULT_CONTEXT } from '../context.js';
import {
  type EsspBus,
  type EsspSession,
  type EsspSessionOptions,
  type SessionContext,
  createEsspBus,
} from '../session.js';

export type EsspDeviceTarget = Transport | Observable<Transport> | { readonly bus: EsspBus };

/** A session whose `start` is always there. */
export type DirectSession = EsspSession & Required<Pick<EsspSession, 'start'>>;

export interface DeviceLine {
  /** Stable facade over the current session. */
  readonly session: DirectSession;
  /** The bus in use now (its queue's busy$ drives the poller). */
  bus(): EsspBus;
  /** What the request queues did (attempts, resends, timeouts), across reopened lines. */
  readonly exchange$: Observable<ExchangeEvent>;
  /** Cold: make sure a live bus exists (opens the line through the opener when needed). */
  ensure(): Observable<void>;
  /** The line failed: with an opener, the next ensure() opens a new one. Returns whether that can help. */
  lost(): boolean;
  dispose(): void;
}

/**
 * A stream that follows the current generation's source, and listens to it
 * only while it has subscribers: nobody reading trace$ or the statistics
 * means no trace record and no queue event is built on the poll path.
 */
function relay<T>(): {
  readonly out$: Observable<T>;
  follow(source: Observable<T> | undefined): void;
  complete(): void;
} {
  const subject = new Subject<T>();
  let source: Observable<T> | undefined;
  let link: Subscription | undefined;
  let watchers = 0;
  const connect = (): void => {
    link?.unsubscribe();
    link = source !== undefined && watchers > 0 ? source.subscribe((v) => subject.next(v)) : undefined;
  };
  return {
    out$: new Observable<T>((subscriber) => {
      const sub = subject.subscribe(subscriber);
      if (++watchers === 1) connect();
      return () => {
        sub.unsubscribe();
        if (--watchers === 0) {
          link?.unsubscribe();
          link = undefined;
        }
      };
    }),
    follow: (next) => {
      source = next;
      connect();
    },
    complete: () => {
      source = undefined;
      link?.unsubscribe();
      link = undefined;
      subject.complete();
    },
  };
}

export function createDeviceLine(
  target: EsspDeviceTarget,
  address: number,
  busOptions: EsspBusOptions,
  sessionOptions: EsspSessionOptions,
): DeviceLine {
  const trace = relay<FrameTrace>();
  /** The request queue's doings (attempts, resends, timeouts) of every generation, for link statistics. */
  const exchange = relay<ExchangeEvent>();
  const diagnostics = new Subject<Diagnostic>();
  const opener = isObservable(target) ? target : undefined;
  const shared = !isObservable(target) && 'bus' in target ? target.bus : undefined;

  let bus: EsspBus | undefined;
  let transport: Transport | undefined;
  let session: EsspSession | undefined;
  let taps: Subscription | undefined;
  let disposed = false;
  /** Protocol context carried from one generation to the next (decoders need it until SETUP runs again). */
  let carried: SessionContext | undefined;

  const attach = (b: EsspBus, owned: Transport | undefined): void => {
    bus = b;
    transport = owned;
    session = b.session(address, sessionOptions);
    if (carried !== undefined) session.context = carried;
    taps = session.diagnostics$.subscribe((d) => diagnostics.next(d));
    trace.follow(session.trace$);
    exchange.follow(b.queue.events$);
  };

  const detach = (): void => {
    taps?.unsubscribe();
    trace.follow(undefined);
    exchange.follow(undefined);
    session?.dispose();
    if (shared === undefined) bus?.dispose();
    transport?.close().subscribe({ error: () => undefined });
    bus = undefined;
    transport = undefined;
  };

  if (shared !== undefined) attach(shared, undefined);
  else if (opener === undefined) attach(createEsspBus(target as Transport, busOptions), undefined);

  const current = (): EsspSession => {
    if (session === undefined) throw new TransportError('The eSSP line is not open yet.');
    return session;
  };

  const facade: DirectSession = {
    address,
    // Between two generations the context lives on, so decoders and checks keep working.
    get context() {
      return session?.context ?? carried ?? DEFAULT_CONTEXT;
    },
    set context(value) {
      if (session === undefined) carried = value;
      else session.context = value;
    },
    get encrypted() {
      return session?.encrypted ?? false;
    },
    send: (name, args, options) =>
      new Observable((subscriber) => current().send(name, args, options).subscribe(subscriber)),
    // The session in use when the command starts; one without `start` is driven through `send`.
    start: (name, args, options, sink) => {
      const now = session;
      if (now === undefined) {
        sink.error(new TransportError('The eSSP line is not open yet.'));
        return () => undefined;
      }
      if (now.start !== undefined) return now.start(name, args, options, sink);
      const sub = now.send(name, args, options).subscribe(sink);
      return () => sub.unsubscribe();
    },
    negotiateKey: () => defer(() => current().negotiateKey()),
    clearKey: () => session?.clearKey(),
    trace$: trace.out$,
    diagnostics$: diagnostics.asObservable(),
    dispose: () => undefined,
  };

  return {
    session: facade,
    exchange$: exchange.out$,
    bus: () => {
      if (bus === undefined) throw new TransportError('The eSSP line is not open yet.');
      return bus;
    },
    ensure: () =>
      defer(() => {
        if (bus !== undefined || opener === undefined || disposed) return EMPTY;
        return opener.pipe(
          take(1),
          map((t) => {
            if (disposed) {
              t.close().subscribe({ error: () => undefined });
              return;
            }
            // The line is the device's own: it also owns the bus on it.
            attach(createEsspBus(t, busOptions), t);
          }),
        );
      }),
    lost: () => {
      if (opener === undefined) return false;
      carried = session?.context;
      detach();
      session = undefined;
      return true;
    },
    dispose: () => {
      if (disposed) return;
      disposed = true;
      detach();
      session = undefined;
      trace.complete();
      diagnostics.complete();
      exchange.complete();
    },
  };
}
