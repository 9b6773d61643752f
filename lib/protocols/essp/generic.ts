/**
 * Generic responses: the first DATA byte of every eSSP reply, and the error
 * byte some commands append to 0xF5 (COMMAND CANNOT BE PROCESSED). Names are
 * stable strings callers can branch on; explanations tell an operator what to
 * check next.
 */

export const GENERIC_RESPONSES = {
  0xf0: 'OK',
  0xf2: 'COMMAND_NOT_KNOWN',
  0xf3: 'WRONG_NO_PARAMETERS',
  0xf4: 'PARAMETER_OUT_OF_RANGE',
  0xf5: 'COMMAND_CANNOT_BE_PROCESSED',
  0xf6: 'SOFTWARE_ERROR',
  0xf7: 'CHECKSUM_ERROR',
  0xf8: 'FAIL',
  0xf9: 'HEADER_FAILURE',
  0xfa: 'KEY_NOT_SET',
} as const;

export type GenericCode = keyof typeof GENERIC_RESPONSES;
export type GenericName = (typeof GENERIC_RESPONSES)[GenericCode];

/** Name of a generic response byte, or undefined for anything else (0xF1, 0xFB…). */
export function genericName(code: number): GenericName | undefined {
  return (GENERIC_RESPONSES as Record<number, GenericName | undefined>)[code];
}

const EXPLANATIONS: Readonly<Record<GenericName, string>> = {
  OK: 'The device accepted the command.',
  COMMAND_NOT_KNOWN:
    'The device does not implement this command: check that the unit type supports it and that its firmware is recent enough.',
  WRONG_NO_PARAMETERS:
    'The device expected a different number of argument bytes: check the protocol version in force (layouts change at version 6). ' +
    'A SMART Hopper also answers this to SET_COIN_MECH_INHIBITS when no coin mech is fitted.',
  PARAMETER_OUT_OF_RANGE:
    'An argument value was refused: check the value and the currency against the dataset, and the protocol version in force.',
  COMMAND_CANNOT_BE_PROCESSED:
    'The command is valid but cannot run now (busy, disabled, nothing in escrow, …); see the error byte if present and retry later.',
  SOFTWARE_ERROR:
    'The device firmware reported a fault (for example after a failed download); power-cycle or reflash it.',
  CHECKSUM_ERROR: 'The device reported a checksum error in what it received; check the line for noise.',
  FAIL: 'The command failed: an unsupported HOST_PROTOCOL_VERSION level, or REQUEST_KEY_EXCHANGE before SET_GENERATOR and SET_MODULUS.',
  HEADER_FAILURE: 'The device rejected a download header.',
  KEY_NOT_SET:
    'The device is in encrypted mode and has no key: negotiate a key (SET_GENERATOR, SET_MODULUS, REQUEST_KEY_EXCHANGE) and resend.',
};

/** Explanation for payout-family commands (value, currency, encryption), where 0xF4 has a specific usual cause. */
const PAYOUT_OUT_OF_RANGE =
  'The device refused the value: usually the command was not sent encrypted, or the value or currency is not one the device knows ' +
  '(amounts are integer minor units; check the country code and that protocol version 6 is set).';

/**
 * Human explanation of a generic response. Pass `errors` (the command row's
 * error family) to get command-specific advice.
 */
export function explainResponse(code: number, errors?: ErrorFamily): string {
  const name = genericName(code);
  if (name === undefined) return `Unknown response byte 0x${code.toString(16).padStart(2, '0')}.`;
  if (name === 'PARAMETER_OUT_OF_RANGE' && (errors === 'payout' || errors === 'route'))
    return PAYOUT_OUT_OF_RANGE;
  return EXPLANATIONS[name];
}

/** Tables of the byte that follows 0xF5, one per command family (fact sheet section 13). */
export const F5_ERRORS = {
  /** PAYOUT_AMOUNT, FLOAT_AMOUNT, PAYOUT/FLOAT_BY_DENOMINATION. */
  payout: { 1: 'NOT_ENOUGH_VALUE', 2: 'CANNOT_PAY_EXACT_AMOUNT', 3: 'BUSY', 4: 'DISABLED' },
  /** SET/GET_DENOMINATION_ROUTE on note payouts. */
  route: { 1: 'NO_PAYOUT_CONNECTED', 2: 'INVALID_CURRENCY', 3: 'PAYOUT_DEVICE_FAILURE' },
  enablePayout: { 1: 'NO_DEVICE', 2: 'INVALID_CURRENCY', 3: 'BUSY', 4: 'EMPTY_ONLY', 5: 'DEVICE_ERROR' },
  /** PAYOUT_NOTE, STACK_NOTE, SET_VALUE_REPORTING_TYPE (NV11). */
  noteFloat: { 1: 'NOT_CONNECTED', 2: 'EMPTY', 3: 'BUSY', 4: 'DISABLED' },
  notePositions: { 2: 'INVALID_CURRENCY' },
  tebsBarcode: {
    1: 'NO_DEVICE',
    2: 'BARCODE_UNREADABLE',
    3: 'CASHBOX_OUT_OF_POSITION',
    4: 'CASHBOX_REMOVED',
    5: 'CASHBOX_UNLOCKED',
    6: 'CURRENCY_MISMATCH',
  },
  tebsLog: { 5: 'GATHERING_DATA' },
} as const;

export type ErrorFamily = keyof typeof F5_ERRORS;

export interface F5Error {
  readonly code: number;
  /** Name from the family's table, or `UNKNOWN_<n>` for bytes the table does not list. */
  readonly name: string;
}

/** Name the byte after 0xF5 for a family; `undefined` family names everything `UNKNOWN_<n>`. */
export function f5Error(code: number, family?: ErrorFamily): F5Error {
  const table =
    family === undefined ? undefined : (F5_ERRORS[family] as Readonly<Record<number, string | undefined>>);
  return { code, name: table?.[code] ?? `UNKNOWN_${code}` };
}
