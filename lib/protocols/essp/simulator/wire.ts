/**
 * Device side of the eSSP link: what a slave does with each frame before and
 * after the command itself runs.
 *
 * - Frames for other addresses are ignored (several units share one line).
 * - Sequence flag (fact sheet §5): a frame carrying the same flag as the last
 *   executed one is a retransmission: the cached reply goes out again byte
 *   for byte and the command is NOT executed again. SYNC always executes; its
 *   flag becomes the remembered one, so after a SYNC sent with flag 1 the next
 *   command must carry flag 0 (a command repeating SYNC's flag only gets the
 *   cached SYNC reply, as seen on real units).
 * - Encryption (§7): a 0x7E packet is decrypted with the negotiated session,
 *   which checks the inner CRC and the count; the reply is encrypted with the
 *   count + 1. No key, a wrong key or a wrong count is answered with a plain
 *   KEY NOT SET (0xFA) and the count does not move.
 * - Every frame and every reply passes through the optional intercept hooks,
 *   the single place where faults can be injected.
 */
import { encodeFrame, type EsspFrame } from '../framing.js';
import { STEX } from '../crypto/packet.js';
import type { DeviceCounter, SimDeviceSession } from './counter.js';

const SYNC = 0x11;
const KEY_NOT_SET = 0xfa;

/** Fault-injection hooks: return undefined to drop, or different bytes/frames to corrupt. */
export interface WireIntercept {
  /** Every frame addressed to the unit, before anything else looks at it. */
  readonly inbound?: (frame: EsspFrame) => EsspFrame | undefined;
  /** Every reply's wire bytes; the cache keeps the original bytes (a fault on the line, not in the unit). */
  readonly outbound?: (wire: Uint8Array, reply: EsspFrame) => Uint8Array | undefined;
  /**
   * Every encrypted command, once a key exists and before its count is
   * checked (a repeated sequence flag never gets here): the unit's counter,
   * which a fault may put out of step (`shift`).
   */
  readonly counter?: (counter: DeviceCounter) => void;
}

export interface DeviceLinkOptions {
  readonly address: number;
  readonly session: () => SimDeviceSession | undefined;
  /** Run one command (code + args in clear); returns the reply DATA in clear (status byte first). */
  readonly execute: (data: Uint8Array, encrypted: boolean) => Uint8Array;
  /** The hooks in force: the simulator adds and removes hooks in this very array. */
  readonly intercepts: readonly WireIntercept[];
  readonly log: (line: string) => void;
}

export interface DeviceLink {
  /**
   * Handle one decoded frame: the bytes to write, or undefined when nothing
   * goes on the line (a frame for another unit, or dropped by a hook).
   */
  receive(frame: EsspFrame): Uint8Array | undefined;
  /** Forget the sequence flag and cached reply (power cycle). */
  reset(): void;
}

export function createDeviceLink(options: DeviceLinkOptions): DeviceLink {
  const { address, intercepts: hooks } = options;
  let lastSeq: 0 | 1 | undefined;
  /** The last reply, as a frame (for the outbound hook) and as wire bytes, for a repeated flag. */
  let cached: { readonly frame: EsspFrame; readonly wire: Uint8Array } | undefined;

  // Indexed loops over the live array: a hook may remove itself while it runs.
  const inbound = (input: EsspFrame): EsspFrame | undefined => {
    let frame: EsspFrame | undefined = input;
    for (let i = 0; i < hooks.length && frame !== undefined; i++) {
      const hook = hooks[i]!;
      if (hook.inbound !== undefined) frame = hook.inbound(frame);
    }
    return frame;
  };

  const outbound = (wire: Uint8Array, reply: EsspFrame): Uint8Array | undefined => {
    let out: Uint8Array | undefined = wire;
    for (let i = 0; i < hooks.length && out !== undefined; i++) {
      const hook = hooks[i]!;
      if (hook.outbound !== undefined) out = hook.outbound(out, reply);
    }
    return out;
  };

  /** Reply DATA of one frame, decrypting the command and encrypting the reply when it is a 0x7E packet. */
  const run = (frame: EsspFrame): Uint8Array => {
    if (frame.data[0] !== STEX) return options.execute(frame.data, false);
    const session = options.session();
    if (session === undefined) {
      options.log('encrypted packet but no key negotiated: KEY NOT SET');
      return Uint8Array.of(KEY_NOT_SET);
    }
    for (let i = 0; i < hooks.length; i++) hooks[i]!.counter?.(session);
    const expected = session.count;
    const opened = session.unwrapCommand(frame.data);
    if (!opened.ok) {
      options.log(
        `encrypted packet refused (${opened.error.message}; expected count ${expected}): KEY NOT SET`,
      );
      return Uint8Array.of(KEY_NOT_SET);
    }
    // Encrypted with the session that decrypted the command: effects that
    // replace it (a new key) only run once this reply is on its way.
    return session.wrapReply(options.execute(opened.data, true));
  };

  return {
    receive(input) {
      if (input.address !== address) return undefined;
      const frame = inbound(input);
      if (frame === undefined) return undefined;
      const isSync = frame.data.length === 1 && frame.data[0] === SYNC;
      if (!isSync && cached !== undefined && frame.seq === lastSeq) {
        options.log(`repeated sequence flag ${frame.seq}: cached reply re-sent, command not executed`);
        return outbound(cached.wire, cached.frame);
      }
      const reply: EsspFrame = { address, seq: frame.seq, data: run(frame) };
      const wire = encodeFrame(reply);
      lastSeq = frame.seq;
      cached = { frame: reply, wire };
      return outbound(wire, reply);
    },
    reset() {
      lastSeq = undefined;
      cached = undefined;
    },
  };
}
