/**
 * Reconnect back-off shared by every driver: after a lost line or a failed
 * connect, wait before trying again, doubling the wait each time up to a cap,
 * so a pulled cable costs little CPU and a plugged-in one is found quickly.
 */
import { InvalidArgumentError, OptionRangeError } from '../core/errors.js';

/** Reconnect delay before attempt `n` (1-based): doubles from the initial delay, capped at `maxMs`. */
export function backoffDelay(n: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(n - 1, 0), 20));
}

/** Range and default of one back-off setting, ms. */
export interface BackoffLimit {
  readonly min: number;
  readonly max: number;
  readonly default: number;
}

export interface BackoffOptions {
  /** First wait after a lost line, ms. */
  readonly initialDelayMs?: number;
  /** Longest wait, ms. */
  readonly maxDelayMs?: number;
}

export interface ResolvedBackoff {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

/**
 * Check a driver's `reconnect` option against its limits; one rule set for
 * every driver. Each delay is an integer number of ms within its range
 * ({@link OptionRangeError}); a maximum below the initial delay is an error
 * when both are given ({@link InvalidArgumentError}); when only one is given,
 * the default of the other gives way to it.
 */
export function resolveBackoff(
  options: BackoffOptions | undefined,
  limits: { readonly initialDelayMs: BackoffLimit; readonly maxDelayMs: BackoffLimit },
): ResolvedBackoff {
  if (options === undefined) {
    return { initialDelayMs: limits.initialDelayMs.default, maxDelayMs: limits.maxDelayMs.default };
  }
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(
      `Option 'reconnect' must be an object { initialDelayMs?, maxDelayMs? }, got ${String(options)}.`,
      { option: 'reconnect', value: options },
    );
  }
  const initialDelayMs = delay('reconnect.initialDelayMs', options.initialDelayMs, limits.initialDelayMs);
  const maxDelayMs = delay('reconnect.maxDelayMs', options.maxDelayMs, limits.maxDelayMs);
  if (maxDelayMs >= initialDelayMs) return { initialDelayMs, maxDelayMs };
  if (options.initialDelayMs !== undefined && options.maxDelayMs !== undefined) {
    throw new InvalidArgumentError(
      `Option 'reconnect.maxDelayMs' (${maxDelayMs} ms) must not be below 'reconnect.initialDelayMs' (${initialDelayMs} ms).`,
      { option: 'reconnect.maxDelayMs', value: maxDelayMs, initialDelayMs },
    );
  }
  return options.maxDelayMs === undefined
    ? { initialDelayMs, maxDelayMs: initialDelayMs }
    : { initialDelayMs: maxDelayMs, maxDelayMs };
}

function delay(name: string, value: number | undefined, limit: BackoffLimit): number {
  if (value === undefined) return limit.default;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < limit.min || value > limit.max) {
    throw new OptionRangeError(name, value, limit.min, limit.max, 'ms');
  }
  return value;
}
