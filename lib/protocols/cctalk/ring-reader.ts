/**
 * Turns successive 229/159 buffer reads into device events, exactly once:
 * the pure {@link updateCreditRing} decides what is new; this applies it to a
 * device (events-lost as both a normalized event and a diagnostic with the
 * count, a restart as `device-reset` plus the caller's re-apply).
 *
 * A reply whose counter moved is only acted on once a second read returns the
 * very same buffer. The simple 8-bit ccTalk checksum lets about one corrupted
 * reply in 256 through; a corrupted counter or entry would otherwise credit a
 * coin twice, credit a wrong one, or report losses that never happened. Two
 * independent corruptions agreeing byte for byte is negligible. Costs an extra
 * read only when something changed, so it applies with CRC-16 too.
 */
import { EMPTY, type Observable, concat, concatMap, defer, of } from 'rxjs';
import type { EventBuffer } from './events.js';
import { type CreditRingTracker, createCreditRingTracker, updateCreditRing } from './events.js';
import type { DeviceCore } from './device-base.js';

export interface RingReader<E> {
  /** Feed one buffer read; calls `onEvent` for each new result, oldest first. */
  read(buffer: EventBuffer<E>): void;
  /**
   * The events `read(buffer)` would report now, oldest first, without reading
   * it: lets a device prepare what it needs (a coin id to read again) before
   * acting on the buffer.
   */
  pending(buffer: EventBuffer<E>): readonly E[];
  /**
   * Whether `read(buffer)` would report a restart, without reading it: lets a
   * command that may not act on the buffer itself (only the poll does, so
   * buffers are acted on in order) see a restart the poll has not read yet.
   */
  restarted(buffer: EventBuffer<E>): boolean;
  /** Forget the reference counter (the next read is a new baseline). */
  rebase(): void;
  /** The last counter acted on; undefined before the baseline. */
  lastCounter(): number | undefined;
  /**
   * Run `request` until its reply can be trusted: at once when the counter is
   * the last confirmed one (nothing to act on), otherwise when two consecutive
   * replies are identical. Emits that reply; after {@link RING_CONFIRM_READS}
   * reads without agreement emits nothing and reports a 'crc' diagnostic (the
   * next poll tries again; the device keeps its buffer).
   */
  confirmed(request: () => Observable<EventBuffer<E>>): Observable<EventBuffer<E>>;
}

/** Most buffer reads in one poll while waiting for two consecutive identical replies. */
export const RING_CONFIRM_READS = 4;

/** Same counter and entries. Entries come from one injective pair decoder, so this is byte equality. */
function sameBuffer<E>(a: EventBuffer<E>, b: EventBuffer<E>): boolean {
  return a.counter === b.counter && JSON.stringify(a.entries) === JSON.stringify(b.entries);
}

export function createRingReader<E>(
  core: DeviceCore,
  what: string,
  onEvent: (event: E, counter: number) => void,
  onReset: () => void,
  /** The pair a zeroed buffer holds, where it is never a real event (see updateCreditRing). */
  isBlank?: (event: E) => boolean,
): RingReader<E> {
  let tracker: CreditRingTracker = createCreditRingTracker();
  return {
    read: (buffer) => {
      const step = updateCreditRing(tracker, buffer, isBlank);
      tracker = step.tracker;
      for (const out of step.outputs) {
        switch (out.type) {
          case 'baseline':
            core.raw('baseline', { counter: out.counter });
            break;
          case 'event':
            onEvent(out.event, out.counter);
            break;
          case 'events-lost':
            core.events.next({ type: 'events-lost', device: core.ref, count: out.lost });
            core.errors.next({
              kind: 'events-lost',
              protocol: 'cctalk',
              message:
                `${what} at address ${core.ref.address}: ${out.lost} event(s) lost ` +
                `(counter went from ${out.after} to ${out.counter}; the buffer holds 5). Poll faster.`,
              info: { address: core.ref.address, lost: out.lost, after: out.after, counter: out.counter },
            });
            break;
          case 'reset':
            core.events.next({ type: 'device-reset', device: core.ref });
            core.raw('reset', { previous: out.previous });
            onReset();
            break;
        }
      }
    },
    pending: (buffer) =>
      updateCreditRing(tracker, buffer, isBlank).outputs.flatMap((out) =>
        out.type === 'event' ? [out.event] : [],
      ),
    restarted: (buffer) =>
      updateCreditRing(tracker, buffer, isBlank).outputs.some((out) => out.type === 'reset'),
    lastCounter: () => tracker.lastCounter,
    rebase: () => {
      tracker = createCreditRingTracker();
    },
    confirmed: (request) => {
      const attempt = (previous: EventBuffer<E> | undefined, n: number): Observable<EventBuffer<E>> =>
        request().pipe(
          concatMap((buffer) => {
            if (buffer.counter === tracker.lastCounter) return of(buffer);
            if (previous !== undefined && sameBuffer(previous, buffer)) return of(buffer);
            if (n < RING_CONFIRM_READS) return attempt(buffer, n + 1);
            core.errors.next({
              kind: 'crc',
              protocol: 'cctalk',
              message:
                `${what} at address ${core.ref.address}: ${RING_CONFIRM_READS} buffer reads in a row ` +
                `disagreed; none acted on (line noise passing the checksum?). Reading again next poll.`,
              info: {
                address: core.ref.address,
                reads: RING_CONFIRM_READS,
                lastCounter: tracker.lastCounter,
              },
            });
            return EMPTY;
          }),
        );
      return defer(() => attempt(undefined, 1));
    },
  };
}

/**
 * Act on a confirmed buffer after `prepare` has done what its new events need
 * first (an id read again, so a new credit carries its value in the same
 * pass, in order). `prepare` gets the events `read(buffer)` will report.
 */
export function readPrepared<E>(
  reader: RingReader<E>,
  buffer: EventBuffer<E>,
  prepare: (pending: readonly E[]) => Observable<never>,
): Observable<never> {
  return concat(
    defer(() => prepare(reader.pending(buffer))),
    defer(() => {
      reader.read(buffer);
      return EMPTY;
    }),
  );
}
