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

/** What the unit does with one command (code + args in clear). */
export interface Executed {
  /** Reply DATA in clear (status byte first). */
  readonly reply: Uint8Array;
  /** Effects to run once the reply is on its way (new key, power cycle). */
  readonly after: readonly (() => void)[];
}

export interface DeviceLinkOptions {
  readonly address: number;
  readonly session: () => SimDeviceSession | undefined;
  readonly execute: (data: Uint8Array, encrypted: boolean) => Executed;
  readonly intercepts: () => readonly WireIntercept[];
  readonly log: (line: string) => void;
}

export interface LinkOutput {
  /** Bytes to write, or undefined when nothing goes on the line (dropped by a hook). */
  readonly wire: Uint8Array | undefined;
  readonly after: readonly (() => void)[];
}

export interface DeviceLink {
  /** Handle one decoded frame; undefined when it is not for this unit. */
  receive(frame: EsspFrame): LinkOutput | undefined;
  /** Forget the sequence flag and cached reply (power cycle). */
  reset(): void;
}

export function createDeviceLink(options: DeviceLinkOptions): DeviceLink {
  let lastSeq: 0 | 1 | undefined;
  let cached: { frame: EsspFrame; wire: Uint8Array } | undefined;

  const outbound = (wire: Uint8Array, reply: EsspFrame): Uint8Array | undefined => {
    let out: Uint8Array | undefined = wire;
    for (const hook of options.intercepts()) {
      if (out === undefined) break;
      if (hook.outbound !== undefined) out = hook.outbound(out, reply);
    }
    return out;
  };

  const run = (frame: EsspFrame): { data: Uint8Array; after: readonly (() => void)[] } => {
    if (frame.data[0] !== STEX) {
      const done = options.execute(frame.data, false);
      return { data: done.reply, after: done.after };
    }
    const session = options.session();
    if (session === undefined) {
      options.log('encrypted packet but no key negotiated: KEY NOT SET');
      return { data: Uint8Array.of(KEY_NOT_SET), after: [] };
    }
    for (const hook of options.intercepts()) hook.counter?.(session);
    const expected = session.count;
    const opened = session.unwrapCommand(frame.data);
    if (!opened.ok) {
      options.log(
        `encrypted packet refused (${opened.error.message}; expected count ${expected}): KEY NOT SET`,
      );
      return { data: Uint8Array.of(KEY_NOT_SET), after: [] };
    }
    const done = options.execute(opened.data, true);
    // Encrypt with the session that decrypted the command, before any effect replaces it.
    return { data: session.wrapReply(done.reply), after: done.after };
  };

  return {
    receive(input) {
      if (input.address !== options.address) return undefined;
      let frame: EsspFrame | undefined = input;
      for (const hook of options.intercepts()) {
        if (frame === undefined) break;
        if (hook.inbound !== undefined) frame = hook.inbound(frame);
      }
      if (frame === undefined) return { wire: undefined, after: [] };
      const isSync = frame.data.length === 1 && frame.data[0] === SYNC;
      if (!isSync && cached !== undefined && frame.seq === lastSeq) {
        options.log(`repeated sequence flag ${frame.seq}: cached reply re-sent, command not executed`);
        return { wire: outbound(cached.wire, cached.frame), after: [] };
      }
      const { data, after } = run(frame);
      const reply: EsspFrame = { address: options.address, seq: frame.seq, data };
      const wire = encodeFrame(reply);
      lastSeq = frame.seq;
      cached = { frame: reply, wire };
      return { wire: outbound(wire, reply), after };
    },
    reset() {
      lastSeq = undefined;
      cached = undefined;
    },
  };
}
