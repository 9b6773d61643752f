/**
 * Per-item reconciliation of a soak: the ordered list of items a simulator
 * really took in against the ordered list of credits the driver emitted.
 *
 * Totals hide a lost note behind a doubled one of the same value, so the two
 * lists are aligned instead. A unit reports its items in the order it takes
 * them, and a driver credits an item after the unit took it (`leadMs` of
 * tolerance for a unit that reports a note while still stacking it). So each
 * credit, in order, pairs with the latest item of its value accepted before
 * it and after the item the previous credit paired with. Items skipped over
 * are missing; a credit with no such item is doubled (a second credit for an
 * item, or a value never taken in). Pairing with the latest item, not the
 * oldest unpaired one, puts a loss where it happened: with values that
 * repeat, the oldest-first choice would shift every later pair by a round
 * and leave the gap at the wrong time.
 *
 * Missing items are then explained where the driver or the protocol allows:
 * - an `events-lost` report of the driver (count n at time t) explains up to n
 *   missing items accepted before t (the latest first, within `horizonMs`);
 * - then a power cycle explains the unbroken run of missing items just before it,
 *   at most `held` of them: the events the unit held and forgot. An item
 *   credited after them proves the run was broken earlier.
 * What is left is lost without a word. Pure: no clock, no I/O.
 */

/** One item of either list. */
export interface LedgerItem {
  /** Denomination in minor units: what must match between the two lists. */
  readonly value: number;
  /** Virtual time it was accepted or credited (ms). */
  readonly at: number;
  /** The rig's number of the inserted item, when it can tell. */
  readonly serial?: number;
}

/** The driver's `events-lost` report. */
export interface LossReport {
  readonly at: number;
  readonly count: number;
}

/** A power cycle of the unit, once every reply built before it has arrived. */
export interface PowerCycleMark {
  /** Items accepted up to this time may have been forgotten. */
  readonly at: number;
  /** Most items the unit can hold unreported (its event queue). */
  readonly held: number;
}

export interface LedgerInput {
  readonly accepted: readonly LedgerItem[];
  readonly credited: readonly LedgerItem[];
  readonly reports?: readonly LossReport[];
  readonly powerCycles?: readonly PowerCycleMark[];
  /** How far back a loss report reaches. Default 10 minutes. */
  readonly horizonMs?: number;
  /** How long before its item is counted accepted a credit may come (a unit reporting a note while stacking it). Default 0. */
  readonly leadMs?: number;
}

export interface ValueTally {
  accepted: number;
  credited: number;
  lost: number;
  doubled: number;
}

export interface Reconciliation {
  /** Credits paired with an accepted item. */
  readonly matched: number;
  /** Accepted, never credited, not explained: money gone without a word. */
  readonly lost: readonly LedgerItem[];
  /** Credited with no accepted item to pair with: money counted twice. */
  readonly doubled: readonly LedgerItem[];
  /** Missing items explained by an `events-lost` report. */
  readonly reportedLost: readonly LedgerItem[];
  /** Missing items explained by a power cycle. */
  readonly lostAtPowerCycle: readonly LedgerItem[];
  /** Power cycles that explained at least one item. */
  readonly destructiveResets: number;
  /** Reported losses that no missing item needed (the driver was cautious). */
  readonly unusedReports: number;
  /** Per denomination, in ascending value. */
  readonly byValue: ReadonlyMap<number, ValueTally>;
}

const DEFAULT_HORIZON_MS = 600_000;

/**
 * Pair credits with accepted items (both in time order): for each accepted
 * index the credit paired with it (-1: missing), and the unpaired credits.
 */
export function pairItems(
  accepted: readonly LedgerItem[],
  credited: readonly LedgerItem[],
  leadMs = 0,
): { readonly pair: Int32Array; readonly extra: number[] } {
  const pair = new Int32Array(accepted.length).fill(-1);
  const extra: number[] = [];
  const byValue = new Map<number, number[]>();
  accepted.forEach((item, i) => {
    const list = byValue.get(item.value);
    if (list === undefined) byValue.set(item.value, [i]);
    else list.push(i);
  });
  let previous = -1;
  credited.forEach((credit, j) => {
    const list = byValue.get(credit.value) ?? [];
    // The last of this value accepted by the credit's time (lists are in time order).
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (accepted[list[mid]!]!.at <= credit.at + leadMs) lo = mid + 1;
      else hi = mid;
    }
    const candidate = lo > 0 ? list[lo - 1]! : -1;
    if (candidate > previous) {
      pair[candidate] = j;
      previous = candidate;
    } else extra.push(j);
  });
  return { pair, extra };
}

/** Last index whose `at` is at most `t` in a list sorted by time, -1 if none. */
function lastAtOrBefore(items: readonly LedgerItem[], t: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (items[mid]!.at <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

type Fate = 'matched' | 'missing' | 'reported' | 'power-cycle';

export function reconcile(input: LedgerInput): Reconciliation {
  const { accepted, credited } = input;
  const horizon = input.horizonMs ?? DEFAULT_HORIZON_MS;
  const byValue = new Map<number, ValueTally>();
  const tally = (value: number): ValueTally => {
    let t = byValue.get(value);
    if (t === undefined) byValue.set(value, (t = { accepted: 0, credited: 0, lost: 0, doubled: 0 }));
    return t;
  };
  for (const i of accepted) tally(i.value).accepted++;
  for (const i of credited) tally(i.value).credited++;

  const { pair, extra } = pairItems(accepted, credited, input.leadMs);
  const fate: Fate[] = Array.from(pair, (j): Fate => (j < 0 ? 'missing' : 'matched'));
  const doubled = extra.map((j) => credited[j]!);

  // The driver's own reports first, in time order (a report often follows the power cycle
  // whose loss it names); power cycles then explain what no report did.
  const byTime = <T extends { at: number }>(list: readonly T[]): T[] => [...list].sort((p, q) => p.at - q.at);
  const marks = [
    ...byTime(input.reports ?? []).map((r) => ({ ...r, kind: 'report' as const, held: 0 })),
    ...byTime(input.powerCycles ?? []).map((p) => ({ ...p, kind: 'power' as const, count: 0 })),
  ];
  let unusedReports = 0;
  let destructiveResets = 0;
  for (const mark of marks) {
    const last = lastAtOrBefore(accepted, mark.at);
    if (mark.kind === 'report') {
      let left = mark.count;
      for (let i = last; i >= 0 && left > 0 && accepted[i]!.at >= mark.at - horizon; i--) {
        if (fate[i] !== 'missing') continue;
        fate[i] = 'reported';
        left--;
      }
      unusedReports += left;
    } else {
      let explained = 0;
      for (let i = last, walked = 0; i >= 0 && walked < mark.held && fate[i] !== 'matched'; i--, walked++) {
        if (fate[i] !== 'missing') continue;
        fate[i] = 'power-cycle';
        explained++;
      }
      if (explained > 0) destructiveResets++;
    }
  }

  const pick = (f: Fate): LedgerItem[] => accepted.filter((_, i) => fate[i] === f);
  const lost = pick('missing');
  for (const i of lost) tally(i.value).lost++;
  for (const i of doubled) tally(i.value).doubled++;
  return {
    matched: credited.length - doubled.length,
    lost,
    doubled,
    reportedLost: pick('reported'),
    lostAtPowerCycle: pick('power-cycle'),
    destructiveResets,
    unusedReports,
    byValue: sorted(byValue),
  };
}

function sorted(map: Map<number, ValueTally>): ReadonlyMap<number, ValueTally> {
  return new Map([...map].sort(([a], [b]) => a - b));
}
