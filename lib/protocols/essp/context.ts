/**
 * What a payload decoder needs to know about the session: eSSP changes the
 * size of event data and the layout of replies with the protocol version in
 * force and with the unit type reported by SETUP REQUEST.
 */

/** Unit type codes (first byte of SETUP REQUEST / UNIT DATA). */
export const UNIT_TYPES = {
  0x00: 'BANKNOTE_VALIDATOR',
  0x03: 'SMART_HOPPER',
  0x06: 'SMART_PAYOUT',
  0x07: 'NOTE_FLOAT',
  0x08: 'ADDON_PRINTER',
  0x09: 'SMART_SYSTEM',
  0x0b: 'STANDALONE_PRINTER',
  0x0d: 'TEBS',
  0x0e: 'TEBS_PAYOUT',
  0x0f: 'TEBS_TICKET',
} as const;

export type UnitTypeCode = keyof typeof UNIT_TYPES;
export type UnitTypeName = (typeof UNIT_TYPES)[UnitTypeCode] | 'UNKNOWN';

export function unitTypeName(code: number): UnitTypeName {
  return (UNIT_TYPES as Record<number, UnitTypeName | undefined>)[code] ?? 'UNKNOWN';
}

/** Highest and lowest host protocol versions cashwire speaks. */
export const MAX_PROTOCOL_VERSION = 8;
export const MIN_PROTOCOL_VERSION = 4;

export interface EsspContext {
  /** Protocol version in force (4..9). */
  readonly protocolVersion: number;
  /** Unit type code from SETUP REQUEST (see {@link UNIT_TYPES}); 0 until known. */
  readonly unitType: number;
}

export const DEFAULT_CONTEXT: EsspContext = { protocolVersion: 6, unitType: 0x00 };

/** Serial line settings of every SSP device: 9600 8N2. */
export const ESSP_LINE = { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 2 } as const;
