import { expect } from 'chai';
import * as util from 'node:util';
import { toHex } from '../../../../lib/core/bytes.js';
import { DisposedError, InvalidArgumentError } from '../../../../lib/core/errors.js';
import {
  DEFAULT_FIXED_KEY,
  SecretKey,
  aesKey,
  cryptoRandom,
  encryptionKey,
  fillRandom,
  parseFixedKey,
} from '../../../../lib/protocols/essp/crypto/key.js';

const hexOf = (key: SecretKey): string => key.use((b) => toHex(b));

/** Every way a key's bytes could be spelled in a log line. */
function spellings(key: SecretKey): string[] {
  const compact = key.use((b) => toHex(b, ''));
  return [
    compact,
    compact.toLowerCase(),
    hexOf(key),
    hexOf(key).toLowerCase(),
    compact.slice(0, 8).toLowerCase(),
  ];
}

describe('eSSP crypto: keys', () => {
  it('parses the default fixed key as a little-endian u64', () => {
    expect(DEFAULT_FIXED_KEY).to.equal('0123456701234567');
    expect(hexOf(parseFixedKey(DEFAULT_FIXED_KEY))).to.equal('67 45 23 01 67 45 23 01');
    expect(hexOf(parseFixedKey('0x0011223344556677'))).to.equal('77 66 55 44 33 22 11 00');
    expect(hexOf(parseFixedKey('FEDCBA9876543210'))).to.equal('10 32 54 76 98 BA DC FE');
  });

  it('refuses malformed fixed keys without repeating them', () => {
    for (const bad of ['', '0123', '0123456701234567ff', 'zz23456701234567', '01234567 1234567']) {
      try {
        parseFixedKey(bad);
        expect.fail(`accepted ${bad}`);
      } catch (e) {
        expect(e).to.be.instanceOf(InvalidArgumentError);
        expect((e as Error).message).to.match(/16 hex digits/);
        if (bad.length > 4) expect((e as Error).message).to.not.include(bad);
      }
    }
  });

  it('builds the AES key as fixed key then negotiated key, both little-endian (fact sheet 7.1, 7.6)', () => {
    const fixed = parseFixedKey(DEFAULT_FIXED_KEY);
    expect(toHex(aesKey(fixed, 233017n))).to.equal('67 45 23 01 67 45 23 01 39 8E 03 00 00 00 00 00');
    expect(toHex(aesKey(fixed, 0x0de5fa5en), '')).to.equal('67452301674523015EFAE50D00000000');
    expect(toHex(aesKey(fixed, 0xffeeddccbbaa9988n))).to.equal(
      '67 45 23 01 67 45 23 01 88 99 AA BB CC DD EE FF',
    );
    expect(hexOf(encryptionKey(fixed, 233017n))).to.equal('67 45 23 01 67 45 23 01 39 8E 03 00 00 00 00 00');
    expect(() => aesKey(fixed, -1n)).to.throw(InvalidArgumentError, /64-bit/);
    expect(() => aesKey(fixed, 1n << 64n)).to.throw(InvalidArgumentError, /64-bit/);
    expect(() => aesKey(new SecretKey(new Uint8Array(7)), 1n)).to.throw(InvalidArgumentError, /8 bytes/);
  });

  it('never prints key bytes: String, template, JSON and util.inspect all say [redacted]', () => {
    const key = encryptionKey(parseFixedKey(DEFAULT_FIXED_KEY), 233017n);
    const texts = [
      String(key),
      key.toString(),
      JSON.stringify({ key }),
      JSON.stringify([key]),
      util.inspect(key),
      util.inspect({ nested: { key } }, { depth: 10, showHidden: true }),
      util.format('%o %O %s', key, key, key),
    ];
    for (const text of texts) {
      expect(text).to.include('[redacted]');
      for (const s of spellings(key)) expect(text).to.not.include(s);
      expect(text).to.not.include('103'); // first key byte 0x67 in decimal, as a Uint8Array dump would show
    }
    expect(Object.keys(key)).to.deep.equal([]);
  });

  it('copies its input, wipes on demand and refuses use afterwards', () => {
    const raw = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const key = new SecretKey(raw);
    raw.fill(9);
    expect(hexOf(key)).to.equal('01 02 03 04 05 06 07 08');
    let lent: Uint8Array = new Uint8Array();
    key.use((b) => (lent = b));
    key.wipe();
    expect(key.wiped).to.equal(true);
    expect(Array.from(lent)).to.deep.equal([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(() => key.use(() => 0)).to.throw(DisposedError);
    key.wipe(); // idempotent
  });

  it('fills arrays from the platform CSPRNG, including large ones', () => {
    const a = new Uint8Array(70000);
    cryptoRandom(a);
    expect(a.subarray(65536).some((b) => b !== 0)).to.equal(true);
    expect(a.subarray(0, 64).some((b) => b !== 0)).to.equal(true);
  });

  it('hands out fresh random bytes for the small draws of every packet, never the same twice', () => {
    // 3 000 draws of 8 bytes cross the 4 KiB block several times.
    const seen = new Set<string>();
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 3000; i++) {
      const out = new Uint8Array(8);
      cryptoRandom(out);
      seen.add(Array.from(out).join(','));
      for (const b of out) counts[b]!++;
    }
    expect(seen.size).to.equal(3000);
    // 24 000 bytes over 256 values: about 94 each; a stuck or zeroed source would be far off.
    expect(Math.min(...counts)).to.be.greaterThan(40);
    expect(Math.max(...counts)).to.be.lessThan(170);
  });

  it('fills only the range asked for from the same pool, fresh on every draw', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const out = new Uint8Array(24).fill(0xaa);
      fillRandom(out, 5, 13);
      expect(Array.from(out.subarray(0, 5))).to.deep.equal([0xaa, 0xaa, 0xaa, 0xaa, 0xaa]);
      expect(out.subarray(13).every((b) => b === 0xaa)).to.equal(true);
      seen.add(Array.from(out.subarray(5, 13)).join(','));
    }
    expect(seen.size).to.equal(1000);
    // One draw is at most the pool: more would hand out bytes the pool does not have.
    expect(() => fillRandom(new Uint8Array(5000), 0, 4097)).to.throw(InvalidArgumentError, '4096');
  });
});
