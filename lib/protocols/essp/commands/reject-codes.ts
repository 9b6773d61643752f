/** LAST REJECT CODE (0x17) reasons, fact sheet section 15. Unknown bytes become `UNKNOWN_<n>`. */

export const REJECT_CODES: Readonly<Record<number, { readonly name: string; readonly description: string }>> =
  {
    0x00: { name: 'NOTE_ACCEPTED', description: 'no reject' },
    0x01: { name: 'LENGTH_FAIL', description: 'length over maximum' },
    0x02: { name: 'AVERAGE_FAIL', description: 'not recognised (average)' },
    0x03: { name: 'COASTLINE_FAIL', description: 'not recognised (coastline)' },
    0x04: { name: 'GRAPH_FAIL', description: 'not recognised (graph)' },
    0x05: { name: 'BURIED_FAIL', description: 'not recognised (buried)' },
    0x06: { name: 'CHANNEL_INHIBIT', description: 'channel inhibited in the dataset' },
    0x07: { name: 'SECOND_NOTE_DETECTED', description: 'a second note was inserted during transport' },
    0x08: { name: 'REJECT_BY_HOST', description: 'rejected by the host from escrow' },
    0x09: { name: 'CROSS_CHANNEL_DETECTED', description: 'note matches more than one channel' },
    0x0a: { name: 'REAR_SENSOR_ERROR', description: 'rear sensor inconsistency' },
    0x0b: { name: 'NOTE_TOO_LONG', description: 'note too long for the dataset' },
    0x0c: { name: 'DISABLED_BY_HOST', description: 'channel disabled by host inhibits' },
    0x0d: { name: 'SLOW_MECH', description: 'mechanism too slow' },
    0x0e: { name: 'STRIM_ATTEMPT', description: 'strimming or fraud attempt' },
    0x0f: { name: 'FRAUD_CHANNEL', description: 'fraud channel (obsolete)' },
    0x10: { name: 'NO_NOTES_DETECTED', description: 'no notes detected' },
    0x11: { name: 'PEAK_DETECT_FAIL', description: 'peak detect fail' },
    0x12: { name: 'TWISTED_NOTE_REJECT', description: 'twisted note' },
    0x13: { name: 'ESCROW_TIME_OUT', description: 'escrow timeout: no command within about 10 s' },
    0x14: { name: 'BAR_CODE_SCAN_FAIL', description: 'bar code scan failed' },
    0x15: { name: 'NO_CAM_ACTIVATE', description: 'note never reached the validation path' },
    0x16: { name: 'SLOT_FAIL_1', description: 'slot fail 1' },
    0x17: { name: 'SLOT_FAIL_2', description: 'slot fail 2' },
    0x18: { name: 'LENS_OVERSAMPLE', description: 'note moved too fast' },
    0x19: { name: 'WIDTH_DETECTION_FAIL', description: 'width detection fail' },
    0x1a: { name: 'SHORT_NOTE_DETECT', description: 'note too short' },
    0x1b: { name: 'PAYOUT_NOTE', description: 'code read after a payout' },
    0x1c: { name: 'DOUBLE_NOTE_DETECTED', description: 'double (overlaid) note' },
    0x1d: { name: 'UNABLE_TO_STACK', description: 'unable to stack' },
    0x1f: { name: 'CREDIT_CARD_DETECTED', description: 'a credit card was inserted' },
  };

export interface RejectReason {
  readonly code: number;
  readonly name: string;
  readonly description: string;
}

export function rejectReason(code: number): RejectReason {
  const known = REJECT_CODES[code];
  return known
    ? { code, ...known }
    : { code, name: `UNKNOWN_${code}`, description: `unknown reject code ${code}` };
}
