/**
 * The simple 8-bit checksum only checks the byte sum, so a reply corrupted by
 * +d on one byte and −d on another still passes it. A 229 reply whose counter
 * moved must be confirmed by an identical second read before anything is
 * credited or reported lost.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import type { Diagnostic } from '../../../lib/core/diagnostics.js';
import type { DeviceEvent } from '../../../lib/core/events.js';
import { createCcTalkBillValidator } from '../../../lib/protocols/cctalk/bill-validator.js';
import { createCcTalkCoinAcceptor } from '../../../lib/protocols/cctalk/coin-acceptor.js';
import type { SimReply } from '../../../lib/protocols/cctalk/simulator/index.js';
import { createHarness } from './harness.js';

/** Add `d` to byte `i` and take it from byte `j`: the 8-bit sum, hence the checksum, is unchanged. */
function sumPreserving(data: Uint8Array, i: number, j: number, d: number): Uint8Array {
  const out = Uint8Array.from(data);
  out[i] = (out[i]! + d) & 0xff;
  out[j] = (out[j]! - d + 256) & 0xff;
  return out;
}

function setup() {
  const h = createHarness();
  const acceptor = createCcTalkCoinAcceptor(h.bus, { scheduler: h.scheduler });
  const events: DeviceEvent[] = [];
  const errors: unknown[] = [];
  acceptor.events$.subscribe((e) => events.push(e));
  acceptor.errors$.subscribe((e) => errors.push(e));
  const accepted: number[] = [];
  h.sim.log$.subscribe((line) => {
    const m = /EU(\d{3})A accepted/.exec(line);
    if (m) accepted.push(Number(m[1]));
  });
  const credited = (): number[] => events.flatMap((e) => (e.type === 'credit' ? [e.money.amount] : []));
  const lost = (): number => events.reduce((n, e) => n + (e.type === 'events-lost' ? e.count : 0), 0);
  const resets = (): number => events.filter((e) => e.type === 'device-reset').length;
  return { h, acceptor, events, errors, accepted, credited, lost, resets };
}

describe('ccTalk ring reads: a changed counter is confirmed by an identical second read', () => {
  it('a checksum-passing corruption of the counter (+1, last byte −1) neither doubles a credit nor reports losses', () => {
    const t = setup();
    let armed = false;
    let corrupted = 0;
    t.h.sim.override((c) => {
      if (c.header !== 229 || !armed || c.reply.kind !== 'data' || c.reply.data[0] === 0) return undefined;
      armed = false;
      corrupted++;
      const data = sumPreserving(c.reply.data, 0, c.reply.data.length - 1, 1);
      return { kind: 'data', data } satisfies SimReply;
    });
    t.h.at(1000, () => t.h.sim.insertCoin(5));
    t.h.at(1500, () => t.h.sim.insertCoin(6));
    // The reply right after the second coin says counter 3 instead of 2.
    t.h.at(1501, () => (armed = true));
    t.h.at(2500, () => t.h.sim.insertCoin(1));
    t.h.runUntil(4000);
    t.acceptor.dispose();

    expect(corrupted).to.equal(1);
    expect(t.accepted).to.deep.equal([20, 50, 1]);
    expect(t.credited()).to.deep.equal([20, 50, 1]);
    expect(t.lost()).to.equal(0);
    expect(t.resets()).to.equal(0);
  });

  it('acts on nothing and reports a crc diagnostic when no two reads agree, then catches up next poll', () => {
    const t = setup();
    let noisy = false;
    let n = 0;
    t.h.sim.override((c) => {
      if (c.header !== 229 || !noisy || c.reply.kind !== 'data') return undefined;
      n++;
      // Every reply a different checksum-passing corruption of the counter.
      return { kind: 'data', data: sumPreserving(c.reply.data, 0, 2, n) } satisfies SimReply;
    });
    t.h.at(1000, () => t.h.sim.insertCoin(4));
    t.h.at(1100, () => (noisy = true));
    t.h.at(1300, () => (noisy = false));
    t.h.runUntil(2500);
    t.acceptor.dispose();

    const crc = t.errors.filter((e): e is Diagnostic => (e as Diagnostic).kind === 'crc');
    expect(crc.length).to.be.greaterThan(0);
    expect(crc[0]!.info).to.include({ reads: 4 });
    expect(t.credited()).to.deep.equal([10]);
    expect(t.lost()).to.equal(0);
    expect(t.resets()).to.equal(0);
  });

  it('the bill validator confirms a moved 159 counter the same way', () => {
    const h = createHarness({ coin: false, bill: {} });
    const bv = createCcTalkBillValidator(h.bus, { scheduler: h.scheduler });
    const { events } = h.collect(bv);
    let armed = false;
    h.sim.override((c) => {
      if (c.header !== 159 || !armed || c.reply.kind !== 'data' || c.reply.data[0] === 0) return undefined;
      armed = false;
      return {
        kind: 'data',
        data: sumPreserving(c.reply.data, 0, c.reply.data.length - 1, 1),
      } satisfies SimReply;
    });
    h.at(1000, () => h.sim.insertBill(3));
    h.at(1001, () => (armed = true));
    h.at(2000, () => h.sim.insertBill(1));
    h.runUntil(3500);
    bv.dispose();

    const credits = events.flatMap((e) => (e.type === 'credit' ? [e.money.amount] : []));
    expect(credits).to.deep.equal([2000, 500]);
    expect(events.filter((e) => e.type === 'events-lost' || e.type === 'device-reset')).to.deep.equal([]);
  });

  it('credits exactly the accepted coins under random checksum-passing corruptions (property)', () => {
    const corruption = fc.record({
      i: fc.integer({ min: 0, max: 10 }),
      j: fc.integer({ min: 0, max: 10 }),
      d: fc.integer({ min: 1, max: 255 }),
    });
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ gap: fc.integer({ min: 300, max: 700 }), slot: fc.integer({ min: 1, max: 8 }) }),
          {
            minLength: 1,
            maxLength: 12,
          },
        ),
        fc.array(fc.option(corruption, { freq: 2 }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 0, max: 255 }),
        (coins, plan, start) => {
          const t = setup();
          if (start > 0) t.h.sim.setCoinCounter(start);
          let reply = 0;
          let cleanAfter = 0;
          t.h.sim.override((c) => {
            if (c.header !== 229 || c.reply.kind !== 'data') return undefined;
            const k = plan[reply++ % plan.length];
            // At most one corrupted reply in three: two corruptions in a row could agree by chance
            // (real line noise does not repeat itself), and every poll still gets two clean reads in a row.
            if (!k || k.i === k.j || cleanAfter > 0) {
              cleanAfter = Math.max(0, cleanAfter - 1);
              return undefined;
            }
            cleanAfter = 2;
            return { kind: 'data', data: sumPreserving(c.reply.data, k.i, k.j, k.d) } satisfies SimReply;
          });
          let at = 1000;
          for (const coin of coins) {
            at += coin.gap;
            t.h.at(at, () => t.h.sim.insertCoin(coin.slot));
          }
          t.h.runUntil(at + 2000);
          t.acceptor.dispose();

          expect(t.accepted.length).to.equal(coins.length);
          expect(t.credited()).to.deep.equal(t.accepted);
          expect(t.lost()).to.equal(0);
          expect(t.resets()).to.equal(0);
        },
      ),
      { numRuns: 40 },
    );
  });
});
