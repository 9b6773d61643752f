/**
 * fast-check arbitraries for eSSP frames and byte streams. Bytes are biased
 * towards 0x7F so that stuffing, held bytes at chunk ends and resyncs are
 * exercised on most runs rather than by luck.
 */
import fc from 'fast-check';
import { concatBytes } from '../../lib/core/bytes.js';
import { encodeFrame, ESSP_MAX_ADDRESS, ESSP_STX, type EsspFrame } from '../../lib/protocols/essp/framing.js';

export const esspAddress: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0x00, 0x10, 0x40, ESSP_MAX_ADDRESS),
  fc.integer({ min: 0, max: ESSP_MAX_ADDRESS }),
);

export const esspSeq: fc.Arbitrary<0 | 1> = fc.constantFrom(0, 1);

/** A byte, 0x7F one time in four. */
export const esspByte: fc.Arbitrary<number> = fc.oneof(
  { arbitrary: fc.constant(ESSP_STX), weight: 1 },
  { arbitrary: fc.integer({ min: 0, max: 255 }), weight: 3 },
);

/** Bytes of any length (possibly empty), biased towards 0x7F. */
export const esspBytes = (maxLength = 64): fc.Arbitrary<Uint8Array> =>
  fc.array(esspByte, { maxLength }).map((a) => Uint8Array.from(a));

/** DATA of 1..255 bytes: mostly short, sometimes up to the 255-byte maximum. */
export const esspData: fc.Arbitrary<Uint8Array> = fc.oneof(
  {
    arbitrary: fc.array(esspByte, { minLength: 1, maxLength: 16 }).map((a) => Uint8Array.from(a)),
    weight: 4,
  },
  {
    arbitrary: fc
      .array(esspByte, { minLength: 1, maxLength: 255, size: 'max' })
      .map((a) => Uint8Array.from(a)),
    weight: 1,
  },
);

export const esspFrame: fc.Arbitrary<EsspFrame> = fc.record({
  address: esspAddress,
  seq: esspSeq,
  data: esspData,
});

export const esspFrames = (maxLength = 5): fc.Arbitrary<EsspFrame[]> =>
  fc.array(esspFrame, { minLength: 1, maxLength });

/** Junk that holds no 0x7F (so it can never start a frame). */
export const junkWithoutStx = (maxLength = 32): fc.Arbitrary<Uint8Array> =>
  fc.uint8Array({ minLength: 1, maxLength }).map((b) => b.map((x) => (x === ESSP_STX ? 0x7e : x)));

/** Wire bytes of several frames back to back. */
export function wireOf(frames: readonly EsspFrame[]): Uint8Array {
  return concatBytes(...frames.map(encodeFrame));
}

/** Cut `bytes` before each index in `cuts` (indexes outside 1..length-1 and duplicates are ignored). */
export function cutAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts)].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(from, p));
    from = p;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

/** Any way to cut `bytes` into chunks. */
export const chunksOf = (bytes: Uint8Array): fc.Arbitrary<Uint8Array[]> =>
  fc
    .array(fc.integer({ min: 1, max: Math.max(1, bytes.length - 1) }), {
      maxLength: Math.min(20, bytes.length),
    })
    .map((cuts) => cutAt(bytes, cuts));

/** Several frames and one random chunking of their wire bytes. */
export const chunkedFrames: fc.Arbitrary<{ frames: EsspFrame[]; wire: Uint8Array; chunks: Uint8Array[] }> =
  esspFrames().chain((frames) => {
    const wire = wireOf(frames);
    return chunksOf(wire).map((chunks) => ({ frames, wire, chunks }));
  });
