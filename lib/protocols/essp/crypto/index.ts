/** eSSP encryption layer: AES-128 packets, eCOUNT sessions, Diffie-Hellman and key handling. */
export { AES_BLOCK_SIZE, AES_KEY_SIZE, aesEcbDecrypt, aesEcbEncrypt } from './aes.js';
export {
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
  type KeyExchangeOptions,
} from './dh.js';
export {
  DEFAULT_FIXED_KEY,
  SecretKey,
  aesKey,
  cryptoRandom,
  encryptionKey,
  parseFixedKey,
  type RandomSource,
} from './key.js';
export {
  MAX_ENCRYPTED_DATA,
  STEX,
  decryptPacket,
  encryptPacket,
  packingLength,
  type DecryptCheck,
  type DecryptResult,
} from './packet.js';
export {
  DeviceEncryptionSession,
  EncryptionSession,
  HostEncryptionSession,
  createDeviceCrypto,
  createHostCrypto,
  type EncryptionSessionOptions,
} from './session.js';
