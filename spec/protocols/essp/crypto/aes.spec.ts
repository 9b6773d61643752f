import { expect } from 'chai';
import { fromHex, toHex } from '../../../../lib/core/bytes.js';
import { DisposedError, InvalidArgumentError } from '../../../../lib/core/errors.js';
import {
  AesEcbCipher,
  aesEcbDecrypt,
  aesEcbEncrypt,
  cipherOf,
} from '../../../../lib/protocols/essp/crypto/aes.js';
import { SecretKey } from '../../../../lib/protocols/essp/crypto/key.js';

describe('eSSP crypto: AES-128-ECB', () => {
  const key = fromHex('000102030405060708090a0b0c0d0e0f');
  const plain = fromHex('00112233445566778899aabbccddeeff');
  const cipher = fromHex('69c4e0d86a7b0430d8cdb78070b4c55a');

  it('matches FIPS-197 appendix C.1 both ways', () => {
    expect(toHex(aesEcbEncrypt(key, plain))).to.equal(toHex(cipher));
    expect(toHex(aesEcbDecrypt(key, cipher))).to.equal(toHex(plain));
  });

  it('encrypts each block independently (ECB, no chaining, no padding)', () => {
    const twice = new Uint8Array(32);
    twice.set(plain, 0);
    twice.set(plain, 16);
    const out = aesEcbEncrypt(key, twice);
    expect(out.length).to.equal(32);
    expect(toHex(out.subarray(0, 16))).to.equal(toHex(cipher));
    expect(toHex(out.subarray(16))).to.equal(toHex(cipher));
  });

  it('refuses partial blocks and wrong key sizes without echoing the key', () => {
    expect(() => aesEcbEncrypt(key, new Uint8Array(15))).to.throw(InvalidArgumentError, /16-byte blocks/);
    expect(() => aesEcbDecrypt(key, new Uint8Array(17))).to.throw(InvalidArgumentError, /16-byte blocks/);
    try {
      aesEcbEncrypt(key.subarray(0, 8), plain);
      expect.fail('should have thrown');
    } catch (e) {
      expect(e).to.be.instanceOf(InvalidArgumentError);
      expect((e as Error).message).to.match(/16-byte key, got 8/);
      expect((e as Error).message).not.to.include('0001');
    }
  });

  describe('AesEcbCipher (round keys expanded once)', () => {
    it('matches FIPS-197 C.1 at any offset, in place too', () => {
      const cipherObj = new AesEcbCipher(key);
      const src = new Uint8Array(3 + 16);
      src.set(plain, 3);
      const dst = new Uint8Array(5 + 16);
      cipherObj.encrypt(src, 3, 16, dst, 5);
      expect(toHex(dst.subarray(5))).to.equal(toHex(cipher));
      cipherObj.decrypt(dst, 5, 16, dst, 5);
      expect(toHex(dst.subarray(5))).to.equal(toHex(plain));
    });

    it('decrypts many blocks with one schedule, each like a fresh one-shot call', () => {
      const c = new AesEcbCipher(key);
      for (let round = 0; round < 50; round++) {
        const data = Uint8Array.from({ length: 48 }, (_, i) => (i * 31 + round * 7) & 0xff);
        const out = new Uint8Array(48);
        c.encrypt(data, 0, 48, out, 0);
        expect(toHex(out)).to.equal(toHex(aesEcbEncrypt(key, data)));
        c.decrypt(out, 0, 48, out, 0);
        expect(toHex(out)).to.equal(toHex(data));
      }
    });

    it('keeps no link to the key array it was built from', () => {
      const k = Uint8Array.from(key);
      const c = new AesEcbCipher(k);
      k.fill(0);
      const out = new Uint8Array(16);
      c.encrypt(plain, 0, 16, out, 0);
      expect(toHex(out)).to.equal(toHex(cipher));
    });

    it('refuses ranges outside the arrays and partial blocks', () => {
      const c = new AesEcbCipher(key);
      expect(() => c.encrypt(plain, 8, 16, new Uint8Array(16), 0)).to.throw(
        InvalidArgumentError,
        /does not fit/,
      );
      expect(() => c.decrypt(plain, 0, 16, new Uint8Array(8), 0)).to.throw(
        InvalidArgumentError,
        /does not fit/,
      );
      expect(() => c.decrypt(plain, 0, 8, new Uint8Array(8), 0)).to.throw(
        InvalidArgumentError,
        /16-byte blocks/,
      );
    });

    it('is wiped with the session key that made it, and refuses use afterwards', () => {
      const secret = new SecretKey(key);
      const c = cipherOf(secret);
      expect(cipherOf(secret)).to.equal(c, 'one schedule per key, not one per packet');
      secret.wipe();
      expect(() => c.encrypt(plain, 0, 16, new Uint8Array(16), 0)).to.throw(DisposedError);
      expect(() => cipherOf(secret)).to.throw(DisposedError);
    });
  });
});
