import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { Command } from 'commander';
import { of } from 'rxjs';
import { parseJsonArgs, registerCommandCommand, runCommand } from '../../lib/cli/commands/command.js';
import type { OpenAt } from '../../lib/cli/probe/types.js';
import { validateArgs, withByteArrays } from '../../lib/cli/probe/command-types.js';
import { InvalidArgumentError } from '../../lib/core/errors.js';
import { createCcTalkSimulator } from '../../lib/protocols/cctalk/simulator/index.js';
import { createEsspSimulator } from '../../lib/protocols/essp/simulator/index.js';
import { createPyramidSimulator } from '../../lib/protocols/pyramid/simulator/simulator.js';
import { createMemoryPair } from '../../lib/transport/memory.js';
import type { LineSettings, Transport } from '../../lib/transport/transport.js';
import { type PtyPair, createPtyPair } from '../helpers/pty.js';
import { fakeIo, stopSimulator } from './harness.js';

function fail(): never {
  throw new Error('first');
}

/** A port with a simulator on the far end; records the line settings and every byte the host wrote. */
function port(attach: (device: Transport) => { dispose(): void }): {
  open: OpenAt;
  opened: LineSettings[];
  written: () => number;
  dispose(): void;
} {
  const opened: LineSettings[] = [];
  const sims: { dispose(): void }[] = [];
  const hosts: { written: readonly Uint8Array[] }[] = [];
  return {
    opened,
    open: (_path, at) => {
      opened.push(at);
      const [host, device] = createMemoryPair();
      hosts.push(host);
      sims.push(attach(device));
      return of(host);
    },
    written: () => hosts.reduce((n, h) => n + h.written.length, 0),
    dispose: () => sims.forEach((s) => s.dispose()),
  };
}

const essp = (profile: 'NV200' | 'NV200_SMART_PAYOUT' = 'NV200') =>
  port((t) => createEsspSimulator(t, { profile }));

describe('cashwire command', () => {
  it('essp GET_SERIAL_NUMBER: SYNC first, the decoded serial as JSON, exit 0', async () => {
    const p = essp();
    const { io, out } = fakeIo();
    const code = await runCommand(
      { protocol: 'essp', port: '/dev/sim', name: 'GET_SERIAL_NUMBER', json: true, open: p.open },
      io,
    );
    p.dispose();
    expect(code).to.equal(0);
    const result = JSON.parse(out[0]!) as { ok: boolean; reply: { serial_number: number }; command: string };
    expect(result).to.deep.include({
      ok: true,
      protocol: 'essp',
      address: 0,
      command: 'GET_SERIAL_NUMBER',
      status: 'OK',
    });
    expect(result.reply.serial_number).to.be.a('number').above(0);
    expect(p.opened).to.deep.equal([{ baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 2 }]);
  });

  it('essp setup-request (any case, dashes): pretty output with unit type, country and channels', async () => {
    const p = essp();
    const { io, out } = fakeIo();
    const code = await runCommand(
      { protocol: 'ESSP', port: '/dev/sim', name: 'setup-request', open: p.open },
      io,
    );
    p.dispose();
    expect(code).to.equal(0);
    expect(out[0]).to.match(
      /^essp @0x00 SETUP_REQUEST: OK {2}\(encrypted false, protocolVersion \d+, unitType 0\)$/,
    );
    const text = out.join('\n');
    expect(text).to.match(/^ {2}unitTypeName: BANKNOTE_VALIDATOR$/m);
    expect(text).to.match(/^ {2}country: EUR$/m);
    expect(text).to.match(/^ {2}channels: \[\{"channel":1,"value":\{"amount":\d+,"currency":"EUR"\}\}/m);
  });

  it('essp: a command that must be encrypted (EMPTY_ALL) negotiates a key first', async () => {
    const p = essp('NV200_SMART_PAYOUT');
    const { io, out } = fakeIo();
    const code = await runCommand(
      { protocol: 'essp', port: '/dev/sim', name: 'EMPTY_ALL', json: true, open: p.open },
      io,
    );
    p.dispose();
    expect(code).to.equal(0);
    const result = JSON.parse(out[0]!) as { link: { encrypted: boolean; unitType: number } };
    expect(result.link).to.deep.equal({ encrypted: true, protocolVersion: 6, unitType: 6 });
  });

  it('essp: an unknown name is exit 2 with suggestions, and the port is never opened', async () => {
    const p = essp();
    const { io, err } = fakeIo();
    const code = await runCommand(
      { protocol: 'essp', port: '/dev/sim', name: 'GET_SERIAL', open: p.open },
      io,
    );
    p.dispose();
    expect(code).to.equal(2);
    expect(err[0]).to.match(
      /^cashwire: Unknown eSSP command 'GET_SERIAL'\. Did you mean .*GET_SERIAL_NUMBER/,
    );
    expect(p.opened).to.deep.equal([]);
  });

  it('essp: bad arguments are exit 2 naming the field; nothing is written', async () => {
    const p = essp();
    const { io, err } = fakeIo();
    const code = await runCommand(
      { protocol: 'essp', port: '/dev/sim', name: 'GET_SERIAL_NUMBER', args: '{"module":300}', open: p.open },
      io,
    );
    p.dispose();
    expect(code).to.equal(2);
    expect(err[0]).to.match(/field 'module'/);
    expect(p.written()).to.equal(0);
  });

  it('bad JSON is exit 2 with a clear message, before anything is opened', async () => {
    const p = essp();
    const { io, out, err } = fakeIo();
    const code = await runCommand(
      {
        protocol: 'essp',
        port: '/dev/sim',
        name: 'GET_SERIAL_NUMBER',
        args: '{module:1}',
        json: true,
        open: p.open,
      },
      io,
    );
    expect(code).to.equal(2);
    expect(err[0]).to.match(/json-args is not valid JSON .*Quote it for the shell/);
    expect(JSON.parse(out[0]!)).to.deep.include({ ok: false });
    expect(p.opened).to.deep.equal([]);
    expect(() => parseJsonArgs('[1,')).to.throw(InvalidArgumentError);
    expect(parseJsonArgs(' ')).to.equal(undefined);
  });

  it('essp: a refusal by the device is exit 1 with the generic response name and its explanation', async () => {
    const p = essp('NV200_SMART_PAYOUT');
    const { io, out, err } = fakeIo();
    // The unit is not enabled, so it cannot pay: COMMAND_CANNOT_BE_PROCESSED with the DISABLED error byte.
    const code = await runCommand(
      {
        protocol: 'essp',
        port: '/dev/sim',
        name: 'PAYOUT_AMOUNT',
        args: '{"amount":500,"country_code":"EUR","test":true}',
        json: true,
        open: p.open,
      },
      io,
    );
    p.dispose();
    expect(code).to.equal(1);
    expect(err).to.have.length(1);
    expect(err[0]).to.match(
      /^cashwire: PAYOUT_AMOUNT was refused: COMMAND_CANNOT_BE_PROCESSED \(DISABLED\)\. The command is valid but cannot run now/,
    );
    const result = JSON.parse(out[0]!) as { ok: boolean; error: { code: string; info: object } };
    expect(result.ok).to.equal(false);
    expect(result.error.code).to.equal('DEVICE_ERROR');
    expect(result.error.info).to.include({ response: 'COMMAND_CANNOT_BE_PROCESSED', error: 'DISABLED' });
  });

  it('essp: silence is exit 1 with what to check', async () => {
    const { io, err } = fakeIo();
    const open: OpenAt = () => of(createMemoryPair()[0]);
    const code = await runCommand(
      { protocol: 'essp', port: '/dev/none', name: 'SYNC', timeoutMs: 20, open },
      io,
    );
    expect(code).to.equal(1);
    expect(err[0]).to.match(/No valid reply to SYNC .*Check the cable/);
  });

  it('cctalk REQUEST_MANUFACTURER_ID: finds the checksum mode, decodes the text', async () => {
    const p = port((t) => createCcTalkSimulator(t, { echo: true }));
    const { io, out } = fakeIo();
    const code = await runCommand(
      { protocol: 'cctalk', port: '/dev/sim', name: 'REQUEST_MANUFACTURER_ID', json: true, open: p.open },
      io,
    );
    p.dispose();
    expect(code).to.equal(0);
    const result = JSON.parse(out[0]!) as { reply: string; link: object; address: number; status: string };
    expect(result).to.deep.include({ address: 2, status: 'ACK', link: { checksum: 'simple' } });
    expect(result.reply).to.be.a('string').and.not.equal('');
    expect(p.opened).to.deep.equal([{ baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 }]);
  });

  it('cctalk: a CRC-16 hopper at 3 answers REQUEST_EQUIPMENT_CATEGORY_ID with --checksum crc16', async () => {
    const p = port((t) =>
      createCcTalkSimulator(t, { coin: false, hopper: { checksum: 'crc16' }, echo: false }),
    );
    const { io, out } = fakeIo();
    const code = await runCommand(
      {
        protocol: 'cctalk',
        port: '/dev/sim',
        name: 'REQUEST_EQUIPMENT_CATEGORY_ID',
        address: 3,
        checksum: 'crc16',
        open: p.open,
      },
      io,
    );
    p.dispose();
    expect(code).to.equal(0);
    expect(out[0]).to.equal('cctalk @3 REQUEST_EQUIPMENT_CATEGORY_ID: ACK  (checksum crc16)');
    expect(out[1]).to.equal('  reply: Payout');
  });

  it('cctalk: unknown header → exit 2 with suggestions; bad argument → exit 2 naming the field', async () => {
    const p = port((t) => createCcTalkSimulator(t));
    const a = fakeIo();
    expect(
      await runCommand({ protocol: 'cctalk', port: '/dev/sim', name: 'MANUFACTURER_ID', open: p.open }, a.io),
    ).to.equal(2);
    expect(a.err[0]).to.match(
      /Unknown ccTalk command 'MANUFACTURER_ID'\. Did you mean REQUEST_MANUFACTURER_ID/,
    );
    const b = fakeIo();
    expect(
      await runCommand(
        {
          protocol: 'cctalk',
          port: '/dev/sim',
          name: 'MODIFY_INHIBIT_STATUS',
          args: '{"mask":"all"}',
          open: p.open,
        },
        b.io,
      ),
    ).to.equal(2);
    expect(b.err[0]).to.match(/field 'mask'/);
    expect(p.opened).to.deep.equal([]);
    p.dispose();
  });

  it('cctalk: a NAK is exit 1 with the response name and what it means', async () => {
    // A hopper that was never enabled refuses to dispense.
    const p = port((t) => createCcTalkSimulator(t, { coin: false, hopper: {}, echo: false }));
    const { io, out, err } = fakeIo();
    const code = await runCommand(
      {
        protocol: 'cctalk',
        port: '/dev/sim',
        name: 'DISPENSE_HOPPER_COINS',
        args: '{"security":[1,2,3],"count":1}',
        address: 3,
        json: true,
        open: p.open,
      },
      io,
    );
    p.dispose();
    expect(code).to.equal(1);
    expect(err[0]).to.match(
      /^cashwire: Device 3 refused DISPENSE_HOPPER_COINS \(NAK\)\. The device understood the command and refused it/,
    );
    const result = JSON.parse(out[0]!) as { error: { code: string; info: object } };
    expect(result.error.code).to.equal('DEVICE_ERROR');
    expect(result.error.info).to.include({ response: 'NAK', command: 'DISPENSE_HOPPER_COINS', address: 3 });
  });

  it('json-args: byte lists become bytes only where the table wants bytes', () => {
    expect(withByteArrays({ security: [1, 2, 3], count: 1 })).to.deep.equal({
      security: Uint8Array.of(1, 2, 3),
      count: 1,
    });
    expect(withByteArrays({ values: [1, 300] })).to.deep.equal({ values: [1, 300] });
    // eSSP SET_CHANNEL_INHIBITS takes a list of numbers: it is validated as given.
    expect(
      validateArgs([0, 1], (a): unknown => (Array.isArray(a) ? (a as unknown[]) : fail())).args,
    ).to.deep.equal([0, 1]);
    // A byte field: the first try fails, the converted one passes.
    const bytesOnly = (a: unknown): unknown => (a instanceof Uint8Array ? a : fail());
    expect(validateArgs([7, 8], bytesOnly).args).to.deep.equal(Uint8Array.of(7, 8));
    // Neither passes: the error of the first try is reported.
    expect(() => validateArgs(['x'], bytesOnly)).to.throw('first');
  });

  it('options for another protocol are bad usage, not silently ignored', async () => {
    const { io, err } = fakeIo();
    const open: OpenAt = () => of(createMemoryPair()[0]);
    expect(
      await runCommand({ protocol: 'cctalk', port: '/x', name: 'SIMPLE_POLL', encrypt: true, open }, io),
    ).to.equal(2);
    expect(
      await runCommand({ protocol: 'pyramid', port: '/x', name: 'POLL', address: 3, open }, io),
    ).to.equal(2);
    expect(await runCommand({ protocol: 'mdb', port: '/x', name: 'POLL', open }, io)).to.equal(2);
    expect(err.map((l) => l.replace(/ \(add --help for usage\)$/, ''))).to.deep.equal([
      'cashwire: --encrypt applies to essp only.',
      'cashwire: --address does not apply to Pyramid: the link has no addresses.',
      "cashwire: Unknown protocol 'mdb'. Choose from: essp, cctalk, pyramid.",
    ]);
  });

  it('pyramid POLL with a mask: a fresh status reply with state, model and revision', async () => {
    const p = port((t) => createPyramidSimulator(t, { model: 16, revision: 17 }));
    const { io, out } = fakeIo();
    const code = await runCommand(
      { protocol: 'pyramid', port: '/dev/sim', name: 'POLL', args: '{"mask":127}', json: true, open: p.open },
      io,
    );
    p.dispose();
    expect(code).to.equal(0);
    const result = JSON.parse(out[0]!) as { reply: Record<string, unknown> };
    expect(result.reply).to.include({ model: 16, revision: 17, modelName: 'Apex 7200/7400/7600 (US)' });
    expect(result.reply['state']).to.be.a('string');
    expect(p.opened).to.deep.equal([{ baudRate: 9600, dataBits: 7, parity: 'even', stopBits: 1 }]);
  });

  it('pyramid: stack together with return is refused before anything is written', async () => {
    const p = port((t) => createPyramidSimulator(t));
    const { io, err } = fakeIo();
    const code = await runCommand(
      {
        protocol: 'pyramid',
        port: '/dev/sim',
        name: 'POLL',
        args: '{"stack":true,"return":true}',
        open: p.open,
      },
      io,
    );
    p.dispose();
    expect(code).to.equal(2);
    expect(err[0]).to.match(/Stack and return cannot be requested in the same poll/);
    expect(p.opened).to.deep.equal([]);
  });

  it('help lists the options and an Examples block', () => {
    const program = new Command('cashwire').exitOverride();
    registerCommandCommand(program, fakeIo().io);
    const cmd = program.commands.find((c) => c.name() === 'command')!;
    let text = '';
    cmd.configureOutput({ writeOut: (s) => (text += s) });
    cmd.outputHelp();
    for (const flag of [
      '--port',
      '--address',
      '--fixed-key',
      '--encrypt',
      '--checksum',
      '--timeout',
      '--json',
    ]) {
      expect(text).to.contain(flag);
    }
    expect(text).to.match(/Examples:\n {2}cashwire command essp --port/);
  });
});

describe('cashwire command (spawned, over a socat pty pair)', function () {
  this.timeout(20_000);
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const cli = (args: readonly string[]): ChildProcessWithoutNullStreams =>
    spawn(process.execPath, ['--import', 'tsx', 'lib/cli/entry.ts', ...args], { cwd: root });

  function run(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = cli(args);
      child.stdin.end();
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('error', reject);
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });
  }

  let pty: PtyPair | undefined;
  afterEach(async () => {
    await pty?.close();
    pty = undefined;
  });

  it('REQUEST_MANUFACTURER_ID to `cashwire simulate cctalk --echo`: --json parses, exit 0', async () => {
    pty = await createPtyPair();
    const sim = cli(['simulate', 'cctalk', '--port', pty.a, '--echo']);
    await new Promise<void>((resolve, reject) => {
      let out = '';
      sim.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes("Type 'help' for commands")) resolve();
      });
      sim.once('exit', (code) => reject(new Error(`simulator exited early (${String(code)}): ${out}`)));
    });
    try {
      const { code, stdout } = await run([
        'command',
        'cctalk',
        '--port',
        pty.b,
        'REQUEST_MANUFACTURER_ID',
        '--address',
        '2',
        '--json',
      ]);
      expect(code).to.equal(0);
      const result = JSON.parse(stdout) as { ok: boolean; reply: string; link: object };
      expect(result).to.deep.include({ ok: true, reply: 'CWS', link: { checksum: 'simple' } });
    } finally {
      await stopSimulator(sim);
    }
  });

  it('an unknown command name is exit 2 with a suggestion, one line on stderr', async () => {
    const { code, stdout, stderr } = await run([
      'command',
      'essp',
      '--port',
      '/dev/null',
      'GET_SERIAL_NUMBR',
    ]);
    expect(code).to.equal(2);
    expect(stdout).to.equal('');
    expect(stderr.trim().split('\n')).to.have.length(1);
    expect(stderr).to.match(/Unknown eSSP command 'GET_SERIAL_NUMBR'\. Did you mean GET_SERIAL_NUMBER/);
  });
});
