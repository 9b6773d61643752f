/**
 * Two notes the soak found stacked and neither credited nor reported lost,
 * cut down to the faults that caused each, against the simulator in virtual
 * time. In both, a host message arrived with its ack bit and checksum damaged
 * into the other ack (a valid frame), so the unit took it as new and dropped
 * the events of a reply the host never accepted.
 *
 * - Soak seed 222: the note went in and was stacked while its replies were
 *   lost. The unit's Stacked reply to the damaged message reached the host
 *   intact but with the other ack, so it was ignored as stale; the next reply
 *   was plain Idle. The stale reply's note now counts for the loss rule.
 * - Soak seed 341: the host had accepted Stacking, read Stacked once, and the
 *   confirming read was the damaged message. The first reply accepted after
 *   that showed the next note being accepted. A note being stacked never goes
 *   back to accepting: that is another note, and the first one is reported lost.
 */
import { expect } from 'chai';
import type { DeviceEvent, RawEvent } from '../../../lib/core/events.js';
import { type HostLineOutcome, runWithHostLine } from './host-line.js';

/** Byte offsets in an 11-byte status reply, and S0 bits. */
const S0 = 3;
const IDLING = 0x01;
const ACCEPTING = 0x02;
const STACKING = 0x08;
const STACKED = 0x10;

const lostCount = (events: readonly DeviceEvent[]): number =>
  events.reduce((n, e) => n + (e.type === 'events-lost' ? e.count : 0), 0);
const unknownOutcomes = (events: readonly DeviceEvent[]): RawEvent[] =>
  events.filter((e): e is RawEvent => e.type === 'raw' && e.name === 'note-outcome-unknown');
const movedOn = (out: HostLineOutcome): boolean =>
  out.errors.some((e) => 'kind' in e && e.kind === 'stale-reply' && /as new/.test(e.message));

describe('Pyramid: the unit moves on past a reply the host never accepted (soak seeds 222, 341)', () => {
  it('seed 222: the Stacked reply to a damaged message arrives as stale, then Idle: events-lost 1, no credit', () => {
    const out = runWithHostLine(5000, ({ sim, at, damageNextWrite }) => {
      // Every reply showing the note on its way in is lost: the host sees it go in at no point.
      const silence = sim.override(({ reply }) =>
        reply.length === 11 && (reply[S0]! & (ACCEPTING | STACKING)) !== 0 ? 'silent' : undefined,
      );
      const logged = sim.log$.subscribe((line) => {
        if (!line.startsWith('stacked note')) return;
        logged.unsubscribe();
        silence();
        // The host is still resending the message whose reply was lost; that resend arrives
        // with the other ack. The unit answers it with Stacked, which reaches the host intact.
        damageNextWrite();
      });
      at(500, () => sim.insertBill(5));
    });
    expect(out.accepted).to.equal(1);
    expect(movedOn(out)).to.equal(true);
    expect(out.events.filter((e) => e.type === 'credit')).to.have.length(0);
    expect(lostCount(out.events)).to.equal(1);
    const [unknown, ...more] = unknownOutcomes(out.events);
    expect(more).to.have.length(0);
    expect(unknown?.data).to.deep.include({ index: 5, gap: true, unconfirmed: true });
  });

  it('seed 341: Stacking accepted, Stacked read once, then the next note accepting: events-lost 1 for the first', () => {
    const out = runWithHostLine(8000, ({ sim, now, at, damageNextWrite }) => {
      let armed = false;
      let hold = false;
      const remove = sim.override(({ reply, replay }) => {
        if (reply.length !== 11) return undefined;
        if (!armed && !replay && (reply[S0]! & STACKED) !== 0) {
          // Stacked, read once: the read that would confirm it arrives with the other ack.
          armed = true;
          damageNextWrite();
          return undefined;
        }
        if (armed && !hold) {
          // This is the unit's answer to the damaged message: it considers Stacked delivered.
          // The next note goes in before the host reads anything it would accept.
          hold = true;
          at(now() + 1, () => void sim.insertBill(5));
          return undefined;
        }
        if (hold && reply[S0] === IDLING) return 'silent';
        if (hold) remove();
        return undefined;
      });
      at(500, () => sim.insertBill(4));
    });
    expect(out.accepted).to.equal(2);
    expect(movedOn(out)).to.equal(true);
    const credits = out.events.filter((e) => e.type === 'credit');
    expect(credits.map((c) => c.channel)).to.deep.equal([5]);
    expect(lostCount(out.events)).to.equal(1);
    const [unknown, ...more] = unknownOutcomes(out.events);
    expect(more).to.have.length(0);
    expect(unknown?.data).to.deep.include({ index: 4, state: 'stacking', gap: true });
  });
});
