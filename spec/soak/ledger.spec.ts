/**
 * The soak's per-item reconciliation: a lost item and a doubled one are both
 * reported even when the totals agree, and losses are explained only by a
 * report or a power cycle that can really account for them.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { type LedgerItem, pairItems, reconcile } from '../../bench/soak/ledger.js';

/** Items of these values, one every second from t = 1 s. */
const items = (values: readonly number[], start = 1): LedgerItem[] =>
  values.map((value, i) => ({ value, at: (start + i) * 1000 }));
const values = (list: readonly LedgerItem[]): number[] => list.map((i) => i.value);

describe('soak ledger: aligning accepted items with credits', () => {
  it('the same items in the same order: everything matched', () => {
    const accepted = items([500, 1000, 2000, 500, 1000]);
    const r = reconcile({ accepted, credited: items([500, 1000, 2000, 500, 1000], 2) });
    expect(r.matched).to.equal(5);
    expect(r.lost).to.deep.equal([]);
    expect(r.doubled).to.deep.equal([]);
    expect(r.byValue.get(500)).to.deep.equal({ accepted: 2, credited: 2, lost: 0, doubled: 0 });
  });

  it('totals agree, but one note was lost and another of the same value credited twice: both reported', () => {
    const accepted = items([500, 1000, 2000, 500, 1000, 2000, 500, 1000]);
    // The first 500 is never credited; the second 1000 is credited twice.
    const credited = items([1000, 2000, 500, 1000, 1000, 2000, 500, 1000], 2);
    expect(credited.length).to.equal(accepted.length);
    const r = reconcile({ accepted, credited });
    expect(values(r.lost)).to.deep.equal([500]);
    expect(r.lost[0]!.at).to.equal(1000);
    expect(values(r.doubled)).to.deep.equal([1000]);
    expect(r.matched).to.equal(7);
  });

  it('totals and values agree (a 500 lost, a 500 doubled elsewhere): both reported', () => {
    const accepted = items([500, 1000, 2000, 500, 1000, 2000, 500]);
    const credited = items([1000, 2000, 500, 1000, 2000, 500, 500], 2);
    expect(values(credited).reduce((a, b) => a + b)).to.equal(values(accepted).reduce((a, b) => a + b));
    const r = reconcile({ accepted, credited });
    expect(values(r.lost)).to.deep.equal([500]);
    expect(values(r.doubled)).to.deep.equal([500]);
    expect(r.byValue.get(500)).to.deep.equal({ accepted: 3, credited: 3, lost: 1, doubled: 1 });
  });

  it('a wrong value credited is one lost and one doubled', () => {
    const r = reconcile({ accepted: items([500, 1000, 2000]), credited: items([500, 5000, 2000]) });
    expect(values(r.lost)).to.deep.equal([1000]);
    expect(values(r.doubled)).to.deep.equal([5000]);
  });

  it('an events-lost report explains missing items accepted before it, latest first, within the horizon', () => {
    const accepted = items([500, 1000, 2000, 500, 1000]);
    // 500 (t = 1 s) and 2000 (t = 3 s) never credited; the others half a second after they came in.
    const credited = [1, 3, 4].map((i) => ({ ...accepted[i]!, at: accepted[i]!.at + 500 }));
    const one = reconcile({ accepted, credited, reports: [{ at: 3500, count: 1 }] });
    expect(values(one.reportedLost)).to.deep.equal([2000]);
    expect(values(one.lost)).to.deep.equal([500]);
    // A report earlier than the loss cannot explain it.
    const early = reconcile({ accepted, credited, reports: [{ at: 2500, count: 2 }] });
    expect(values(early.reportedLost)).to.deep.equal([500]);
    expect(values(early.lost)).to.deep.equal([2000]);
    expect(early.unusedReports).to.equal(1);
    // Nor one long after it.
    const late = reconcile({ accepted, credited, reports: [{ at: 3_600_000, count: 2 }], horizonMs: 60_000 });
    expect(late.lost).to.have.length(2);
    expect(late.unusedReports).to.equal(2);
  });

  it('a report of a loss that did not happen is counted apart and hides nothing', () => {
    const accepted = items([500, 1000, 2000]);
    const credited = items([500, 1000, 2000, 2000], 1);
    const r = reconcile({ accepted, credited, reports: [{ at: 10_000, count: 1 }] });
    expect(r.unusedReports).to.equal(1);
    expect(values(r.doubled)).to.deep.equal([2000]);
    expect(r.lost).to.deep.equal([]);
  });

  it('a power cycle explains the unbroken run of missing items just before it, at most `held`', () => {
    const accepted = items([500, 1000, 2000, 500, 1000]);
    const credited = accepted.slice(0, 2).map((i) => ({ ...i, at: i.at + 300 })); // the last three never
    const r = reconcile({ accepted, credited, powerCycles: [{ at: 5500, held: 2 }] });
    expect(values(r.lostAtPowerCycle)).to.deep.equal([500, 1000]);
    expect(values(r.lost)).to.deep.equal([2000]);
    expect(r.destructiveResets).to.equal(1);
  });

  it('a power cycle after a credited item explains nothing earlier (that loss was silent)', () => {
    const accepted = items([500, 1000, 2000, 500]);
    // 1000 missing; 2000 and 500 after it credited.
    const credited = [0, 2, 3].map((i) => ({ ...accepted[i]!, at: accepted[i]!.at + 500 }));
    const r = reconcile({ accepted, credited, powerCycles: [{ at: 4500, held: 5 }] });
    expect(r.lostAtPowerCycle).to.deep.equal([]);
    expect(values(r.lost)).to.deep.equal([1000]);
    expect(r.destructiveResets).to.equal(0);
  });

  it('repeating values: a run of missing items is placed where it went missing, so a later report explains it', () => {
    // Values rotate 1..4; the second round (t = 5..8 s) is never credited; a report of 4 comes at 8.5 s.
    const rotating = Array.from({ length: 24 }, (_, i) => 1 + (i % 4));
    const accepted = items(rotating);
    const credited = [
      ...accepted.slice(0, 4).map((i) => ({ ...i, at: i.at + 300 })),
      ...accepted.slice(8).map((i) => ({ ...i, at: i.at + 300 })),
    ];
    const r = reconcile({ accepted, credited, reports: [{ at: 8500, count: 4 }] });
    expect(r.lost).to.deep.equal([]);
    expect(r.reportedLost.map((i) => i.at)).to.deep.equal([5000, 6000, 7000, 8000]);
    expect(r.unusedReports).to.equal(0);
    // Without the report the same four are lost, at the right times.
    expect(reconcile({ accepted, credited }).lost.map((i) => i.at)).to.deep.equal([5000, 6000, 7000, 8000]);
  });

  it('a credit may precede its item by leadMs (a note reported while it is being stacked)', () => {
    const accepted = items([1, 2, 1, 2, 1, 2]);
    const credited = [accepted[0]!, ...accepted.slice(3)].map((i) => ({ ...i, at: i.at - 700 }));
    const tight = reconcile({ accepted, credited, leadMs: 1000 });
    expect(tight.lost.map((i) => i.at)).to.deep.equal([2000, 3000]);
    expect(tight.doubled).to.deep.equal([]);
    // Without the tolerance an early credit pairs with an older item or with none at all.
    const strict = reconcile({ accepted, credited });
    expect(strict.lost.map((i) => i.at)).to.deep.equal([1000, 5000, 6000]);
    expect(strict.doubled.map((i) => i.at)).to.deep.equal([300]);
  });

  it('pairing: exactly the dropped items are missing, and every second credit or wrong value is extra', () => {
    const step = fc.record({
      op: fc.constantFrom('keep', 'keep', 'drop', 'dup', 'other'),
      v: fc.integer({ min: 1, max: 4 }),
      lag: fc.integer({ min: 0, max: 900 }),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 150 }), (steps) => {
        // Item i accepted at i s; its credit (if any) within the second after, before the next item.
        const accepted: LedgerItem[] = [];
        const credited: LedgerItem[] = [];
        const dropped: number[] = [];
        let extras = 0;
        steps.forEach(({ op, v, lag }, i) => {
          accepted.push({ value: v, at: i * 1000 });
          const at = i * 1000 + lag;
          if (op === 'drop') dropped.push(i);
          else credited.push({ value: v, at });
          if (op === 'dup') credited.push({ value: v, at });
          if (op === 'other') credited.push({ value: v + 10, at });
          if (op === 'dup' || op === 'other') extras++;
        });
        const { pair, extra } = pairItems(accepted, credited);
        expect([...pair.keys()].filter((i) => pair[i] === -1)).to.deep.equal(dropped);
        expect(extra).to.have.length(extras);
        // Pairs keep the order of both lists.
        const paired = [...pair].filter((j) => j >= 0);
        expect(paired).to.deep.equal([...paired].sort((a, b) => a - b));
      }),
      { numRuns: 300 },
    );
  });

  it('pairs 100 000 items quickly', () => {
    const accepted = items(Array.from({ length: 100_000 }, (_, i) => 1 + (i % 8)));
    const credited = accepted.filter((_, i) => i % 400 !== 7).map((i) => ({ ...i, at: i.at + 200 }));
    credited.splice(50_000, 0, { ...credited[50_000]! });
    const started = performance.now();
    const r = reconcile({ accepted, credited });
    expect(r.lost).to.have.length(250);
    expect(r.doubled).to.have.length(1);
    expect(performance.now() - started).to.be.below(2000);
  });
});
