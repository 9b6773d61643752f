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
import { median } from './device-targets.js';
import type { FrameStream } from './streams.js';

/** One row of the comparison: the older library's median pass over a stream of `replies` replies. */
export interface BudgetInput {
  readonly stage: string;
  readonly input: string;
  readonly encrypted: boolean;
  readonly replies: number;
  readonly olderPassMs: number;
}

/** What the timed work returned, kept where the compiler cannot prove it unused. */
const kept = { value: 0 };

/** Median ns per item of `passes` timed passes of `work` over `items` items. */
function nsPerItem(items: number, passes: number, work: () => number): number {
  kept.value += work(); // warm-up
  const times: number[] = [];
  for (let p = 0; p < passes; p++) {
    const t = performance.now();
    kept.value += work();
    times.push(performance.now() - t);
  }
  return (median(times) * 1e6) / items;
}

/** Frames laid end to end in one array (the way they sit in a read buffer), with where each starts. */
interface Packed {
  readonly bytes: Uint8Array;
  /** Start of frame `i` at `starts[i]`, its end at `starts[i + 1]`. */
  readonly starts: Int32Array;
}

function pack(parts: readonly Uint8Array[]): Packed {
  const starts = new Int32Array(parts.length + 1);
  let total = 0;
  parts.forEach((p, i) => {
    starts[i] = total;
    total += p.length;
  });
  starts[parts.length] = total;
  const bytes = new Uint8Array(total);
  parts.forEach((p, i) => bytes.set(p, starts[i]));
  return { bytes, starts };
}

/**
 * Per reply, ns: one owned copy of the wire bytes, the CRC, and AES over the
 * ciphertext. The replies lie end to end in one array, as they do in a read
 * buffer, so that the timings are of the work and not of reaching scattered
 * objects.
 */
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
  const plainWire = pack(plainFrames.map((f) => f.raw));
  const encWire = pack(encFrames.map((f) => f.raw));
  // Unstuffed DATA of the encrypted replies: STEX, then the ciphertext.
  const encData = pack(encFrames.map((f) => f.data));
  const count = (p: Packed): number => p.starts.length - 1;
  const copy = (p: Packed) => (): number => {
    let n = 0;
    for (let i = 0; i < count(p); i++) n += p.bytes.slice(p.starts[i], p.starts[i + 1]).length;
    return n;
  };
  // SEQ/ADDR to the last DATA byte (the stuffed frames' CRC is over a few more bytes: no matter here).
  const crc = (p: Packed) => (): number => {
    let n = 0;
    for (let i = 0; i < count(p); i++) n ^= crc16(p.bytes, p.starts[i]! + 1, p.starts[i + 1]! - 2);
    return n;
  };
  const cipher = cipherOf(key);
  const scratch = new Uint8Array(256);
  const aes = (): number => {
    const { bytes, starts } = encData;
    for (let i = 0; i < count(encData); i++) {
      cipher.decrypt(bytes, starts[i]! + 1, starts[i + 1]! - starts[i]! - 1, scratch, 0);
    }
    return scratch[0]!;
  };
  const result = {
    copyNs: nsPerItem(count(plainWire), passes, copy(plainWire)),
    crcNs: nsPerItem(count(plainWire), passes, crc(plainWire)),
    encryptedCopyNs: nsPerItem(count(encWire), passes, copy(encWire)),
    encryptedCrcNs: nsPerItem(count(encWire), passes, crc(encWire)),
    aesNs: nsPerItem(count(encData), passes, aes),
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
