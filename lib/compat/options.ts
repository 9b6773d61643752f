/**
 * Constructor options of the compatibility class, checked up front: a typo in
 * an option name or a key of the wrong length is reported when the object is
 * built, not as a mysterious failure at the first key exchange.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { assertEsspAddress } from '../protocols/essp/framing.js';

export interface SspOptions {
  /** eSSP address of the unit: 0 for validators, 0x10 for a SMART Hopper. Default 0. */
  readonly id?: number;
  /** Log commands, replies and events through the `cashwire:compat` debug namespace. Default false. */
  readonly debug?: boolean;
  /** Time a command may take before it fails with CommandTimeoutError, ms (50..60000). Default 3000. */
  readonly timeout?: number;
  /** Fixed half of the eSSP key, 16 hex digits. Default '0123456701234567'. */
  readonly fixedKey?: string;
  /** Pause between polls while enabled, ms (20..10000). Default 200. Not in the old library. */
  readonly pollInterval?: number;
}

export interface ResolvedSspOptions {
  readonly id: number;
  readonly debug: boolean;
  readonly fixedKey: string;
  readonly pollIntervalMs: number;
  /** Per-attempt reply timeout of the bus. */
  readonly attemptMs: number;
  /** Attempts per command; attemptMs × attempts ≈ `timeout`. */
  readonly attempts: number;
}

export const SSP_OPTION_LIMITS = {
  timeout: { min: 50, max: 60_000, default: 3000 },
  pollInterval: { min: 20, max: 10_000, default: 200 },
} as const;

const KNOWN = new Set(['id', 'debug', 'timeout', 'fixedKey', 'pollInterval']);
const FIXED_KEY = /^[0-9a-fA-F]{16}$/;
/** A frame lost on the line is resent after this long (ITL's host uses 1 s), within `timeout`. */
const ATTEMPT_MS = 1000;

function shown(value: unknown): string {
  return typeof value === 'number' ? String(value) : typeof value === 'string' ? `'${value}'` : typeof value;
}

function ranged(name: keyof typeof SSP_OPTION_LIMITS, value: unknown): number {
  const { min, max } = SSP_OPTION_LIMITS[name];
  if (value === undefined) return SSP_OPTION_LIMITS[name].default;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(
      `SSP option '${name}' must be a whole number of milliseconds from ${min} to ${max}, got ${shown(value)}.`,
      { option: name, value, min, max },
    );
  }
  return value;
}

/** Validate the constructor options. Throws InvalidArgumentError naming the option. */
export function resolveSspOptions(options: unknown): ResolvedSspOptions {
  const o: Record<string, unknown> = options === undefined ? {} : (options as Record<string, unknown>);
  if (typeof o !== 'object' || o === null || Array.isArray(o)) {
    throw new InvalidArgumentError('SSP options must be an object such as { id: 0, fixedKey: "..." }.');
  }
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key)) {
      throw new InvalidArgumentError(`Unknown SSP option '${key}' (accepted: ${[...KNOWN].join(', ')}).`, {
        option: key,
      });
    }
  }
  const id = o['id'] ?? 0;
  if (typeof id !== 'number') {
    throw new InvalidArgumentError(`SSP option 'id' must be a number, got ${typeof id}.`, { option: 'id' });
  }
  assertEsspAddress(id);
  const debug = o['debug'] ?? false;
  if (typeof debug !== 'boolean') {
    throw new InvalidArgumentError(`SSP option 'debug' must be true or false.`, { option: 'debug' });
  }
  const fixedKey = o['fixedKey'] ?? '0123456701234567';
  if (typeof fixedKey !== 'string' || !FIXED_KEY.test(fixedKey)) {
    // The value is a secret: it is not echoed in the message or the info.
    throw new InvalidArgumentError(`SSP option 'fixedKey' must be a string of 16 hex digits.`, {
      option: 'fixedKey',
    });
  }
  const timeout = ranged('timeout', o['timeout']);
  const attemptMs = Math.min(timeout, ATTEMPT_MS);
  return {
    id,
    debug,
    fixedKey,
    pollIntervalMs: ranged('pollInterval', o['pollInterval']),
    attemptMs,
    attempts: Math.max(1, Math.round(timeout / attemptMs)),
  };
}
