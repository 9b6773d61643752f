/**
 * Diffie-Hellman for eSSP key negotiation (SET GENERATOR, SET MODULUS,
 * REQUEST KEY EXCHANGE), in bigint arithmetic so any u64 modulus is exact.
 *
 * Size choice: by default generator, modulus and host exponent are real
 * 64-bit primes (the fields are u64 on the wire), so the negotiated half of
 * the AES key uses its full 64 bits. ITL's own C host draws everything below
 * 2^31 because its signed 64-bit arithmetic overflows above that; that limit
 * is the host library's, not the protocol's. `{ bits: 31 }` reproduces ITL's
 * host for a firmware that is found to refuse large numbers.
 *
 * Generator > modulus, as ITL's implementation guide asks (the maths works
 * either way, but devices were written against that guide).
 */
import { InvalidArgumentError } from '../../../core/errors.js';
import { cryptoRandom, type RandomSource } from './key.js';

/** `base^exponent mod modulus` by square-and-multiply. */
export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  if (modulus <= 0n) throw new InvalidArgumentError('modPow needs a positive modulus.');
  if (exponent < 0n) throw new InvalidArgumentError('modPow needs a non-negative exponent.');
  if (modulus === 1n) return 0n;
  let result = 1n;
  let b = ((base % modulus) + modulus) % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

// With the first twelve primes as witnesses Miller-Rabin gives no false answer
// below 3.18 * 10^23, far above 2^64; beyond that it is a strong probable-prime test.
const WITNESSES = [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n] as const;

/** Primality, exact for every value up to 2^64 (and well beyond). */
export function isPrime(n: bigint): boolean {
  if (n < 2n) return false;
  for (const p of WITNESSES) {
    if (n === p) return true;
    if (n % p === 0n) return false;
  }
  let d = n - 1n;
  let s = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    s++;
  }
  outer: for (const a of WITNESSES) {
    let x = modPow(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    for (let i = 1; i < s; i++) {
      x = (x * x) % n;
      if (x === n - 1n) continue outer;
    }
    return false;
  }
  return true;
}

function bitLength(n: bigint): number {
  return n.toString(2).length;
}

// A healthy source is rejected less than half the time; this many rejections in
// a row means it is broken (stuck bytes), and looping forever would hang the caller.
const MAX_DRAWS = 256;

/** Uniform integer in [min, max] by rejection sampling. */
export function randomBetween(random: RandomSource, min: bigint, max: bigint): bigint {
  if (max < min) throw new InvalidArgumentError('randomBetween needs min <= max.');
  const span = max - min;
  if (span === 0n) return min;
  const bits = bitLength(span);
  const buf = new Uint8Array(Math.ceil(bits / 8));
  const topMask = 0xff >> (buf.length * 8 - bits);
  for (let attempt = 0; attempt < MAX_DRAWS; attempt++) {
    random(buf);
    buf[0] = buf[0]! & topMask;
    let v = 0n;
    for (const byte of buf) v = (v << 8n) | BigInt(byte);
    if (v <= span) {
      buf.fill(0);
      return min + v;
    }
  }
  throw new InvalidArgumentError('The random source keeps returning out-of-range values; it looks broken.');
}

/**
 * A prime in [min, max]: a uniform starting point, then the next prime upwards
 * (wrapping to min). Always terminates, even with a constant random source,
 * provided the range holds a prime.
 */
function randomPrime(random: RandomSource, min: bigint, max: bigint): bigint {
  const start = randomBetween(random, min, max);
  return nextPrime(start, min, max);
}

function nextPrime(from: bigint, min: bigint, max: bigint): bigint {
  let c = from;
  for (let steps = 0n; steps <= max - min; steps++) {
    if (isPrime(c)) return c;
    c = c >= max ? min : c + 1n;
  }
  throw new InvalidArgumentError('No prime in the requested range.');
}

export interface KeyExchangeOptions {
  /** 64 (default): full u64 primes. 31: everything below 2^31, like ITL's C host. */
  readonly bits?: 31 | 64;
}

const REDACTED_EXPONENT = '[redacted]';

/**
 * One negotiation's numbers. Generator and modulus are public (they go on the
 * wire in clear); the host exponent is private and is hidden from `toString`,
 * `JSON.stringify` and `util.inspect`.
 */
export class KeyExchangeParams {
  readonly generator: bigint;
  readonly modulus: bigint;
  readonly #hostRandom: bigint;

  constructor(generator: bigint, modulus: bigint, hostRandom: bigint) {
    if (!isPrime(generator) || !isPrime(modulus)) {
      throw new InvalidArgumentError('Generator and modulus must both be prime; devices reject others.');
    }
    if (generator <= modulus) {
      throw new InvalidArgumentError('The generator must be larger than the modulus (ITL GA973).');
    }
    if (generator >= 1n << 64n) throw new InvalidArgumentError('The generator must fit in 64 bits.');
    if (hostRandom < 2n || hostRandom >= 1n << 64n) {
      throw new InvalidArgumentError('The host exponent must be at least 2 and fit in 64 bits.');
    }
    this.generator = generator;
    this.modulus = modulus;
    this.#hostRandom = hostRandom;
  }

  /** The host's private exponent. Only {@link hostIntermediate} and {@link sharedKey} need it. */
  get hostRandom(): bigint {
    return this.#hostRandom;
  }

  toJSON(): { generator: string; modulus: string; hostRandom: string } {
    return {
      generator: this.generator.toString(),
      modulus: this.modulus.toString(),
      hostRandom: REDACTED_EXPONENT,
    };
  }

  toString(): string {
    return `KeyExchangeParams(generator=${this.generator}, modulus=${this.modulus}, hostRandom=${REDACTED_EXPONENT})`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/**
 * Draw a prime generator, a smaller prime modulus and a host exponent.
 * `random` defaults to the platform CSPRNG; tests inject a seeded source.
 */
export function generateKeyExchangeParams(
  random: RandomSource = cryptoRandom,
  options: KeyExchangeOptions = {},
): KeyExchangeParams {
  const bits = options.bits ?? 64;
  // Both primes come from the top half of the range so the modulus (and with it
  // the key space) is never accidentally small.
  const min = 1n << BigInt(bits - 1);
  const max = (1n << BigInt(bits)) - 1n;
  const a = randomPrime(random, min, max);
  let b = randomPrime(random, min, max);
  if (a === b) b = nextPrime(b >= max ? min : b + 1n, min, max);
  const modulus = a < b ? a : b;
  let generator = a < b ? b : a;
  // A generator congruent to +-1 makes every intermediate key +-1; step past it.
  while (generator % modulus === 1n || generator % modulus === modulus - 1n) {
    if (generator >= max) throw new InvalidArgumentError('No usable generator above the modulus.');
    generator = nextPrime(generator + 1n, generator + 1n, max);
  }
  const hostRandom = randomBetween(random, 2n, modulus - 2n);
  return new KeyExchangeParams(generator, modulus, hostRandom);
}

/** Any party's intermediate key: `generator^secret mod modulus`. */
export function intermediateKey(generator: bigint, modulus: bigint, secret: bigint): bigint {
  return modPow(generator, secret, modulus);
}

/**
 * Shared key from the other side's intermediate key and our own exponent.
 * An intermediate outside 2..modulus-2 cannot come from an honest peer (or
 * would yield a key of 0 or +-1), so it is refused.
 */
export function sharedSecret(otherIntermediate: bigint, secret: bigint, modulus: bigint): bigint {
  if (otherIntermediate < 2n || otherIntermediate > modulus - 2n) {
    throw new InvalidArgumentError(
      'The intermediate key received is outside 2..modulus-2; renegotiate with new numbers.',
    );
  }
  return modPow(otherIntermediate, secret, modulus);
}

/** The value the host sends with REQUEST KEY EXCHANGE. */
export function hostIntermediate(params: KeyExchangeParams): bigint {
  return intermediateKey(params.generator, params.modulus, params.hostRandom);
}

/** The negotiated key, from the device's REQUEST KEY EXCHANGE reply. */
export function sharedKey(params: KeyExchangeParams, slaveIntermediate: bigint): bigint {
  return sharedSecret(slaveIntermediate, params.hostRandom, params.modulus);
}

/** A device-side exponent for the simulator: uniform in 2..modulus-2. */
export function randomExponent(modulus: bigint, random: RandomSource = cryptoRandom): bigint {
  if (modulus < 5n) throw new InvalidArgumentError('The modulus is too small for a key exchange.');
  return randomBetween(random, 2n, modulus - 2n);
}
