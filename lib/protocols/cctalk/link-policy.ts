/**
 * Reply timeouts and retry counts per header, from the fact sheet's timing
 * rules: fast commands answer within about 10 ms, motor/solenoid tests and
 * checksum runs only after they finish, and commands that move money are
 * never resent blindly (the caller reads the device's counters instead).
 */
import { OptionRangeError } from '../../core/errors.js';

export interface LinkPolicy {
  /** Per-attempt reply timeout, ms. */
  readonly timeoutMs?: number;
  /** Total attempts (first send + resends). */
  readonly attempts?: number;
}

/** Headers whose reply comes only after slow work, or that must not be repeated. */
export const HEADER_POLICY: Readonly<Record<number, LinkPolicy>> = {
  1: { timeoutMs: 500 }, // reset: ACK just before the restart
  163: { timeoutMs: 2000 }, // test hopper
  167: { timeoutMs: 1000, attempts: 1 }, // dispense: never blindly resent
  134: { timeoutMs: 1000, attempts: 1 }, // dispense value
  125: { timeoutMs: 1000, attempts: 1 }, // pay money out
  172: { timeoutMs: 1000 }, // emergency stop
  197: { timeoutMs: 10_000 }, // ROM checksum (seconds)
  240: { timeoutMs: 3000 }, // test solenoids
  239: { timeoutMs: 3000 }, // operate motors
  238: { timeoutMs: 3000 }, // test output lines
  147: { timeoutMs: 5000 }, // stacker cycle
  199: { timeoutMs: 2000 }, // configuration to EEPROM
  198: { timeoutMs: 2000 }, // counters to EEPROM
  214: { timeoutMs: 2000 }, // write data block
};

export const BUS_LIMITS = {
  replyTimeoutMs: { min: 20, max: 5000, default: 300 },
  /** 3 retries after the first send, as the sheet recommends. */
  attempts: { min: 1, max: 10, default: 4 },
  /** How long slaves may take to answer an address poll (253): 4 × address ms, deaf until 1200 ms. */
  addressPollWindowMs: { min: 100, max: 5000, default: 1500 },
} as const;

export function checkLimit(name: keyof typeof BUS_LIMITS, value: number | undefined, unit = 'ms'): number {
  const { min, max, default: fallback } = BUS_LIMITS[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new OptionRangeError(name, value, min, max, unit);
  }
  return value;
}
