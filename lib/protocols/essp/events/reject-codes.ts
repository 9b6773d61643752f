/**
 * Code -> name tables: the LAST REJECT CODE byte (fact sheet section 15) and
 * the one-byte reasons some poll events carry (section 14.2 sub-codes).
 * Firmware may add codes at any time, so a missing entry is reported as
 * `unknown(n)` rather than treated as an error.
 */

export type CodeNames = Readonly<Record<number, string>>;

/** Why the last note was rejected (reply to LAST REJECT CODE, 0x17). */
export const REJECT_CODES: CodeNames = {
  0x00: 'NOTE_ACCEPTED',
  0x01: 'LENGTH_OVER_MAXIMUM',
  0x02: 'AVERAGE_FAIL',
  0x03: 'COASTLINE_FAIL',
  0x04: 'GRAPH_FAIL',
  0x05: 'BURIED_FAIL',
  0x06: 'CHANNEL_INHIBITED',
  0x07: 'SECOND_NOTE_INSERTED',
  0x08: 'REJECTED_BY_HOST',
  0x09: 'MATCHES_MULTIPLE_CHANNELS',
  0x0a: 'REAR_SENSOR_INCONSISTENCY',
  0x0b: 'NOTE_TOO_LONG',
  0x0c: 'DISABLED_BY_HOST',
  0x0d: 'MECHANISM_TOO_SLOW',
  0x0e: 'STRIMMING_ATTEMPT',
  0x0f: 'FRAUD_CHANNEL',
  0x10: 'NO_NOTES_DETECTED',
  0x11: 'PEAK_DETECT_FAIL',
  0x12: 'TWISTED_NOTE',
  0x13: 'ESCROW_TIMEOUT',
  0x14: 'BAR_CODE_SCAN_FAIL',
  0x15: 'NOTE_NOT_REACHED_VALIDATION',
  0x16: 'SLOT_FAIL_1',
  0x17: 'SLOT_FAIL_2',
  0x18: 'LENS_OVERSAMPLE',
  0x19: 'WIDTH_DETECTION_FAIL',
  0x1a: 'NOTE_TOO_SHORT',
  0x1b: 'READ_AFTER_PAYOUT',
  0x1c: 'DOUBLE_NOTE',
  0x1d: 'UNABLE_TO_STACK',
  // 0x1E is not listed by any source.
  0x1f: 'CREDIT_CARD_DETECTED',
};

/** ERROR_DURING_PAYOUT trailing byte. */
export const PAYOUT_ERROR_REASONS: CodeNames = {
  0: 'NOTE_NOT_DETECTED',
  1: 'NOTE_JAMMED_IN_TRANSPORT',
  2: 'CASHBOX_ERROR',
  3: 'PAYOUT_STALLED',
  4: 'CANCELLED_BY_POLL_TIMEOUT',
};

/** TICKET_PRINTING_ERROR reason byte. */
export const TICKET_PRINTING_REASONS: CodeNames = {
  0: 'NO_PAPER',
  1: 'LOAD_FAIL',
  2: 'NO_HEAD',
  3: 'DIVERTER_DID_NOT_OPEN',
  4: 'DIVERTER_DID_NOT_CLOSE',
  5: 'BURST_FAIL',
  6: 'CUT_FAIL',
  7: 'REVERSE_VALIDATE_FAIL',
  8: 'JAM',
  9: 'NV200_FAIL',
  10: 'NV200_TIMEOUT',
  17: 'NV200_CASHBOX_ERROR',
  19: 'SMART_TICKET_TIMEOUT',
};

/** CASHBOX_OUT_OF_SERVICE reason (GET TEBS BARCODE error codes plus two of its own). */
export const CASHBOX_SERVICE_REASONS: CodeNames = {
  1: 'NO_DEVICE',
  2: 'BARCODE_UNREADABLE',
  3: 'CASHBOX_OUT_OF_POSITION',
  4: 'CASHBOX_REMOVED',
  5: 'CASHBOX_UNLOCKED',
  6: 'CURRENCY_MISMATCH',
  7: 'FIRMWARE_ERROR',
  8: 'TEBS_COMMS_ERROR',
};

/** CALIBRATION_FAILED reason byte. */
export const CALIBRATION_REASONS: CodeNames = {
  0: 'NONE',
  1: 'PAYOUT_FLAP_SENSOR',
  2: 'EXIT_SENSOR',
  3: 'COIL_1',
  4: 'COIL_2',
  5: 'NOT_INITIALISED',
  6: 'CHECKSUM',
  7: 'RECALIBRATION_REQUIRED',
  8: 'MOTOR_OPTO_SLOT',
  9: 'MOTOR_OPTO_SLOT',
  10: 'EXIT_SENSOR_2',
};

function ranges(spans: readonly (readonly [number, number, string])[]): CodeNames {
  const out: Record<number, string> = {};
  for (const [from, to, name] of spans) for (let c = from; c <= to; c++) out[c] = name;
  for (let t = 1; t <= 32; t++) out[127 + t] = `INHIBITED_COIN_TYPE_${t}`;
  return out;
}

/** COIN_MECH_ERROR byte: ccTalk fault codes of the attached coin mechanism. */
export const COIN_MECH_ERROR_REASONS: CodeNames = ranges([
  [1, 1, 'REJECT_COIN'],
  [2, 2, 'INHIBITED_COIN'],
  [3, 3, 'MULTIPLE_WINDOW'],
  [4, 7, 'TIMEOUT'],
  [8, 13, 'TOO_FAST_OR_NOT_READY'],
  [14, 15, 'SENSOR_BLOCKED'],
  [16, 19, 'CREDIT_SENSOR_FAULT'],
  [20, 20, 'COIN_ON_STRING'],
  [21, 23, 'DCE_SENSOR_FAULT'],
  [24, 24, 'REPEATED_REJECT'],
  [25, 25, 'SLUG'],
  [26, 26, 'REJECT_SENSOR_BLOCKED'],
  [27, 28, 'TOTALISER_CONFIG'],
  [29, 30, 'ACCEPT_GATE_FAULT'],
  [31, 32, 'MANIFOLD_FAULT'],
  [253, 253, 'DATA_BLOCK_REQUEST'],
  [254, 254, 'FLIGHT_DECK_OPEN'],
  [255, 255, 'UNSPECIFIED'],
]);

/** Name of `code` in `names`, or `unknown(code)`. */
export function codeName(names: CodeNames, code: number): string {
  return names[code] ?? `unknown(${code})`;
}

/** Name of a LAST REJECT CODE byte, e.g. `rejectCodeName(0x08) === 'REJECTED_BY_HOST'`. */
export function rejectCodeName(code: number): string {
  return codeName(REJECT_CODES, code);
}
