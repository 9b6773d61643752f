import { expect } from 'chai';
import { defer, firstValueFrom, of, throwError } from 'rxjs';
import { InvalidArgumentError, TransportError } from '../../lib/core/errors.js';
import { runCcTalkMonitor } from '../../lib/cli/commands/cctalk.js';
import { openReopeningPort } from '../../lib/cli/reopening-port.js';
import { createMemoryPair } from '../../lib/transport/memory.js';
import type { Transport } from '../../lib/transport/transport.js';
import { fakeIo } from './harness.js';

/** An opener that hands out fresh in-memory ports and counts opens and closes. */
function ports() {
  const opened: Transport[] = [];
  let closed = 0;
  const open = (path: string) =>
    defer(() => {
      const [host] = createMemoryPair([path, 'unit']);
      const port: Transport = {
        ...host,
        close: () => defer(() => (closed++, host.close())),
      };
      opened.push(port);
      return of(port);
    });
  return { open, opened, closed: () => closed };
}

describe('monitor port: opened once, then reopened by path', () => {
  it('hands the port opened at the start to the driver first, then opens the path again', async () => {
    const p = ports();
    const port = await openReopeningPort(p.open, '/dev/ttyUSB0');
    expect(p.opened).to.have.length(1);
    expect(await firstValueFrom(port.opener)).to.equal(p.opened[0]);
    const again = await firstValueFrom(port.opener);
    expect(p.opened).to.have.length(2);
    expect(again).to.equal(p.opened[1]);
    await port.closeUnused(); // the driver took it: nothing to close
    expect(p.closed()).to.equal(0);
  });

  it('closes the first port when no driver took it', async () => {
    const p = ports();
    const port = await openReopeningPort(p.open, '/dev/ttyUSB0');
    await port.closeUnused();
    expect(p.closed()).to.equal(1);
    await port.closeUnused();
    expect(p.closed()).to.equal(1);
  });

  it('fails at once with the open error for a wrong path', async () => {
    const failing = () => throwError(() => new TransportError('no such port', { path: '/dev/nope' }));
    let error: unknown;
    await openReopeningPort(failing, '/dev/nope').catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(TransportError);
  });

  it('cctalk monitor: a bad reconnect option fails before any port opens', async () => {
    const p = ports();
    let error: unknown;
    await runCcTalkMonitor(
      { port: '/dev/ttyUSB0', open: p.open, reconnect: { initialDelayMs: 500, maxDelayMs: 100 } },
      fakeIo().io,
    ).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(InvalidArgumentError);
    expect(p.opened).to.have.length(0);
  });
});
