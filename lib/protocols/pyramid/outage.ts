/**
 * Outages of the line (opener targets only), as a pure value: how many lines
 * were lost or could not be opened since the acceptor last answered, when the
 * outage began, how long to wait before the next try, and what to report.
 * The device does the waiting on its scheduler.
 */
import type { DeviceState } from '../../core/events.js';
import { backoffDelay } from '../../operators/backoff.js';

export interface Outage {
  /** Lines lost or not opened since the last fresh reply (0: no outage). */
  readonly failures: number;
  /** Scheduler time an open line was lost; undefined when only opening failed. */
  readonly lostAt: number | undefined;
}

export const NO_OUTAGE: Outage = { failures: 0, lostAt: undefined };

export interface Backoff {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export interface LossReport {
  readonly outage: Outage;
  /** Wait before opening the next line. */
  readonly delayMs: number;
  /** Data of the raw `line-lost` event, when a line that was open was lost. */
  readonly lost?: { readonly reason: string; readonly delayMs: number };
  readonly state: DeviceState;
}

/**
 * A line ended (`wasOpen`) or could not be opened. Before the acceptor was
 * ever ready the device is still connecting; after, it is recovering.
 */
export function noteLoss(
  outage: Outage,
  loss: { readonly reason: string; readonly wasOpen: boolean },
  ready: boolean,
  now: number,
  backoff: Backoff,
): LossReport {
  const failures = outage.failures + 1;
  const delayMs = backoffDelay(failures, backoff.initialDelayMs, backoff.maxDelayMs);
  const why = loss.wasOpen ? `line lost: ${loss.reason}` : `cannot open the line: ${loss.reason}`;
  return {
    outage: { failures, lostAt: outage.lostAt ?? (loss.wasOpen ? now : undefined) },
    delayMs,
    ...(loss.wasOpen && { lost: { reason: loss.reason, delayMs } }),
    state: ready
      ? { status: 'recovering', reason: `${why}; reopening in ${delayMs} ms` }
      : { status: 'connecting', attempt: failures + 1 },
  };
}

/**
 * A fresh reply arrived: the outage (if any) is over. `back` is the data of
 * the raw `line-back` event, when an open line had been lost.
 */
export function noteAnswer(
  outage: Outage,
  now: number,
): { readonly outage: Outage; readonly back?: { readonly outageMs: number; readonly reopens: number } } {
  if (outage.lostAt === undefined) return { outage: NO_OUTAGE };
  return { outage: NO_OUTAGE, back: { outageMs: now - outage.lostAt, reopens: outage.failures } };
}
