/**
 * The whole Pyramid stack through the operating system's serial path: the
 * simulator on one end of a socat pty pair, the driver on the other, both
 * opened with the real serialport binding at 9600 7E1, in real time.
 */
import { expect } from 'chai';
import { filter, firstValueFrom, lastValueFrom, timeout } from 'rxjs';
import { isCredit, type DeviceEvent } from '../../lib/core/events.js';
import { createPyramidDevice } from '../../lib/protocols/pyramid/device.js';
import type { PyramidDevice } from '../../lib/protocols/pyramid/device-types.js';
import { PYRAMID_LINE } from '../../lib/protocols/pyramid/framing.js';
import { createPyramidSimulator } from '../../lib/protocols/pyramid/simulator/simulator.js';
import type { PyramidSimulator } from '../../lib/protocols/pyramid/simulator/types.js';
import { openSerialTransport } from '../../lib/transport/serialport.js';
import type { Transport } from '../../lib/transport/transport.js';
import { createPtyPair, type PtyPair } from '../helpers/pty.js';

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('Pyramid over a socat pty pair (serialport, 9600 7E1)', function () {
  this.timeout(15_000);
  let pty: PtyPair | undefined;
  let hostEnd: Transport | undefined;
  let deviceEnd: Transport | undefined;
  let sim: PyramidSimulator | undefined;
  let device: PyramidDevice | undefined;

  afterEach(async () => {
    device?.dispose();
    sim?.dispose();
    for (const t of [hostEnd, deviceEnd]) if (t) await lastValueFrom(t.close(), { defaultValue: undefined });
    await pty?.close();
  });

  it('a bill inserted in the simulator is credited exactly once by the driver', async () => {
    pty = await createPtyPair();
    deviceEnd = await firstValueFrom(openSerialTransport(pty.a, PYRAMID_LINE));
    hostEnd = await firstValueFrom(openSerialTransport(pty.b, PYRAMID_LINE));
    sim = createPyramidSimulator(deviceEnd, {
      timing: { powerUpMs: 100, readMs: 200, stackMs: 200, busyMs: 50 },
    });
    device = createPyramidDevice(hostEnd);
    const events: DeviceEvent[] = [];
    device.events$.subscribe((e) => events.push(e));

    await firstValueFrom(
      device.state$.pipe(
        filter((s) => s.status === 'enabled'),
        timeout(5000),
      ),
    );
    expect(sim.insertBill(3)).to.equal(true);
    const credit = await firstValueFrom(device.events$.pipe(filter(isCredit), timeout(5000)));
    expect(credit.money).to.deep.equal({ amount: 500, currency: 'USD' });
    await pause(600); // more polls: the Stacked reply must not be credited again
    expect(events.filter(isCredit)).to.have.length(1);
    expect(sim.stats).to.deep.include({ inserted: 1, accepted: 1 });
  });
});
