/**
 * Bench fixtures for the device-level benchmarks: a serial line that paces
 * bytes the way a UART does, on a virtual or on the real clock, and a meter
 * that tells the simulator's share of the CPU apart from the driver's.
 *
 * The line stands where a serial port would: a write is handed to the line at
 * once (the write completes), and the bytes reach the other end when the last
 * of them would have left the wire, each direction one byte after the other.
 * Delivery is one chunk per write, as a port's read would return a short
 * frame once the line goes quiet.
 */
import { Observable, Subject, defer, of, type SchedulerLike } from 'rxjs';
import type { Transport } from '../lib/transport/transport.js';

/** eSSP runs 8 data bits, no parity and 2 stop bits: 11 bits per byte with the start bit. */
export const ESSP_BITS_PER_BYTE = 11;

/** When deliveries happen: the scheduler's clock, or the real one. */
export interface LineClock {
  /** Milliseconds. */
  now(): number;
  /** Run `fn` at `timeMs` (or as soon as possible after it). */
  at(timeMs: number, fn: () => void): void;
}

/** Deliveries on a scheduler: with a VirtualTimeScheduler the wire costs no real time. */
export function schedulerClock(scheduler: SchedulerLike): LineClock {
  return {
    now: () => scheduler.now(),
    at: (timeMs, fn) => void scheduler.schedule(fn, Math.max(0, timeMs - scheduler.now())),
  };
}

/**
 * Deliveries on the real clock, accurate to tens of microseconds: a timer
 * wakes up shortly before the deadline, then the event loop is spun with
 * setImmediate until it has passed. Node timers alone are late by up to a
 * millisecond or more, which at 9600 baud is a byte; the bench must not
 * charge its own lateness to the driver.
 */
export function realClock(): LineClock {
  const spin = (timeMs: number, fn: () => void): void => {
    if (performance.now() >= timeMs) fn();
    else setImmediate(() => spin(timeMs, fn));
  };
  return {
    now: () => performance.now(),
    at: (timeMs, fn) => {
      const early = timeMs - performance.now() - 2;
      if (early > 0) setTimeout(() => spin(timeMs, fn), early);
      else spin(timeMs, fn);
    },
  };
}

/** One chunk that reached the other end of the line. */
export interface Delivery {
  readonly toDevice: boolean;
  readonly bytes: number;
  /** When the write was handed to the line (clock ms). */
  readonly writtenAt: number;
  /** When its last byte left the wire. */
  readonly dueAt: number;
  /** When the bench delivered it (≥ dueAt; the difference is the bench's own lateness). */
  readonly deliveredAt: number;
  /** When the receiving end's synchronous handling of the chunk returned. */
  readonly handledAt: number;
}

export interface LineOptions {
  /** Bits per second; 0 delivers every write at once (still as its own task). */
  readonly baud: number;
  readonly bitsPerByte?: number;
  readonly onDelivery?: (d: Delivery) => void;
}

/** A host end and a device end joined by a paced line. */
export function createPacedPair(clock: LineClock, options: LineOptions): [Transport, Transport] {
  const msPerByte =
    options.baud === 0 ? 0 : ((options.bitsPerByte ?? ESSP_BITS_PER_BYTE) * 1000) / options.baud;
  const toHost = new Subject<Uint8Array>();
  const toDevice = new Subject<Uint8Array>();
  let closed = false;

  const end = (name: string, inbox: Subject<Uint8Array>, outbox: Subject<Uint8Array>): Transport => {
    let freeAt = 0;
    const isHost = outbox === toDevice;
    return {
      description: `paced:${name}`,
      data$: inbox.asObservable(),
      // One Observable per write, the shape of the serial port adapter's write
      // (lib/transport/serialport.ts): the bench line stands in for a port.
      write: (bytes) =>
        new Observable<void>((subscriber) => {
          if (closed) {
            subscriber.error(new Error(`paced:${name} is closed`));
            return;
          }
          const copy = bytes.slice();
          const writtenAt = clock.now();
          const dueAt = Math.max(writtenAt, freeAt) + copy.length * msPerByte;
          freeAt = dueAt;
          clock.at(dueAt, () => {
            if (closed) return;
            const deliveredAt = clock.now();
            outbox.next(copy);
            const handledAt = clock.now();
            options.onDelivery?.({
              toDevice: isHost,
              bytes: copy.length,
              writtenAt,
              dueAt,
              deliveredAt,
              handledAt,
            });
          });
          subscriber.next();
          subscriber.complete();
        }),
      close: () =>
        defer(() => {
          if (!closed) {
            closed = true;
            toHost.complete();
            toDevice.complete();
          }
          return of(undefined);
        }),
    };
  };
  return [end('host', toHost, toDevice), end('device', toDevice, toHost)];
}

/**
 * Time spent inside the simulator, excluding any driver work it triggers
 * synchronously (on an in-memory line the simulator's reply runs the whole
 * host receive path inside the simulator's own call). Wrap the simulator's end
 * with `device()` and the driver's end with `host()`; `simMs` is the
 * simulator's share, `hostMs` the driver's receive handling.
 */
export interface CpuSplit {
  readonly simMs: number;
  /**
   * The simulator's time estimated robustly: the median duration of its calls
   * times their number. On a loaded machine a call during which the OS ran
   * another process lasts milliseconds; the plain sum then charges that wait
   * to the simulator, and whatever is derived from it swings from run to run.
   * 0 unless the split was created with `callTimes`.
   */
  readonly simMedianMs: number;
  readonly hostReceiveMs: number;
  host(t: Transport): Transport;
  device(t: Transport): Transport;
  reset(): void;
}

/** `callTimes`: keep every simulator call's duration (for `simMedianMs`); off for long runs, where the list would grow the heap. */
export function createCpuSplit(options: { readonly callTimes?: boolean } = {}): CpuSplit {
  let simMs = 0;
  let hostMs = 0;
  let simCalls: number[] = [];
  /** `t` with its incoming chunks timed; `nested()` is driver time spent inside that call. */
  const timed = (t: Transport, add: (ms: number) => void, nested: () => number = () => 0): Transport => ({
    description: t.description,
    write: (b) => t.write(b),
    close: () => t.close(),
    data$: new Observable<Uint8Array>((subscriber) =>
      t.data$.subscribe({
        next: (chunk) => {
          const inner0 = nested();
          const t0 = performance.now();
          subscriber.next(chunk);
          add(performance.now() - t0 - (nested() - inner0));
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => subscriber.complete(),
      }),
    ),
  });
  return {
    get simMs() {
      return simMs;
    },
    get hostReceiveMs() {
      return hostMs;
    },
    host: (t) => timed(t, (ms) => (hostMs += ms)),
    get simMedianMs() {
      if (simCalls.length === 0) return 0;
      const sorted = Float64Array.from(simCalls).sort();
      return sorted[sorted.length >> 1]! * sorted.length;
    },
    device: (t) =>
      timed(
        t,
        (ms) => {
          simMs += ms;
          if (options.callTimes === true) simCalls.push(ms);
        },
        () => hostMs,
      ),
    reset: () => {
      simMs = 0;
      hostMs = 0;
      simCalls = [];
    },
  };
}
