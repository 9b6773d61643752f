/**
 * A pulled cable on a real serial path. socat joins two ptys reached through
 * fixed symlinks (`dev` for the host, `sim` for the unit); killing socat is
 * the cable coming out, starting it again with the same links is the cable
 * going back in. The driver opens `dev` through an opener, so it can reopen
 * the port after the loss; the simulated unit keeps its state (and a note
 * inserted meanwhile) across the outage, as a powered unit does.
 */
import { expect } from 'chai';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { type CreditEvent, isCredit } from '../../lib/core/events.js';
import { ESSP_LINE } from '../../lib/protocols/essp/context.js';
import { createEsspDevice } from '../../lib/protocols/essp/device/device.js';
import type { EsspDevice } from '../../lib/protocols/essp/device/types.js';
import { type EsspSimulator, createEsspSimulator } from '../../lib/protocols/essp/simulator/index.js';
import { type PtyCable, createPtyCable, pause, socatAvailable } from '../helpers/pty-cable.js';

describe('eSSP: cable pulled and plugged back over a real pty (socat, serialport)', function () {
  this.timeout(20_000);
  let cable: PtyCable;
  let sim: EsspSimulator | undefined;
  let device: EsspDevice | undefined;

  before(function () {
    if (!socatAvailable()) this.skip(); // the pty pair needs socat; nothing else is skipped
  });
  beforeEach(() => {
    cable = createPtyCable('cashwire-cable-', ESSP_LINE);
  });
  afterEach(async () => {
    device?.dispose();
    sim?.dispose();
    await cable.dispose();
  });

  it('reconnects (sync, key, setup) and credits the note inserted during the outage exactly once', async () => {
    await cable.plug();
    sim = createEsspSimulator(cable.unit, {
      profile: 'NV9USB',
      timing: { readMs: 100, creditMs: 50, stackMs: 100 },
    });
    device = createEsspDevice(cable.openHost, { reconnect: { initialDelayMs: 200 } });
    const credits: CreditEvent[] = [];
    const statuses: string[] = [];
    const sent: string[] = [];
    device.trace$.subscribe((t) => {
      if (t.direction === 'tx') sent.push(t.name ?? '?');
    });
    device.events$.pipe(filter(isCredit)).subscribe((c) => credits.push(c));
    device.state$.subscribe((s) => statuses.push(s.status));
    const enabled = (): Promise<unknown> =>
      firstValueFrom(
        device!.state$.pipe(
          filter((s) => s.status === 'enabled'),
          timeout(6000),
        ),
      );

    await enabled();
    expect(sim.insertNote(1)).to.equal(true);
    await firstValueFrom(device.events$.pipe(filter(isCredit), timeout(4000)));

    // Cable out: the host's port dies, the unit's side goes quiet.
    await cable.pull();
    await firstValueFrom(
      device.state$.pipe(
        filter((s) => s.status === 'recovering'),
        timeout(4000),
      ),
    );
    statuses.length = 0;
    sent.length = 0;
    expect(sim.insertNote(2)).to.equal(true);
    await pause(600);
    expect(credits).to.have.length(1); // nothing reaches the host while the cable is out

    // Cable back in, same links.
    await cable.plug();
    await enabled();
    for (let waited = 0; credits.length < 2 && waited < 4000; waited += 50) await pause(50);
    await pause(500); // more polls: a repeated event must not credit again

    // Failed reopens while the links were gone, then a full handshake on the new port.
    expect(statuses[statuses.length - 1]).to.equal('enabled');
    const handshake = [
      'SYNC',
      'SET_GENERATOR',
      'SET_MODULUS',
      'REQUEST_KEY_EXCHANGE',
      'SETUP_REQUEST',
      'ENABLE',
    ];
    // The port may reopen before the unit's side is plugged back: SYNC then goes unanswered and is
    // sent again until the unit hears it. Repeats aside, the handshake runs once, in order.
    const inHandshake = sent.filter((n) => handshake.includes(n));
    const withoutRepeats = inHandshake.filter((n, i) => i === 0 || inHandshake[i - 1] !== n);
    expect(withoutRepeats.slice(0, handshake.length)).to.deep.equal(handshake);
    expect(sim.stats).to.include({ inserted: 2 });
    const total = credits.reduce((sum, c) => sum + c.money.amount, 0);
    expect(total).to.equal(sim.stats.creditedValue);
    expect(credits.map((c) => c.money.amount)).to.deep.equal(sim.profile.channels.slice(0, 2));
  });
});
