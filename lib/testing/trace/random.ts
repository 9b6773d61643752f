/**
 * A seeded byte source for an eSSP device's `random` option. An encrypted
 * session draws random bytes for its Diffie-Hellman number and for packet
 * packing; a replay can only match the recorded bytes if the host draws the
 * same ones, so a recording and its replay pass the same `seededRandom(seed)`.
 * Never use it outside tests: it is predictable by design.
 */
import { createRandom } from '../random.js';

/** Fills each buffer from the seeded generator of `createRandom(seed)`. */
export function seededRandom(seed: number): (out: Uint8Array) => void {
  const random = createRandom(seed);
  return (out) => out.set(random.bytes(out.length));
}
