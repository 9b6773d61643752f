/**
 * eSSP CRC-16 (catalogue name CRC-16/CMS): polynomial 0x8005, seed 0xFFFF,
 * processed MSB-first with no reflection and no final XOR. It covers the
 * SEQ/ADDR, LENGTH and DATA bytes of a frame *before* byte stuffing; the
 * result goes on the wire low byte first.
 *
 * Table-driven because the receiver runs it over every frame of a polled link
 * and the deframer is benchmarked in bytes per second.
 */

/** Seed every frame's CRC starts from. */
export const ESSP_CRC_SEED = 0xffff;

const POLY = 0x8005;

/** `TABLE[i]` is the CRC register after shifting byte `i` through a zero register. */
const TABLE: Uint16Array = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ POLY : crc << 1;
    table[i] = crc & 0xffff;
  }
  return table;
})();

/** Feed one byte into a running CRC register (for incremental use). */
export function crc16Update(crc: number, byte: number): number {
  return ((crc << 8) ^ TABLE[((crc >>> 8) ^ byte) & 0xff]!) & 0xffff;
}

/**
 * CRC-16 of `bytes[start..end)`, starting from `seed` (default 0xFFFF).
 * Indexes are clamped to the array, so a short range never reads past it.
 */
export function crc16(bytes: Uint8Array, start = 0, end = bytes.length, seed = ESSP_CRC_SEED): number {
  const stop = Math.min(end, bytes.length);
  let crc = seed & 0xffff;
  for (let i = Math.max(0, start); i < stop; i++) {
    crc = ((crc << 8) ^ TABLE[((crc >>> 8) ^ bytes[i]!) & 0xff]!) & 0xffff;
  }
  return crc;
}
