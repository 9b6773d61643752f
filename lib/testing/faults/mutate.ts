/**
 * Byte mutations for fuzzing: take a valid frame and damage it the way a line
 * or a buggy device would (flipped bits, lost or extra bytes, a wrong length
 * byte, two frames run together), or cut a stream into random chunks.
 */
import type { Random } from '../random.js';

export const MUTATIONS = [
  'flip',
  'set',
  'insert',
  'delete',
  'length',
  'splice',
  'truncate',
  'repeat',
] as const;
export type Mutation = (typeof MUTATIONS)[number];

export interface MutateOptions {
  /** Other valid inputs to splice with. */
  readonly others?: readonly Uint8Array[];
  /** Offsets of length bytes in the input's format (e.g. [1] for ccTalk and Pyramid, [2] for eSSP). */
  readonly lengthOffsets?: readonly number[];
  /** Most mutations applied in one call (at least 1). Default 4. */
  readonly maxMutations?: number;
  /** Cap on the output length. Default 1024. */
  readonly maxLength?: number;
}

/** Bytes a length field is often nudged to: off by one, the extremes, sign-ish values. */
const LENGTH_VALUES = [0, 1, 0x7f, 0x80, 0xfe, 0xff];

/** Apply 1 to `maxMutations` random mutations to a copy of `input`. */
export function mutateBytes(input: Uint8Array, rnd: Random, options: MutateOptions = {}): Uint8Array {
  const maxLength = options.maxLength ?? 1024;
  let b = Array.from(input);
  const n = rnd.range(1, Math.max(1, options.maxMutations ?? 4));
  for (let m = 0; m < n; m++) b = applyMutation(b, rnd.pick(MUTATIONS), rnd, options);
  if (b.length > maxLength) b.length = maxLength;
  return Uint8Array.from(b);
}

function applyMutation(b: number[], kind: Mutation, rnd: Random, options: MutateOptions): number[] {
  const at = (): number => rnd.int(Math.max(1, b.length));
  switch (kind) {
    case 'flip':
      if (b.length > 0) {
        const i = at();
        b[i] = b[i]! ^ (1 << rnd.int(8));
      }
      return b;
    case 'set':
      if (b.length > 0) b[at()] = rnd.int(256);
      return b;
    case 'insert':
      b.splice(rnd.int(b.length + 1), 0, ...rnd.bytes(rnd.range(1, 4)));
      return b;
    case 'delete':
      if (b.length > 0) b.splice(at(), rnd.range(1, 3));
      return b;
    case 'length': {
      const offsets = options.lengthOffsets ?? [];
      const i = offsets.length > 0 ? rnd.pick(offsets) : at();
      if (i >= b.length) return b;
      const v = b[i]!;
      const choice = rnd.int(3);
      b[i] = choice === 0 ? (v + 1) & 0xff : choice === 1 ? (v + 255) & 0xff : rnd.pick(LENGTH_VALUES);
      return b;
    }
    case 'splice': {
      const others = options.others ?? [];
      const other = others.length > 0 ? Array.from(rnd.pick(others)) : b.slice();
      return [...b.slice(0, rnd.int(b.length + 1)), ...other.slice(rnd.int(other.length + 1))];
    }
    case 'truncate':
      return b.slice(0, rnd.int(b.length + 1));
    case 'repeat': {
      if (b.length === 0) return b;
      const from = at();
      const piece = b.slice(from, from + rnd.range(1, 8));
      b.splice(rnd.int(b.length + 1), 0, ...piece);
      return b;
    }
  }
}

/**
 * Cut `bytes` into chunks as a serial port might deliver them: mostly small
 * pieces, sometimes single bytes, sometimes empty chunks, sometimes whole.
 */
export function randomChunks(bytes: Uint8Array, rnd: Random): Uint8Array[] {
  const style = rnd.int(4);
  if (style === 0) return [bytes];
  const out: Uint8Array[] = [];
  let i = 0;
  while (i < bytes.length) {
    const size = style === 1 ? 1 : style === 2 ? rnd.range(0, 8) : rnd.range(1, 64);
    out.push(bytes.subarray(i, i + size));
    i += size;
  }
  return out;
}
