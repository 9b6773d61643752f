/**
 * The whole ccTalk stack over a real serial path: a socat pty pair, the
 * serialport binding at both ends, the simulator (with single-wire echo) on
 * one end, the bus, discovery and device drivers on the other.
 */
import { expect } from 'chai';
import { filter, firstValueFrom, lastValueFrom, take, timeout, toArray } from 'rxjs';
import { isCredit } from '../../lib/core/events.js';
import { CCTALK_LINE_SETTINGS, createCcTalkBus } from '../../lib/protocols/cctalk/bus.js';
import { createCcTalkCoinAcceptor } from '../../lib/protocols/cctalk/coin-acceptor.js';
import { discoverCcTalkDevices } from '../../lib/protocols/cctalk/discovery.js';
import { createCcTalkHopper } from '../../lib/protocols/cctalk/hopper.js';
import { createCcTalkSimulator } from '../../lib/protocols/cctalk/simulator/index.js';
import { openSerialTransport } from '../../lib/transport/serialport.js';
import type { Transport } from '../../lib/transport/transport.js';
import { type PtyPair, createPtyPair } from '../helpers/pty.js';

describe('ccTalk over a socat pty pair', function () {
  this.timeout(15_000);
  let pty: PtyPair;
  let hostEnd: Transport;
  let deviceEnd: Transport;

  beforeEach(async () => {
    pty = await createPtyPair();
    hostEnd = await firstValueFrom(openSerialTransport(pty.a, CCTALK_LINE_SETTINGS));
    deviceEnd = await firstValueFrom(openSerialTransport(pty.b, CCTALK_LINE_SETTINGS));
  });
  afterEach(async () => {
    await lastValueFrom(hostEnd.close(), { defaultValue: undefined });
    await lastValueFrom(deviceEnd.close(), { defaultValue: undefined });
    await pty.close();
  });

  it('discovers a coin acceptor and a CRC hopper, credits coins once and pays out', async () => {
    const sim = createCcTalkSimulator(deviceEnd, {
      echo: true,
      hopper: { checksum: 'crc16', coinIntervalMs: 20 },
    });
    const bus = createCcTalkBus(hostEnd);
    const diagnostics: string[] = [];
    bus.diagnostics$.subscribe((d) => diagnostics.push(d.message));

    const report = await firstValueFrom(
      discoverCcTalkDevices(bus, { addresses: [2, 3], addressPoll: false }),
    );
    expect(report.devices.map((d) => [d.address, d.checksum, d.category])).to.deep.equal([
      [2, 'simple', 'Coin Acceptor'],
      [3, 'crc16', 'Payout'],
    ]);

    const acceptor = createCcTalkCoinAcceptor(bus);
    // Coins count once the acceptor is enabled: its buffer baseline is read before that.
    await firstValueFrom(
      acceptor.state$.pipe(
        filter((s) => s.status === 'enabled'),
        timeout(5000),
      ),
    );
    const credits = firstValueFrom(
      acceptor.events$.pipe(filter(isCredit), take(2), toArray(), timeout(5000)),
    );
    sim.insertCoin(8);
    sim.insertCoin(5);
    expect((await credits).map((c) => c.money.amount)).to.deep.equal([200, 20]);

    const hopper = createCcTalkHopper(bus, { progressIntervalMs: 50 });
    await firstValueFrom(
      hopper.state$.pipe(
        filter((s) => s.status === 'enabled'),
        timeout(5000),
      ),
    );
    const progress = await lastValueFrom(hopper.dispense(2).pipe(toArray(), timeout(5000)));
    expect(progress[progress.length - 1]).to.deep.include({ type: 'dispensed' });
    expect(sim.stats).to.include({ accepted: 2, paidOut: 2 });

    acceptor.dispose();
    hopper.dispose();
    bus.dispose();
    sim.dispose();
    // The echo of every frame was recognised and stripped: no echo complaints.
    expect(diagnostics.filter((m) => /echo/i.test(m))).to.deep.equal([]);
  });
});
