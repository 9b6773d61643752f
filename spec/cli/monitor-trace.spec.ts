/**
 * `cashwire monitor <protocol> --trace <file>`: each monitor, run in-process
 * against a simulator, writes every frame it exchanged to a JSONL file that
 * the trace reader and `cashwire decode` both accept.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Subject, of } from 'rxjs';
import { readLines } from '../../lib/cli/io.js';
import { runCcTalkMonitor } from '../../lib/cli/commands/cctalk.js';
import { runDecode, registerDecoder } from '../../lib/cli/commands/decode.js';
import { runEsspMonitor } from '../../lib/cli/commands/essp-monitor.js';
import { runPyramidMonitor } from '../../lib/cli/commands/pyramid.js';
import { InvalidArgumentError } from '../../lib/core/errors.js';
import { createCcTalkSimulator } from '../../lib/protocols/cctalk/simulator/index.js';
import { createEsspSimulator } from '../../lib/protocols/essp/simulator/index.js';
import { createPyramidLineDecoder } from '../../lib/protocols/pyramid/decode-lines.js';
import { createPyramidSimulator } from '../../lib/protocols/pyramid/simulator/simulator.js';
import { type TraceLine, parseTraceLines } from '../../lib/testing/trace/jsonl.js';
import { createMemoryPair } from '../../lib/transport/memory.js';
import { interactiveIo } from '../helpers/cli-io.js';

// The program registers the Pyramid decoder in its entry point, which is not loaded here.
registerDecoder('pyramid', () => createPyramidLineDecoder());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Parse the file, check both directions are there, and that `decode` reads the file as the CLI does. */
async function checkTrace(file: string, protocol: string): Promise<TraceLine[]> {
  const text = readFileSync(file, 'utf8');
  expect(text.endsWith('\n')).to.equal(true);
  const records = parseTraceLines(text);
  expect(records.filter((r) => r.direction === 'tx')).to.not.be.empty;
  expect(records.filter((r) => r.direction === 'rx')).to.not.be.empty;
  expect(records.every((r) => r.protocol === protocol)).to.equal(true);
  const { io, out, err } = interactiveIo();
  expect(await runDecode(protocol, readLines(file), { radix: 'auto' }, io)).to.equal(0, err.join('\n'));
  expect(out.length).to.be.at.least(records.length);
  return records;
}

describe('cashwire monitor --trace', function () {
  this.timeout(20_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cashwire-trace-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('essp: the whole session goes to the file, encrypted frames as sent and no decrypted bytes', async () => {
    const [host, line] = createMemoryPair();
    const sim = createEsspSimulator(line, {
      profile: 'NV200',
      timing: { readMs: 50, creditMs: 50, stackMs: 50 },
    });
    const file = join(dir, 'essp.jsonl');
    const { io, out } = interactiveIo();
    const stop$ = new Subject<void>();
    const done = runEsspMonitor(
      { port: '/dev/fake', json: true, stop$, open: () => of(host), traceFile: file },
      io,
    );
    for (let i = 0; i < 100 && !out.some((l) => l.includes('"enabled"')); i++) await sleep(30);
    sim.insertNote(2);
    for (let i = 0; i < 100 && !out.some((l) => l.includes('"credit"')); i++) await sleep(30);
    stop$.next();
    expect(await done).to.equal(0);
    sim.dispose();
    expect(out.some((l) => l.includes('"credit"'))).to.equal(true);
    const records = await checkTrace(file, 'essp');
    // SYNC (0x11) starts the session; encrypted frames (0x7E after the length) appear once the key is set.
    expect(records[0]).to.deep.include({ direction: 'tx' });
    expect(records.some((r) => /^7F [0-9A-F]{2} [0-9A-F]{2} 7E/.test(r.hex))).to.equal(true);
    expect(records.some((r) => r.plainHex !== undefined)).to.equal(false);
  });

  it('cctalk: the bus trace holds the scan and the polls of the coin acceptor', async () => {
    const [host, line] = createMemoryPair();
    const sim = createCcTalkSimulator(line, { coin: { checksum: 'simple' }, echo: false });
    const file = join(dir, 'cctalk.jsonl');
    const { io, out, stdin } = interactiveIo();
    const done = runCcTalkMonitor(
      { port: '/dev/fake', json: true, open: () => of(host), traceFile: file },
      io,
    );
    for (let i = 0; i < 200 && !out.some((l) => l.includes('"enabled"')); i++) await sleep(30);
    sim.insertCoin(1);
    for (let i = 0; i < 100 && !out.some((l) => l.includes('"credit"')); i++) await sleep(30);
    stdin.next('quit');
    expect(await done).to.equal(0);
    sim.dispose();
    expect(out.some((l) => l.includes('"credit"'))).to.equal(true);
    const records = await checkTrace(file, 'cctalk');
    expect(records.some((r) => r.direction === 'rx' && r.address !== undefined)).to.equal(true);
  });

  it('pyramid: polls and replies around a stacked note', async () => {
    const [host, line] = createMemoryPair();
    const sim = createPyramidSimulator(line, {
      timing: { powerUpMs: 50, readMs: 100, stackMs: 100, busyMs: 20 },
    });
    const file = join(dir, 'pyramid.jsonl');
    const { io, out, stdin } = interactiveIo();
    const done = runPyramidMonitor(
      { port: '/dev/fake', mask: '0x7F', json: true, open: () => of(host), traceFile: file },
      io,
    );
    await sleep(300);
    sim.insertBill(5);
    for (let i = 0; i < 100 && !out.some((l) => l.includes('"credit"')); i++) await sleep(30);
    stdin.next('quit');
    expect(await done).to.equal(0);
    sim.dispose();
    expect(out.some((l) => l.includes('"credit"'))).to.equal(true);
    await checkTrace(file, 'pyramid');
  });

  it('a trace file that cannot be created fails before the port is opened', async () => {
    let opened = false;
    const open = () => {
      opened = true;
      return of(createMemoryPair()[0]);
    };
    const { io } = interactiveIo();
    let error: unknown;
    await runPyramidMonitor(
      { port: '/dev/fake', open, traceFile: join(dir, 'no', 'such', 'dir.jsonl') },
      io,
    ).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(InvalidArgumentError);
    expect(opened).to.equal(false);
  });
});
