/**
 * A pulled cable under a ccTalk bus, on a real serial path. socat joins two
 * ptys reached through fixed symlinks (`dev` for the host, `sim` for the
 * units); killing socat is the cable coming out, starting it again with the
 * same links is the cable going back in. The bus opens `dev` through an
 * opener, so it reopens the port after the loss; the simulated coin acceptor
 * keeps its state (and a coin taken meanwhile) across the outage, as a
 * powered unit does.
 */
import { expect } from 'chai';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { type CreditEvent, type DeviceState, isCredit } from '../../lib/core/events.js';
import { CCTALK_LINE_SETTINGS, type CcTalkBus, createCcTalkBus } from '../../lib/protocols/cctalk/bus.js';
import {
  type CcTalkCoinAcceptor,
  createCcTalkCoinAcceptor,
} from '../../lib/protocols/cctalk/coin-acceptor.js';
import { type CcTalkSimulator, createCcTalkSimulator } from '../../lib/protocols/cctalk/simulator/index.js';
import { type PtyCable, createPtyCable, pause, socatAvailable } from '../helpers/pty-cable.js';

describe('ccTalk: cable pulled and plugged back over a real pty (socat, serialport)', function () {
  this.timeout(20_000);
  let cable: PtyCable;
  let sim: CcTalkSimulator | undefined;
  let bus: CcTalkBus | undefined;
  let acceptor: CcTalkCoinAcceptor | undefined;

  before(function () {
    if (!socatAvailable()) this.skip();
  });
  beforeEach(() => {
    cable = createPtyCable('cashwire-cctalk-cable-', CCTALK_LINE_SETTINGS);
  });
  afterEach(async () => {
    acceptor?.dispose();
    bus?.dispose();
    sim?.dispose();
    await cable.dispose();
  });

  it('reopens the port, re-syncs the acceptor and credits the coin taken during the outage exactly once', async () => {
    await cable.plug();
    // A generous poll watchdog: the coin dropped during the outage is taken even on a slow machine.
    sim = createCcTalkSimulator(cable.unit, { echo: true, coin: { pollWatchdogMs: 10_000 } });
    bus = createCcTalkBus(cable.openHost, { reconnect: { initialDelayMs: 100, maxDelayMs: 400 } });
    const lines: string[] = [];
    bus.line$.subscribe((s) => lines.push(s.status));
    acceptor = createCcTalkCoinAcceptor(bus);
    const credits: CreditEvent[] = [];
    const states: DeviceState[] = [];
    const sent: string[] = [];
    acceptor.events$.pipe(filter(isCredit)).subscribe((c) => credits.push(c));
    acceptor.state$.subscribe((s) => states.push(s));
    acceptor.trace$.subscribe((t) => {
      if (t.direction === 'tx') sent.push(t.name ?? '?');
    });
    const state = (status: DeviceState['status']): Promise<unknown> =>
      firstValueFrom(
        acceptor!.state$.pipe(
          filter((s) => s.status === status),
          timeout(6000),
        ),
      );

    await state('enabled');
    expect(sim.insertCoin(7)).to.equal(true); // 1 euro
    await firstValueFrom(acceptor.events$.pipe(filter(isCredit), timeout(4000)));

    // Cable out: the host's port dies, the units' side goes quiet.
    await cable.pull();
    await state('recovering');
    expect(sim.insertCoin(8)).to.equal(true); // 2 euro, taken by the powered acceptor meanwhile
    await pause(400);
    expect(credits).to.have.length(1); // nothing reaches the host while the cable is out
    sent.length = 0;

    // Cable back in, same links.
    await cable.plug();
    await state('enabled');
    for (let waited = 0; credits.length < 2 && waited < 4000; waited += 50) await pause(50);
    await pause(500); // more polls: the same ring entry must not credit again

    expect(credits.map((c) => c.money.amount)).to.deep.equal([100, 200]);
    expect(sim.stats).to.include({ inserted: 2, accepted: 2 });
    expect(states.find((s) => s.status === 'recovering'))
      .to.have.property('reason')
      .that.match(/^line lost/);
    expect(states[states.length - 1]).to.deep.equal({ status: 'enabled' });
    expect(lines).to.include('down');
    expect(lines[lines.length - 1]).to.equal('open');
    // The re-sync on the new port: identify, read the ring, re-apply inhibits and master inhibit.
    for (const name of [
      'SIMPLE_POLL',
      'READ_BUFFERED_CREDIT_OR_ERROR_CODES',
      'MODIFY_INHIBIT_STATUS',
      'MODIFY_MASTER_INHIBIT_STATUS',
    ]) {
      expect(sent).to.include(name);
    }
  });
});
