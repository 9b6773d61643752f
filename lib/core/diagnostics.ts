/**
 * Diagnostics are values, not errors: bad checksums, junk between frames,
 * stale replies and decode problems are reported on a device's diagnostics
 * (errors$/trace$) stream and never terminate a stream.
 */

export type DiagnosticKind =
  | 'crc' // checksum mismatch
  | 'discarded' // bytes dropped while hunting for a frame start
  | 'resync' // a partial frame abandoned (new start byte, inter-byte gap, bad length)
  | 'stale-reply' // a reply that does not belong to the request in flight
  | 'decrypt' // encrypted packet failed count/CRC checks
  | 'decode' // a payload could not be fully decoded; raw bytes kept
  | 'echo' // echo missing or different from what was sent
  | 'events-lost'; // a device's event buffer overran between two reads

export interface Diagnostic {
  readonly kind: DiagnosticKind;
  readonly protocol: string;
  readonly message: string;
  /** Bytes concerned, as hex. */
  readonly hex?: string;
  readonly info?: Readonly<Record<string, unknown>>;
}
