/**
 * The `cashwire` command as users run it: a real process, real exit codes,
 * real serial ports (socat ptys). The TypeScript entry runs through tsx so
 * the tests never depend on a stale dist/ build.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createPtyPair, type PtyPair } from '../helpers/pty.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = ['--import', 'tsx', 'lib/cli/entry.ts'];

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function start(args: readonly string[], env: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...env };
  if (!('DEBUG' in env)) delete childEnv['DEBUG'];
  return spawn(process.execPath, [...ENTRY, ...args], { cwd: ROOT, env: childEnv });
}

function run(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = start(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.end();
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Lines of a child's stdout as they come, with a way to wait for one that matches. */
function lineWatcher(child: ChildProcessWithoutNullStreams) {
  const lines: string[] = [];
  let buffer = '';
  const waiters: { test: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  return {
    lines,
    waitFor(test: (l: string) => boolean, ms: number, what: string): Promise<string> {
      const seen = lines.find(test);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no ${what} within ${ms} ms; got:\n${lines.join('\n')}`)),
          ms,
        );
        waiters.push({
          test,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
      });
    },
  };
}

function exited(child: ChildProcessWithoutNullStreams, ms: number): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`process did not exit within ${ms} ms`)), ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

const jsonLines = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('cashwire command', function () {
  this.timeout(60_000);

  describe('usage and exit codes', () => {
    let help: Run;
    let unknown: Run;
    before(async () => {
      // Independent processes: start them together to keep the suite quick.
      [help, unknown] = await Promise.all([run(['--help']), run(['bogus'])]);
    });

    it('--help lists every subcommand with examples and exits 0', () => {
      expect(help.code).to.equal(0);
      for (const name of ['demo', 'list', 'probe', 'monitor', 'command', 'simulate', 'decode']) {
        expect(help.stdout).to.match(new RegExp(`^  ${name}\\b`, 'm'));
      }
      expect(help.stdout).to.include('Examples:');
    });

    it('an unknown command exits 2 with one line', () => {
      expect(unknown.code).to.equal(2);
      expect(unknown.stderr).to.equal("cashwire: unknown command 'bogus' (add --help for usage)\n");
      expect(unknown.stdout).to.equal('');
    });
  });

  describe('decode and list', () => {
    let essp: Run;
    let cctalk: Run;
    let pyramid: Run;
    let list: Run;
    before(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cashwire-decode-'));
      const file = (name: string, text: string): string => {
        const path = join(dir, name);
        writeFileSync(path, text);
        return path;
      };
      const esspFile = file('essp.txt', '7F 80 01 07 12 02 7F 80 04 F0 EE 01 EB B9 48\nnot bytes\n');
      const cctalkFile = file('cctalk.txt', '002 000 001 254 255\n');
      const pyramidFile = file('pyramid.txt', '02 08 10 7F 00 00 03 67\n');
      [essp, cctalk, pyramid, list] = await Promise.all([
        run(['decode', 'essp', esspFile]),
        run(['decode', 'cctalk', cctalkFile]),
        run(['decode', 'pyramid', pyramidFile]),
        run(['list', '--json']),
      ]);
    });

    it('decode essp prints one JSON object per frame, reports a bad line on stderr and goes on', () => {
      const objects = essp.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(objects[0]).to.include({ direction: 'host', command: 'POLL' });
      expect(objects[1]!['events']).to.deep.equal([
        { event: 'CREDIT_NOTE', code: 0xee, channel: 1 },
        { event: 'NOTE_STACKED', code: 0xeb },
      ]);
      expect(essp.stderr).to.match(/^line 2: /);
      expect(essp.code).to.equal(1);
    });

    it('decode cctalk and decode pyramid read their own captures', () => {
      expect(cctalk.code).to.equal(0);
      expect(cctalk.stdout).to.match(/SIMPLE_POLL/i);
      expect(pyramid.code).to.equal(0);
      expect(JSON.parse(pyramid.stdout.trim().split('\n')[0]!)).to.be.an('object');
    });

    it('list answers with JSON, or with one actionable line and exit 1 when ports cannot be listed', () => {
      if (list.code === 0) expect(JSON.parse(list.stdout)).to.be.an('array');
      else {
        expect(list.code).to.equal(1);
        expect(list.stderr.trim().split('\n')).to.have.length(1);
        expect(list.stderr).to.match(/^cashwire: /);
      }
    });
  });

  describe('demo', () => {
    it('--json: a three-second run shows credits from every protocol, adding up to what the simulators accepted', async () => {
      const child = start(['demo', '--duration', '3', '--json']);
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
      });
      child.stdin.end();
      const code = await exited(child, 30_000);
      expect(code).to.equal(0);

      const lines = jsonLines(out);
      const credits = lines.filter((l) => l['type'] === 'credit') as {
        device: { protocol: string };
        money: { amount: number; currency: string };
      }[];
      const tally = lines.at(-1) as {
        type: string;
        agree: boolean;
        protocols: { protocol: string; simulator: Record<string, number> }[];
      };
      expect(tally.type).to.equal('tally');
      expect(tally.agree).to.equal(true);
      const sim = (p: string) => tally.protocols.find((x) => x.protocol === p)!.simulator;
      const of = (p: string) => credits.filter((c) => c.device.protocol === p);

      const esspTotal = of('essp').reduce((s, c) => s + c.money.amount, 0);
      expect(of('essp').length).to.be.greaterThan(0);
      expect(esspTotal).to.equal(sim('essp')['creditedValue']);
      expect(of('essp').length).to.equal(sim('essp')['accepted']! + sim('essp')['stored']!);
      expect(of('cctalk').length).to.be.greaterThan(0).and.equal(sim('cctalk')['accepted']);
      expect(of('pyramid').length).to.be.greaterThan(0).and.equal(sim('pyramid')['accepted']);
      // Raw protocol events are part of JSON output.
      expect(lines.some((l) => l['type'] === 'raw')).to.equal(true);
      // A three-second demo already shows money from every protocol (the counts above are > 0).
    });
  });

  describe('simulate essp + monitor essp over a socat pty pair', () => {
    let pty: PtyPair | undefined;
    const children: ChildProcessWithoutNullStreams[] = [];

    afterEach(async () => {
      for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await pty?.close();
      pty = undefined;
    });

    it("a note inserted through the simulator's stdin shows as a credit line; both stop cleanly on SIGINT", async () => {
      pty = await createPtyPair();
      const sim = start(['simulate', 'essp', '--port', pty.a, '--device', 'nv200']);
      const mon = start(['monitor', 'essp', '--port', pty.b, '--json']);
      children.push(sim, mon);
      const simOut = lineWatcher(sim);
      const monOut = lineWatcher(mon);

      await simOut.waitFor((l) => l.includes("type 'help'"), 20_000, 'simulator banner');
      await monOut.waitFor((l) => l.includes('"status":"enabled"'), 20_000, 'enabled state');
      // The end of stdin does not stop a simulator: the note still goes through.
      sim.stdin.end('insert 3\n');
      const line = await monOut.waitFor((l) => l.includes('"type":"credit"'), 5_000, 'credit line');
      expect(JSON.parse(line)).to.deep.include({
        type: 'credit',
        kind: 'note',
        channel: 3,
        money: { amount: 2000, currency: 'EUR' },
      });

      mon.kill('SIGINT');
      sim.kill('SIGINT');
      expect(await exited(mon, 5_000)).to.equal(0);
      expect(await exited(sim, 5_000)).to.equal(0);
    });
  });
});
