/**
 * Key material for the eSSP encryption layer.
 *
 * The 128-bit AES key is the 64-bit fixed key programmed into the device
 * followed by the 64-bit key negotiated with Diffie-Hellman, each stored as a
 * little-endian u64. Secrets live in {@link SecretKey}, whose every printable
 * form is "[redacted]", so a key cannot slip into logs, traces, JSON
 * snapshots or error messages by accident.
 */
import { DisposedError, InvalidArgumentError } from '../../../core/errors.js';
import { u64le } from '../../../core/bytes.js';

/**
 * Fills the given array with random bytes. Injected wherever randomness is
 * needed so tests can be deterministic; production code uses {@link cryptoRandom}.
 */
export type RandomSource = (out: Uint8Array) => void;

/**
 * Random bytes are drawn from the platform in blocks: an encrypted link needs
 * a few packing bytes per packet, and one call into the platform per packet
 * costs more than the AES work. Bytes handed out are zeroed in the pool.
 */
const POOL_SIZE = 4096;
const pool = new Uint8Array(POOL_SIZE);
let poolAt = POOL_SIZE;

/** Random bytes from the platform CSPRNG (Web Crypto `getRandomValues`). */
export const cryptoRandom: RandomSource = (out) => {
  const n = out.length;
  if (n > POOL_SIZE) {
    // getRandomValues refuses more than 65536 bytes per call.
    for (let offset = 0; offset < n; offset += 65536) {
      globalThis.crypto.getRandomValues(out.subarray(offset, Math.min(n, offset + 65536)));
    }
    return;
  }
  fillRandom(out, 0, n);
};

/**
 * {@link cryptoRandom} into `out[start..end)`, at most 4096 bytes, without
 * making a view of `out`: the packet layer draws a few packing bytes per
 * packet into its scratch array, and a view costs more than the draw.
 */
export function fillRandom(out: Uint8Array, start: number, end: number): void {
  const n = end - start;
  if (n > POOL_SIZE) {
    throw new InvalidArgumentError(`fillRandom draws at most ${POOL_SIZE} bytes at a time, asked for ${n}.`);
  }
  if (poolAt + n > POOL_SIZE) {
    globalThis.crypto.getRandomValues(pool);
    poolAt = 0;
  }
  for (let i = start; i < end; i++) {
    out[i] = pool[poolAt]!;
    pool[poolAt++] = 0;
  }
}

/** The factory default fixed key, in the hex form ITL's tools and most hosts accept. */
export const DEFAULT_FIXED_KEY = '0123456701234567';

const REDACTED = '[redacted]';

/**
 * Holds secret bytes and refuses to print them. The bytes are reachable only
 * through {@link SecretKey.use}, which makes every access explicit and easy to
 * audit. `wipe()` zeroes them; a wiped key throws on use instead of silently
 * encrypting with zeros.
 */
export class SecretKey {
  readonly #bytes: Uint8Array;
  /** Values computed once from the bytes (expanded AES schedules); as secret as the key, wiped with it. */
  readonly #derived = new Map<symbol, { wipe(): void }>();
  #wiped = false;

  /** Copies `bytes`; the caller may wipe its own copy afterwards. */
  constructor(bytes: Uint8Array) {
    this.#bytes = Uint8Array.from(bytes);
  }

  get length(): number {
    return this.#bytes.length;
  }

  get wiped(): boolean {
    return this.#wiped;
  }

  /**
   * Lend the key bytes to `fn`. `fn` must not keep a reference to the array
   * or copy it anywhere printable. Throws {@link DisposedError} once wiped.
   */
  use<T>(fn: (bytes: Uint8Array) => T): T {
    if (this.#wiped) throw new DisposedError('Encryption key');
    return fn(this.#bytes);
  }

  /**
   * A value made once from the key bytes by `make` and kept under `tag` until
   * the key is wiped, which wipes it too. For per-key precomputation such as
   * AES round keys, so the hot path does not redo it per packet. The same
   * rules as {@link SecretKey.use} apply to `make`.
   */
  derive<T extends { wipe(): void }>(tag: symbol, make: (bytes: Uint8Array) => T): T {
    if (this.#wiped) throw new DisposedError('Encryption key');
    let value = this.#derived.get(tag) as T | undefined;
    if (value === undefined) {
      value = make(this.#bytes);
      this.#derived.set(tag, value);
    }
    return value;
  }

  /** Zero the bytes and everything derived from them. Idempotent. */
  wipe(): void {
    this.#bytes.fill(0);
    for (const value of this.#derived.values()) value.wipe();
    this.#derived.clear();
    this.#wiped = true;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return REDACTED;
  }
}

/**
 * Parse a fixed key written as 16 hex digits (optionally `0x`-prefixed), the
 * number ITL's tools show, e.g. `'0123456701234567'`. The result holds it as a
 * little-endian u64, the way it goes into the AES key and onto the wire with
 * SET ENCRYPTION KEY: the default becomes `67 45 23 01 67 45 23 01`.
 *
 * Errors describe the shape only, never the characters given.
 */
export function parseFixedKey(hex16: string): SecretKey {
  const digits = hex16.trim().replace(/^0x/i, '');
  if (!/^[0-9a-f]{16}$/i.test(digits)) {
    throw new InvalidArgumentError(
      `The fixed encryption key must be exactly 16 hex digits (for example '${DEFAULT_FIXED_KEY}'), ` +
        `got ${digits.length} characters${/[^0-9a-f]/i.test(digits) ? ' including non-hex ones' : ''}.`,
    );
  }
  const bytes = u64le(BigInt(`0x${digits}`));
  const key = new SecretKey(bytes);
  bytes.fill(0);
  return key;
}

const U64_MAX = (1n << 64n) - 1n;

/**
 * The 16 AES key bytes: fixed key (8 bytes, already little-endian) then the
 * negotiated key as a little-endian u64. The caller owns the returned array
 * and should wipe it; prefer {@link encryptionKey}, which does that.
 */
export function aesKey(fixed: SecretKey, negotiated: bigint): Uint8Array {
  if (negotiated < 0n || negotiated > U64_MAX) {
    throw new InvalidArgumentError('The negotiated key must fit in an unsigned 64-bit integer.');
  }
  if (fixed.length !== 8) {
    throw new InvalidArgumentError(`The fixed key must be 8 bytes, got ${fixed.length}.`);
  }
  const out = new Uint8Array(16);
  fixed.use((b) => out.set(b, 0));
  const low = u64le(negotiated);
  out.set(low, 8);
  low.fill(0);
  return out;
}

/** The AES key for a session, wrapped so it cannot be printed; no loose copy is left behind. */
export function encryptionKey(fixed: SecretKey, negotiated: bigint): SecretKey {
  const raw = aesKey(fixed, negotiated);
  const key = new SecretKey(raw);
  raw.fill(0);
  return key;
}
