/**
 * AES-128 in ECB mode over whole 16-byte blocks, as eSSP uses it: no IV and no
 * padding scheme (the packet layer fills the last block itself). This is the
 * only module that touches the cipher library, so swapping it stays local.
 */
import { ecb } from '@noble/ciphers/aes.js';
import { InvalidArgumentError } from '../../../core/errors.js';

export const AES_BLOCK_SIZE = 16;
export const AES_KEY_SIZE = 16;

function check(key: Uint8Array, data: Uint8Array): void {
  // Lengths only: the key bytes themselves must never reach an error message.
  if (key.length !== AES_KEY_SIZE) {
    throw new InvalidArgumentError(`AES-128 needs a ${AES_KEY_SIZE}-byte key, got ${key.length} bytes.`);
  }
  if (data.length % AES_BLOCK_SIZE !== 0) {
    throw new InvalidArgumentError(
      `AES-ECB works on whole ${AES_BLOCK_SIZE}-byte blocks, got ${data.length} bytes.`,
    );
  }
}

/** Encrypt every 16-byte block of `plain` independently. Returns a new array. */
export function aesEcbEncrypt(key: Uint8Array, plain: Uint8Array): Uint8Array {
  check(key, plain);
  return ecb(key, { disablePadding: true }).encrypt(plain);
}

/** Decrypt every 16-byte block of `cipher` independently. Returns a new array. */
export function aesEcbDecrypt(key: Uint8Array, cipher: Uint8Array): Uint8Array {
  check(key, cipher);
  return ecb(key, { disablePadding: true }).decrypt(cipher);
}
