/**
 * Reconnect back-off shared by every driver: after a lost line or a failed
 * connect, wait before trying again, doubling the wait each time up to a cap,
 * so a pulled cable costs little CPU and a plugged-in one is found quickly.
 */

/** Reconnect delay before attempt `n` (1-based): doubles from the initial delay, capped at `maxMs`. */
export function backoffDelay(n: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(n - 1, 0), 20));
}
