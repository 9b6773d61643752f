/**
 * `monitor cctalk` and `monitor pyramid` as users run them: real processes on
 * both ends of a socat pty pair, the simulator driven through its stdin. The
 * ccTalk monitor must finish its scan quickly, because a coin acceptor returns
 * every coin until it is polled.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createPtyPair, type PtyPair } from '../helpers/pty.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function start(args: readonly string[]): ChildProcessWithoutNullStreams {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env['DEBUG'];
  return spawn(process.execPath, ['--import', 'tsx', 'lib/cli/entry.ts', ...args], { cwd: ROOT, env });
}

/** Stdout lines with the time each arrived, and a way to wait for one. */
function watch(child: ChildProcessWithoutNullStreams) {
  const lines: { text: string; at: number }[] = [];
  let buffer = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    for (const text of parts) lines.push({ text, at: Date.now() });
  });
  return {
    lines,
    async waitFor(
      test: (l: string) => boolean,
      ms: number,
      what: string,
    ): Promise<{ text: string; at: number }> {
      const until = Date.now() + ms;
      for (;;) {
        const hit = lines.find((l) => test(l.text));
        if (hit) return hit;
        if (Date.now() > until)
          throw new Error(`no ${what} within ${ms} ms; got:\n${lines.map((l) => l.text).join('\n')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

const parse = (l: string): Record<string, unknown> => {
  try {
    return JSON.parse(l) as Record<string, unknown>;
  } catch {
    return {};
  }
};

function stop(child: ChildProcessWithoutNullStreams): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('close', () => resolve());
    child.stdin.end();
    setTimeout(() => child.kill('SIGTERM'), 2000).unref();
  });
}

describe('cashwire monitor over a pty pair', function () {
  this.timeout(20_000);
  let pty: PtyPair;
  const children: ChildProcessWithoutNullStreams[] = [];
  beforeEach(async () => {
    pty = await createPtyPair();
  });
  afterEach(async () => {
    await Promise.all(children.splice(0).map(stop));
    await pty.close();
  });

  it('monitor cctalk --json: a coin typed into the simulator once polling runs is exactly one credit line', async () => {
    const sim = start(['simulate', 'cctalk', '--port', pty.a]);
    children.push(sim);
    const simOut = watch(sim);
    await simOut.waitFor((l) => l.startsWith('ccTalk bus simulated'), 8000, 'simulator banner');
    const mon = start(['monitor', 'cctalk', '--port', pty.b, '--json']);
    children.push(mon);
    const out = watch(mon);
    const scanned = await out.waitFor((l) => parse(l)['type'] === 'discovery', 10_000, 'discovery line');
    const report = parse(scanned.text)['discovery'] as { devices: { address: number; category: string }[] };
    expect(report.devices.map((d) => [d.address, d.category])).to.deep.equal([[2, 'Coin Acceptor']]);
    await out.waitFor(
      (l) => parse(l)['type'] === 'state' && parse(l)['status'] === 'enabled',
      3000,
      'enabled state',
    );
    sim.stdin.write('coin 3\n');
    await out.waitFor((l) => parse(l)['type'] === 'credit', 4000, 'credit line');
    await new Promise((r) => setTimeout(r, 600)); // later polls must not repeat it
    const credits = out.lines.map((l) => parse(l.text)).filter((j) => j['type'] === 'credit');
    expect(credits).to.have.length(1);
    expect(credits[0]).to.deep.include({ kind: 'coin', channel: 3 });
    expect(credits[0]!['device']).to.deep.equal({ protocol: 'cctalk', address: 2 });
    expect(simOut.lines.map((l) => l.text).filter((l) => /returned/.test(l))).to.deep.equal([]);
  });

  it('monitor cctalk scans the standard addresses and prints through the shared formatter', async () => {
    const sim = start(['simulate', 'cctalk', '--port', pty.a]);
    children.push(sim);
    await watch(sim).waitFor((l) => l.startsWith('ccTalk bus simulated'), 8000, 'simulator banner');
    const mon = start(['monitor', 'cctalk', '--port', pty.b]);
    children.push(mon);
    const out = watch(mon);
    await out.waitFor((l) => l.startsWith('Scanning the ccTalk bus'), 8000, 'scan start');
    await out.waitFor((l) => l.startsWith('found 2 (simple): Coin Acceptor'), 6000, 'found line');
    // Pretty lines come from the shared formatter: tag, event name, detail.
    await out.waitFor((l) => /cctalk:02\s+state\s+enabled/.test(l), 3000, 'pretty state line');
  });

  it('monitor pyramid shows a note typed into the simulator as one credit', async () => {
    const sim = start(['simulate', 'pyramid', '--port', pty.a]);
    children.push(sim);
    await watch(sim).waitFor((l) => l.startsWith('Pyramid acceptor simulated'), 8000, 'simulator banner');
    const mon = start(['monitor', 'pyramid', '--port', pty.b, '--json']);
    children.push(mon);
    const out = watch(mon);
    await out.waitFor(
      (l) => parse(l)['type'] === 'state' && parse(l)['status'] === 'enabled',
      8000,
      'enabled state',
    );
    sim.stdin.write('insert 3\n');
    await out.waitFor((l) => parse(l)['type'] === 'credit', 8000, 'credit line');
    await new Promise((r) => setTimeout(r, 600));
    const credits = out.lines.map((l) => parse(l.text)).filter((j) => j['type'] === 'credit');
    expect(credits).to.have.length(1);
    expect(credits[0]).to.deep.include({ kind: 'bill', channel: 3 });
  });
});
