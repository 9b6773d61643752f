/**
 * `cashwire simulate essp --faults ...` and `cashwire monitor essp --json` as
 * two real processes on a socat pty pair: with a fifth of the unit's replies
 * lost, the credits the monitor prints add up to exactly what the simulator
 * says it took in (its `stats` line), neither less (lost) nor more (doubled).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { expect } from 'chai';
import { createPtyPair, type PtyPair } from '../helpers/pty.js';

interface Proc {
  readonly child: ChildProcessWithoutNullStreams;
  readonly out: string[];
  readonly err: string[];
}

function cashwire(args: readonly string[]): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', 'lib/cli/entry.ts', ...args], {
    stdio: 'pipe',
  });
  const out: string[] = [];
  const err: string[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => out.push(l));
  createInterface({ input: child.stderr }).on('line', (l) => err.push(l));
  return { child, out, err };
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, test: () => boolean, ms: number): Promise<void> {
  for (let waited = 0; !test(); waited += 50) {
    if (waited > ms) throw new Error(`timed out waiting for ${what}`);
    await pause(50);
  }
}

function stop(p: Proc | undefined): Promise<void> {
  if (p === undefined || p.child.exitCode !== null || p.child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    p.child.once('exit', () => resolve());
    p.child.kill('SIGTERM');
  });
}

const exitCode = (p: Proc): Promise<number | null> =>
  new Promise((resolve) => p.child.once('exit', (code) => resolve(code)));

describe('cashwire simulate --faults with a monitor on the other end (two processes, socat pty)', function () {
  this.timeout(30_000);
  let pty: PtyPair | undefined;
  let sim: Proc | undefined;
  let mon: Proc | undefined;

  afterEach(async () => {
    await stop(sim);
    await stop(mon);
    await pty?.close();
  });

  it('a bad fault spec is a usage error naming the key, before the port is opened', async () => {
    sim = cashwire(['simulate', 'essp', '--port', '/nonexistent/port', '--faults', 'drop=0.1,bogus=1']);
    expect(await exitCode(sim)).to.equal(2);
    expect(sim.err.join('\n')).to.match(/bogus/);
    expect(sim.err.join('\n')).not.to.match(/nonexistent/);
  });

  it('with 20 % of the replies lost, the credits total what the simulator accepted', async () => {
    pty = await createPtyPair();
    sim = cashwire(['simulate', 'essp', '--port', pty.a, '--faults', 'drop=0.2', '--seed', '7']);
    mon = cashwire(['monitor', 'essp', '--port', pty.b, '--json']);
    const monitor = mon;
    const simulator = sim;
    const json = (lines: readonly string[]): Record<string, unknown>[] =>
      lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    await until('the seed banner', () => simulator.out.some((l) => /seed 7\b/.test(l)), 10_000);
    await until(
      'the monitor to enable the unit',
      () => json(monitor.out).some((e) => e['type'] === 'state' && e['status'] === 'enabled'),
      15_000,
    );

    const credits = (): { amount: number; currency: string }[] =>
      json(monitor.out)
        .filter((e) => e['type'] === 'credit')
        .map((e) => e['money'] as { amount: number; currency: string });
    for (const [i, channel] of [1, 2].entries()) {
      simulator.child.stdin.write(`insert ${channel}\n`);
      await until(`credit ${i + 1}`, () => credits().length > i, 8_000);
    }
    await pause(500); // more polls: a replayed reply must not credit again
    simulator.child.stdin.write('stats\n');
    await until('the stats line', () => json(simulator.out).some((l) => l['protocol'] === 'essp'), 5_000);
    const stats = json(simulator.out).find((l) => l['protocol'] === 'essp')!;
    const faults = stats['faults'] as Record<string, unknown>;

    expect(stats).to.include({ inserted: 2, resets: 0 });
    expect(faults).to.include({ seed: 7, plan: 'drop=0.2' });
    expect(faults['drop']).to.be.above(0); // replies really were lost
    const total = credits().reduce((sum, m) => sum + m.amount, 0);
    expect(total).to.equal(stats['creditedValue']);
    expect(credits()).to.have.length((stats['accepted'] as number) + (stats['stored'] as number));
    expect(credits().every((m) => m.currency === stats['currency'])).to.equal(true);
  });
});
