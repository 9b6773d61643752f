/**
 * The event ring as real coin acceptors and bill validators keep it: a
 * counter that is 0 only after power-up or reset, counts 1 → 255 and wraps
 * to 1, and five [A][B] pairs, newest first; the oldest falls off.
 */
export interface SimRing {
  counter: number;
  /** Five pairs, newest first. */
  pairs: [number, number][];
}

export function createSimRing(): SimRing {
  return { counter: 0, pairs: Array.from({ length: 5 }, (): [number, number] => [0, 0]) };
}

export function pushRing(ring: SimRing, a: number, b: number): void {
  ring.counter = ring.counter >= 255 ? 1 : ring.counter + 1;
  ring.pairs.unshift([a, b]);
  ring.pairs.length = 5;
}

/** The 11-byte 229/159 reply. */
export function ringBytes(ring: SimRing): Uint8Array {
  return Uint8Array.from([ring.counter, ...ring.pairs.flat()]);
}
