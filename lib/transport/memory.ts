import { Observable, Subject } from 'rxjs';
import { TransportError } from '../core/errors.js';
import type { Transport } from './transport.js';

/** One end of an in-memory pair, with a way to see and cut the line in tests. */
export interface MemoryTransport extends Transport {
  /** Every chunk written by this end, in order (for assertions). */
  readonly written: readonly Uint8Array[];
  /** Simulate a pulled cable: both ends' `data$` error with a TransportError. */
  breakLine(): void;
}

/**
 * A connected pair of transports: bytes written to `a` arrive on `b.data$` and the
 * other way round, synchronously. Used by the simulators and tests; with a
 * TestScheduler the whole exchange runs in virtual time.
 */
export function createMemoryPair(
  names: readonly [string, string] = ['host', 'device'],
): [MemoryTransport, MemoryTransport] {
  const toA = new Subject<Uint8Array>();
  const toB = new Subject<Uint8Array>();
  let closed = false;

  const end = (name: string, inbox: Subject<Uint8Array>, outbox: Subject<Uint8Array>): MemoryTransport => {
    const written: Uint8Array[] = [];
    return {
      description: `memory:${name}`,
      data$: inbox.asObservable(),
      written,
      // One Observable per write, no inner one: the 200-device bench and every
      // simulated device write through here several times a second.
      write: (bytes: Uint8Array) =>
        new Observable<void>((subscriber) => {
          if (closed) {
            subscriber.error(new TransportError(`Cannot write to memory:${name}: the transport is closed.`));
            return;
          }
          const copy = bytes.slice();
          written.push(copy);
          outbox.next(copy);
          subscriber.next();
          subscriber.complete();
        }),
      close: () =>
        new Observable<void>((subscriber) => {
          if (!closed) {
            closed = true;
            toA.complete();
            toB.complete();
          }
          subscriber.next();
          subscriber.complete();
        }),
      breakLine: () => {
        if (closed) return;
        closed = true;
        const err = new TransportError(`The line of memory:${name} was cut.`);
        toA.error(err);
        toB.error(err);
      },
    };
  };
  return [end(names[0], toA, toB), end(names[1], toB, toA)];
}
