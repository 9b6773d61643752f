/**
 * The device's lines, one after the other.
 *
 * With a plain Transport there is one line and losing it is final. With an
 * opener (`Observable<Transport>`) each line is opened when it is needed and,
 * once lost, given up and opened again after a pause the device chooses. Every
 * line gets its own wire (deframer and request queue); the request queue's
 * events of every line go to one callback, so statistics and the silence rule
 * see one continuous exchange.
 */
import { Observable, type Subscription, defer, isObservable, retry, switchMap, take, throwError } from 'rxjs';
import { TransportError } from '../../core/errors.js';
import type { ExchangeEvent, RequestQueue } from '../../operators/exchange.js';
import type { Transport } from '../../transport/transport.js';
import type { PyramidDeviceTarget } from './device-types.js';
import { createPyramidWire, type WireHooks } from './device-wire.js';
import type { PyramidFrame } from './framing.js';

export interface LineHooks extends Omit<WireHooks, 'lost'> {
  /** Request-queue events of every line, in order. */
  readonly exchange: (e: ExchangeEvent) => void;
  /** The transport's data ended; called before the line is torn down (its queue disposed). */
  readonly losing: (e: Error) => void;
}

/** How one line ended, for the device to decide whether and when to try again. */
export interface LineLoss {
  readonly error: unknown;
  /** False when the line could not even be opened. */
  readonly wasOpen: boolean;
}

/** No valid reply on a line for the busy tolerance: the device gives it up and opens another. */
export class SilentLine extends Error {
  override readonly name = 'SilentLine';
  readonly silentMs: number;
  constructor(silentMs: number) {
    super(`no reply from the acceptor for ${silentMs} ms`);
    this.silentMs = silentMs;
  }
}

/**
 * The opener handed back the very transport that was just lost (e.g. `of(transport)`): it
 * opens nothing new, so the loss is as final as with a plain Transport.
 */
export class SpentTransportError extends TransportError {
  constructor(description: string) {
    super(
      `The opener gave back the line to ${description} that was just lost; it cannot be reopened. ` +
        'Pass an opener that opens the port anew on each subscription (e.g. openSerialTransport).',
      { reason: 'same-transport' },
    );
  }
}

/** An open line: its transport and the request queue on it. */
export interface OpenLine {
  readonly transport: Transport;
  readonly queue: RequestQueue<PyramidFrame>;
}

const asTransportError = (e: unknown): TransportError =>
  e instanceof TransportError
    ? e
    : new TransportError(
        `Opening the line failed: ${e instanceof Error ? e.message : String(e)}`,
        {},
        { cause: e },
      );

/**
 * Cold: one line. On subscribe it takes the transport (through the opener, or
 * the given one), builds the wire on it and emits the line once. It errors
 * with a TransportError when the transport's data ends (error or completion),
 * the opener fails, or the opener hands back `previous` (the transport just
 * lost). Unsubscribing disposes the queue and closes the transport if this
 * line opened it.
 */
export function openLine(
  target: PyramidDeviceTarget,
  hooks: LineHooks,
  previous?: Transport,
): Observable<OpenLine> {
  const opener = isObservable(target) ? target : undefined;
  return new Observable<OpenLine>((subscriber) => {
    let transport: Transport | undefined;
    let queue: RequestQueue<PyramidFrame> | undefined;
    let forward: Subscription | undefined;
    const start = (t: Transport): void => {
      if (opener !== undefined && t === previous) {
        subscriber.error(new SpentTransportError(t.description));
        return;
      }
      transport = t;
      queue = createPyramidWire(t, {
        ...hooks,
        lost: (e) => {
          hooks.losing(e);
          subscriber.error(e);
        },
      });
      forward = queue.events$.subscribe(hooks.exchange);
      subscriber.next({ transport: t, queue });
    };
    const opening = opener?.pipe(take(1)).subscribe({
      next: start,
      error: (e: unknown) => subscriber.error(asTransportError(e)),
      complete: () => {
        if (transport === undefined) subscriber.error(new TransportError('The opener gave no transport.'));
      },
    });
    if (opener === undefined) start(target as Transport);
    return () => {
      opening?.unsubscribe();
      forward?.unsubscribe();
      queue?.dispose();
      // A line the device opened is the device's to close; a given transport belongs to the caller.
      if (opener !== undefined) transport?.close().subscribe({ error: () => undefined });
    };
  });
}

/**
 * Cold: lines for as long as it is subscribed. `run` drives one open line and
 * errors when that line has to be given up; `onLoss` then answers with an
 * Observable whose first value starts the next line (a back-off timer), or
 * with an error that ends it all (a plain Transport, a dispose). Losing a
 * plain Transport, or an opener handing back the transport just lost, is
 * final without asking `onLoss`.
 */
export function lineAfterLine(
  target: PyramidDeviceTarget,
  hooks: LineHooks,
  run: (queue: RequestQueue<PyramidFrame>) => Observable<never>,
  onLoss: (loss: LineLoss) => Observable<unknown>,
): Observable<never> {
  const canReopen = isObservable(target);
  let wasOpen = false;
  let previous: Transport | undefined;
  return defer(() => {
    wasOpen = false;
    return openLine(target, hooks, previous);
  }).pipe(
    switchMap((line) => {
      wasOpen = true;
      previous = line.transport;
      return run(line.queue);
    }),
    retry({
      delay: (error: unknown) =>
        canReopen && !(error instanceof SpentTransportError)
          ? onLoss({ error, wasOpen })
          : throwError(() => error),
    }),
  );
}
