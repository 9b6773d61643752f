/**
 * ccTalk coin acceptor options: the public option shape and its limits.
 */
import type { SchedulerLike } from 'rxjs';
import { InvalidArgumentError } from '../../core/errors.js';
import type { IdOptions } from './coin-id.js';

export const COIN_ACCEPTOR_LIMITS = {
  /** Capped well below the acceptor's ~1 s watchdog, leaving room for a retry. */
  pollIntervalMs: { min: 20, max: 600, default: 200 },
  positions: 16,
} as const;

export interface CcTalkCoinAcceptorOptions extends IdOptions {
  /** Default 2. */
  readonly address?: number;
  /** Pause between 229 polls, ms. 20..600. Default: the device's 249 answer, capped to that range; 200 if it has none. */
  readonly pollIntervalMs?: number;
  /** Coin positions to accept, bit n-1 = position n (1 = enabled). 0..0xFFFF, default 0xFFFF. */
  readonly inhibitMask?: number;
  /** Start accepting (master inhibit off) after connecting. Default true. */
  readonly enabled?: boolean;
  /** Currency for CVF devices (option flag bit 0), whose credits carry values instead of positions. */
  readonly cvfCurrency?: string;
  /**
   * Keep a position whose coin id could not be read inhibited until it is
   * read, so the unit returns those coins instead of taking coins of unknown
   * value. Default true. Not applied to CVF devices (their credits carry the value).
   */
  readonly inhibitUnreadPositions?: boolean;
  readonly scheduler?: SchedulerLike;
}

export function checkMask(mask: number): number {
  if (!Number.isInteger(mask) || mask < 0 || mask > 0xffff) {
    throw new InvalidArgumentError(
      `Coin inhibit mask must be an integer 0..0xFFFF (bit n-1 enables position n), got ${String(mask)}.`,
      { field: 'mask', mask },
    );
  }
  return mask;
}
