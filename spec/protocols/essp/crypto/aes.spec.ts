import { expect } from 'chai';
import { fromHex, toHex } from '../../../../lib/core/bytes.js';
import { InvalidArgumentError } from '../../../../lib/core/errors.js';
import { aesEcbDecrypt, aesEcbEncrypt } from '../../../../lib/protocols/essp/crypto/aes.js';

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
});
