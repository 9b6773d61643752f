/**
 * Driver bugs the per-item soak found and that are not fixed yet. Each test
 * states what a correct driver does; it is skipped until the fix lands (then
 * remove `.skip`). The ccTalk coin-id loss found the same way is fixed; its
 * tests live in spec/protocols/cctalk/coin-id-recovery.spec.ts.
 */
import { expect } from 'chai';
import { runSoak } from '../../bench/soak/run.js';
import { createEsspParser } from '../../lib/protocols/essp/parser.js';

describe('known driver bugs found by the per-item soak', function () {
  this.timeout(20_000);

  // Fixed: a damaged reply that passed the checksum showed Stacked (index 0) while note #941 ($10,
  // stacked at 1 950 200 ms) was still being read, so the real Stacked was no rising edge and the
  // note was never credited. Replies that say something new are now confirmed by a second read
  // (lib/protocols/pyramid/confirm.ts; cut down in spec/protocols/pyramid/soak-regressions.spec.ts).
  it('Pyramid soak, seed 16, 3 000 notes: nothing lost (note #941, $10, stacked at 1 950 200 ms, used to go uncredited)', () => {
    const r = runSoak({ protocol: 'pyramid', count: 3000, seed: 16 });
    expect(r.lost, r.problems.join('\n')).to.equal(0);
  });

  // Fixed: a damaged reply passing the checksum showed Stacked (and the cashbox removed) while
  // note #2251 ($20) was still being stacked; the next good reply cleared it and the real one set
  // it again: two edges, two credits (4 618 000 and 4 618 450 ms). Same fix and regression file.
  it('Pyramid soak, seed 11, 3 000 notes: nothing doubled (note #2251, $20, used to be credited twice)', () => {
    const r = runSoak({ protocol: 'pyramid', count: 3000, seed: 11 });
    expect(r.doubled, r.problems.join('\n')).to.equal(0);
  });

  // An encrypted POLL whose CRC ends in 0x7F (sent stuffed: `7F 7F`) lost its STX on the line.
  // The parser never finds the start again: in `... 7F 7F | 7F 00 11 ...` it takes the wrong 7F
  // as STX, and a retransmission repeats the very same bytes, so every copy is lost the same way.
  it.skip('eSSP parser: finds the next frame after one whose STX was damaged, even when frames end in a stuffed 7F', () => {
    const hex = (s: string): Uint8Array => Uint8Array.from(s.split(' ').map((h) => parseInt(h, 16)));
    const poll = '7F 00 11 7E 4C B5 9F 3E 01 9D B5 03 DD 1D 47 62 5A B2 F7 2D F2 7F 7F';
    const damaged = `5F${poll.slice(2)}`;
    const parser = createEsspParser();
    const out = [damaged, poll, poll, poll].flatMap((c) => [...parser.push(hex(c))]);
    // The three intact copies, or at least two of them after one to resynchronise on.
    expect(out.filter((o) => o.type === 'frame').length).to.be.at.least(2);
  });

  // The same parser in the simulated unit: after the damaged POLL the unit hears none of the 20
  // identical retransmissions, the host reconnects, and the CREDIT NOTE of the note stacked in the
  // meantime is gone (the unit did not restart, so no events-lost either).
  it.skip('eSSP soak, seed 1, 20 000 notes, line faults only: nothing lost (today note #19744, 100 EUR, stacked at 99 406 200 ms, is never credited)', () => {
    const r = runSoak({
      protocol: 'essp',
      count: 20_000,
      seed: 1,
      plan: { drop: 0.05, corrupt: 0.01, reset: 0.0005 },
    });
    expect(r.lost, r.problems.join('\n')).to.equal(0);
  });
});
