/**
 * `cashwire monitor pyramid` keeps monitoring across a pulled cable: it says
 * when the line is lost and when it is back, and the note stacked meanwhile is
 * printed as one credit. In process, over memory lines, in real time (short).
 */
import { expect } from 'chai';
import { type Observable, Subject, type Subscription, defer, of, throwError } from 'rxjs';
import { lineNotice, runPyramidMonitor } from '../../../lib/cli/commands/pyramid.js';
import { OptionRangeError, TransportError } from '../../../lib/core/errors.js';
import { createPyramidSimulator } from '../../../lib/protocols/pyramid/simulator/simulator.js';
import { type MemoryTransport, createMemoryPair } from '../../../lib/transport/memory.js';
import type { Transport } from '../../../lib/transport/transport.js';
import { interactiveIo } from '../../helpers/cli-io.js';

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, ms = 3000): Promise<void> {
  for (let waited = 0; !check() && waited < ms; waited += 20) await pause(20);
}

/** A port that can be unplugged: the open line dies and opening fails until it is back. */
function pluggablePort(): {
  unit: Transport;
  open: (path: string) => Observable<Transport>;
  opens: () => number;
  pull(): void;
  plug(): void;
} {
  const data$ = new Subject<Uint8Array>();
  let far: MemoryTransport | undefined;
  let host: MemoryTransport | undefined;
  let sub: Subscription | undefined;
  let present = true;
  let opens = 0;
  return {
    unit: {
      data$,
      write: (bytes) => defer(() => (far === undefined ? of(undefined) : far.write(bytes))),
      close: () => of(undefined),
      description: 'unit side',
    },
    open: (path) =>
      defer(() => {
        opens += 1;
        if (!present) return throwError(() => new TransportError(`Port ${path} does not exist.`));
        const [h, f] = createMemoryPair();
        far = f;
        host = h;
        sub = f.data$.subscribe({ next: (b) => data$.next(b), error: () => undefined });
        return of<Transport>(h);
      }),
    opens: () => opens,
    pull() {
      present = false;
      sub?.unsubscribe();
      far = undefined;
      host?.breakLine();
    },
    plug() {
      present = true;
    },
  };
}

describe('cashwire monitor pyramid: a pulled cable', () => {
  it('prints the loss and the return of the line, and the note stacked meanwhile once', async function () {
    this.timeout(8000);
    const port = pluggablePort();
    const sim = createPyramidSimulator(port.unit, {
      timing: { powerUpMs: 50, readMs: 100, stackMs: 100, busyMs: 20 },
    });
    const { io, out, stdin } = interactiveIo();
    const done = runPyramidMonitor(
      {
        port: '/dev/fake',
        open: port.open,
        stamp: () => '',
        reconnect: { initialDelayMs: 50, maxDelayMs: 100 },
      },
      io,
    );
    await until(() => out.some((l) => /state\s+enabled/.test(l)));
    port.pull();
    await until(() => out.some((l) => l.startsWith('line lost')));
    await pause(50);
    expect(sim.insertBill(5)).to.equal(true); // stacked while nobody polls
    await pause(400);
    port.plug();
    await until(() => out.some((l) => l.includes('credit')));
    await pause(300); // more polls: no second credit
    stdin.next('quit');
    expect(await done).to.equal(0);
    sim.dispose();

    expect(out).to.include(
      'line lost on /dev/fake: The line of memory:host was cut.; reopening it (next try in 50 ms)',
    );
    const back = out.filter((l) => l.startsWith('line back'));
    expect(back).to.have.length(1);
    expect(back[0]).to.match(/^line back on \/dev\/fake after \d+\.\d s \(\d+ tries\)$/);
    expect(out.filter((l) => l.includes('credit'))).to.have.length(1);
    expect(out.find((l) => l.includes('credit'))).to.include('20.00');
    expect(port.opens()).to.be.greaterThan(2); // tries while unplugged failed, then one worked
    expect(sim.stats).to.include({ accepted: 1 });
  });

  it('refuses bad reconnect options before the port is opened', async () => {
    let opened = false;
    const open = (): Observable<Transport> => {
      opened = true;
      return of<Transport>(createMemoryPair()[0]);
    };
    let error: unknown;
    await runPyramidMonitor(
      { port: '/dev/fake', open, reconnect: { initialDelayMs: 1 } },
      interactiveIo().io,
    ).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(OptionRangeError);
    expect(opened).to.equal(false);
  });

  it('lineNotice speaks only for line-lost and line-back', () => {
    const device = { protocol: 'pyramid', address: 0 } as const;
    expect(
      lineNotice({ type: 'raw', device, name: 'line-back', data: { outageMs: 2340, reopens: 3 } }, 'p'),
    ).to.equal('line back on p after 2.3 s (3 tries)');
    expect(lineNotice({ type: 'raw', device, name: 'link-down', data: {} }, 'p')).to.equal(undefined);
    expect(lineNotice({ type: 'jam', device }, 'p')).to.equal(undefined);
  });
});
