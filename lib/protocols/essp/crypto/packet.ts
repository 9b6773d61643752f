/**
 * The eSSP encrypted packet, i.e. the DATA field of an outer frame:
 *
 *   0x7E | AES( eLENGTH | eCOUNT u32le | eDATA | packing | eCRCL eCRCH )
 *
 * The packing bytes make the encrypted part a whole number of AES blocks.
 * Pure functions: no counters here (see session.ts), randomness injected.
 */
import { DecryptionError, InvalidArgumentError } from '../../../core/errors.js';
import { readU16le, readU32le } from '../../../core/bytes.js';
import { crc16 } from '../crc.js';
import { AES_BLOCK_SIZE, cipherOf } from './aes.js';
import { cryptoRandom, fillRandom, type RandomSource, type SecretKey } from './key.js';

/** First DATA byte of an encrypted frame, sent in clear. */
export const STEX = 0x7e;

/** eLENGTH + eCOUNT before the data, eCRC after it. */
const OVERHEAD = 1 + 4 + 2;

/**
 * Largest eDATA: the outer LENGTH byte caps DATA at 255 bytes, i.e. STEX plus
 * at most 15 blocks (240 bytes), minus the 7 bytes of overhead.
 */
export const MAX_ENCRYPTED_DATA = 15 * AES_BLOCK_SIZE - OVERHEAD;

const MAX_OUTER = 1 + 15 * AES_BLOCK_SIZE;

/**
 * Where {@link decryptPacket} decrypts and {@link encryptPacket} builds the
 * plain packet; large enough for the longest. Both are synchronous and never
 * re-entered, and zero what they used before returning.
 */
const scratch = new Uint8Array(MAX_OUTER - 1);
const encryptScratch = new Uint8Array(MAX_OUTER - 1);

/** Filler bytes needed after `dataLength` bytes of eDATA to complete the last block. */
export function packingLength(dataLength: number): number {
  return (AES_BLOCK_SIZE - ((dataLength + OVERHEAD) % AES_BLOCK_SIZE)) % AES_BLOCK_SIZE;
}

/**
 * Encrypt one command or reply. Returns the outer DATA field (STEX first).
 * Throws {@link InvalidArgumentError} for an empty or oversized payload or a
 * count outside u32: those are caller bugs, never wire data.
 */
export function encryptPacket(
  data: Uint8Array,
  count: number,
  key: SecretKey,
  random: RandomSource = cryptoRandom,
): Uint8Array {
  if (data.length < 1 || data.length > MAX_ENCRYPTED_DATA) {
    throw new InvalidArgumentError(
      `An encrypted packet carries 1 to ${MAX_ENCRYPTED_DATA} data bytes, got ${data.length}.`,
    );
  }
  if (!Number.isInteger(count) || count < 0 || count > 0xffffffff) {
    throw new InvalidArgumentError(`The encryption count must be a u32, got ${String(count)}.`);
  }
  const packing = packingLength(data.length);
  const size = OVERHEAD + data.length + packing;
  // Built in a module-level scratch array (see decryptPacket), zeroed after.
  const plain = encryptScratch;
  try {
    plain[0] = data.length;
    plain[1] = count & 0xff;
    plain[2] = (count >>> 8) & 0xff;
    plain[3] = (count >>> 16) & 0xff;
    plain[4] = count >>> 24;
    plain.set(data, 5);
    const packed = 5 + data.length;
    if (packing > 0) {
      // The platform source draws straight into the scratch array; another
      // source (tests, a hardware generator) gets the usual array to fill.
      if (random === cryptoRandom) fillRandom(plain, packed, packed + packing);
      else random(plain.subarray(packed, packed + packing));
    }
    const crc = crc16(plain, 0, size - 2);
    plain[size - 2] = crc & 0xff;
    plain[size - 1] = crc >>> 8;
    const out = new Uint8Array(1 + size);
    out[0] = STEX;
    cipherOf(key).encrypt(plain, 0, size, out, 1);
    return out;
  } finally {
    plain.fill(0, 0, size);
  }
}

export type DecryptResult =
  | { readonly ok: true; readonly data: Uint8Array; readonly count: number }
  | { readonly ok: false; readonly error: DecryptionError };

/** Which check failed, in `error.info.check`, for callers that branch on it. */
export type DecryptCheck = 'stex' | 'size' | 'crc' | 'length' | 'count';

function fail(check: DecryptCheck, reason: string, info: Record<string, unknown> = {}): DecryptResult {
  // Info carries sizes and counts only: never key bytes or decrypted content.
  return { ok: false, error: new DecryptionError(reason, { check, ...info }) };
}

/**
 * Decrypt an outer DATA field and run every check: STEX marker, whole blocks,
 * inner CRC, eLENGTH fits, and (when `expectedCount` is given) the count.
 * Never throws on any input bytes; a wiped key throws `DisposedError`.
 *
 * Packing is accepted when longer than the minimum, as long as eLENGTH fits:
 * the CRC already proves the block decrypted correctly.
 */
export function decryptPacket(outerData: Uint8Array, key: SecretKey, expectedCount?: number): DecryptResult {
  if (outerData.length < 1 || outerData[0] !== STEX) {
    return fail('stex', 'not an encrypted packet (first byte is not 0x7E)');
  }
  const size = outerData.length - 1;
  if (size === 0 || size % AES_BLOCK_SIZE !== 0 || outerData.length > MAX_OUTER) {
    return fail('size', `ciphertext of ${size} bytes is not 1 to 15 whole AES blocks`, { size });
  }
  // Decrypted into the scratch array: no per-packet allocation but the data handed out.
  const plain = scratch;
  cipherOf(key).decrypt(outerData, 1, size, plain, 0);
  try {
    const crc = crc16(plain, 0, size - 2);
    if (crc !== readU16le(plain, size - 2)) {
      return fail('crc', 'inner checksum mismatch (wrong key or corrupted data)');
    }
    const length = plain[0]!;
    if (length < 1 || OVERHEAD + length > size) {
      return fail('length', `inner length ${length} does not fit in ${size} decrypted bytes`, {
        length,
        size,
      });
    }
    const count = readU32le(plain, 1);
    if (expectedCount !== undefined && count !== expectedCount) {
      return fail('count', `count ${count} where ${expectedCount} was expected (stale or replayed)`, {
        expected: expectedCount,
        actual: count,
      });
    }
    return { ok: true, data: plain.slice(5, 5 + length), count };
  } finally {
    plain.fill(0, 0, size);
  }
}
