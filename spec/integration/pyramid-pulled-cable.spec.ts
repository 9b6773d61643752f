/**
 * A pulled cable on a real serial path, for the Pyramid driver. socat joins
 * two ptys reached through fixed symlinks (`dev` for the host, `sim` for the
 * acceptor); killing socat is the cable coming out (the host's port dies and
 * its path vanishes), starting it again with the same links is the cable going
 * back in. The driver opens `dev` through an opener, so it reopens the port
 * with back-off; the simulated acceptor stays powered across the outage and
 * stacks a note inserted meanwhile, whose credit must arrive exactly once.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Subject, type Subscription, defer, filter, firstValueFrom, lastValueFrom, timeout } from 'rxjs';
import { type CreditEvent, type DeviceEvent, isCredit } from '../../lib/core/events.js';
import { createPyramidDevice } from '../../lib/protocols/pyramid/device.js';
import type { PyramidDevice } from '../../lib/protocols/pyramid/device-types.js';
import { PYRAMID_LINE } from '../../lib/protocols/pyramid/framing.js';
import { createPyramidSimulator } from '../../lib/protocols/pyramid/simulator/simulator.js';
import type { PyramidSimulator } from '../../lib/protocols/pyramid/simulator/types.js';
import { openSerialTransport } from '../../lib/transport/serialport.js';
import type { Transport } from '../../lib/transport/transport.js';

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const hasSocat = (): boolean => spawnSync('socat', ['-V'], { stdio: 'ignore' }).error === undefined;

/** socat with both pty ends at fixed symlinks; resolves once both exist. */
async function plugCable(dir: string): Promise<ChildProcess> {
  const child = spawn(
    'socat',
    [`pty,raw,echo=0,link=${join(dir, 'dev')}`, `pty,raw,echo=0,link=${join(dir, 'sim')}`],
    { stdio: 'ignore' },
  );
  for (let waited = 0; !(existsSync(join(dir, 'dev')) && existsSync(join(dir, 'sim'))); waited += 20) {
    if (waited > 5000 || child.exitCode !== null) throw new Error('socat did not create the pty links');
    await pause(20);
  }
  return child;
}

function pullCable(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** The acceptor's side: the simulator stays bound to it while the port behind it is closed and reopened. */
function unitSide(): { transport: Transport; plug(port: Transport): void; unplug(): Promise<void> } {
  const data$ = new Subject<Uint8Array>();
  let port: Transport | undefined;
  let sub: Subscription | undefined;
  return {
    transport: {
      data$,
      write: (bytes) =>
        defer(() =>
          port === undefined
            ? Promise.resolve()
            : lastValueFrom(port.write(bytes), { defaultValue: undefined }).catch(() => undefined),
        ),
      close: () => defer(() => Promise.resolve()),
      description: 'acceptor side',
    },
    plug(p) {
      port = p;
      sub = p.data$.subscribe({ next: (b) => data$.next(b), error: () => undefined });
    },
    async unplug() {
      sub?.unsubscribe();
      const p = port;
      port = undefined;
      if (p) await lastValueFrom(p.close(), { defaultValue: undefined }).catch(() => undefined);
    },
  };
}

describe('Pyramid: cable pulled and plugged back over a real pty (socat, serialport)', function () {
  this.timeout(15_000);
  let dir: string;
  let cable: ChildProcess | undefined;
  let sim: PyramidSimulator | undefined;
  let device: PyramidDevice | undefined;
  let side: ReturnType<typeof unitSide> | undefined;

  before(function () {
    if (!hasSocat()) this.skip(); // the pty pair needs socat; nothing else is skipped
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cashwire-pyramid-cable-'));
  });
  afterEach(async () => {
    device?.dispose();
    sim?.dispose();
    await side?.unplug();
    await pullCable(cable);
    rmSync(dir, { recursive: true, force: true });
  });

  it('reopens the port, says so, and credits the note stacked during the outage exactly once', async () => {
    cable = await plugCable(dir);
    side = unitSide();
    side.plug(await firstValueFrom(openSerialTransport(join(dir, 'sim'), PYRAMID_LINE)));
    sim = createPyramidSimulator(side.transport, {
      timing: { powerUpMs: 100, readMs: 150, stackMs: 150, busyMs: 50 },
    });
    device = createPyramidDevice(
      defer(() => openSerialTransport(join(dir, 'dev'), PYRAMID_LINE)),
      { reconnect: { initialDelayMs: 100, maxDelayMs: 400 } },
    );
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
    await pullCable(cable);
    await side.unplug();
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
    cable = await plugCable(dir);
    side.plug(await firstValueFrom(openSerialTransport(join(dir, 'sim'), PYRAMID_LINE)));
    for (let waited = 0; credits.length < 2 && waited < 4000; waited += 50) await pause(50);
    await pause(400); // more polls: the Stacked reply must not be credited again

    expect(credits.map((c) => c.money.amount)).to.deep.equal([100, 500]);
    const names = events.flatMap((e) => (e.type === 'raw' ? [e.name] : []));
    expect(names.filter((n) => n === 'line-lost')).to.have.length(1);
    expect(names.filter((n) => n === 'line-back')).to.have.length(1);
    expect(events.filter((e) => e.type === 'events-lost')).to.deep.equal([]);
  });
});
