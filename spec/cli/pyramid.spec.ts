import { expect } from 'chai';
import { of } from 'rxjs';
import { InvalidArgumentError } from '../../lib/core/errors.js';
import {
  parseMask,
  runPyramidDecode,
  runPyramidMonitor,
  runPyramidSimulator,
} from '../../lib/cli/commands/pyramid.js';
import { createPyramidSimulator } from '../../lib/protocols/pyramid/simulator/simulator.js';
import { createMemoryPair } from '../../lib/transport/memory.js';
import { interactiveIo } from '../helpers/cli-io.js';

describe('cashwire pyramid commands', () => {
  it('simulate: line commands drive the simulator; unknown input is explained', async () => {
    const [, line] = createMemoryPair();
    const { io, out, err, stdin } = interactiveIo();
    const done = runPyramidSimulator({ port: '/dev/fake', open: () => of(line) }, io);
    await Promise.resolve();
    stdin.next('help');
    stdin.next('insert 9');
    stdin.next('bogus');
    stdin.next('cashbox-out');
    stdin.next('stats');
    stdin.complete();
    expect(await done).to.equal(0);
    expect(out.some((l) => l.startsWith('insert <bill 1-7>'))).to.equal(true);
    expect(out).to.include('cashbox removed');
    expect(JSON.parse(out[out.length - 1]!)).to.deep.include({ inserted: 0 });
    expect(err).to.have.length(2);
    expect(err[0]).to.match(/1\.\.7/);
    expect(err[1]).to.match(/unknown command 'bogus'/);
  });

  it('monitor: a bad mask fails before the port is opened', async () => {
    let opened = false;
    const { io } = interactiveIo();
    const open = () => {
      opened = true;
      return of(createMemoryPair()[0]);
    };
    let error: unknown;
    await runPyramidMonitor({ port: '/dev/fake', mask: '0x80', open }, io).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(InvalidArgumentError);
    expect(opened).to.equal(false);
  });

  it('monitor: prints the credit of a note stacked by the acceptor, as JSON', async function () {
    this.timeout(5000);
    const [host, line] = createMemoryPair();
    const sim = createPyramidSimulator(line, {
      timing: { powerUpMs: 50, readMs: 100, stackMs: 100, busyMs: 20 },
    });
    const { io, out, stdin } = interactiveIo();
    const done = runPyramidMonitor({ port: '/dev/fake', mask: '0x7F', json: true, open: () => of(host) }, io);
    await new Promise((r) => setTimeout(r, 300));
    sim.insertBill(5);
    await new Promise((r) => setTimeout(r, 800));
    stdin.next('quit');
    expect(await done).to.equal(0);
    sim.dispose();
    const credits = out.map((l) => JSON.parse(l) as { type?: string }).filter((e) => e.type === 'credit');
    expect(credits).to.have.length(1);
    expect(credits[0]).to.deep.include({ money: { amount: 2000, currency: 'USD' } });
  });

  it('monitor: ends with exit code 1 when the line is lost', async () => {
    const [host] = createMemoryPair();
    const { io } = interactiveIo();
    const done = runPyramidMonitor({ port: '/dev/fake', open: () => of(host) }, io);
    await new Promise((r) => setTimeout(r, 50));
    host.breakLine();
    expect(await done).to.equal(1);
  });

  it('decode: JSON per frame on stdout, bad lines on stderr, exit code 1', async () => {
    const { io, out, err } = interactiveIo();
    const code = await runPyramidDecode(['02 08 10 7F 00 00 03 67', 'nonsense'], io);
    expect(code).to.equal(1);
    expect(JSON.parse(out[0]!)).to.deep.include({ direction: 'host', mask: 0x7f });
    expect(err[0]).to.match(/^line 2:/);
  });

  it('parseMask takes hex or decimal and nothing above 0x7F', () => {
    expect(parseMask('0x1F')).to.equal(0x1f);
    expect(parseMask('29')).to.equal(29);
    expect(() => parseMask('0x80')).to.throw(InvalidArgumentError);
    expect(() => parseMask('all')).to.throw(InvalidArgumentError);
  });
});
