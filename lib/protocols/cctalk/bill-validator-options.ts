/**
 * ccTalk bill validator options: the public option shape, its limits, and
 * their resolution to checked values with defaults, so the driver starts
 * from one validated set.
 */
import type { SchedulerLike } from 'rxjs';
import { InvalidArgumentError } from '../../core/errors.js';
import type { Money } from '../../core/money.js';
import type { IdOptions } from './coin-id.js';
import { checkDeviceAddress, checkOption } from './device-base.js';

export const BILL_VALIDATOR_LIMITS = {
  /** Well below the validator's ~5 s watchdog. */
  pollIntervalMs: { min: 20, max: 2000, default: 200 },
  escrowTimeoutMs: { min: 1000, max: 120_000, default: 10_000 },
  decisionTimeoutMs: { min: 1000, max: 600_000, default: 30_000 },
  types: 16,
} as const;

export type CcTalkEscrowDecision = 'stack' | 'return';

export interface CcTalkEscrowedBill {
  readonly billType: number;
  readonly id?: string;
  readonly money?: Money;
}

export interface CcTalkBillValidatorOptions extends IdOptions {
  /** Default 40. */
  readonly address?: number;
  /** Pause between 159 polls, ms. 20..2000, default 200. */
  readonly pollIntervalMs?: number;
  /** Bill types to accept, bit n-1 = type n. 0..0xFFFF, default 0xFFFF. */
  readonly inhibitMask?: number;
  /** Start accepting after connecting. Default true. */
  readonly enabled?: boolean;
  /** Hold bills in escrow for a decision. Default false (stack straight away). */
  readonly escrow?: boolean;
  /** The validator's own escrow timeout (see its manual), ms. 1000..120000, default 10000. */
  readonly escrowTimeoutMs?: number;
  /** How long the driver waits for the application's decision before returning the bill, ms. Default 30000. */
  readonly decisionTimeoutMs?: number;
  readonly onEscrow?: (bill: CcTalkEscrowedBill) => CcTalkEscrowDecision | undefined;
  readonly scheduler?: SchedulerLike;
}

export function checkMask(mask: number): number {
  if (!Number.isInteger(mask) || mask < 0 || mask > 0xffff) {
    throw new InvalidArgumentError(
      `Bill inhibit mask must be an integer 0..0xFFFF (bit n-1 enables bill type n), got ${String(mask)}.`,
      { field: 'mask', mask },
    );
  }
  return mask;
}

/** The options checked, defaults filled in. */
export interface ResolvedBillValidatorOptions {
  readonly address: number;
  readonly pollIntervalMs: number;
  readonly escrowTimeoutMs: number;
  readonly decisionTimeoutMs: number;
  readonly mask: number;
  readonly enabled: boolean;
  readonly escrowMode: boolean;
  readonly idOptions: IdOptions;
}

/** Throws InvalidArgumentError on the first option out of range, before anything is opened. */
export function resolveBillValidatorOptions(
  options: CcTalkBillValidatorOptions,
): ResolvedBillValidatorOptions {
  const L = BILL_VALIDATOR_LIMITS;
  const address = checkDeviceAddress(options.address ?? 40);
  const pollIntervalMs =
    checkOption('pollIntervalMs', options.pollIntervalMs, L.pollIntervalMs.min, L.pollIntervalMs.max) ??
    L.pollIntervalMs.default;
  const escrowTimeoutMs =
    checkOption('escrowTimeoutMs', options.escrowTimeoutMs, L.escrowTimeoutMs.min, L.escrowTimeoutMs.max) ??
    L.escrowTimeoutMs.default;
  const decisionTimeoutMs =
    checkOption(
      'decisionTimeoutMs',
      options.decisionTimeoutMs,
      L.decisionTimeoutMs.min,
      L.decisionTimeoutMs.max,
    ) ?? L.decisionTimeoutMs.default;
  const mask = checkMask(options.inhibitMask ?? 0xffff);
  return {
    address,
    pollIntervalMs,
    escrowTimeoutMs,
    decisionTimeoutMs,
    mask,
    enabled: options.enabled ?? true,
    escrowMode: options.escrow ?? false,
    idOptions: options.currencyOf ? { currencyOf: options.currencyOf } : {},
  };
}
