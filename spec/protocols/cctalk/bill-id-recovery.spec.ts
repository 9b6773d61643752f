/**
 * Bill ids (157) and scaling factors (156) that cannot be read are unknown
 * values, never unprogrammed types: a stacked bill ends as one credit with its
 * value, or as a counted report.
 */
import { expect } from 'chai';
import { fromAscii } from '../../../lib/core/bytes.js';
import type { DeviceEvent } from '../../../lib/core/events.js';
import {
  type BillType,
  type CcTalkEscrowedBill,
  createCcTalkBillValidator,
} from '../../../lib/protocols/cctalk/bill-validator.js';
import type { SimReply } from '../../../lib/protocols/cctalk/simulator/index.js';
import { type Harness, createHarness, credits } from './harness.js';

const lostCount = (events: readonly DeviceEvent[]) =>
  events.reduce((n, e) => n + (e.type === 'events-lost' ? e.count : 0), 0);

/** Replace the answers to `header` (for bill type `billType` when given); counts the requests. */
function fault(
  h: Harness,
  header: number,
  billType: number | undefined,
  reply: (n: number) => SimReply | undefined,
) {
  const seen = { requests: 0 };
  h.sim.override((c) => {
    if (c.header !== header || (billType !== undefined && c.data[0] !== billType)) return undefined;
    seen.requests += 1;
    return reply(seen.requests);
  });
  return seen;
}

function start(
  h: Harness,
  options: { escrow?: boolean; onEscrow?: (b: CcTalkEscrowedBill) => 'stack' | 'return' } = {},
) {
  const bv = createCcTalkBillValidator(h.bus, { scheduler: h.scheduler, ...options });
  const out = { ...h.collect(bv), table: [] as readonly BillType[], first: [] as readonly BillType[] };
  bv.bills$.subscribe((t) => {
    if (out.first.length === 0) out.first = t;
    out.table = t;
  });
  return { bv, out };
}

describe('ccTalk bill validator: bill types that cannot be read', function () {
  this.timeout(10_000);

  it('a bill id lost at connect is unread, not blank; a bill of that type has it read again and is credited', () => {
    const h = createHarness({ coin: false, bill: {} });
    // Type 3 (EU0020A) is lost for the whole connect (3 requests × 4 sends), answered from then on.
    const seen = fault(h, 157, 3, (n) => (n <= 12 ? { kind: 'silent' } : undefined));
    const { bv, out } = start(h);
    h.at(6_000, () => h.sim.insertBill(3));
    h.runUntil(8_000);
    bv.dispose();

    expect(out.first[2]).to.deep.equal({ billType: 3, id: '', unread: true });
    expect(out.first[7]).to.deep.equal({ billType: 8, id: '.......' });
    expect(out.errors.some((e) => e.message.includes('bill type 3 could not be read'))).to.equal(true);
    expect(seen.requests).to.equal(13);
    expect(out.table[2]?.money).to.deep.equal({ amount: 2000, currency: 'EUR' });
    expect(credits(out.events)).to.deep.equal([2000]);
    expect(lostCount(out.events)).to.equal(0);
  });

  it('a bill stacked at a type that stays unreadable is reported as events-lost with a diagnostic, never silently', () => {
    const h = createHarness({ coin: false, bill: {} });
    const seen = fault(h, 157, 3, () => ({ kind: 'nak' }));
    const { bv, out } = start(h);
    h.at(2_000, () => h.sim.insertBill(3));
    h.at(3_000, () => h.sim.insertBill(1));
    h.runUntil(4_000);
    bv.dispose();

    expect(h.sim.stats.accepted).to.equal(2);
    expect(credits(out.events)).to.deep.equal([500]);
    expect(lostCount(out.events)).to.equal(1);
    const report = out.errors.find((e) => 'kind' in e && e.kind === 'events-lost');
    expect(report).to.have.nested.property('info.billType', 3);
    expect(report?.message).to.include('value is unknown');
    expect(seen.requests, '3 at connect, 3 for the bill').to.equal(6);
  });

  it('a scaling factor lost at connect leaves its country unread; the bill reads it again and is credited', () => {
    const h = createHarness({ coin: false, bill: {} });
    const seen = fault(h, 156, undefined, (n) => (n <= 12 ? { kind: 'silent' } : undefined));
    const { bv, out } = start(h);
    h.at(6_000, () => h.sim.insertBill(2));
    h.runUntil(8_000);
    bv.dispose();

    expect(out.first[1]).to.deep.equal({ billType: 2, id: 'EU0010A', unread: true });
    expect(seen.requests).to.equal(13);
    expect(credits(out.events)).to.deep.equal([1000]);
  });

  it('an escrowed bill of an unread type is offered with its value once read again', () => {
    const h = createHarness({ coin: false, bill: {} });
    fault(h, 157, 5, (n) => (n <= 12 ? { kind: 'silent' } : undefined));
    const offered: CcTalkEscrowedBill[] = [];
    const { bv, out } = start(h, {
      escrow: true,
      onEscrow: (b) => {
        offered.push(b);
        return 'stack';
      },
    });
    h.at(6_000, () => h.sim.insertBill(5));
    h.runUntil(8_000);
    bv.dispose();
    expect(offered).to.deep.equal([
      { billType: 5, id: 'EU0100A', money: { amount: 10000, currency: 'EUR' } },
    ]);
    expect(credits(out.events)).to.deep.equal([10000]);
  });

  it('a type that answers "not programmed" is handled as before: one answer, no re-read, a decode error', () => {
    const h = createHarness({ coin: false, bill: {} });
    // The unit stacks type 4 bills but says the type is empty.
    const seen = fault(h, 157, 4, () => ({ kind: 'data', data: fromAscii('.......') }));
    const { bv, out } = start(h);
    h.at(2_000, () => h.sim.insertBill(4));
    h.runUntil(3_000);
    bv.dispose();
    expect(out.table[3]).to.deep.equal({ billType: 4, id: '.......' });
    expect(seen.requests).to.equal(1);
    expect(credits(out.events)).to.deep.equal([]);
    expect(lostCount(out.events)).to.equal(0);
    expect(out.errors.map((e) => e.message)).to.deep.equal(['Bill type 4 stacked with no known value.']);
  });
});
