/**
 * A pulled cable on a real serial path, for the Pyramid driver. socat joins
 * two ptys reached through fixed symlinks (`dev` for the host, `sim` for the
 * acceptor); killing socat is the cable coming out (the host's port dies and
 * its path vanishes), starting it again with the same links is the cable going
 * back in. The driver opens `dev` through an opener, so it reopens the port
 * with back-off; the simulated acceptor stays powered across the outage and
 * stacks a note inserted meanwhile, whose credit must arrive exactly once.
 */
import { expect } from 'chai';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { type CreditEvent, type DeviceEvent, isCredit } from '../../lib/core/events.js';
import { createPyramidDevice } from '../../lib/protocols/pyramid/device.js';
import type { PyramidDevice } from '../../lib/protocols/pyramid/device-types.js';
import { PYRAMID_LINE } from '../../lib/protocols/pyramid/framing.js';
import { createPyramidSimulator } from '../../lib/protocols/pyramid/simulator/simulator.js';
import type { PyramidSimulator } from '../../lib/protocols/pyramid/simulator/types.js';
import { type PtyCable, createPtyCable, pause, socatAvailable } from '../helpers/pty-cable.js';

describe('Pyramid: cable pulled and plugged back over a real pty (socat, serialport)', function () {
  this.timeout(15_000);
  let cable: PtyCable;
  let sim: PyramidSimulator | undefined;
  let device: PyramidDevice | undefined;

  before(function () {
    if (!socatAvailable()) this.skip(); // the pty pair needs socat; nothing else is skipped
  });
  beforeEach(() => {
    cable = createPtyCable('cashwire-pyramid-cable-', PYRAMID_LINE);
  });
  afterEach(async () => {
    device?.dispose();
    sim?.dispose();
    await cable.dispose();
  });

  it('reopens the port, says so, and credits the note stacked during the outage exactly once', async () => {
    await cable.plug();
    sim = createPyramidSimulator(cable.unit, {
      timing: { powerUpMs: 100, readMs: 150, stackMs: 150, busyMs: 50 },
    });
    device = createPyramidDevice(cable.openHost, { reconnect: { initialDelayMs: 100, maxDelayMs: 400 } });
    const credits: CreditEvent[] = [];
    const events: DeviceEvent[] = [];
    device.events$.subscribe((e) => events.push(e));
    device.events$.pipe(filter(isCredit)).subscribe((c) => credits.push(c));
    const enabled = (): Promise<unknown> =>
      firstValueFrom(
        device!.state$.pipe(
          filter((s) => s.status === 'enabled'),
          timeout(5000),
        ),
      );

    await enabled();
    expect(sim.insertBill(1)).to.equal(true);
    await firstValueFrom(device.events$.pipe(filter(isCredit), timeout(3000)));
    await pause(300); // the next polls acknowledge the Stacked event: the unit takes new notes again

    // Cable out: the host's port dies and its path vanishes; the acceptor hears nothing.
    await cable.pull();
    await firstValueFrom(
      device.state$.pipe(
        filter((s) => s.status === 'recovering'),
        timeout(3000),
      ),
    );
    await pause(200); // the acceptor has seen the last poll (its ack and reply stay with it)
    expect(sim.insertBill(3)).to.equal(true);
    await pause(600); // read and stacked with nobody listening
    expect(sim.stats).to.include({ inserted: 2, accepted: 2 });
    expect(credits).to.have.length(1);

    // Cable back in, same links.
    await cable.plug();
    for (let waited = 0; credits.length < 2 && waited < 4000; waited += 50) await pause(50);
    await pause(400); // more polls: the Stacked reply must not be credited again

    expect(credits.map((c) => c.money.amount)).to.deep.equal([100, 500]);
    const names = events.flatMap((e) => (e.type === 'raw' ? [e.name] : []));
    expect(names.filter((n) => n === 'line-lost')).to.have.length(1);
    expect(names.filter((n) => n === 'line-back')).to.have.length(1);
    expect(events.filter((e) => e.type === 'events-lost')).to.deep.equal([]);
  });
});
