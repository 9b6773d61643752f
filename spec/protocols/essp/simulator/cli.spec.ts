import { expect } from 'chai';
import { Subject, of } from 'rxjs';
import { fromHex, toHex } from '../../../../lib/core/bytes.js';
import type { CliIo } from '../../../../lib/cli/io.js';
import { runEsspSimulator, simulatorCommand } from '../../../../lib/cli/commands/simulate-essp.js';
import { createMemoryPair } from '../../../../lib/transport/memory.js';
import { rig } from './host.js';

describe('cashwire simulate essp', () => {
  it('runs line commands against the simulator', () => {
    const { sim, host } = rig({ profile: 'NV9USB' });
    host.sync();
    host.command('SET_CHANNEL_INHIBITS', { channels: [1, 1, 1, 1, 1, 1, 1] });
    expect(simulatorCommand(sim, 'insert 1')).to.deep.equal([
      'the unit did not take it (disabled, busy or full)',
    ]);
    host.command('ENABLE');
    expect(simulatorCommand(sim, 'insert-value 20 EUR')).to.deep.equal(['ok']);
    expect(JSON.parse(simulatorCommand(sim, 'stats')[0]!)).to.deep.include({
      protocol: 'essp',
      inserted: 1,
      faults: null,
    });
    expect(simulatorCommand(sim, 'levels')[0]).to.equal('5.00 EUR: 0');
    expect(simulatorCommand(sim, 'help').join('\n')).to.match(/cashbox-out/);
    expect(() => simulatorCommand(sim, 'insert-value 0.505 EUR')).to.throw(/not an amount/);
    expect(() => simulatorCommand(sim, 'dance')).to.throw(/Unknown command 'dance'/);
    simulatorCommand(sim, 'reset');
    expect(sim.stats.resets).to.equal(1);
  });

  it('opens the port, answers the host, prints what it does and stops on quit', async () => {
    const [hostEnd, deviceEnd] = createMemoryPair();
    const lines = new Subject<string>();
    const out: string[] = [];
    const errs: string[] = [];
    const io: CliIo = { out: (l) => out.push(l), err: (l) => errs.push(l), stdinLines$: lines, isTty: false };
    const replies: string[] = [];
    hostEnd.data$.subscribe((b) => replies.push(toHex(b)));
    const done = runEsspSimulator({ port: '/dev/null', device: 'smart-hopper' }, io, () => of(deviceEnd));
    await Promise.resolve();
    hostEnd.write(fromHex('7F 90 01 11 26 03')).subscribe();
    lines.next('bogus');
    lines.next('quit');
    expect(await done).to.equal(0);
    expect(replies).to.deep.equal(['7F 90 01 F0 60 01']);
    expect(out[0]).to.match(/SMART_HOPPER \(unit type 0x03\) at address 0x10 on memory:device/);
    expect(errs).to.deep.equal(["Unknown command 'bogus'. Type 'help' for the list."]);
  });

  it('refuses an unknown device name', async () => {
    const io: CliIo = { out: () => undefined, err: () => undefined, stdinLines$: of(), isTty: false };
    let error: unknown;
    await runEsspSimulator({ port: 'x', device: 'NV99' }, io, () => of(createMemoryPair()[1])).catch(
      (e: unknown) => (error = e),
    );
    expect(String(error)).to.match(/Unknown device 'NV99'/);
  });
});
