/**
 * A seeded byte source for tests and replays. An encrypted eSSP session draws
 * random bytes for its Diffie-Hellman numbers and packet packing; a replay
 * can only match the recorded bytes if the host draws the same ones, so a
 * recording and its replay pass the same `seededRandom(seed)` as the device's
 * `random` option. Never use it outside tests: it is predictable by design.
 */

/** Fills each buffer from a xorshift32 sequence started at `seed` (any non-zero 32-bit integer). */
export function seededRandom(seed: number): (out: Uint8Array) => void {
  let s = seed >>> 0 || 0x9e3779b9;
  return (out) => {
    for (let i = 0; i < out.length; i++) {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      out[i] = s & 0xff;
    }
  };
}
