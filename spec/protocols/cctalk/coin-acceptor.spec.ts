import { expect } from 'chai';
import type { DeviceState } from '../../../lib/core/events.js';
import { InvalidArgumentError } from '../../../lib/core/errors.js';
import { type CoinSlot, createCcTalkCoinAcceptor } from '../../../lib/protocols/cctalk/coin-acceptor.js';
import { createHarness, credits } from './harness.js';

describe('ccTalk coin acceptor over the simulator', () => {
  it('connects, reads the euro coin table, enables and credits each coin once', () => {
    const h = createHarness();
    const acceptor = createCcTalkCoinAcceptor(h.bus, { scheduler: h.scheduler });
    const { events } = h.collect(acceptor);
    const states: DeviceState[] = [];
    acceptor.state$.subscribe((s) => states.push(s));
    let coins: readonly CoinSlot[] = [];
    acceptor.coins$.subscribe((c) => (coins = c));
    const intervals: number[] = [];
    acceptor.pollIntervalMs$.subscribe((i) => intervals.push(i));

    h.at(1000, () => h.sim.insertCoin(8));
    h.at(1500, () => h.sim.insertCoin(1));
    h.at(1510, () => h.sim.insertCoin(6));
    h.runUntil(3000);

    expect(states.map((s) => s.status)).to.deep.equal(['connecting', 'enabled']);
    expect(coins.slice(0, 8).map((c) => c.money?.amount)).to.deep.equal([1, 2, 5, 10, 20, 50, 100, 200]);
    expect(coins[8]).to.deep.equal({ position: 9, id: '......' });
    // 249 answered [2, 20]: 20 × 10 ms.
    expect(intervals).to.deep.equal([200]);
    expect(credits(events)).to.deep.equal([200, 1, 50]);
    expect(events.find((e) => e.type === 'credit')).to.deep.include({ kind: 'coin', channel: 8 });
    expect(h.sim.stats).to.include({ inserted: 3, accepted: 3, rejected: 0 });
    acceptor.dispose();
  });

  it('follows the counter across the wrap 255 → 1 without losing or repeating a credit', () => {
    const h = createHarness();
    h.sim.setCoinCounter(253);
    const acceptor = createCcTalkCoinAcceptor(h.bus, { scheduler: h.scheduler });
    const { events, errors } = h.collect(acceptor);
    for (let i = 0; i < 5; i++) h.at(1000 + i * 300, () => h.sim.insertCoin(7));
    h.runUntil(3500);
    expect(credits(events)).to.deep.equal([100, 100, 100, 100, 100]);
    expect(errors).to.deep.equal([]);
    acceptor.dispose();
  });

  it('reports a gap of more than 5 events as events-lost with the count, and still credits the 5 held', () => {
    const h = createHarness();
    const acceptor = createCcTalkCoinAcceptor(h.bus, { scheduler: h.scheduler });
    const { events, errors } = h.collect(acceptor);
    let remove: () => void = () => undefined;
    // The 229 replies are lost on the line for a while (the acceptor is still polled).
    h.at(900, () => {
      remove = h.sim.override((ctx) => (ctx.header === 229 ? { kind: 'silent' } : undefined));
    });
    for (let i = 0; i < 7; i++) h.at(1000 + i * 10, () => h.sim.insertCoin(i + 1));
    h.at(1400, () => remove());
    h.runUntil(3000);
    expect(events.filter((e) => e.type === 'events-lost')).to.deep.equal([
      { type: 'events-lost', device: { protocol: 'cctalk', address: 2 }, count: 2 },
    ]);
    // The two oldest (1 and 2 cents) are gone; the five newest arrive oldest first.
    expect(credits(events)).to.deep.equal([5, 10, 20, 50, 100]);
    const lost = errors.filter((e) => 'kind' in e && e.kind === 'events-lost');
    expect(lost).to.have.length(1);
    expect(lost[0]).to.have.nested.property('info.lost', 2);
    acceptor.dispose();
  });

  it('after a power cycle re-applies inhibits and master enable and credits nothing again', () => {
    const h = createHarness();
    const acceptor = createCcTalkCoinAcceptor(h.bus, { scheduler: h.scheduler });
    const { events } = h.collect(acceptor);
    h.at(1000, () => h.sim.insertCoin(8));
    h.at(1500, () => h.sim.powerCycle());
    h.at(2500, () => h.sim.insertCoin(7));
    h.runUntil(3500);
    expect(events.filter((e) => e.type === 'device-reset')).to.have.length(1);
    expect(credits(events)).to.deep.equal([200, 100]);
    expect(h.sim.stats).to.include({ accepted: 2, rejected: 0, resets: 1 });
  });

  it('reset() restarts the acceptor: nothing is credited again and acceptance resumes', () => {
    const h = createHarness();
    const acceptor = createCcTalkCoinAcceptor(h.bus, { scheduler: h.scheduler });
    const { events } = h.collect(acceptor);
    h.at(1000, () => h.sim.insertCoin(4));
    h.at(1500, () => acceptor.reset().subscribe());
    h.at(2500, () => h.sim.insertCoin(5));
    h.runUntil(3500);
    expect(events.filter((e) => e.type === 'device-reset')).to.have.length(1);
    expect(credits(events)).to.deep.equal([10, 20]);
  });

  it('keeps trying to connect while the acceptor is silent, reporting each failure', () => {
    const h = createHarness({ coin: false });
    const acceptor = createCcTalkCoinAcceptor(h.bus, { scheduler: h.scheduler });
    const { errors } = h.collect(acceptor);
    const states: DeviceState[] = [];
    acceptor.state$.subscribe((s) => states.push(s));
    h.runUntil(5000);
    expect(states.slice(0, 3)).to.deep.equal([
      { status: 'connecting', attempt: 1 },
      { status: 'connecting', attempt: 2 },
      { status: 'connecting', attempt: 3 },
    ]);
    expect(errors[0]).to.have.property('code', 'COMMAND_TIMEOUT');
    acceptor.dispose();
    expect(states[states.length - 1]).to.deep.equal({ status: 'disposed' });
  });

  it('goes to the error state, without retrying, when the line is cut', () => {
    const h = createHarness();
    const acceptor = createCcTalkCoinAcceptor(h.bus, { scheduler: h.scheduler });
    const states: DeviceState[] = [];
    acceptor.state$.subscribe((s) => states.push(s));
    h.at(1000, () => h.host.breakLine());
    h.runUntil(5000);
    expect(states.map((s) => s.status)).to.deep.equal(['connecting', 'enabled', 'error']);
    const written = h.host.written.length;
    h.runUntil(10_000);
    expect(h.host.written.length).to.equal(written);
  });

  it('reports rejects and jams as normalized and raw events', () => {
    const h = createHarness();
    const acceptor = createCcTalkCoinAcceptor(h.bus, { scheduler: h.scheduler, inhibitMask: 0x00ff & ~0x80 });
    const { events } = h.collect(acceptor);
    h.at(1000, () => h.sim.reject());
    h.at(1300, () => h.sim.insertCoin(8)); // inhibited by the mask
    h.at(1600, () => h.sim.jam());
    h.runUntil(2500);
    const cash = events.filter((e) => e.type !== 'raw');
    expect(cash.map((e) => e.type)).to.deep.equal(['rejected', 'rejected', 'jam']);
    expect(cash[1]).to.deep.include({ reason: 'inhibited coin' });
    const raw = events.filter((e) => e.type === 'raw' && e.name === 'coin-event');
    expect(raw.map((e) => (e.type === 'raw' ? e.data['code'] : undefined))).to.deep.equal([1, 2, 14]);
  });

  it('the simulated acceptor stops accepting when it is not polled for a second', () => {
    const h = createHarness();
    const acceptor = createCcTalkCoinAcceptor(h.bus, { scheduler: h.scheduler });
    const { events } = h.collect(acceptor);
    h.at(1000, () => acceptor.dispose());
    h.at(2500, () => h.sim.insertCoin(8));
    h.runUntil(3000);
    expect(credits(events)).to.deep.equal([]);
    expect(h.sim.stats).to.include({ inserted: 1, accepted: 0, rejected: 1 });
  });

  it('rejects an out-of-range inhibit mask with a typed error and writes nothing', () => {
    const h = createHarness({ coin: false });
    const acceptor = createCcTalkCoinAcceptor(h.bus, { scheduler: h.scheduler });
    acceptor.dispose(); // stop the connect attempts: only the bad command may write
    const before = h.host.written.length;
    let error: unknown;
    acceptor.setInhibits(0x1_0000).subscribe({ error: (e: unknown) => (error = e) });
    expect(error).to.be.instanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).info).to.deep.include({ field: 'mask' });
    expect(h.host.written.length).to.equal(before);
    expect(() => createCcTalkCoinAcceptor(h.bus, { inhibitMask: -1 })).to.throw(InvalidArgumentError);
  });
});
