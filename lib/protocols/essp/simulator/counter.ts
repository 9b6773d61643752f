/**
 * The simulated unit's encryption session, with one addition a real unit
 * never offers: its packet counter (eCOUNT) can be put out of step with the
 * host's, the way a unit that missed a packet, counted one twice or glitched
 * would be. Fault injection reaches it through the `counter` intercept hook.
 *
 * The count rules stay those of `DeviceEncryptionSession`; the shift is an
 * offset on top of its counter, cleared by the next key negotiation (which
 * resets both sides to 0) and gone with the key at a power cycle.
 */
import type { SecretKey } from '../crypto/key.js';
import { DeviceEncryptionSession, type EncryptionSessionOptions } from '../crypto/session.js';

/** What a fault sees of the unit's counter before an encrypted command is checked. */
export interface DeviceCounter {
  /** The count the unit expects the next command to carry. */
  readonly count: number;
  /** Move the unit's counter by `delta` (+1: it skipped a count; -1: it repeats one), modulo 2^32. */
  shift(delta: number): void;
}

export class SimDeviceSession extends DeviceEncryptionSession implements DeviceCounter {
  #offset = 0;

  constructor(key: SecretKey, options: EncryptionSessionOptions = {}) {
    super(key, options);
  }

  /** The base session encrypts and checks every packet with this count. */
  override get count(): number {
    return (super.count + this.#offset) >>> 0;
  }

  shift(delta: number): void {
    this.live();
    this.#offset = (this.#offset + delta) | 0;
  }

  protected override onReset(): void {
    this.#offset = 0;
  }
}
