/**
 * AES-128 in ECB mode over whole 16-byte blocks, as eSSP uses it: no IV and no
 * padding scheme (the packet layer fills the last block itself). This is the
 * only module that touches the cipher library, so swapping it stays local.
 *
 * An encrypted link runs AES on every poll in both directions with one key
 * for the whole session, so the round keys are expanded once per key
 * ({@link AesEcbCipher}) instead of once per packet: key expansion, the
 * decryption schedule above all, costs more than the two or three blocks a
 * poll carries. The schedules are as secret as the key and are zeroed with it.
 *
 * The block functions come from `@noble/ciphers`' low-level `unsafe` export,
 * whose shape is not covered by semver; the dependency is pinned to an exact
 * version and the FIPS-197 vectors in the spec catch any change.
 */
import { unsafe } from '@noble/ciphers/aes.js';
import { DisposedError, InvalidArgumentError } from '../../../core/errors.js';
import type { SecretKey } from './key.js';

export const AES_BLOCK_SIZE = 16;
export const AES_KEY_SIZE = 16;

function checkKey(key: Uint8Array): void {
  // Lengths only: the key bytes themselves must never reach an error message.
  if (key.length !== AES_KEY_SIZE) {
    throw new InvalidArgumentError(`AES-128 needs a ${AES_KEY_SIZE}-byte key, got ${key.length} bytes.`);
  }
}

function checkBlocks(length: number): void {
  if (length % AES_BLOCK_SIZE !== 0) {
    throw new InvalidArgumentError(
      `AES-ECB works on whole ${AES_BLOCK_SIZE}-byte blocks, got ${length} bytes.`,
    );
  }
}

/** Little-endian word at `at`: the lane order noble's round functions use on every host. */
const word = (b: Uint8Array, at: number): number =>
  (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;

function putWord(b: Uint8Array, at: number, w: number): void {
  b[at] = w & 0xff;
  b[at + 1] = (w >>> 8) & 0xff;
  b[at + 2] = (w >>> 16) & 0xff;
  b[at + 3] = w >>> 24;
}

type BlockFn = (
  xk: Uint32Array,
  s0: number,
  s1: number,
  s2: number,
  s3: number,
) => {
  s0: number;
  s1: number;
  s2: number;
  s3: number;
};

/** Run `fn` over `length` bytes of `src` from `srcAt` into `dst` from `dstAt`, block by block. */
function run(
  fn: BlockFn,
  xk: Uint32Array,
  src: Uint8Array,
  srcAt: number,
  length: number,
  dst: Uint8Array,
  dstAt: number,
): void {
  for (let i = 0; i < length; i += AES_BLOCK_SIZE) {
    const s = srcAt + i;
    const r = fn(xk, word(src, s), word(src, s + 4), word(src, s + 8), word(src, s + 12));
    const d = dstAt + i;
    putWord(dst, d, r.s0);
    putWord(dst, d + 4, r.s1);
    putWord(dst, d + 8, r.s2);
    putWord(dst, d + 12, r.s3);
  }
}

/**
 * One AES-128 key with its round keys expanded once, for any number of
 * blocks. `wipe()` zeroes both schedules; a wiped cipher throws on use.
 */
export class AesEcbCipher {
  readonly #encryption: Uint32Array;
  readonly #decryption: Uint32Array;
  #wiped = false;

  /** Expands `key` (16 bytes); keeps no reference to the array passed. */
  constructor(key: Uint8Array) {
    checkKey(key);
    // noble may normalise the key in place on big-endian hosts: work on a copy.
    const copy = Uint8Array.from(key);
    this.#encryption = unsafe.expandKeyLE(copy);
    this.#decryption = unsafe.expandKeyDecLE(copy);
    copy.fill(0);
  }

  /**
   * Encrypt `length` bytes (whole blocks) of `src` from `srcAt` into `dst` from
   * `dstAt`. `dst` may be `src` (in place).
   */
  encrypt(src: Uint8Array, srcAt: number, length: number, dst: Uint8Array, dstAt: number): void {
    this.#check(src, srcAt, length, dst, dstAt);
    run(unsafe.encrypt, this.#encryption, src, srcAt, length, dst, dstAt);
  }

  /** Decrypt, with the same conventions as {@link AesEcbCipher.encrypt}. */
  decrypt(src: Uint8Array, srcAt: number, length: number, dst: Uint8Array, dstAt: number): void {
    this.#check(src, srcAt, length, dst, dstAt);
    run(unsafe.decrypt, this.#decryption, src, srcAt, length, dst, dstAt);
  }

  /** Zero the round keys. Idempotent. */
  wipe(): void {
    this.#encryption.fill(0);
    this.#decryption.fill(0);
    this.#wiped = true;
  }

  #check(src: Uint8Array, srcAt: number, length: number, dst: Uint8Array, dstAt: number): void {
    if (this.#wiped) throw new DisposedError('AES key schedule');
    checkBlocks(length);
    if (srcAt < 0 || srcAt + length > src.length || dstAt < 0 || dstAt + length > dst.length) {
      throw new InvalidArgumentError(`AES-ECB range of ${length} bytes does not fit the arrays given.`);
    }
  }
}

function oneShot(key: Uint8Array, data: Uint8Array, direction: 'encrypt' | 'decrypt'): Uint8Array {
  checkKey(key);
  checkBlocks(data.length);
  const cipher = new AesEcbCipher(key);
  try {
    const out = new Uint8Array(data.length);
    cipher[direction](data, 0, data.length, out, 0);
    return out;
  } finally {
    cipher.wipe();
  }
}

/** Encrypt every 16-byte block of `plain` independently. Returns a new array. */
export function aesEcbEncrypt(key: Uint8Array, plain: Uint8Array): Uint8Array {
  return oneShot(key, plain, 'encrypt');
}

/** Decrypt every 16-byte block of `cipher` independently. Returns a new array. */
export function aesEcbDecrypt(key: Uint8Array, cipher: Uint8Array): Uint8Array {
  return oneShot(key, cipher, 'decrypt');
}

const SCHEDULE = Symbol('AES-128 round keys');

/** The expanded cipher of a session key: made on first use, wiped when the key is wiped. */
export function cipherOf(key: SecretKey): AesEcbCipher {
  return key.derive(SCHEDULE, (bytes) => new AesEcbCipher(bytes));
}
