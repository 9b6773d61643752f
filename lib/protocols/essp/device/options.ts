/**
 * Option defaults and ranges of an eSSP device, checked once at creation so a
 * bad value fails fast with an OptionRangeError naming the option.
 */
import { InvalidArgumentError, OptionRangeError } from '../../../core/errors.js';
import { resolveBackoff } from '../../../operators/backoff.js';
import { MAX_PROTOCOL_VERSION, MIN_PROTOCOL_VERSION } from '../context.js';
import { assertEsspAddress } from '../framing.js';
import type { EncryptionMode, EsspDeviceOptions } from './types.js';

export const ESSP_DEVICE_LIMITS = {
  /** GA973 7.4: not less than 200 ms, not more than 1000 ms between polls. */
  pollIntervalMs: { min: 200, max: 1000, default: 200 },
  /** Escrow timeout is 5-10 s depending on the manual; HOLD at least every 3 s. */
  holdIntervalMs: { min: 500, max: 3000, default: 2000 },
  protocolVersion: { min: MIN_PROTOCOL_VERSION, max: MAX_PROTOCOL_VERSION, default: MAX_PROTOCOL_VERSION },
  reconnectInitialDelayMs: { min: 10, max: 60_000, default: 1000 },
  reconnectMaxDelayMs: { min: 10, max: 600_000, default: 30_000 },
} as const;

/** NV4000 modules: recyclers 1-4 (0x11-0x14) and the interface module (0x15). */
export const NV4000_MODULES = [0x11, 0x12, 0x13, 0x14, 0x15] as const;

export interface ResolvedOptions {
  readonly address: number;
  readonly encryption: EncryptionMode;
  readonly protocolVersion: number;
  readonly pollIntervalMs: number;
  readonly holdIntervalMs: number;
  readonly autoEnable: boolean;
  readonly serialModules: readonly number[];
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

function inRange(
  name: string,
  value: number | undefined,
  limits: { readonly min: number; readonly max: number; readonly default: number },
  unit: string,
): number {
  if (value === undefined) return limits.default;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < limits.min || value > limits.max) {
    throw new OptionRangeError(name, value, limits.min, limits.max, unit);
  }
  return value;
}

export function resolveOptions(o: EsspDeviceOptions): ResolvedOptions {
  const address = o.address ?? 0;
  assertEsspAddress(address);
  const encryption = o.encryption ?? 'auto';
  if (!['required', 'auto', 'off'].includes(encryption)) {
    throw new InvalidArgumentError(
      `Option 'encryption' must be 'required', 'auto' or 'off', got ${JSON.stringify(encryption)}.`,
    );
  }
  const L = ESSP_DEVICE_LIMITS;
  const serialModules = o.serialModules ?? (o.model === 'NV4000' ? NV4000_MODULES : []);
  for (const m of serialModules) inRange('serialModules[]', m, { min: 0, max: 255, default: 0 }, '');
  const { initialDelayMs, maxDelayMs } = resolveBackoff(o.reconnect, {
    initialDelayMs: L.reconnectInitialDelayMs,
    maxDelayMs: L.reconnectMaxDelayMs,
  });
  return {
    address,
    encryption,
    protocolVersion: inRange('protocolVersion', o.protocolVersion, L.protocolVersion, ''),
    pollIntervalMs: inRange('pollIntervalMs', o.pollIntervalMs, L.pollIntervalMs, 'ms'),
    holdIntervalMs: inRange('holdIntervalMs', o.holdIntervalMs, L.holdIntervalMs, 'ms'),
    autoEnable: o.autoEnable ?? true,
    serialModules,
    initialDelayMs,
    maxDelayMs,
  };
}
