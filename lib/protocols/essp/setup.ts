/**
 * SETUP REQUEST (0x05) reply decoding. The channel table built here is what
 * later turns "credit on channel N" into money, so every length is checked:
 * a reply that is one byte short is refused with a DecodeError rather than
 * read with shifted fields.
 *
 * The layout follows the protocol version reported inside the reply itself
 * (it is the level in force), not the one the host believes it set.
 */
import type { Money } from '../../core/money.js';
import { ascii, readU16le, readU24be, readU32le } from '../../core/bytes.js';
import { unitTypeName, type UnitTypeName } from './context.js';
import { need, odd, readCountry } from './commands/args.js';

const CMD = 'SETUP_REQUEST';

export interface SetupChannel {
  /** Channel number as used in events (1-based). */
  readonly channel: number;
  /** Value in integer minor units with its currency. */
  readonly value: Money;
}

interface SetupCommon {
  readonly unitType: number;
  readonly unitTypeName: UnitTypeName;
  /** Firmware version as sent, four ASCII digits ('0110' = 1.10). */
  readonly firmware: string;
}

export interface ValidatorSetup extends SetupCommon {
  readonly kind: 'validator';
  /** Dataset country (ISO 4217). */
  readonly country: string;
  /** 24-bit multiplier applied to the channel value bytes; 0 means "use the full values" (pv ≥ 6). */
  readonly valueMultiplier: number;
  /** 24-bit multiplier from whole currency units to minor units (e.g. 100). */
  readonly realValueMultiplier: number;
  readonly protocolVersion: number;
  readonly channels: readonly SetupChannel[];
}

export interface HopperSetup extends SetupCommon {
  readonly kind: 'hopper';
  readonly country: string;
  readonly protocolVersion: number;
  /** Coin denominations; `channel` is the 1-based position in the reply. */
  readonly channels: readonly SetupChannel[];
}

export interface PrinterSetup extends SetupCommon {
  readonly kind: 'printer';
  /** Present when the reply carries the full printer block. */
  readonly options?: {
    readonly cutter: boolean;
    readonly tab: boolean;
    readonly reverseValidation: boolean;
    readonly fontPack: string;
    readonly printerType: 'fan-fold' | 'roll' | 'unknown';
    readonly sdCard: boolean;
    readonly darkness: number;
  };
  /** Only some printers append it (offset 14); undefined otherwise. */
  readonly protocolVersion?: number;
}

export type SetupInfo = ValidatorSetup | HopperSetup | PrinterSetup;

function decodeValidator(p: Uint8Array): ValidatorSetup {
  need(CMD, p, 12);
  const n = p[11]!;
  need(CMD, p, 16 + 2 * n);
  const valueMultiplier = readU24be(p, 8);
  const realValueMultiplier = readU24be(p, 12 + 2 * n);
  const protocolVersion = p[15 + 2 * n]!;
  const expanded = protocolVersion >= 6;
  if (expanded) need(CMD, p, 16 + 9 * n);
  const country = ascii(p, 5, 3);
  const channels: SetupChannel[] = [];
  for (let i = 0; i < n; i++) {
    // Full values (pv >= 6) are whole currency units; the byte values are in
    // units of the value multiplier. Both become minor units through the
    // real value multiplier.
    const whole = expanded ? readU32le(p, 16 + 5 * n + 4 * i) : p[12 + i]! * valueMultiplier;
    const amount = whole * realValueMultiplier;
    if (!Number.isSafeInteger(amount)) throw odd(CMD, p, `channel ${i + 1} value overflows`);
    const currency = expanded ? readCountry(p, 16 + 2 * n + 3 * i) : country;
    channels.push({ channel: i + 1, value: { amount, currency } });
  }
  return {
    kind: 'validator',
    unitType: p[0]!,
    unitTypeName: unitTypeName(p[0]!),
    firmware: ascii(p, 1, 4),
    country,
    valueMultiplier,
    realValueMultiplier,
    protocolVersion,
    channels,
  };
}

function decodeHopper(p: Uint8Array): HopperSetup {
  need(CMD, p, 10);
  const protocolVersion = p[8]!;
  const n = p[9]!;
  const expanded = protocolVersion >= 6;
  need(CMD, p, 10 + 2 * n + (expanded ? 3 * n : 0));
  const country = ascii(p, 5, 3);
  const channels: SetupChannel[] = [];
  for (let i = 0; i < n; i++) {
    const currency = expanded ? readCountry(p, 10 + 2 * n + 3 * i) : country;
    channels.push({ channel: i + 1, value: { amount: readU16le(p, 10 + 2 * i), currency } });
  }
  return {
    kind: 'hopper',
    unitType: p[0]!,
    unitTypeName: unitTypeName(p[0]!),
    firmware: ascii(p, 1, 4),
    country,
    protocolVersion,
    channels,
  };
}

function decodePrinter(p: Uint8Array): PrinterSetup {
  need(CMD, p, 5);
  const base = {
    kind: 'printer',
    unitType: p[0]!,
    unitTypeName: unitTypeName(p[0]!),
    firmware: ascii(p, 1, 4),
  } as const;
  if (p.length < 14) return base;
  const type = p[11]!;
  const options = {
    cutter: p[5] === 1,
    tab: p[6] === 1,
    reverseValidation: p[7] === 1,
    fontPack: ascii(p, 8, 3),
    printerType: type === 0 ? 'fan-fold' : type === 1 ? 'roll' : 'unknown',
    sdCard: p[12] === 1,
    darkness: p[13]!,
  } as const;
  return p.length > 14 ? { ...base, options, protocolVersion: p[14]! } : { ...base, options };
}

/**
 * Decode the payload after 0xF0 of a SETUP REQUEST reply. The layout family
 * is chosen by the unit type byte: hoppers (0x03, 0x09), printers (0x08,
 * 0x0B), everything else as a validator.
 */
export function decodeSetupRequest(payload: Uint8Array): SetupInfo {
  need(CMD, payload, 1);
  const unit = payload[0]!;
  if (unit === 0x03 || unit === 0x09) return decodeHopper(payload);
  if (unit === 0x08 || unit === 0x0b) return decodePrinter(payload);
  return decodeValidator(payload);
}

/** Money for a credit on `channel` (1-based), or undefined when the channel is not in the table. */
export function channelValue(setup: SetupInfo, channel: number): Money | undefined {
  if (setup.kind === 'printer') return undefined;
  return setup.channels[channel - 1]?.value;
}
