/**
 * The pure pieces behind reconnecting: the credit rule for a note that
 * vanished across a gap (credit.ts) and the outage bookkeeping (outage.ts).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import type { DeviceEvent } from '../../../lib/core/events.js';
import { INITIAL_TRACK, trackReply, type ReplyTrack } from '../../../lib/protocols/pyramid/credit.js';
import { USD_BILLS } from '../../../lib/protocols/pyramid/bills.js';
import { NO_OUTAGE, noteAnswer, noteLoss } from '../../../lib/protocols/pyramid/outage.js';
import { type PyramidStatusInit } from '../../../lib/protocols/pyramid/status.js';
import { status } from './host-line.js';

const device = { protocol: 'pyramid', address: 0 } as const;

/** Feed `before` then `after` (the first fresh reply after the gap, or not). */
function across(before: PyramidStatusInit, after: PyramidStatusInit, gap: boolean): DeviceEvent[] {
  const ctx = { device, table: USD_BILLS, trusted: true };
  const first = trackReply(INITIAL_TRACK, status(before), ctx);
  const track: ReplyTrack = first.track;
  return [...trackReply(track, status(after), { ...ctx, gap }).events];
}

const lostCount = (events: readonly DeviceEvent[]): number =>
  events.reduce((n, e) => n + (e.type === 'events-lost' ? e.count : 0), 0);

describe('Pyramid credit rule across a gap', () => {
  it('a note being stacked, then Idle with no outcome after the gap: events-lost 1 naming the note', () => {
    const events = across({ stacking: true, noteIndex: 3 }, { idling: true }, true);
    expect(lostCount(events)).to.equal(1);
    expect(events).to.deep.include({
      type: 'raw',
      device,
      name: 'note-outcome-unknown',
      data: { index: 3, state: 'stacking', gap: true },
    });
    expect(events.some((e) => e.type === 'credit')).to.equal(false);
  });

  it('the same two replies without a gap report nothing lost (the rule only speaks after a gap)', () => {
    expect(lostCount(across({ stacking: true, noteIndex: 3 }, { idling: true }, false))).to.equal(0);
  });

  it('an outcome after the gap is the answer: Stacked credits, Returned/Rejected/Cheated end the note', () => {
    const stacked = across(
      { stacking: true, noteIndex: 3 },
      { idling: true, stacked: true, noteIndex: 3 },
      true,
    );
    expect(lostCount(stacked)).to.equal(0);
    expect(stacked.filter((e) => e.type === 'credit')).to.have.length(1);
    for (const outcome of [{ returned: true }, { rejected: true }, { cheated: true }] as const) {
      expect(
        lostCount(across({ escrowed: true, noteIndex: 2 }, { idling: true, ...outcome }, true)),
      ).to.equal(0);
    }
  });

  it('a power-up after the gap is reported once, by the power-up rule', () => {
    const events = across({ escrowed: true, noteIndex: 2 }, { powerUp: true }, true);
    expect(lostCount(events)).to.equal(1);
    expect(events.map((e) => e.type)).to.include('device-reset');
  });

  it('a note being stacked, then a note being accepted after the gap: that is the next note, events-lost 1', () => {
    const events = across({ stacking: true, noteIndex: 4 }, { accepting: true }, true);
    expect(lostCount(events)).to.equal(1);
    const back = across({ stacking: true, noteIndex: 4 }, { escrowed: true, noteIndex: 4 }, true);
    expect(lostCount(back)).to.equal(1);
    // Escrowed with another index is another note too; further on with the same index is not.
    expect(
      lostCount(across({ escrowed: true, noteIndex: 4 }, { escrowed: true, noteIndex: 5 }, true)),
    ).to.equal(1);
    expect(
      lostCount(across({ escrowed: true, noteIndex: 4 }, { stacking: true, noteIndex: 4 }, true)),
    ).to.equal(0);
    expect(lostCount(across({ accepting: true }, { escrowed: true, noteIndex: 4 }, true))).to.equal(0);
    // Without a gap every reply in between was seen: no rule applies.
    expect(lostCount(across({ stacking: true, noteIndex: 4 }, { accepting: true }, false))).to.equal(0);
  });

  // A Stacked note whose value is unknown (index 0, none captured) is a loss of its own.
  it('property: one loss per gap when a note in the transport vanished with no outcome, one per Stacked note of unknown value', () => {
    const flags = fc.record({
      idling: fc.boolean(),
      accepting: fc.boolean(),
      escrowed: fc.boolean(),
      stacking: fc.boolean(),
      stacked: fc.boolean(),
      returning: fc.boolean(),
      returned: fc.boolean(),
      rejected: fc.boolean(),
      cheated: fc.boolean(),
      powerUp: fc.boolean(),
      noteIndex: fc.integer({ min: 0, max: 7 }),
    });
    fc.assert(
      fc.property(flags, flags, fc.boolean(), (before, after, gap) => {
        const events = across({ ...before, powerUp: false }, after, gap);
        const inBefore = before.accepting || before.escrowed || before.stacking;
        const captured = inBefore ? before.noteIndex : 0;
        // The same note can only be further on its way in (with the same index), or going back out.
        const rank = (s: typeof before): number => (s.stacking ? 3 : s.escrowed ? 2 : s.accepting ? 1 : 0);
        const sameIndex = captured === 0 || after.noteIndex === 0 || after.noteIndex === captured;
        const stillIn = after.returning || (rank(after) >= rank(before) && rank(after) > 0 && sameIndex);
        const outcome = after.stacked || after.returned || after.rejected || after.cheated;
        const gapLoss = inBefore && (after.powerUp || (gap && !stillIn && !outcome)) ? 1 : 0;
        const unknownStack =
          after.stacked && !before.stacked && after.noteIndex === 0 && captured === 0 ? 1 : 0;
        expect(lostCount(events)).to.equal(gapLoss + unknownStack);
      }),
    );
  });
});

describe('Pyramid outage bookkeeping', () => {
  const backoff = { initialDelayMs: 100, maxDelayMs: 250 };

  it('counts tries, doubles the wait up to the cap, and remembers when the open line was lost', () => {
    const a = noteLoss(NO_OUTAGE, { reason: 'cut', wasOpen: true }, true, 1000, backoff);
    expect(a).to.deep.equal({
      outage: { failures: 1, lostAt: 1000 },
      delayMs: 100,
      lost: { reason: 'cut', delayMs: 100 },
      state: { status: 'recovering', reason: 'line lost: cut; reopening in 100 ms' },
    });
    const b = noteLoss(a.outage, { reason: 'ENOENT', wasOpen: false }, true, 1100, backoff);
    expect(b).to.deep.equal({
      outage: { failures: 2, lostAt: 1000 },
      delayMs: 200,
      state: { status: 'recovering', reason: 'cannot open the line: ENOENT; reopening in 200 ms' },
    });
    expect(noteLoss(b.outage, { reason: 'ENOENT', wasOpen: false }, true, 1300, backoff).delayMs).to.equal(
      250,
    );
    expect(noteAnswer(b.outage, 1500)).to.deep.equal({
      outage: NO_OUTAGE,
      back: { outageMs: 500, reopens: 2 },
    });
  });

  it('before the acceptor was ever ready it is still connecting, and a first answer is no "line back"', () => {
    const a = noteLoss(NO_OUTAGE, { reason: 'ENOENT', wasOpen: false }, false, 0, backoff);
    expect(a.state).to.deep.equal({ status: 'connecting', attempt: 2 });
    expect(a.outage.lostAt).to.equal(undefined);
    expect(noteAnswer(a.outage, 50)).to.deep.equal({ outage: NO_OUTAGE });
  });
});
