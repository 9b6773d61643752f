/**
 * The eSSP packet counter (eCOUNT) and the key, as one explicit state object
 * per side of the link.
 *
 * Count rules shared by every known implementation:
 * - both sides start at 0 after a key negotiation (call `reset()`);
 * - the host encrypts a command with N and moves to N+1;
 * - the device accepts a command only with count N, moves to N+1 and
 *   encrypts its reply with N+1;
 * - the host accepts that reply only with N+1 and does not move again, so
 *   the next command goes out with N+1. Net: +1 per exchange.
 *
 * Retransmissions resend the bytes `wrapCommand`/`wrapReply` returned; they
 * never go through the session again (a device answers a repeated sequence
 * flag with its cached reply, without decrypting anything).
 */
import { DecryptionError, DisposedError } from '../../../core/errors.js';
import { cryptoRandom, type RandomSource, type SecretKey } from './key.js';
import { decryptPacket, encryptPacket, type DecryptResult } from './packet.js';

export interface EncryptionSessionOptions {
  /** Source for packing bytes; defaults to the platform CSPRNG. */
  readonly random?: RandomSource;
}

/** Key + counter shared by both roles. The session owns the key: `dispose()` wipes it. */
export abstract class EncryptionSession {
  readonly #key: SecretKey;
  readonly #random: RandomSource;
  #count = 0;
  #disposed = false;

  protected constructor(key: SecretKey, options: EncryptionSessionOptions) {
    this.#key = key;
    this.#random = options.random ?? cryptoRandom;
  }

  abstract readonly role: 'host' | 'device';

  /**
   * The counter: the count the next command will carry / is expected to
   * carry. Packets are encrypted and checked with this value, so a subclass
   * that models a counter out of step only overrides this getter.
   */
  get count(): number {
    return this.#count;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** Back to count 0, as both sides do after a successful key negotiation. */
  reset(): void {
    this.live();
    this.#count = 0;
    this.onReset();
  }

  /** Wipe the key. Later calls throw {@link DisposedError}. Idempotent. */
  dispose(): void {
    this.#disposed = true;
    this.#key.wipe();
  }

  toString(): string {
    return `EncryptionSession(${this.role}, count=${this.count}${this.#disposed ? ', disposed' : ''})`;
  }

  toJSON(): { role: 'host' | 'device'; count: number; disposed: boolean } {
    return { role: this.role, count: this.count, disposed: this.#disposed };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  protected onReset(): void {
    // Subclasses clear their own exchange state.
  }

  protected live(): void {
    if (this.#disposed) throw new DisposedError('Encryption session');
  }

  protected encrypt(data: Uint8Array): Uint8Array {
    this.live();
    return encryptPacket(data, this.count, this.#key, this.#random);
  }

  protected decrypt(outerData: Uint8Array): DecryptResult {
    this.live();
    return decryptPacket(outerData, this.#key, this.count);
  }

  protected advance(): void {
    this.#count = (this.#count + 1) >>> 0;
  }
}

/** Host (master) side: encrypts commands, checks replies. */
export class HostEncryptionSession extends EncryptionSession {
  readonly role = 'host';
  #awaitingReply = false;

  constructor(key: SecretKey, options: EncryptionSessionOptions = {}) {
    super(key, options);
  }

  /**
   * Encrypt a command with the current count, then advance the counter.
   * Keep the returned bytes for retransmissions. Calling this again before a
   * reply arrived abandons the previous exchange (the device may now be out
   * of step: renegotiate if replies stop decrypting).
   */
  wrapCommand(data: Uint8Array): Uint8Array {
    const out = this.encrypt(data);
    this.advance();
    this.#awaitingReply = true;
    return out;
  }

  /**
   * Check the encrypted reply to the last command: it must carry the current
   * counter (command count + 1). The counter stays where it is. A second reply
   * to the same command is refused as a replay. Never throws on wire bytes.
   */
  unwrapReply(outerData: Uint8Array): DecryptResult {
    this.live();
    if (!this.#awaitingReply) {
      return {
        ok: false,
        error: new DecryptionError('no encrypted command is awaiting a reply (stale or replayed)', {
          check: 'count',
          expected: null,
        }),
      };
    }
    const result = this.decrypt(outerData);
    if (result.ok) this.#awaitingReply = false;
    return result;
  }

  protected override onReset(): void {
    this.#awaitingReply = false;
  }
}

/** Device (slave) side, for simulators: checks commands, encrypts replies. */
export class DeviceEncryptionSession extends EncryptionSession {
  readonly role = 'device';

  constructor(key: SecretKey, options: EncryptionSessionOptions = {}) {
    super(key, options);
  }

  /**
   * Accept a command only with the current count, then advance the counter.
   * A replayed or out-of-order command fails the count check and leaves the
   * counter alone. Never throws on wire bytes.
   */
  unwrapCommand(outerData: Uint8Array): DecryptResult {
    const result = this.decrypt(outerData);
    if (result.ok) this.advance();
    return result;
  }

  /** Encrypt the reply with the current count (command count + 1); no advance. */
  wrapReply(data: Uint8Array): Uint8Array {
    return this.encrypt(data);
  }
}

/** Host-side session; takes ownership of `key` (wiped on dispose). */
export function createHostCrypto(
  key: SecretKey,
  options: EncryptionSessionOptions = {},
): HostEncryptionSession {
  return new HostEncryptionSession(key, options);
}

/** Device-side session for simulators; takes ownership of `key` (wiped on dispose). */
export function createDeviceCrypto(
  key: SecretKey,
  options: EncryptionSessionOptions = {},
): DeviceEncryptionSession {
  return new DeviceEncryptionSession(key, options);
}
