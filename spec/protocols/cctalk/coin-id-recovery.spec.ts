/**
 * A coin id (184) that cannot be read is an unknown value, never an empty
 * position: every coin the unit takes ends as one credit with its value, or
 * as a counted report. The per-item soak found seed 2 losing 618 coins of
 * position 7 (1 EUR) after its id read was lost at connect.
 */
import { expect } from 'chai';
import { runSoak } from '../../../bench/soak/run.js';
import { fromAscii } from '../../../lib/core/bytes.js';
import type { DeviceEvent } from '../../../lib/core/events.js';
import {
  COIN_ID_RETRY_MS,
  type CoinSlot,
  createCcTalkCoinAcceptor,
} from '../../../lib/protocols/cctalk/coin-acceptor.js';
import type { SimReply } from '../../../lib/protocols/cctalk/simulator/index.js';
import { type Harness, createHarness, credits } from './harness.js';

const lostCount = (events: readonly DeviceEvent[]) =>
  events.reduce((n, e) => n + (e.type === 'events-lost' ? e.count : 0), 0);
const messages = (errors: readonly { message: string }[]) => errors.map((e) => e.message);

/** Answer 184 for `position` with `reply` while `on()` says so; counts the requests it sees. */
function idFault(h: Harness, position: number, reply: (n: number) => SimReply | undefined) {
  const seen = { requests: 0 };
  const remove = h.sim.override((c) => {
    if (c.header !== 184 || c.data[0] !== position) return undefined;
    seen.requests += 1;
    return reply(seen.requests);
  });
  return { seen, remove };
}

/** Latest coin table and the inhibit masks the unit was sent (231). */
function watch(h: Harness, acceptor: ReturnType<typeof createCcTalkCoinAcceptor>) {
  const w = { table: [] as readonly CoinSlot[], masks: [] as number[] };
  acceptor.coins$.subscribe((t) => (w.table = t));
  h.sim.override((c) => {
    if (c.header === 231) w.masks.push(c.data[0]! | (c.data[1]! << 8));
    return undefined;
  });
  return w;
}

/** Insert a coin `delayMs` after the acceptor first reports 'enabled'. */
function afterEnabled(h: Harness, acceptor: { state$: import('rxjs').Observable<{ status: string }> }) {
  return (delayMs: number, work: () => void): void => {
    let done = false;
    acceptor.state$.subscribe((s) => {
      if (s.status !== 'enabled' || done) return;
      done = true;
      h.at(h.scheduler.now() + delayMs, work);
    });
  };
}

const P7 = 1 << 6;

describe('ccTalk coin acceptor: coin ids that cannot be read', function () {
  this.timeout(20_000);

  it('an id read lost at connect leaves the value unknown (not empty), inhibits the position, and the id read later credits the coin with its value', () => {
    const h = createHarness();
    const fault = idFault(h, 7, () => ({ kind: 'silent' }));
    const acceptor = createCcTalkCoinAcceptor(h.bus, { scheduler: h.scheduler });
    const w = watch(h, acceptor);
    const { events, errors } = h.collect(acceptor);
    let atConnect: readonly CoinSlot[] = [];
    h.at(4_000, () => {
      atConnect = w.table;
      // While unread, a coin of position 7 is returned by the unit, not taken at an unknown value.
      h.sim.insertCoin(7);
    });
    h.at(4_100, fault.remove);
    h.at(9_000, () => h.sim.insertCoin(7));
    h.runUntil(10_000);
    acceptor.dispose();

    expect(atConnect[6]).to.deep.equal({ position: 7, id: '', unread: true });
    expect(atConnect[8]).to.deep.equal({ position: 9, id: '......' });
    // Three requests (each resent by the bus) could not give two agreeing answers.
    expect(fault.seen.requests).to.equal(3 * 4);
    expect(messages(errors).filter((m) => m.includes('position 7 could not be read'))).to.have.length(1);
    expect(w.masks).to.deep.equal([0xffff & ~P7, 0xffff]);
    expect(w.table[6]).to.deep.include({ position: 7, id: 'EU100A' });
    expect(w.table[6]?.money).to.deep.equal({ amount: 100, currency: 'EUR' });
    expect(h.sim.stats).to.include({ inserted: 2, accepted: 1, rejected: 1 });
    expect(credits(events)).to.deep.equal([100]);
    expect(events.filter((e) => e.type === 'raw' && e.name === 'coin-id')).to.have.length(1);
    expect(lostCount(events)).to.equal(0);
  });

  it('a coin taken at a position whose id is unread has the id read again at once and is credited with its value', () => {
    const h = createHarness();
    // Lost for the whole connect (3 requests × 4 sends), answered from then on.
    const fault = idFault(h, 7, (n) => (n <= 12 ? { kind: 'silent' } : undefined));
    const acceptor = createCcTalkCoinAcceptor(h.bus, {
      scheduler: h.scheduler,
      inhibitUnreadPositions: false,
    });
    const w = watch(h, acceptor);
    const { events, errors } = h.collect(acceptor);
    // Before the first background read (1 s after the table was read).
    afterEnabled(h, acceptor)(200, () => h.sim.insertCoin(7));
    h.runUntil(8_000);
    acceptor.dispose();

    expect(w.masks).to.deep.equal([0xffff]);
    expect(h.sim.stats.accepted).to.equal(1);
    expect(credits(events)).to.deep.equal([100]);
    expect(events.find((e) => e.type === 'credit')).to.deep.include({ channel: 7 });
    expect(fault.seen.requests, 'one read for the coin').to.equal(12 + 1);
    expect(lostCount(events)).to.equal(0);
    expect(messages(errors).some((m) => m.includes('could not be read, even when'))).to.equal(false);
  });

  it('a coin taken at a position whose id stays unreadable is reported as events-lost with a diagnostic, never silently', () => {
    const h = createHarness();
    const fault = idFault(h, 7, () => ({ kind: 'nak' }));
    const acceptor = createCcTalkCoinAcceptor(h.bus, {
      scheduler: h.scheduler,
      inhibitUnreadPositions: false,
    });
    const { events, errors } = h.collect(acceptor);
    afterEnabled(h, acceptor)(200, () => h.sim.insertCoin(7));
    afterEnabled(h, acceptor)(500, () => h.sim.insertCoin(8));
    h.runUntil(3_000);
    acceptor.dispose();

    expect(h.sim.stats.accepted).to.equal(2);
    expect(credits(events)).to.deep.equal([200]);
    expect(events.filter((e) => e.type === 'events-lost')).to.deep.equal([
      { type: 'events-lost', device: { protocol: 'cctalk', address: 2 }, count: 1 },
    ]);
    const report = errors.find((e) => 'kind' in e && e.kind === 'events-lost');
    expect(report).to.have.nested.property('info.position', 7);
    expect(report?.message).to.include('value is unknown');
    // NAK refuses the read; it does not say "not programmed". 3 requests at connect, 3 for the
    // coin, 1 background probe (a probe stops at its first failure).
    expect(fault.seen.requests).to.equal(7);
    const raw = events.filter((e) => e.type === 'raw' && e.name === 'coin-credit');
    expect(raw).to.have.length(2);
  });

  it('keeps an unreadable position inhibited and reads it again with a bounded back-off', () => {
    const h = createHarness();
    const fault = idFault(h, 7, () => ({ kind: 'silent' }));
    const acceptor = createCcTalkCoinAcceptor(h.bus, { scheduler: h.scheduler });
    const w = watch(h, acceptor);
    const { events } = h.collect(acceptor);
    const at: number[] = [];
    h.sim.override((c) => {
      if (c.header === 184 && c.data[0] === 7) at.push(h.scheduler.now());
      return undefined;
    });
    h.at(100_000, () => h.sim.insertCoin(7));
    h.runUntil(200_000);
    acceptor.dispose();

    expect(w.masks).to.deep.equal([0xffff & ~P7]);
    expect(h.sim.stats).to.include({ accepted: 0, rejected: 1 });
    expect(events.filter((e) => e.type === 'rejected')).to.have.length(1);
    // Connect: 12 sends. Then one probe (4 sends, no more) per back-off step: 1, 2, 4 … 60 s.
    const probes = (fault.seen.requests - 12) / 4;
    expect(Number.isInteger(probes)).to.equal(true);
    const starts = at.slice(12).filter((_, i) => i % 4 === 0);
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    // Doubling, give or take the poll it waits for (200 ms), until it stays at the cap.
    expect(
      gaps.every((g, i) => i === 0 || g >= gaps[i - 1]! - 250),
      gaps.join(', '),
    ).to.equal(true);
    expect(gaps[1]! - gaps[0]!).to.be.within(1_500, 2_500);
    expect(Math.max(...gaps)).to.be.at.most(COIN_ID_RETRY_MS.max + 2_000);
    expect(probes).to.be.within(6, 9);
  });

  it('a position that answers "not programmed" is still handled as before: no re-read, no inhibit, a decode error per coin', () => {
    for (const blank of ['......', '\0\0\0\0\0\0']) {
      const h = createHarness();
      // The unit takes 1 EUR coins at position 7 but says the position is empty.
      const fault = idFault(h, 7, () => ({ kind: 'data', data: fromAscii(blank) }));
      const acceptor = createCcTalkCoinAcceptor(h.bus, { scheduler: h.scheduler });
      const w = watch(h, acceptor);
      const { events, errors } = h.collect(acceptor);
      afterEnabled(h, acceptor)(200, () => h.sim.insertCoin(7));
      h.runUntil(5_000);
      acceptor.dispose();

      expect(w.table[6]).to.deep.equal({ position: 7, id: blank });
      expect(w.masks).to.deep.equal([0xffff]);
      expect(fault.seen.requests, 'one answer, then never again').to.equal(1);
      expect(credits(events)).to.deep.equal([]);
      expect(lostCount(events)).to.equal(0);
      expect(errors.filter((e) => 'kind' in e && e.kind === 'decode')).to.have.length(1);
      expect(messages(errors)[0]).to.include('has no known value');
    }
  });

  it('reads a malformed answer again (a damaged reply that passed the checksum) and takes the next well-formed one', () => {
    const h = createHarness();
    // '1' one higher and '0' one lower: the 8-bit checksum still matches.
    const answers = ['EU2/0A', 'EU100A'];
    const fault = idFault(h, 7, (n) => ({ kind: 'data', data: fromAscii(answers[n - 1] ?? 'EU100A') }));
    const acceptor = createCcTalkCoinAcceptor(h.bus, { scheduler: h.scheduler });
    const w = watch(h, acceptor);
    const { events } = h.collect(acceptor);
    afterEnabled(h, acceptor)(200, () => h.sim.insertCoin(7));
    h.runUntil(3_000);
    acceptor.dispose();

    expect(fault.seen.requests).to.equal(2);
    expect(w.table[6]?.money).to.deep.equal({ amount: 100, currency: 'EUR' });
    expect(credits(events)).to.deep.equal([100]);
  });

  it('takes an id it cannot value once two answers agree, and malformed answers that never agree leave it unread', () => {
    const steady = createHarness();
    idFault(steady, 7, () => ({ kind: 'data', data: fromAscii('XX100A') }));
    const a = createCcTalkCoinAcceptor(steady.bus, { scheduler: steady.scheduler });
    const wa = watch(steady, a);
    steady.runUntil(1_000);
    a.dispose();
    expect(wa.table[6]).to.deep.equal({ position: 7, id: 'XX100A' });

    const noisy = createHarness();
    const garbage = ['EU2/0A', 'EU1/0B', 'FU0/0A'];
    idFault(noisy, 7, (n) => ({ kind: 'data', data: fromAscii(garbage[(n - 1) % 3]!) }));
    const b = createCcTalkCoinAcceptor(noisy.bus, { scheduler: noisy.scheduler });
    const wb = watch(noisy, b);
    noisy.runUntil(1_000);
    b.dispose();
    expect(wb.table[6]).to.deep.equal({ position: 7, id: '', unread: true });
  });

  it('an id read cut by a lost line is not taken as unread: the connect starts over and reads it', () => {
    const h = createHarness();
    let cut = false;
    h.sim.override((c) => {
      if (c.header === 184 && c.data[0] === 7 && !cut) {
        cut = true;
        h.host.breakLine();
      }
      return undefined;
    });
    const acceptor = createCcTalkCoinAcceptor(h.bus, { scheduler: h.scheduler });
    const w = watch(h, acceptor);
    const { errors } = h.collect(acceptor);
    h.runUntil(2_000);
    acceptor.dispose();
    expect(cut).to.equal(true);
    // Never published with position 7 unread or blank: the line loss ended the device instead.
    expect(w.table).to.deep.equal([]);
    expect(messages(errors).some((m) => m.includes('could not be read'))).to.equal(false);
  });

  // Both found by the per-item soak (first recorded as skipped soak tests).
  it('a coin id read lost at connect does not turn every later coin of that position into a silent loss', () => {
    const h = createHarness();
    // Position 7 (EU100A, 1 EUR) does not answer its id read while the driver connects.
    const remove = h.sim.override((c) =>
      c.header === 184 && c.data[0] === 7 ? { kind: 'silent' } : undefined,
    );
    const acceptor = createCcTalkCoinAcceptor(h.bus, { scheduler: h.scheduler });
    const { events } = h.collect(acceptor);
    h.at(4_000, remove);
    for (let i = 0; i < 3; i++) h.at(6_000 + i * 1_000, () => h.sim.insertCoin(7));
    h.runUntil(15_000);
    acceptor.dispose();
    expect(h.sim.stats.accepted, 'coins the unit took').to.equal(3);
    const credited = events.filter((e) => e.type === 'credit').length;
    // Either the id is read again and the coins are credited, or the position is inhibited
    // (the unit then rejects them); a coin taken in must never be left uncounted.
    expect(credited + lostCount(events), 'credited or reported lost').to.equal(h.sim.stats.accepted);
  });

  it('soak, seed 2, 5 000 coins: nothing lost, nothing doubled (before the fix 618 coins of 1 EUR were never credited)', () => {
    const r = runSoak({ protocol: 'cctalk', count: 5000, seed: 2 });
    expect(r.lost, r.problems.join('\n')).to.equal(0);
    expect(r.doubled).to.equal(0);
  });
});
