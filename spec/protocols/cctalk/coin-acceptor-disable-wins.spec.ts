/**
 * The coin acceptor's master inhibit follows the application's last call: a
 * disable() made while a switch-on is under way (enable()'s buffer read, or
 * the settings re-applied after a restart) wins, and no 228 switching the
 * unit on goes out behind it.
 */
import { expect } from 'chai';
import { filter } from 'rxjs';
import { createCcTalkCoinAcceptor } from '../../../lib/protocols/cctalk/coin-acceptor.js';
import { createHarness, credits, switchesOn } from './harness.js';

/**
 * An acceptor whose unit notes every switch-on (`ons`), and calls disable()
 * once, when the first frame with `header` goes out after `arm()`.
 */
function disableDuring(header: number) {
  const h = createHarness();
  const acceptor = createCcTalkCoinAcceptor(h.bus, { scheduler: h.scheduler });
  const { events } = h.collect(acceptor);
  const statuses: string[] = [];
  acceptor.state$.subscribe((s) => statuses.push(s.status));
  const ons: number[] = [];
  let armed = false;
  let fired = false;
  h.sim.override((c) => {
    if (switchesOn(c)) ons.push(h.scheduler.now());
    if (armed && !fired && c.header === header) {
      fired = true;
      acceptor.disable().subscribe();
    }
    return undefined;
  });
  return { h, acceptor, events, statuses, ons, arm: () => (armed = true), fired: () => fired };
}

describe('ccTalk coin acceptor: disable() wins over a switch-on under way', () => {
  it('is not switched on by an enable() whose buffer read was under way when disable() was called', () => {
    // The disable() arrives while enable()'s 229 is on the line.
    const { h, acceptor, events, statuses, ons, arm, fired } = disableDuring(229);
    h.at(1000, () => acceptor.disable().subscribe());
    h.at(2000, () => {
      arm();
      acceptor.enable().subscribe();
    });
    h.at(4000, () => h.sim.insertCoin(1));
    h.runUntil(5000);

    expect(fired()).to.equal(true);
    expect(ons.filter((t) => t > 1000)).to.deep.equal([]);
    expect(credits(events)).to.deep.equal([]);
    expect(h.sim.stats).to.include({ inserted: 1, accepted: 0, rejected: 1 });
    expect(statuses[statuses.length - 1]).to.equal('disabled');
    acceptor.dispose();
  });

  it('is not switched on by the settings re-applied after a restart when disable() came during them', () => {
    // The disable() arrives while the restart path's inhibit mask (231) is on the line.
    const { h, acceptor, events, statuses, ons, arm, fired } = disableDuring(231);
    h.at(1000, () => h.sim.insertCoin(7));
    h.at(2000, () => {
      arm();
      h.sim.powerCycle();
    });
    h.at(4000, () => h.sim.insertCoin(7));
    h.runUntil(5000);

    expect(fired()).to.equal(true);
    expect(ons.filter((t) => t > 2000)).to.deep.equal([]);
    expect(credits(events)).to.deep.equal([100]);
    expect(h.sim.stats).to.include({ inserted: 2, accepted: 1, rejected: 1 });
    expect(statuses[statuses.length - 1]).to.equal('disabled');
    acceptor.dispose();
  });
});

describe('ccTalk coin acceptor: an enable() whose switch-on failed', () => {
  it('is switched on by the next master inhibit check once the unit answers again', () => {
    const h = createHarness();
    const acceptor = createCcTalkCoinAcceptor(h.bus, { scheduler: h.scheduler, enabled: false });
    const { events } = h.collect(acceptor);
    const statuses: string[] = [];
    acceptor.state$.subscribe((s) => statuses.push(s.status));
    let deaf = false;
    // The unit ignores every 228 for a while: enable()'s switch-on fails after the bus's resends.
    h.sim.override((c) => (deaf && c.header === 228 ? { kind: 'silent' } : undefined));
    const failures: unknown[] = [];
    h.at(1000, () => {
      deaf = true;
      acceptor.enable().subscribe({ error: (e: unknown) => failures.push(e) });
    });
    h.at(2000, () => (deaf = false));
    h.at(3500, () => h.sim.insertCoin(8));
    h.runUntil(4500);

    expect(failures).to.have.length(1);
    expect(credits(events)).to.deep.equal([200]);
    expect(h.sim.stats).to.include({ inserted: 1, accepted: 1, rejected: 0 });
    expect(statuses[statuses.length - 1]).to.equal('enabled');
    acceptor.dispose();
  });
});

describe("ccTalk coin acceptor: switched on behind the driver's back while disabled", () => {
  it('is switched off again by the periodic master inhibit check', () => {
    const h = createHarness();
    const acceptor = createCcTalkCoinAcceptor(h.bus, { scheduler: h.scheduler });
    const { events } = h.collect(acceptor);
    const raws: string[] = [];
    acceptor.events$.subscribe((e) => {
      if (e.type === 'raw') raws.push(e.name);
    });
    const address = h.sim.addresses.coin!;
    h.at(1000, () => h.sim.insertCoin(1));
    h.at(2000, () => acceptor.disable().subscribe());
    // A frame the unit took as "master inhibit off" (a damaged one, or a disable() that never got there).
    h.at(3000, () => h.bus.request(address, 'MODIFY_MASTER_INHIBIT_STATUS', { accepting: true }).subscribe());
    h.at(20_000, () => h.sim.insertCoin(1));
    h.runUntil(21_000);

    expect(raws).to.include('accepting-unexpectedly');
    expect(credits(events)).to.deep.equal([1]);
    expect(h.sim.stats).to.include({ inserted: 2, accepted: 1, rejected: 1 });
    acceptor.dispose();
  });
});

describe('ccTalk coin acceptor: a disable() whose 228 never reached the unit', () => {
  it('is carried out by the next polls once the line is back, long before the periodic check', () => {
    // While the line is bad, every 228 from the host is lost on the way (header: 4th byte).
    let dropping = false;
    const h = createHarness({}, {}, (device) => ({
      ...device,
      data$: device.data$.pipe(filter((f) => !(dropping && f[3] === 228))),
    }));
    const acceptor = createCcTalkCoinAcceptor(h.bus, { scheduler: h.scheduler });
    const { events } = h.collect(acceptor);
    const raws = (): string[] => events.flatMap((e) => (e.type === 'raw' ? [e.name] : []));
    const failures: unknown[] = [];
    h.at(500, () => h.sim.insertCoin(1));
    h.at(1000, () => {
      dropping = true;
      acceptor.disable().subscribe({ error: (e: unknown) => failures.push(e) });
    });
    // The unit still takes coins meanwhile; the first attempt to switch it off again (a master
    // inhibit check right after the failure, resent for 1.2 s) is lost too.
    h.at(4000, () => (dropping = false));
    h.at(5000, () => h.sim.insertCoin(1));
    h.runUntil(6000);

    expect(failures).to.have.length(1);
    expect(raws()).to.include('accepting-unexpectedly');
    expect(credits(events)).to.deep.equal([1]);
    expect(h.sim.stats).to.include({ inserted: 2, accepted: 1, rejected: 1 });
    acceptor.dispose();
  });
});
