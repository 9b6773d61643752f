/**
 * What the 20 × target leaves per reply, next to what the steps no receiver
 * can skip cost on this machine. The older library's median pass over a
 * stream, divided by the replies in it and by 20, is the time cashwire may
 * spend per reply; from it go:
 *
 * - one copy of the reply's wire bytes: a frame that outlives the read buffer
 *   (a trace, a late subscriber) needs bytes of its own, and a JavaScript
 *   typed array of a few bytes costs tens of nanoseconds to allocate;
 * - the CRC-16 over the reply, which no receiver may skip;
 * - for an encrypted reply, AES-128 decryption of its blocks through the
 *   library's own cipher (`@noble/ciphers`, the project's AES library).
 *
 * What is left is all a receiver would have for finding the frame,
 * unstuffing it, the inner CRC, the count check and decoding the events.
 */
import { cipherOf } from '../lib/protocols/essp/crypto/aes.js';
import type { SecretKey } from '../lib/protocols/essp/crypto/key.js';
import { crc16 } from '../lib/protocols/essp/crc.js';
import { splitFrames } from '../lib/protocols/essp/framing.js';
import type { FrameStream } from './streams.js';

/** One row of the comparison: the older library's median pass over a stream of `replies` replies. */
export interface BudgetInput {
  readonly stage: string;
  readonly input: string;
  readonly encrypted: boolean;
  readonly replies: number;
  readonly olderPassMs: number;
}

/** Median ns per item of `passes` timed passes of `work` over `items` items. */
function nsPerItem(items: number, passes: number, work: () => number): number {
  let sink = work(); // warm-up
  const times: number[] = [];
  for (let p = 0; p < passes; p++) {
    const t = performance.now();
    sink += work();
    times.push(performance.now() - t);
  }
  if (sink === -1) console.log(); // keeps the work observable
  times.sort((a, b) => a - b);
  return (times[times.length >> 1]! * 1e6) / items;
}

/** Per reply, ns: one owned copy of the wire bytes, the CRC, and AES over the ciphertext. */
export function unavoidableCosts(
  plain: FrameStream,
  encrypted: FrameStream,
  key: SecretKey,
  passes: number,
): { copyNs: number; crcNs: number; encryptedCopyNs: number; encryptedCrcNs: number; aesNs: number } {
  const framesOf = (s: FrameStream): { raw: Uint8Array; data: Uint8Array }[] =>
    splitFrames(s.bytes).items.flatMap((i) =>
      i.type === 'frame' ? [{ raw: i.raw, data: i.frame.data }] : [],
    );
  const plainFrames = framesOf(plain);
  const encFrames = framesOf(encrypted);
  const copy = (frames: readonly { raw: Uint8Array }[]) => (): number => {
    let n = 0;
    for (const f of frames) n += f.raw.slice().length;
    return n;
  };
  const crc = (frames: readonly { raw: Uint8Array }[]) => (): number => {
    let n = 0;
    for (const f of frames) n ^= crc16(f.raw, 1, f.raw.length - 2);
    return n;
  };
  const cipher = cipherOf(key);
  const scratch = new Uint8Array(256);
  const aes = (): number => {
    for (const f of encFrames) cipher.decrypt(f.data, 1, f.data.length - 1, scratch, 0);
    return scratch[0]!;
  };
  const result = {
    copyNs: nsPerItem(plainFrames.length, passes, copy(plainFrames)),
    crcNs: nsPerItem(plainFrames.length, passes, crc(plainFrames)),
    encryptedCopyNs: nsPerItem(encFrames.length, passes, copy(encFrames)),
    encryptedCrcNs: nsPerItem(encFrames.length, passes, crc(encFrames)),
    aesNs: nsPerItem(encFrames.length, passes, aes),
  };
  scratch.fill(0);
  return result;
}

/** The table: budget per reply at 20 ×, the unavoidable steps, and what is left. */
export function budgetRows(
  inputs: readonly BudgetInput[],
  costs: ReturnType<typeof unavoidableCosts>,
): Record<string, string>[] {
  return inputs.map((b) => {
    const olderNs = (b.olderPassMs * 1e6) / b.replies;
    const budget = olderNs / 20;
    const copy = b.encrypted ? costs.encryptedCopyNs : costs.copyNs;
    const crc = b.encrypted ? costs.encryptedCrcNs : costs.crcNs;
    const aes = b.encrypted ? costs.aesNs : 0;
    const left = budget - copy - crc - aes;
    return {
      stage: b.stage,
      input: b.input,
      'older ns/reply': olderNs.toFixed(0),
      'at 20 ×: ns/reply': budget.toFixed(0),
      'one copy ns': copy.toFixed(0),
      'CRC ns': crc.toFixed(0),
      'AES ns': b.encrypted ? aes.toFixed(0) : '—',
      'left for all else ns': left.toFixed(0),
    };
  });
}
