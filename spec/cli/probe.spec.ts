import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { of } from 'rxjs';
import { NOTHING_ANSWERED_ADVICE, parseProtocols, runProbe } from '../../lib/cli/commands/probe.js';
import { watchEcho } from '../../lib/cli/probe/cctalk.js';
import { pyramidModelName } from '../../lib/cli/probe/pyramid.js';
import type { OpenAt } from '../../lib/cli/probe/types.js';
import { InvalidArgumentError } from '../../lib/core/errors.js';
import { CCTALK_LINE_SETTINGS } from '../../lib/protocols/cctalk/bus.js';
import { createCcTalkSimulator } from '../../lib/protocols/cctalk/simulator/index.js';
import { ESSP_LINE } from '../../lib/protocols/essp/context.js';
import { createEsspSimulator } from '../../lib/protocols/essp/simulator/index.js';
import { PYRAMID_LINE } from '../../lib/protocols/pyramid/framing.js';
import { createPyramidSimulator } from '../../lib/protocols/pyramid/simulator/simulator.js';
import { createMemoryPair } from '../../lib/transport/memory.js';
import type { LineSettings, Transport } from '../../lib/transport/transport.js';
import { type PtyPair, createPtyPair } from '../helpers/pty.js';
import { stopSimulator } from './harness.js';
import { fakeIo } from './harness.js';

const sameLine = (a: LineSettings, b: LineSettings): boolean =>
  a.baudRate === b.baudRate &&
  a.dataBits === b.dataBits &&
  a.parity === b.parity &&
  a.stopBits === b.stopBits;

/**
 * A port with one simulated device that only understands its own line
 * settings: opened at any other settings, nothing answers (as on a real line,
 * where the wrong framing gives garbage or silence). Records every opening.
 */
export function simulatedPort(
  settings: LineSettings | 'any' | undefined,
  attach: (device: Transport) => { dispose(): void },
): { open: OpenAt; opened: LineSettings[]; dispose(): void } {
  const opened: LineSettings[] = [];
  const sims: { dispose(): void }[] = [];
  return {
    opened,
    open: (_path, at) => {
      opened.push(at);
      const [host, device] = createMemoryPair();
      if (settings === 'any' || (settings !== undefined && sameLine(at, settings))) sims.push(attach(device));
      return of(host);
    },
    dispose: () => sims.forEach((s) => s.dispose()),
  };
}

describe('cashwire probe', () => {
  it('identifies a simulated eSSP unit: address, unit type, serial, firmware, currency and channels', async () => {
    const port = simulatedPort(ESSP_LINE, (t) => createEsspSimulator(t, { profile: 'NV200_SMART_PAYOUT' }));
    const { io, out } = fakeIo();
    const code = await runProbe({ port: '/dev/sim', json: true, open: port.open }, io);
    port.dispose();
    expect(code).to.equal(0);
    const report = JSON.parse(out.at(-1)!) as { answered: boolean; found: Record<string, unknown>[] };
    expect(report.answered).to.equal(true);
    expect(report.found).to.have.length(1);
    const unit = report.found[0]!;
    expect(unit).to.include({ protocol: 'essp', address: 0, unit: 'SMART_PAYOUT', currency: 'EUR' });
    expect(unit['serial']).to.match(/^\d+$/);
    expect(unit['firmware']).to.be.a('string').and.not.equal('');
    expect(unit['channels']).to.be.an('array').that.is.not.empty;
    // It stopped at the first protocol that answered: one opening, at 9600 8N2.
    expect(port.opened).to.deep.equal([ESSP_LINE]);
  });

  it('finds a SMART Hopper at 0x10 that insists on encryption (negotiates a key after KEY_NOT_SET)', async () => {
    const port = simulatedPort(ESSP_LINE, (t) =>
      createEsspSimulator(t, { profile: 'SMART_HOPPER', requireEncryption: true }),
    );
    const { io, out } = fakeIo();
    const code = await runProbe({ port: '/dev/sim', json: true, open: port.open, protocols: ['essp'] }, io);
    port.dispose();
    expect(code).to.equal(0);
    const report = JSON.parse(out.at(-1)!) as { found: { address: number; unit: string; details: object }[] };
    expect(report.found.map((f) => [f.address, f.unit])).to.deep.equal([[0x10, 'SMART_HOPPER']]);
    expect(report.found[0]!.details).to.include({ encrypted: true });
  });

  it('identifies a ccTalk coin acceptor on an echoing line, after eSSP got no answer', async () => {
    const port = simulatedPort(CCTALK_LINE_SETTINGS, (t) => createCcTalkSimulator(t, { echo: true }));
    const { io, out } = fakeIo();
    const code = await runProbe({ port: '/dev/sim', json: true, open: port.open, timeoutMs: 60 }, io);
    port.dispose();
    expect(code).to.equal(0);
    const report = JSON.parse(out.at(-1)!) as {
      found: { protocol: string; address: number; unit?: string; manufacturer?: string; details: object }[];
      probes: { protocol: string; found: unknown[] }[];
    };
    expect(report.probes.map((p) => [p.protocol, p.found.length])).to.deep.equal([
      ['essp', 0],
      ['cctalk', 1],
    ]);
    const coin = report.found[0]!;
    expect(coin).to.include({ protocol: 'cctalk', address: 2, unit: 'Coin Acceptor' });
    expect(coin.manufacturer).to.be.a('string').and.not.equal('');
    expect(coin.details).to.include({ checksum: 'simple', echo: true });
  });

  it('an echoing line that hears every setting (a pty): the echoed SYNC is noted, not a failure', async () => {
    const port = simulatedPort('any', (t) => createCcTalkSimulator(t, { echo: true }));
    const { io, out } = fakeIo();
    const code = await runProbe({ port: '/dev/sim', open: port.open, timeoutMs: 60 }, io);
    port.dispose();
    expect(code).to.equal(0);
    const text = out.join('\n');
    expect(text).to.match(/^eSSP \(9600 8N2\): no answer/m);
    expect(text).to.match(
      /^ {2}no eSSP reply, only other bytes, at 0x00: our own SYNC came back as an echo/m,
    );
    expect(text).to.match(/^ccTalk \(9600 8N1\): 1 device\(s\) answered/m);
  });

  it('identifies a ccTalk device that uses CRC-16 checksums and gives no echo', async () => {
    const port = simulatedPort(CCTALK_LINE_SETTINGS, (t) =>
      createCcTalkSimulator(t, { coin: false, hopper: { checksum: 'crc16' }, echo: false }),
    );
    const { io, out } = fakeIo();
    const code = await runProbe(
      { port: '/dev/sim', json: true, open: port.open, protocols: ['cctalk'], timeoutMs: 60 },
      io,
    );
    port.dispose();
    expect(code).to.equal(0);
    const report = JSON.parse(out.at(-1)!) as { found: { address: number; details: object }[] };
    expect(report.found).to.have.length(1);
    expect(report.found[0]!.address).to.equal(3);
    expect(report.found[0]!.details).to.include({ checksum: 'crc16', echo: false });
  });

  it('identifies a Pyramid acceptor at 9600 7E1 (model and revision from the status reply)', async () => {
    const port = simulatedPort(PYRAMID_LINE, (t) => createPyramidSimulator(t, { model: 16, revision: 17 }));
    const { io, out } = fakeIo();
    const code = await runProbe(
      { port: '/dev/sim', open: port.open, protocols: ['pyramid', 'essp'], timeoutMs: 100 },
      io,
    );
    port.dispose();
    expect(code).to.equal(0);
    const text = out.join('\n');
    expect(text).to.match(/Pyramid \(9600 7E1\): 1 device\(s\) answered/);
    expect(text).to.contain('Apex 7200/7400/7600 (US) (model code 16)');
    expect(text).to.contain('revision 17');
    expect(text).to.contain('Next: cashwire monitor pyramid --port /dev/sim');
    expect(port.opened).to.deep.equal([PYRAMID_LINE]);
  });

  it('nothing answers: says so, lists what it tried and what to check, exit 1', async () => {
    const port = simulatedPort(undefined, () => ({ dispose: () => undefined }));
    const { io, out } = fakeIo();
    const code = await runProbe({ port: '/dev/silent', open: port.open, timeoutMs: 20 }, io);
    expect(code).to.equal(1);
    const text = out.join('\n');
    expect(text).to.contain('Nothing answered on /dev/silent');
    expect(text).to.match(/eSSP at 9600 8N2: SYNC/);
    expect(text).to.match(/ccTalk at 9600 8N1: address poll/);
    expect(text).to.match(/Pyramid at 9600 7E1: host poll/);
    expect(text).to.match(/DIP switches/);
    expect(text).to.match(/cable/);
    // The port was reopened once per protocol, each at its own settings.
    expect(port.opened).to.deep.equal([ESSP_LINE, CCTALK_LINE_SETTINGS, PYRAMID_LINE]);
  });

  it('nothing answers with --json: one JSON document with the advice, no progress lines', async () => {
    const port = simulatedPort(undefined, () => ({ dispose: () => undefined }));
    const { io, out, err } = fakeIo(true);
    const code = await runProbe({ port: '/dev/silent', json: true, open: port.open, timeoutMs: 20 }, io);
    expect(code).to.equal(1);
    expect(out).to.have.length(1);
    expect(err).to.deep.equal([]);
    const report = JSON.parse(out[0]!) as { answered: boolean; advice: string[] };
    expect(report.answered).to.equal(false);
    expect(report.advice).to.deep.equal(NOTHING_ANSWERED_ADVICE);
  });

  it('shows progress on a terminal (stderr), never on stdout', async () => {
    const port = simulatedPort(undefined, () => ({ dispose: () => undefined }));
    const { io, err } = fakeIo(true);
    await runProbe({ port: '/dev/silent', open: port.open, timeoutMs: 20, protocols: ['essp'] }, io);
    expect(err.some((l) => l.includes('SYNC to address 0x00'))).to.equal(true);
  });

  it('a port that cannot be opened: the open error, exit 1', async () => {
    const { io, err } = fakeIo();
    const open: OpenAt = () => {
      throw new Error('Port /dev/nope does not exist. Run `cashwire list` to see ports.');
    };
    const code = await runProbe({ port: '/dev/nope', open }, io);
    expect(code).to.equal(1);
    expect(err.at(-1)).to.equal('cashwire: Port /dev/nope does not exist. Run `cashwire list` to see ports.');
  });

  it('bad usage is exit 2 before any port is opened', async () => {
    const port = simulatedPort(undefined, () => ({ dispose: () => undefined }));
    const { io, err } = fakeIo();
    expect(await runProbe({ port: '/dev/x', timeoutMs: 5, open: port.open }, io)).to.equal(2);
    expect(err[0]).to.match(/--timeout .* 20 to 5000/);
    expect(port.opened).to.deep.equal([]);
    expect(() => parseProtocols('essp,mdb')).to.throw(InvalidArgumentError, /Unknown protocol 'mdb'/);
    expect(parseProtocols('CCTALK, essp,cctalk')).to.deep.equal(['cctalk', 'essp']);
  });

  it('names Pyramid model codes from the fact sheet table, EBDS letters, and unknown codes', () => {
    expect(pyramidModelName(12)).to.equal('Curve');
    expect(pyramidModelName(0x54)).to.equal("EBDS model 'T'");
    expect(pyramidModelName(14)).to.equal('unknown model');
  });

  it('watchEcho: an exact copy of a written frame counts as echo, a different reply does not', () => {
    const [host, device] = createMemoryPair();
    const w = watchEcho(host);
    device.data$.subscribe((b) => {
      if (b[0] === 2) device.write(b).subscribe();
      else device.write(Uint8Array.of(1, 0, 2, 0, 253)).subscribe();
    });
    w.transport.write(Uint8Array.of(3, 0, 1, 254, 254)).subscribe();
    expect(w.echoed()).to.equal(false);
    w.transport.write(Uint8Array.of(2, 0, 1, 254, 255)).subscribe();
    expect(w.echoed()).to.equal(true);
  });
});

describe('cashwire probe (spawned, over a socat pty pair)', function () {
  this.timeout(20_000);
  const root = fileURLToPath(new URL('../..', import.meta.url));

  function run(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'lib/cli/entry.ts', ...args], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('error', reject);
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });
  }

  /** `cashwire simulate essp --port <path>` through the real entry; resolves once it is listening. */
  function simulate(path: string): Promise<ChildProcessWithoutNullStreams> {
    return new Promise((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'lib/cli/entry.ts', 'simulate', 'essp', '--port', path],
        { cwd: root },
      );
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes("type 'help' for commands")) resolve(child);
      });
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`simulator exited early (${String(code)}): ${out}`)));
    });
  }

  let pty: PtyPair | undefined;
  afterEach(async () => {
    await pty?.close();
    pty = undefined;
  });

  it('identifies `cashwire simulate essp` on the other end; --json output parses; exit 0', async () => {
    pty = await createPtyPair();
    const sim = await simulate(pty.a);
    try {
      const { code, stdout } = await run(['probe', '--port', pty.b, '--json']);
      expect(code).to.equal(0);
      const report = JSON.parse(stdout) as { answered: boolean; found: { protocol: string; unit: string }[] };
      expect(report.answered).to.equal(true);
      expect(report.found.map((f) => [f.protocol, f.unit])).to.deep.equal([['essp', 'BANKNOTE_VALIDATOR']]);
    } finally {
      await stopSimulator(sim);
    }
  });

  it('nothing on the other end: exit 1 with what to check', async () => {
    pty = await createPtyPair();
    const { code, stdout } = await run(['probe', '--port', pty.b, '--timeout', '20']);
    expect(code).to.equal(1);
    expect(stdout).to.contain(`Nothing answered on ${pty.b}`);
    expect(stdout).to.match(/DIP switches/);
  });

  it('bad usage is exit 2 with one line', async () => {
    const { code, stderr } = await run(['probe', '--port', '/dev/null', '--timeout', '5']);
    expect(code).to.equal(2);
    expect(stderr.trim().split('\n')).to.have.length(1);
    expect(stderr).to.match(/20\.\.5000/);
  });
});
