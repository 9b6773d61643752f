import { expect } from 'chai';
import * as util from 'node:util';
import fc from 'fast-check';
import { InvalidArgumentError } from '../../../../lib/core/errors.js';
import {
  KeyExchangeParams,
  generateKeyExchangeParams,
  hostIntermediate,
  intermediateKey,
  isPrime,
  modPow,
  randomBetween,
  randomExponent,
  sharedKey,
  sharedSecret,
} from '../../../../lib/protocols/essp/crypto/dh.js';
import type { RandomSource } from '../../../../lib/protocols/essp/crypto/key.js';

/** Deterministic xorshift32 byte source, so generated numbers are reproducible. */
function seeded(seed: number): RandomSource {
  let s = seed >>> 0 || 1;
  return (out) => {
    for (let i = 0; i < out.length; i++) {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      out[i] = s & 0xff;
    }
  };
}

const zeros: RandomSource = (out) => out.fill(0);

/** Trial division, the obviously-correct reference for small n. */
function slowIsPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

describe('eSSP crypto: Diffie-Hellman', () => {
  describe('modPow', () => {
    it('computes known powers', () => {
      expect(modPow(4n, 13n, 497n)).to.equal(445n);
      expect(modPow(2n, 0n, 7n)).to.equal(1n);
      expect(modPow(5n, 3n, 1n)).to.equal(0n);
      expect(modPow(-2n, 3n, 7n)).to.equal(6n); // -8 mod 7
    });
    it('agrees with repeated multiplication', () => {
      fc.assert(
        fc.property(
          fc.bigInt(0n, 1n << 40n),
          fc.integer({ min: 0, max: 40 }),
          fc.bigInt(2n, 1n << 40n),
          (b, e, m) => {
            let r = 1n;
            for (let i = 0; i < e; i++) r = (r * b) % m;
            expect(modPow(b, BigInt(e), m)).to.equal(r % m);
          },
        ),
      );
    });
  });

  describe('isPrime (Miller-Rabin)', () => {
    it('accepts known primes, including 64-bit ones', () => {
      for (const p of [2n, 3n, 5n, 37n, 41n, 991n, 409n, 1287821n, 982451653n, 0x7b059425n, 0x068bfb6bn]) {
        expect(isPrime(p), String(p)).to.equal(true);
      }
      expect(isPrime((1n << 31n) - 1n)).to.equal(true);
      expect(isPrime((1n << 61n) - 1n)).to.equal(true);
      expect(isPrime((1n << 64n) - 59n)).to.equal(true); // largest u64 prime
    });

    it('rejects the numbers devices refused (0x3253 = 13*991, 0x27F1 = 5^2*409)', () => {
      expect(0x3253).to.equal(13 * 991);
      expect(0x27f1).to.equal(25 * 409);
      expect(isPrime(0x3253n)).to.equal(false);
      expect(isPrime(0x27f1n)).to.equal(false);
    });

    it('rejects Carmichael numbers, strong pseudoprimes and 64-bit semiprimes', () => {
      const composites = [
        0n,
        1n,
        4n,
        561n, // Carmichael
        2047n, // strong pseudoprime to base 2
        3215031751n, // strong pseudoprime to bases 2, 3, 5, 7
        3825123056546413051n, // strong pseudoprime to every prime base up to 31
        4294967291n * 4294967279n, // two 32-bit primes
        ((1n << 61n) - 1n) * 3n,
        (1n << 64n) - 1n,
      ];
      for (const c of composites) expect(isPrime(c), String(c)).to.equal(false);
    });

    it('agrees with trial division below 20000', () => {
      for (let n = 0; n < 20000; n++) expect(isPrime(BigInt(n)), String(n)).to.equal(slowIsPrime(n));
    });
  });

  describe('randomBetween', () => {
    it('stays in range for any bounds and source', () => {
      fc.assert(
        fc.property(fc.bigInt(0n, 1n << 64n), fc.bigInt(0n, 1n << 64n), fc.integer(), (a, b, seed) => {
          const [min, max] = a <= b ? [a, b] : [b, a];
          const v = randomBetween(seeded(seed), min, max);
          expect(v >= min && v <= max).to.equal(true);
        }),
      );
    });
    it('gives up on a stuck source instead of hanging', () => {
      const ones: RandomSource = (out) => out.fill(0xff);
      expect(() => randomBetween(ones, 0n, 256n)).to.throw(InvalidArgumentError, /broken/);
    });
  });

  describe('generateKeyExchangeParams', () => {
    it('draws prime generator > prime modulus below 2^31 with { bits: 31 }', () => {
      for (let seed = 1; seed <= 30; seed++) {
        const p = generateKeyExchangeParams(seeded(seed), { bits: 31 });
        expect(isPrime(p.generator)).to.equal(true);
        expect(isPrime(p.modulus)).to.equal(true);
        expect(p.generator > p.modulus).to.equal(true);
        expect(p.generator < 1n << 31n).to.equal(true);
        expect(p.modulus >= 1n << 30n).to.equal(true);
        expect(p.generator % p.modulus).to.not.be.oneOf([0n, 1n, p.modulus - 1n]);
        expect(p.hostRandom >= 2n && p.hostRandom <= p.modulus - 2n).to.equal(true);
      }
    });

    it('draws real 64-bit primes by default', () => {
      for (let seed = 1; seed <= 10; seed++) {
        const p = generateKeyExchangeParams(seeded(seed));
        expect(isPrime(p.generator) && isPrime(p.modulus)).to.equal(true);
        expect(p.generator > p.modulus).to.equal(true);
        expect(p.modulus >= 1n << 63n && p.generator < 1n << 64n).to.equal(true);
        expect(p.hostRandom >= 2n && p.hostRandom <= p.modulus - 2n).to.equal(true);
      }
    });

    it('is reproducible with an injected source and terminates even with all zeros', () => {
      expect(generateKeyExchangeParams(seeded(42)).toJSON()).to.deep.equal(
        generateKeyExchangeParams(seeded(42)).toJSON(),
      );
      expect(generateKeyExchangeParams(seeded(42)).hostRandom).to.equal(
        generateKeyExchangeParams(seeded(42)).hostRandom,
      );
      const p = generateKeyExchangeParams(zeros);
      expect(p.generator > p.modulus).to.equal(true);
    });

    it('uses the platform CSPRNG by default', () => {
      const a = generateKeyExchangeParams();
      const b = generateKeyExchangeParams();
      expect(a.generator > a.modulus).to.equal(true);
      expect([a.generator, a.modulus, a.hostRandom]).to.not.deep.equal([
        b.generator,
        b.modulus,
        b.hostRandom,
      ]);
    });

    it('hides the host exponent from every printable form', () => {
      const p = new KeyExchangeParams(982451653n, 1287821n, 0x1234n);
      for (const text of [String(p), JSON.stringify({ p }), util.inspect(p), util.inspect({ p })]) {
        expect(text).to.include('1287821');
        expect(text).to.not.include(String(0x1234));
        expect(text).to.include('[redacted]');
      }
    });

    it('refuses non-prime or misordered numbers', () => {
      expect(() => new KeyExchangeParams(0x3253n, 1287821n, 5n)).to.throw(InvalidArgumentError, /prime/);
      expect(() => new KeyExchangeParams(982451653n, 0x27f1n, 5n)).to.throw(InvalidArgumentError, /prime/);
      expect(() => new KeyExchangeParams(1287821n, 982451653n, 5n)).to.throw(InvalidArgumentError, /larger/);
    });
  });

  describe('worked example (fact sheet 7.6)', () => {
    const params = new KeyExchangeParams(982451653n, 1287821n, 0x1234n);
    it('gives host inter 701909, slave inter 312934 and key 233017 on both sides', () => {
      expect(hostIntermediate(params)).to.equal(701909n);
      const slaveInter = intermediateKey(982451653n, 1287821n, 0x4321n);
      expect(slaveInter).to.equal(312934n);
      expect(sharedKey(params, slaveInter)).to.equal(233017n);
      expect(sharedSecret(701909n, 0x4321n, 1287821n)).to.equal(233017n);
    });
    it('refuses a degenerate slave intermediate key', () => {
      for (const bad of [0n, 1n, 1287820n, 1287821n, 1n << 40n]) {
        expect(() => sharedKey(params, bad)).to.throw(InvalidArgumentError, /renegotiate/);
      }
    });
  });

  it('agrees on a shared key for random exponents (host and device sides)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer(), (hs, ds) => {
        const params = generateKeyExchangeParams(seeded(hs));
        const deviceSecret = randomExponent(params.modulus, seeded(ds));
        const deviceInter = intermediateKey(params.generator, params.modulus, deviceSecret);
        const hostKey = sharedKey(params, deviceInter);
        const deviceKey = sharedSecret(hostIntermediate(params), deviceSecret, params.modulus);
        expect(hostKey).to.equal(deviceKey);
      }),
      { numRuns: 30 },
    );
  });
});
