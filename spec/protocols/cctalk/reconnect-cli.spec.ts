/**
 * `cashwire monitor cctalk` across a pulled cable: the monitor keeps running,
 * says when the line is lost and when it is back, and the acceptor's credits
 * go on being printed afterwards.
 */
import { expect } from 'chai';
import { Subject, defer, of, throwError } from 'rxjs';
import { lineNotice, runCcTalkMonitor } from '../../../lib/cli/commands/cctalk.js';
import type { CliIo } from '../../../lib/cli/io.js';
import { TransportError } from '../../../lib/core/errors.js';
import { createCcTalkSimulator } from '../../../lib/protocols/cctalk/simulator/index.js';
import { type MemoryTransport, createMemoryPair } from '../../../lib/transport/memory.js';
import type { Transport } from '../../../lib/transport/transport.js';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, ms = 4000): Promise<void> {
  for (let waited = 0; !check() && waited < ms; waited += 20) await wait(20);
}

describe('cashwire monitor cctalk across a pulled cable', function () {
  this.timeout(10_000);

  it('prints "line lost" and "line back", and keeps crediting coins after the reconnect', async () => {
    const toUnit = new Subject<Uint8Array>();
    let unitEnd: MemoryTransport | undefined;
    let host: MemoryTransport | undefined;
    let plugged = true;
    const unit: Transport = {
      description: 'unit',
      data$: toUnit,
      write: (bytes) =>
        defer(() => {
          unitEnd?.write(bytes).subscribe({ error: () => undefined });
          return of(undefined);
        }),
      close: () => of(undefined),
    };
    const open = () =>
      defer(() => {
        if (!plugged) return throwError(() => new TransportError('Port /dev/ttyUSB0 does not exist.'));
        const [h, u] = createMemoryPair();
        host = h;
        unitEnd = u;
        u.data$.subscribe({ next: (b) => toUnit.next(b), error: () => undefined });
        return of<Transport>(h);
      });
    const sim = createCcTalkSimulator(unit, { echo: false });
    const out: string[] = [];
    const stdin = new Subject<string>();
    const io: CliIo = { out: (l) => out.push(l), err: () => undefined, stdinLines$: stdin, isTty: false };
    const done = runCcTalkMonitor(
      {
        port: '/dev/ttyUSB0',
        open,
        discovery: { addresses: [2], addressPoll: false },
        reconnect: { initialDelayMs: 50, maxDelayMs: 100 },
        stamp: () => '',
      },
      io,
    );
    const enabledLines = (): number => out.filter((l) => /cctalk:02\s+state\s+enabled/.test(l)).length;
    await until(() => enabledLines() === 1);

    plugged = false;
    unitEnd = undefined;
    host!.breakLine();
    await until(() => out.some((l) => l.includes('line lost')));
    await wait(200); // a few failed reopens
    plugged = true;
    await until(() => enabledLines() === 2);
    sim.insertCoin(6);
    await until(() => out.some((l) => /\bcredit\b/.test(l)));
    stdin.next('quit');
    expect(await done).to.equal(0);
    sim.dispose();

    const lost = out.filter((l) => l.includes('info') && l.includes('line lost'));
    expect(lost).to.deep.equal([
      'cctalk:00   info        line lost: The line of memory:host was cut. Reopening /dev/ttyUSB0 until it is back.',
    ]);
    expect(out.filter((l) => l.includes('line back'))).to.deep.equal([
      'cctalk:00   info        line back on memory:host: devices re-sync',
    ]);
    expect(out.some((l) => /cctalk:02\s+state\s+recovering\s+line lost/.test(l))).to.equal(true);
    expect(out.filter((l) => /\bcredit\b/.test(l))).to.have.length(1);
    expect(out.some((l) => /credit\s+0\.50 EUR/.test(l))).to.equal(true);
  });

  it('prints the line notices as JSON objects with --json', () => {
    const style = { json: true, color: false };
    const ref = { protocol: 'cctalk', address: 0 } as const;
    const err = new TransportError('cut');
    const lost = lineNotice(
      style,
      ref,
      { status: 'down', after: 'loss', reason: 'cut', error: err, attempt: 1, retryInMs: 500 },
      'p',
      '',
    );
    expect(JSON.parse(lost!)).to.deep.include({ type: 'info', line: 'lost', reason: 'cut' });
    const failed = lineNotice(
      style,
      ref,
      { status: 'down', after: 'failed-open', reason: 'x', error: err, attempt: 2, retryInMs: 1000 },
      'p',
      '',
    );
    expect(failed).to.equal(undefined);
    expect(lineNotice(style, ref, { status: 'open', generation: 1, description: 'p' }, 'p', '')).to.equal(
      undefined,
    );
    const back = lineNotice(style, ref, { status: 'open', generation: 2, description: 'p' }, 'p', '');
    expect(JSON.parse(back!)).to.deep.include({ type: 'info', line: 'back', generation: 2 });
  });
});
