/**
 * The two ccTalk integrity checks.
 *
 * - `simple`: one trailing byte chosen so that every byte of the frame,
 *   destination through checksum, adds up to 0 modulo 256.
 * - `crc16`: CRC-16/XMODEM (polynomial 0x1021, register starts at 0, no
 *   reflection, no final XOR) over destination, length, header and data. The
 *   low byte replaces the source address (offset 2) and the high byte takes
 *   the checksum slot, so both kinds of frame have the same length and can
 *   share one bus.
 */

export type ChecksumMode = 'simple' | 'crc16';

export const CHECKSUM_MODES: readonly ChecksumMode[] = ['simple', 'crc16'];

/** Sum of `bytes[start..end)` modulo 256. */
export function byteSum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum = (sum + bytes[i]!) & 0xff;
  return sum;
}

/**
 * The byte that brings the sum of `bytes[start..end)` to 0 modulo 256.
 * A sum already at 0 gives 0 (never 256: some implementations get this wrong).
 */
export function simpleChecksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return (0x100 - byteSum(bytes, start, end)) & 0xff;
}

// Table-driven CRC: 256 entries computed once, MSB-first (unreflected) form.
const CRC_TABLE = ((): Uint16Array => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

/** Continue a CRC-16/XMODEM register over `bytes[start..end)`. */
export function crc16Update(crc: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  let reg = crc & 0xffff;
  for (let i = start; i < end; i++)
    reg = ((reg << 8) & 0xffff) ^ CRC_TABLE[((reg >>> 8) ^ bytes[i]!) & 0xff]!;
  return reg;
}

/** CRC-16/XMODEM of `bytes` (check value for ASCII "123456789" is 0x31C3). */
export function crc16Xmodem(bytes: Uint8Array): number {
  return crc16Update(0, bytes);
}

/**
 * The CRC a ccTalk frame carries: destination, length, header and data, i.e.
 * every byte except offset 2 (the CRC low byte) and the last (the high byte).
 * `frame` must be a whole frame (at least 5 bytes).
 */
export function frameCrc(frame: Uint8Array): number {
  const first = crc16Update(0, frame, 0, 2);
  return crc16Update(first, frame, 3, frame.length - 1);
}

/** The check value a whole frame should carry in the given mode. */
export function expectedCheck(frame: Uint8Array, mode: ChecksumMode): number {
  return mode === 'simple' ? simpleChecksum(frame, 0, frame.length - 1) : frameCrc(frame);
}

/** The check value a whole frame actually carries in the given mode. */
export function carriedCheck(frame: Uint8Array, mode: ChecksumMode): number {
  const last = frame[frame.length - 1] ?? 0;
  return mode === 'simple' ? last : ((last << 8) | (frame[2] ?? 0)) & 0xffff;
}

/** True when a whole frame passes the check of the given mode. */
export function checksumValid(frame: Uint8Array, mode: ChecksumMode): boolean {
  if (frame.length < 5) return false;
  return mode === 'simple' ? byteSum(frame) === 0 : frameCrc(frame) === carriedCheck(frame, 'crc16');
}

/** Write the check bytes into a whole frame in place (the source byte is overwritten in crc16 mode). */
export function sealFrame(frame: Uint8Array, mode: ChecksumMode): Uint8Array {
  const last = frame.length - 1;
  if (mode === 'simple') {
    frame[last] = simpleChecksum(frame, 0, last);
  } else {
    const crc = frameCrc(frame);
    frame[2] = crc & 0xff;
    frame[last] = crc >>> 8;
  }
  return frame;
}
