import { expect } from 'chai';
import type { Observable } from 'rxjs';
import { bytes, toHex } from '../../lib/core/bytes.js';
import { TransportError } from '../../lib/core/errors.js';
import { createMemoryPair } from '../../lib/transport/memory.js';

function record(data$: Observable<Uint8Array>) {
  const log = { chunks: [] as string[], error: undefined as unknown, complete: false };
  data$.subscribe({
    next: (c) => log.chunks.push(toHex(c)),
    error: (e: unknown) => (log.error = e),
    complete: () => (log.complete = true),
  });
  return log;
}

describe('createMemoryPair', () => {
  it('moves bytes both ways and records what each end wrote', () => {
    const [host, device] = createMemoryPair();
    const atHost = record(host.data$);
    const atDevice = record(device.data$);
    host.write(bytes(0x7f, 0x80, 0x01, 0x11)).subscribe();
    device.write(bytes(0x7f, 0x80, 0x01, 0xf0)).subscribe();
    expect(atDevice.chunks).to.deep.equal(['7F 80 01 11']);
    expect(atHost.chunks).to.deep.equal(['7F 80 01 F0']);
    expect(host.written.map((c) => toHex(c))).to.deep.equal(['7F 80 01 11']);
    expect(device.written.map((c) => toHex(c))).to.deep.equal(['7F 80 01 F0']);
    expect(host.description).to.equal('memory:host');
  });

  it('is cold: nothing is written until the write is subscribed', () => {
    const [host, device] = createMemoryPair();
    const atDevice = record(device.data$);
    const w = host.write(bytes(1));
    expect(atDevice.chunks).to.deep.equal([]);
    w.subscribe();
    expect(atDevice.chunks).to.deep.equal(['01']);
  });

  it('copies written bytes, so reusing the buffer does not change what was sent', () => {
    const [host, device] = createMemoryPair();
    const atDevice = record(device.data$);
    const buf = bytes(1, 2);
    host.write(buf).subscribe();
    buf[0] = 9;
    expect(atDevice.chunks).to.deep.equal(['01 02']);
    expect(toHex(host.written[0]!)).to.equal('01 02');
  });

  it('breakLine errors both ends with a TransportError', () => {
    const [host, device] = createMemoryPair();
    const atHost = record(host.data$);
    const atDevice = record(device.data$);
    device.breakLine();
    expect(atHost.error).to.be.instanceOf(TransportError);
    expect(atDevice.error).to.be.instanceOf(TransportError);
    expect((atHost.error as TransportError).code).to.equal('TRANSPORT_ERROR');
    let writeError: unknown;
    host.write(bytes(1)).subscribe({ error: (e: unknown) => (writeError = e) });
    expect(writeError).to.be.instanceOf(TransportError);
  });

  it('close completes both ends; a write after close errors with TransportError', () => {
    const [host, device] = createMemoryPair();
    const atHost = record(host.data$);
    const atDevice = record(device.data$);
    let closed = 0;
    host.close().subscribe({ complete: () => closed++ });
    host.close().subscribe({ complete: () => closed++ });
    expect(closed).to.equal(2);
    expect(atHost.complete).to.equal(true);
    expect(atDevice.complete).to.equal(true);
    let writeError: unknown;
    device.write(bytes(1)).subscribe({ error: (e: unknown) => (writeError = e) });
    expect(writeError).to.be.instanceOf(TransportError);
    expect((writeError as Error).message).to.equal('Cannot write to memory:device: the transport is closed.');
    expect(device.written).to.have.length(0);
  });
});
