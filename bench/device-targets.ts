/**
 * Targets of issue 7's benchmarks and the pass/fail table each suite prints
 * after its measurements. A target is a bound on one measured figure; the
 * table shows the figure next to the bound so a reader need not look it up.
 */

export interface Target {
  readonly what: string;
  /** The bound, as printed: '≥ 20 ×', '≤ 1.02 ×', ... */
  readonly target: string;
  readonly measured: number;
  readonly ok: (measured: number) => boolean;
  /** How `measured` is printed. */
  readonly format: (measured: number) => string;
  /** What the figure includes, in a few words. */
  readonly note?: string;
}

export const atLeast = (bound: number, unit: string, digits = 2) => ({
  target: `≥ ${bound} ${unit}`.trim(),
  ok: (m: number) => m >= bound,
  format: (m: number) => `${m.toFixed(digits)} ${unit}`.trim(),
});

export const atMost = (bound: number, unit: string, digits = 3) => ({
  target: `≤ ${bound} ${unit}`.trim(),
  ok: (m: number) => m <= bound,
  format: (m: number) => `${m.toFixed(digits)} ${unit}`.trim(),
});

export const below = (bound: number, unit: string, digits = 3) => ({
  target: `< ${bound} ${unit}`.trim(),
  ok: (m: number) => m < bound,
  format: (m: number) => `${m.toFixed(digits)} ${unit}`.trim(),
});

/** Print the targets with their measured figures and PASS / FAIL; returns how many failed. */
export function printTargets(title: string, targets: readonly Target[]): number {
  console.log(`\n${title}`);
  console.table(
    targets.map((t) => ({
      target: t.what,
      bound: t.target,
      measured: t.format(t.measured),
      result: Number.isFinite(t.measured) && t.ok(t.measured) ? 'PASS' : 'FAIL',
      ...(t.note !== undefined && { includes: t.note }),
    })),
  );
  return targets.filter((t) => !(Number.isFinite(t.measured) && t.ok(t.measured))).length;
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The value below which a fraction `q` of the list lies (nearest rank). */
export function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

/** 'min – max' of a list, with `digits` decimals. */
export function range(values: readonly number[], digits = 2): string {
  return `${Math.min(...values).toFixed(digits)} – ${Math.max(...values).toFixed(digits)}`;
}
