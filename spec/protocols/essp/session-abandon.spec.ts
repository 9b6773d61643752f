/**
 * A command that ends without its outcome (abandoned in flight, or failed by
 * dispose) must leave nothing behind that a later command could pick up: no
 * waiting command written after dispose, and no cached reply of the unit
 * taken for the next command's.
 */
import { expect } from 'chai';
import { DisposedError } from '../../../lib/core/errors.js';
import { createEsspBus } from '../../../lib/protocols/essp/session.js';
import { createMemoryPair } from '../../../lib/transport/memory.js';
import { createTestScheduler } from '../../helpers/marbles.js';
import { type FakeDevice, createFakeDevice } from './device/fake-device.js';

const CREDIT_REPLY = Uint8Array.of(0xf0, 0xee, 0x05); // OK, CREDIT_NOTE channel 5

/** Command code of every frame the unit received, as hex. */
const codes = (device: FakeDevice): string[] =>
  device.received.map((r) => r.data.replace(/\s/g, '').slice(0, 2));

function rig() {
  const ts = createTestScheduler();
  const [host, port] = createMemoryPair();
  const device = createFakeDevice(port, { 0x07: () => CREDIT_REPLY, 0x09: () => Uint8Array.of(0xf0) });
  const bus = createEsspBus(host, { timeoutMs: 100, attempts: 3, scheduler: ts });
  const session = bus.session(0);
  const seen: string[] = [];
  const sink = (name: string) => ({
    next: (r: { info?: unknown }) => seen.push(`${name} ${JSON.stringify(r.info ?? null)}`),
    error: (e: unknown) => seen.push(`${name} ${e instanceof Error ? e.name : String(e)}`),
    complete: () => seen.push(`${name} done`),
  });
  session.send('SYNC').subscribe(sink('SYNC'));
  ts.flush();
  return { ts, host, device, session, seen, sink };
}

describe('eSSP session: commands that end without their outcome', () => {
  it('dispose writes none of the commands still waiting, and fails each with DisposedError', () => {
    const { ts, host, device, session, seen, sink } = rig();
    device.silent = true;
    session.send('POLL').subscribe(sink('POLL'));
    session.send('ENABLE').subscribe(sink('ENABLE'));
    session.start!('DISABLE', undefined, undefined, sink('DISABLE'));
    const written = host.written.length;
    session.dispose();
    ts.flush();
    expect(host.written.length).to.equal(written);
    expect(seen.slice(-3)).to.deep.equal([
      `POLL ${DisposedError.name}`,
      `ENABLE ${DisposedError.name}`,
      `DISABLE ${DisposedError.name}`,
    ]);
  });

  it('after a command abandoned in flight, the next one starts with SYNC and is executed, not answered with the old reply', () => {
    const { ts, device, session, seen, sink } = rig();
    device.dropReplies(1); // the unit executes POLL, its reply is lost on the line
    const poll = session.send('POLL').subscribe(sink('POLL'));
    ts.schedule(() => {
      poll.unsubscribe();
      session.send('DISABLE').subscribe(sink('DISABLE'));
    }, 50);
    ts.flush();
    expect(codes(device).slice(-2)).to.deep.equal(['11', '09']); // SYNC, then DISABLE
    expect(device.received.at(-1)?.replayed).to.equal(false);
    expect(seen.at(-2)).to.equal('DISABLE null');
  });

  it('a command that completed leaves the flag alone: the next one needs no SYNC', () => {
    const { ts, device, session, sink } = rig();
    session.send('POLL').subscribe(sink('POLL'));
    ts.flush();
    session.send('DISABLE').subscribe(sink('DISABLE'));
    ts.flush();
    expect(codes(device).slice(-2)).to.deep.equal(['07', '09']);
  });
});
