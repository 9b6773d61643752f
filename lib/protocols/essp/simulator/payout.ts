/**
 * Pure payout planning for the simulator: which stored items make up an
 * amount. A real unit answers "not enough value" (F5 01) when the store holds
 * less than asked and "cannot pay exact amount" (F5 02) when no combination
 * of stored items adds up to it; the planner gives the same two answers.
 */

export type Plan = readonly number[] | 'not-enough' | 'not-exact';

/** Depth-first search steps before giving up on an exact combination. */
const BUDGET = 200_000;

/**
 * Counts per denomination (same indexes as `values`) adding up to `amount`,
 * largest denominations first, using at most `levels[i]` of each.
 */
export function planAmount(levels: readonly number[], values: readonly number[], amount: number): Plan {
  let total = 0;
  levels.forEach((n, i) => (total += n * (values[i] ?? 0)));
  if (amount > total) return 'not-enough';
  const order = values.map((_, i) => i).sort((a, b) => values[b]! - values[a]!);
  const counts = new Array<number>(values.length).fill(0);
  let steps = 0;
  const search = (k: number, remaining: number): boolean => {
    if (remaining === 0) return true;
    if (k >= order.length || ++steps > BUDGET) return false;
    const i = order[k]!;
    const value = values[i]!;
    for (let n = Math.min(levels[i] ?? 0, Math.floor(remaining / value)); n >= 0; n--) {
      counts[i] = n;
      if (search(k + 1, remaining - n * value)) return true;
    }
    counts[i] = 0;
    return false;
  };
  return search(0, amount) ? counts : 'not-exact';
}

/** Item list (denomination indexes) paying `counts`, largest value first. */
export function itemsOf(counts: readonly number[], values: readonly number[]): number[] {
  const order = values.map((_, i) => i).sort((a, b) => values[b]! - values[a]!);
  const items: number[] = [];
  for (const i of order) for (let n = 0; n < (counts[i] ?? 0); n++) items.push(i);
  return items;
}

/** Counts that remain after taking `keep` away from `levels` (what a float moves to the cashbox). */
export function complement(levels: readonly number[], keep: readonly number[]): number[] {
  return levels.map((n, i) => n - (keep[i] ?? 0));
}
