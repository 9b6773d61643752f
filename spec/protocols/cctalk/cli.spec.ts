import { expect } from 'chai';
import { Subject, of } from 'rxjs';
import { parseDevices, runCcTalkMonitor, runCcTalkSimulator } from '../../../lib/cli/commands/cctalk.js';
import type { CliIo } from '../../../lib/cli/io.js';
import { InvalidArgumentError } from '../../../lib/core/errors.js';
import { createMemoryPair } from '../../../lib/transport/memory.js';

function testIo() {
  const out: string[] = [];
  const err: string[] = [];
  const stdin = new Subject<string>();
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), stdinLines$: stdin, isTty: false };
  return { io, out, err, stdin };
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ccTalk CLI pieces', function () {
  this.timeout(10_000);

  it('parses --devices and rejects unknown names', () => {
    expect(parseDevices('coin,hopper')).to.deep.equal(['coin', 'hopper']);
    expect(parseDevices(undefined)).to.deep.equal(['coin']);
    expect(() => parseDevices('coin,printer')).to.throw(InvalidArgumentError, /printer/);
  });

  it('monitor discovers the simulated bus, enables the devices and prints a coin credit', async () => {
    const [hostEnd, deviceEnd] = createMemoryPair();
    const sim = testIo();
    const mon = testIo();
    const simDone = runCcTalkSimulator(
      { port: 'sim', devices: 'coin,bill,hopper', echo: true, open: () => of(deviceEnd) },
      sim.io,
    );
    const monDone = runCcTalkMonitor(
      {
        port: 'host',
        open: () => of(hostEnd),
        discovery: { addresses: [2, 3, 40], addressPollWindowMs: 300 },
      },
      mon.io,
    );
    for (let i = 0; i < 100 && !mon.out.some((l) => /cctalk:02\s+state\s+enabled/.test(l)); i++)
      await wait(50);
    sim.stdin.next('coin 8');
    for (let i = 0; i < 40 && !mon.out.some((l) => l.includes('credit')); i++) await wait(50);
    sim.stdin.next('stats');
    sim.stdin.next('bogus');
    mon.stdin.next('quit');
    expect(await monDone).to.equal(0);
    sim.stdin.complete();
    expect(await simDone).to.equal(0);
    expect(mon.out).to.include('address poll (simple): 2, 3, 40');
    expect(mon.out.some((l) => /^found 2 \(simple\): Coin Acceptor CWS SIM-COIN/.test(l))).to.equal(true);
    expect(mon.out.some((l) => /cctalk:02\s+credit\s+2\.00 EUR\s+coin pos8/.test(l))).to.equal(true);
    expect(mon.out.filter((l) => /\bcredit\b/.test(l))).to.have.length(1);
    expect(mon.out.some((l) => /cctalk:28\s+state\s+enabled/.test(l))).to.equal(true); // address 40
    expect(mon.out.some((l) => /cctalk:03\s+state\s+enabled/.test(l))).to.equal(true);
    expect(sim.out.some((l) => l.includes('"accepted":1'))).to.equal(true);
    expect(sim.err).to.deep.equal(["unknown command 'bogus'; type 'help'"]);
  });
});
