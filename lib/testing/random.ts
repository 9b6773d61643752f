/**
 * A small seeded pseudo-random generator for tests, fault plans and fuzzing.
 *
 * xoshiro128** with its state filled by splitmix32 from one 32-bit seed: fast,
 * 32-bit integer arithmetic only, and the same seed gives the same sequence on
 * every platform. Not for cryptography: the eSSP key exchange uses the
 * platform CSPRNG.
 */
import { InvalidArgumentError } from '../core/errors.js';

export interface Random {
  /** The seed this generator was created from (for logs and replay). */
  readonly seed: number;
  /** Next unsigned 32-bit integer. */
  nextU32(): number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n); `n` must be a positive integer. */
  int(n: number): number;
  /** Integer in [min, max], both included. */
  range(min: number, max: number): number;
  /** True with probability `p` (0 never, 1 always). */
  chance(p: number): boolean;
  /** `n` random bytes. */
  bytes(n: number): Uint8Array;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /**
   * An independent generator derived from this seed and `label`. Forks with
   * different labels do not share draws, so adding draws to one stream (say,
   * corrupting bytes) never shifts another (say, which writes are dropped).
   */
  fork(label: string): Random;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** FNV-1a over the label's UTF-16 code units: a stable 32-bit hash for fork(). */
function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  }
  return h >>> 0;
}

/**
 * Create a generator. `seed` may be any safe integer; it is reduced to 32
 * bits. Throws {@link InvalidArgumentError} for anything else.
 */
export function createRandom(seed: number): Random {
  if (!Number.isSafeInteger(seed)) {
    throw new InvalidArgumentError(`The random seed must be a safe integer, got ${String(seed)}.`, { seed });
  }
  const seed32 = Number(BigInt.asUintN(32, BigInt(seed)));
  const init = splitmix32(seed32);
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  if ((a | b | c | d) === 0) a = 1; // the all-zero state never leaves zero

  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  const next = (): number => nextU32() / 0x1_0000_0000;
  const int = (n: number): number => {
    if (!Number.isInteger(n) || n <= 0) {
      throw new InvalidArgumentError(`Random.int needs a positive integer bound, got ${String(n)}.`, { n });
    }
    return Math.floor(next() * n);
  };

  const rnd: Random = {
    seed: seed32,
    nextU32,
    next,
    int,
    range: (min, max) => min + int(max - min + 1),
    chance: (p) => p > 0 && (p >= 1 || next() < p),
    bytes: (n) => {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i += 4) {
        let v = nextU32();
        for (let j = i; j < Math.min(n, i + 4); j++) {
          out[j] = v & 0xff;
          v >>>= 8;
        }
      }
      return out;
    },
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new InvalidArgumentError('Random.pick needs a non-empty list.');
      return items[int(items.length)]!;
    },
    fork: (label) => createRandom((seed32 ^ hashLabel(label)) >>> 0),
  };
  return rnd;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
