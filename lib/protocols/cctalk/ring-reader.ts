/**
 * Turns successive 229/159 buffer reads into device events, exactly once:
 * the pure {@link updateCreditRing} decides what is new; this applies it to a
 * device (events-lost as both a normalized event and a diagnostic with the
 * count, a restart as `device-reset` plus the caller's re-apply).
 */
import type { EventBuffer } from './events.js';
import { type CreditRingTracker, createCreditRingTracker, updateCreditRing } from './events.js';
import type { DeviceCore } from './device-base.js';

export interface RingReader<E> {
  /** Feed one buffer read; calls `onEvent` for each new result, oldest first. */
  read(buffer: EventBuffer<E>): void;
  /** Forget the reference counter (the next read is a new baseline). */
  rebase(): void;
}

export function createRingReader<E>(
  core: DeviceCore,
  what: string,
  onEvent: (event: E, counter: number) => void,
  onReset: () => void,
): RingReader<E> {
  let tracker: CreditRingTracker = createCreditRingTracker();
  return {
    read: (buffer) => {
      const step = updateCreditRing(tracker, buffer);
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
    rebase: () => {
      tracker = createCreditRingTracker();
    },
  };
}
