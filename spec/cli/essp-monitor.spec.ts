import { expect } from 'chai';
import { Subject, firstValueFrom, of, filter, timeout } from 'rxjs';
import { InvalidArgumentError } from '../../lib/core/errors.js';
import type { CliIo } from '../../lib/cli/io.js';
import { runEsspMonitor } from '../../lib/cli/commands/essp-monitor.js';
import { createEsspSimulator, type EsspSimulator } from '../../lib/protocols/essp/simulator/index.js';
import { createMemoryPair, type MemoryTransport } from '../../lib/transport/memory.js';

interface Harness {
  readonly io: CliIo;
  readonly out: string[];
  readonly err: string[];
  readonly printed$: Subject<string>;
}

function harness(): Harness {
  const out: string[] = [];
  const err: string[] = [];
  const printed$ = new Subject<string>();
  return {
    io: {
      out: (l) => {
        out.push(l);
        printed$.next(l);
      },
      err: (l) => {
        err.push(l);
        printed$.next(l);
      },
      stdinLines$: new Subject<string>(),
      isTty: false,
    },
    out,
    err,
    printed$,
  };
}

const waitLine = (h: Harness, pattern: RegExp, ms = 4000): Promise<string> => {
  const seen = [...h.out, ...h.err].find((l) => pattern.test(l));
  if (seen !== undefined) return Promise.resolve(seen);
  return firstValueFrom(
    h.printed$.pipe(
      filter((l) => pattern.test(l)),
      timeout(ms),
    ),
  );
};

describe('cashwire monitor essp (in-process)', function () {
  this.timeout(15_000);
  let sim: EsspSimulator | undefined;
  /** Stop requests of monitors started by a test: a failed test must not leave one polling. */
  const stops: Subject<void>[] = [];
  const stopper = (): Subject<void> => {
    const s = new Subject<void>();
    stops.push(s);
    return s;
  };

  afterEach(() => {
    for (const s of stops.splice(0)) s.next();
    sim?.dispose();
    sim = undefined;
  });

  function unitOnLine(): MemoryTransport {
    const [host, line] = createMemoryPair();
    sim = createEsspSimulator(line, { profile: 'NV200', timing: { readMs: 50, creditMs: 50, stackMs: 50 } });
    return host;
  }

  it('prints the unit, its state and a credit as pretty lines, then stops cleanly', async () => {
    const host = unitOnLine();
    const h = harness();
    const stop$ = stopper();
    const done = runEsspMonitor({ port: '/dev/fake', stop$, open: () => of(host), stamp: () => 'T' }, h.io);
    await waitLine(h, /state\s+enabled/);
    expect(h.out.join('\n')).to.match(/^T {2}essp:00 {5}info\s+BANKNOTE_VALIDATOR serial \d+ .*encrypted/m);
    sim!.insertNote(2);
    const credit = await waitLine(h, /credit/);
    expect(credit).to.equal('T  essp:00     credit      10.00 EUR  note ch2');
    // Raw protocol events stay out of pretty output.
    expect(h.out.some((l) => l.includes('NOTE_STACKED') || l.includes('CREDIT_NOTE'))).to.equal(false);

    stop$.next();
    expect(await done).to.equal(0);
    const written = host.written.length;
    await new Promise((r) => setTimeout(r, 400));
    expect(host.written.length, 'no polls after the stop').to.equal(written);
  });

  it('--json prints every event, raw ones included, one object per line', async () => {
    const host = unitOnLine();
    const h = harness();
    const stop$ = stopper();
    const done = runEsspMonitor({ port: '/dev/fake', stop$, open: () => of(host), json: true }, h.io);
    await waitLine(h, /"status":"enabled"/);
    sim!.insertNote(3);
    const credit = JSON.parse(await waitLine(h, /"type":"credit"/));
    expect(credit).to.deep.equal({
      type: 'credit',
      device: { protocol: 'essp', address: 0 },
      kind: 'note',
      money: { amount: 2000, currency: 'EUR' },
      channel: 3,
    });
    expect(JSON.parse(await waitLine(h, /"name":"CREDIT_NOTE"/))).to.include({ type: 'raw' });
    stop$.next();
    expect(await done).to.equal(0);
    for (const line of h.out) expect(() => JSON.parse(line) as unknown, line).to.not.throw();
  });

  it('quit on stdin stops it; the end of stdin alone does not', async () => {
    const host = unitOnLine();
    const h = harness();
    const stdin = new Subject<string>();
    const io = { ...h.io, stdinLines$: stdin };
    const done = runEsspMonitor({ port: '/dev/fake', stop$: stopper(), open: () => of(host) }, io);
    await waitLine(h, /state\s+enabled/);
    stdin.next('quit');
    expect(await done).to.equal(0);
    sim!.dispose();

    const again = unitOnLine();
    const stdin2 = new Subject<string>();
    const stop$ = stopper();
    let finished = false;
    const second = runEsspMonitor(
      { port: '/dev/fake', stop$, open: () => of(again) },
      { ...h.io, stdinLines$: stdin2 },
    ).then((code) => {
      finished = true;
      return code;
    });
    stdin2.complete();
    await new Promise((r) => setTimeout(r, 300));
    expect(finished, 'still running after the end of stdin').to.equal(false);
    stop$.next();
    expect(await second).to.equal(0);
  });

  it('says early when nothing answers, and keeps trying until stopped', async () => {
    const [host] = createMemoryPair();
    const h = harness();
    const stop$ = stopper();
    const done = runEsspMonitor({ port: '/dev/fake', stop$, open: () => of(host), silenceHintMs: 50 }, h.io);
    const hint = await waitLine(h, /No reply on \/dev\/fake yet/, 2000);
    expect(h.err).to.include(hint);
    stop$.next();
    expect(await done).to.equal(0);
  });

  it('a bad fixed key is refused before the port is opened', async () => {
    let opened = false;
    const h = harness();
    const open = () => {
      opened = true;
      return of(createMemoryPair()[0]);
    };
    const error = await runEsspMonitor(
      { port: '/dev/fake', stop$: new Subject(), open, fixedKey: 'xyz' },
      h.io,
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(InvalidArgumentError);
    expect(opened).to.equal(false);
  });
});
