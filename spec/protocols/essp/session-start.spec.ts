import { expect } from 'chai';
import { lastValueFrom } from 'rxjs';
import { bytes, toHex } from '../../../lib/core/bytes.js';
import { EncryptionRequiredError, UnknownCommandError } from '../../../lib/core/errors.js';
import type { RequestSink } from '../../../lib/operators/exchange.js';
import type { EsspCommandName } from '../../../lib/protocols/essp/commands/table.js';
import { type EsspCommandReply, createEsspBus } from '../../../lib/protocols/essp/session.js';
import { type MemoryTransport, createMemoryPair } from '../../../lib/transport/memory.js';
import { createTestScheduler } from '../../helpers/marbles.js';
import { OK, createFakeDevice } from './device/fake-device.js';

const hexes = (port: MemoryTransport): string[] => port.written.map((b) => toHex(b));

/** A sink that writes down what reaches it, in order. */
function recorder(): { readonly seen: string[]; readonly sink: RequestSink<EsspCommandReply> } {
  const seen: string[] = [];
  return {
    seen,
    sink: {
      next: (r) => {
        const info = r.info as { readonly data?: Uint8Array } | undefined;
        seen.push(`next ${r.command} ${info?.data === undefined ? '-' : toHex(info.data)}`);
      },
      error: (e) => seen.push(`error ${e instanceof Error ? e.name : String(e)}`),
      complete: () => seen.push('complete'),
    },
  };
}

function setup(attempts = 3) {
  const ts = createTestScheduler();
  const [host, port] = createMemoryPair();
  const device = createFakeDevice(port, { 0x07: () => bytes(OK, 0xe8) });
  const bus = createEsspBus(host, { timeoutMs: 100, attempts, scheduler: ts });
  const session = bus.session(0);
  const run = <N extends EsspCommandName>(name: N, sink: RequestSink<EsspCommandReply>) => {
    if (session.start === undefined) throw new Error('a bus session is expected to have start');
    return session.start(name, undefined, undefined, sink);
  };
  return { ts, host, device, bus, session, run };
}

describe('eSSP session start (send without an Observable)', () => {
  it('writes the same frames as send (SYNC first, then the command) and reports the reply, then completion', () => {
    const viaStart = setup();
    const { seen, sink } = recorder();
    viaStart.run('POLL', sink);
    viaStart.ts.flush();
    expect(seen).to.deep.equal(['next POLL E8', 'complete']);

    const viaSend = setup();
    const replies: string[] = [];
    viaSend.session.send('POLL').subscribe((r) => replies.push(toHex(r.info.data)));
    viaSend.ts.flush();
    expect(replies).to.deep.equal(['E8']);
    expect(hexes(viaStart.host)).to.deep.equal(hexes(viaSend.host));
    expect(hexes(viaStart.host)).to.deep.equal(['7F 80 01 11 65 82', '7F 00 01 07 11 88']);
  });

  it('reports a command it cannot send to the sink: an unknown one writes nothing', () => {
    const { host, ts, session } = setup();
    const errors: unknown[] = [];
    const sink = { next: () => undefined, error: (e: unknown) => errors.push(e), complete: () => undefined };
    const abandon = session.start!('NOT_A_COMMAND' as EsspCommandName, undefined, undefined, sink);
    abandon();
    ts.flush();
    expect(errors).to.have.length(1);
    expect(errors[0]).to.be.instanceOf(UnknownCommandError);
    expect(host.written).to.have.length(0);
    // Forced encryption without a key fails when its bytes are built, after the SYNC.
    session.start!('POLL', undefined, { encrypt: true }, sink);
    ts.flush();
    expect(errors[1]).to.be.instanceOf(EncryptionRequiredError);
    expect(hexes(host)).to.deep.equal(['7F 80 01 11 65 82']);
  });

  it('waits its turn behind a command of the same address, and is reported after it', () => {
    const { ts, host, device, session, run } = setup();
    device.silent = true;
    const order: string[] = [];
    session.send('SYNC').subscribe({ complete: () => order.push('SYNC done') });
    const { seen, sink } = recorder();
    run('POLL', { ...sink, complete: () => order.push('POLL done') });
    expect(host.written).to.have.length(1);
    ts.schedule(() => {
      device.silent = false;
    }, 150);
    ts.flush();
    // The SYNC was resent until the device answered; POLL went out only then.
    expect(hexes(host).slice(-2)).to.deep.equal(['7F 80 01 11 65 82', '7F 00 01 07 11 88']);
    expect(order).to.deep.equal(['SYNC done', 'POLL done']);
    expect(seen).to.deep.equal(['next POLL E8']);
  });

  it('abandoned while in flight: the sink hears nothing more and the next command goes out', async () => {
    const { ts, host, device, session, run } = setup();
    session.send('SYNC').subscribe();
    ts.flush();
    device.silent = true;
    const { seen, sink } = recorder();
    const abandon = run('POLL', sink);
    expect(hexes(host)).to.have.length(2);
    abandon();
    abandon();
    device.silent = false;
    const reply = lastValueFrom(session.send('POLL'));
    ts.flush();
    expect(toHex((await reply).info.data)).to.equal('E8');
    expect(seen).to.deep.equal([]);
  });

  it('abandoned while waiting for its turn: it is never written', () => {
    const { ts, host, device, session, run } = setup();
    device.silent = true;
    session.send('SYNC').subscribe();
    const { seen, sink } = recorder();
    const abandon = run('POLL', sink);
    abandon();
    device.silent = false;
    ts.flush();
    expect(hexes(host).every((h) => h === '7F 80 01 11 65 82')).to.equal(true);
    expect(seen).to.deep.equal([]);
  });

  it('errors with DisposedError when the session is disposed, and after', () => {
    const { ts, device, session, run } = setup();
    device.silent = true;
    const first = recorder();
    run('POLL', first.sink);
    session.dispose();
    const later = recorder();
    run('POLL', later.sink);
    ts.flush();
    expect(first.seen).to.deep.equal(['error DisposedError']);
    expect(later.seen).to.deep.equal(['error DisposedError']);
  });

  it('decides on encryption again when its turn comes after waiting: a key dropped meanwhile sends it in clear', async () => {
    const [host, port] = createMemoryPair();
    const device = createFakeDevice(port, { 0x07: () => bytes(OK, 0xe8) });
    const bus = createEsspBus(host, { timeoutMs: 50, attempts: 3 });
    const session = bus.session(0);
    await lastValueFrom(session.negotiateKey());
    device.silent = true;
    const first = recorder();
    session.start!('POLL', undefined, undefined, first.sink);
    const waiting = recorder();
    // Sent while a key is up, then waits behind the first POLL.
    session.start!('POLL', undefined, undefined, waiting.sink);
    // Both ends forget the key (the unit restarted).
    session.clearKey();
    device.reset();
    device.silent = false;
    await new Promise((r) => setTimeout(r, 400));
    expect(waiting.seen).to.deep.equal(['next POLL E8', 'complete']);
    expect(device.received.at(-1)).to.include({ encrypted: false, data: '07' });
  });
});
