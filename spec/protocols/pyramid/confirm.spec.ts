import { expect } from 'chai';
import fc from 'fast-check';
import {
  OPEN_GATE,
  implausibleStatus,
  readReply,
  readStale,
  type ReplyGate,
} from '../../../lib/protocols/pyramid/confirm.js';
import { decodeStatusBytes, type PyramidStatus } from '../../../lib/protocols/pyramid/status.js';
import { fromHex } from '../../../lib/core/bytes.js';
import { status } from './host-line.js';

function fromBytes(hex: string): PyramidStatus {
  const s = decodeStatusBytes(fromHex(hex));
  if (s._tag === 'Left') throw s.left;
  return s.right;
}

const IDLE = status({ idling: true });
const STACKING = status({ stacking: true, noteIndex: 5 });

describe('Pyramid reply confirmation (confirm.ts)', () => {
  describe('implausible flag combinations', () => {
    it('accepts what the fact sheet shows units sending', () => {
      // Idle + Stacked, Idle + Returned, Returning + Cheated, power-up with no state bit,
      // and the captured MEI reply 01 10 00 00 54 2A.
      for (const hex of [
        '11 10 20 00 10 11',
        '41 10 00 00 10 11',
        '20 11 00 00 10 11',
        '00 10 01 00 10 11',
      ]) {
        expect(implausibleStatus(fromBytes(hex)), hex).to.equal(undefined);
      }
      expect(implausibleStatus(fromBytes('01 10 00 00 54 2A'))).to.equal(undefined);
      expect(implausibleStatus(status({ escrowed: true, noteIndex: 4, jammed: true }))).to.equal(undefined);
    });

    it('the damaged replies of soak seeds 11 and 16', () => {
      // Stacking + Stacked with the cashbox removed (seed 11); Accepting + Stacked (seed 16).
      expect(implausibleStatus(fromBytes('18 00 28 00 10 11'))).to.match(/several|stacked/);
      expect(implausibleStatus(fromBytes('12 10 00 00 10 01'))).to.equal(
        'stacked while a note is still accepting',
      );
    });

    it('names each impossible combination', () => {
      expect(implausibleStatus(status({ idling: true, accepting: true }))).to.equal(
        'several transport states at once (idling, accepting)',
      );
      expect(implausibleStatus(status({ idling: true, stacked: true, returned: true }))).to.equal(
        'stacked and returned at once',
      );
      expect(implausibleStatus(status({ idling: true, stacked: true, cassettePresent: false }))).to.equal(
        'stacked with the cashbox removed',
      );
      expect(implausibleStatus(status({ escrowed: true, stacked: true }))).to.equal(
        'stacked while a note is still escrowed',
      );
    });
  });

  describe('readReply', () => {
    it('the first reply is read twice before it is accepted', () => {
      const a = readReply(OPEN_GATE, 'k1', IDLE, false);
      expect(a.verdict).to.equal('confirm');
      const b = readReply(a.gate, 'k1', IDLE, false);
      expect(b.verdict).to.equal('accept');
      expect(b.gate).to.deep.equal({
        accepted: 'k1',
        candidate: undefined,
        movedOn: false,
        sawNote: undefined,
      });
    });

    it('a reply that repeats the accepted one is accepted at once; a new one waits for its twin', () => {
      const gate: ReplyGate = { ...OPEN_GATE, accepted: 'idle' };
      expect(readReply(gate, 'idle', IDLE, false).verdict).to.equal('accept');
      const once = readReply(gate, 'stacking', STACKING, false);
      expect(once.verdict).to.equal('confirm');
      // A different read replaces the candidate: neither is accepted.
      const other = readReply(once.gate, 'damaged', STACKING, false);
      expect(other.verdict).to.equal('confirm');
      expect(readReply(other.gate, 'stacking', STACKING, false).verdict).to.equal('confirm');
    });

    it('an implausible reply equal to the accepted one still needs its twin', () => {
      const odd = status({ idling: true, stacked: true, cassettePresent: false });
      const r = readReply({ ...OPEN_GATE, accepted: 'odd' }, 'odd', odd, true);
      expect(r.verdict).to.equal('confirm');
      expect(r.implausible).to.equal('stacked with the cashbox removed');
      expect(readReply(r.gate, 'odd', odd, true)).to.deep.include({ verdict: 'accept' });
    });

    it('a left-behind read that showed a note is passed on with the next accepted reply', () => {
      const gate: ReplyGate = { ...OPEN_GATE, accepted: 'idle' };
      const seen = readReply(gate, 'stacking', STACKING, false);
      const back = readReply(seen.gate, 'idle', IDLE, false); // the accepted status again
      expect(back).to.deep.include({
        verdict: 'accept',
        sawNote: { index: 5, stage: 'stacking' },
        movedOn: false,
      });
      // The confirmed reply itself is not "left behind".
      const twice = readReply(seen.gate, 'stacking', STACKING, false);
      expect(twice.sawNote).to.equal(undefined);
      // A Stacked bit the accepted reply already had is no new note.
      const linger = readReply(gate, 'linger', status({ idling: true, stacked: true, noteIndex: 2 }), true);
      expect(readReply(linger.gate, 'idle', IDLE, true).sawNote).to.equal(undefined);
    });

    it('property: a reply is only accepted when it repeats the accepted one or the read just before it', () => {
      const keys = fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 40 });
      fc.assert(
        fc.property(keys, (reads) => {
          let gate = OPEN_GATE;
          let last: string | undefined;
          for (const key of reads) {
            const before = gate;
            const r = readReply(gate, key, IDLE, false);
            if (r.verdict === 'accept') {
              expect(key === before.accepted || key === last).to.equal(true);
              last = undefined; // the next read starts a new pair
            } else last = key;
            gate = r.gate;
          }
        }),
      );
    });
  });

  describe('readStale', () => {
    it('a late copy of the accepted reply is harmless; any other reply with the other ack means the unit moved on', () => {
      const gate: ReplyGate = { ...OPEN_GATE, accepted: 'idle' };
      expect(readStale(gate, 'idle', IDLE, false).movedOn).to.equal(false);
      const moved = readStale(gate, 'other', IDLE, false);
      expect(moved.movedOn).to.equal(true);
      expect(readReply(readReply(moved, 'x', IDLE, false).gate, 'x', IDLE, false).movedOn).to.equal(true);
    });

    it('a note the unit showed in a reply it then took as delivered is passed on as seen, never as a credit', () => {
      const gate: ReplyGate = { ...OPEN_GATE, accepted: 'idle' };
      // Soak seed 222: the unit's answer to a damaged message showed Stacked, index 5.
      const stacked = status({ idling: true, stacked: true, noteIndex: 5 });
      const moved = readStale(gate, 'stacked', stacked, false);
      expect(moved).to.deep.include({ movedOn: true, sawNote: { index: 5, stage: 'stacked' } });
      const next = readReply(moved, 'idle', IDLE, false);
      expect(next).to.deep.include({
        verdict: 'accept',
        movedOn: true,
        sawNote: { index: 5, stage: 'stacked' },
      });
      // A late copy of the accepted reply, an undecodable one, or a Stacked bit already
      // accepted shows no note.
      expect(readStale(gate, 'idle', stacked, false).sawNote).to.equal(undefined);
      expect(readStale(gate, 'odd', undefined, false).sawNote).to.equal(undefined);
      expect(readStale(gate, 'linger', stacked, true).sawNote).to.equal(undefined);
    });

    it('keeps the furthest stage seen, and the index of the latest read that carried one', () => {
      const gate: ReplyGate = { ...OPEN_GATE, accepted: 'idle' };
      const first = readStale(gate, 'stacking', STACKING, false);
      const both = readStale(first, 'accepting', status({ accepting: true }), false);
      expect(both.sawNote).to.deep.equal({ index: 5, stage: 'stacking' });
      const other = readStale(first, 'escrowed', status({ escrowed: true, noteIndex: 3 }), false);
      expect(other.sawNote).to.deep.equal({ index: 3, stage: 'stacking' });
    });
  });
});
