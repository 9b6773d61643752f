import { expect } from 'chai';
import { type Observable, filter, firstValueFrom, lastValueFrom, scan, timeout, toArray } from 'rxjs';
import { bytes, toHex } from '../../lib/core/bytes.js';
import { TransportError } from '../../lib/core/errors.js';
import {
  type PortInfo,
  listSerialPorts,
  openSerialTransport,
  toPortInfo,
} from '../../lib/transport/serialport.js';
import type { LineSettings, Transport } from '../../lib/transport/transport.js';
import { type PtyPair, createPtyPair } from '../helpers/pty.js';

const SETTINGS: LineSettings = { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 };

/** Collect bytes from data$ until `length` have arrived (chunking is up to the OS). */
function receive(data$: Observable<Uint8Array>, length: number): Promise<string> {
  return firstValueFrom(
    data$.pipe(
      scan((acc, chunk) => [...acc, ...chunk], [] as number[]),
      filter((acc) => acc.length >= length),
      timeout(2000),
    ),
  ).then((acc) => toHex(Uint8Array.from(acc)));
}

async function catchError(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

describe('openSerialTransport over a socat pty pair', function () {
  this.timeout(10_000);
  let pty: PtyPair;
  let a: Transport;
  let b: Transport;

  const cleanups: (() => Promise<unknown>)[] = [];

  // Fails every test here, loudly, when socat is missing or the pty cannot be made.
  beforeEach(async () => {
    pty = await createPtyPair();
    cleanups.push(() => pty.close());
    a = await firstValueFrom(openSerialTransport(pty.a, SETTINGS));
    cleanups.push(() => lastValueFrom(a.close(), { defaultValue: undefined }));
    b = await firstValueFrom(openSerialTransport(pty.b, SETTINGS));
    cleanups.push(() => lastValueFrom(b.close(), { defaultValue: undefined }));
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('moves bytes both ways, byte-exact', async () => {
    expect(a.description).to.equal(pty.a);
    const atB = receive(b.data$, 6);
    await lastValueFrom(a.write(bytes(0x7f, 0x80, 0x01, 0x11, 0x65, 0x82)), { defaultValue: undefined });
    expect(await atB).to.equal('7F 80 01 11 65 82');

    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const atA = receive(a.data$, 256);
    await lastValueFrom(b.write(all), { defaultValue: undefined });
    expect(await atA).to.equal(toHex(all));
  });

  it('completes data$ on close(), and a write after close errors with TransportError', async () => {
    const ended = lastValueFrom(a.data$.pipe(toArray()));
    await lastValueFrom(a.close(), { defaultValue: undefined });
    expect(await ended).to.deep.equal([]);
    const error = await catchError(lastValueFrom(a.write(bytes(1)), { defaultValue: undefined }));
    expect(error).to.be.instanceOf(TransportError);
    expect((error as Error).message).to.include(pty.a);
    // close() is idempotent.
    await lastValueFrom(a.close(), { defaultValue: undefined });
  });

  it('errors data$ with TransportError when the line goes away', async () => {
    const lost = catchError(lastValueFrom(a.data$.pipe(timeout(3000)), { defaultValue: undefined }));
    await pty.close();
    const error = await lost;
    expect(error).to.be.instanceOf(TransportError);
    expect((error as Error).message).to.include(`The line to ${pty.a} was lost`);
  });
});

describe('openSerialTransport errors', () => {
  it('names a missing port and says how to list ports', async () => {
    const error = await catchError(firstValueFrom(openSerialTransport('/dev/ttyCASHWIRE-NONE', SETTINGS)));
    expect(error).to.be.instanceOf(TransportError);
    expect((error as TransportError).message).to.equal(
      'Port /dev/ttyCASHWIRE-NONE does not exist. Run `cashwire list` to see ports.',
    );
    expect((error as TransportError).info).to.include({ path: '/dev/ttyCASHWIRE-NONE', reason: 'not-found' });
  });

  it('is cold: nothing is opened until subscribed', () => {
    // Would error on subscribe; creating it alone must not throw or open anything.
    expect(() => openSerialTransport('/dev/ttyCASHWIRE-NONE', SETTINGS)).not.to.throw();
  });

  it('lists ports, or fails with an actionable TransportError where the OS cannot enumerate them', async () => {
    const result = await firstValueFrom(listSerialPorts()).catch((e: unknown) => e);
    if (Array.isArray(result)) {
      for (const p of result as PortInfo[]) expect(p.path).to.be.a('string');
    } else {
      expect(result).to.be.instanceOf(TransportError);
      expect((result as Error).message).to.match(/^Could not list serial ports: /);
    }
  });

  it('normalizes port records, leaving out absent details', () => {
    expect(
      toPortInfo({
        path: '/dev/ttyUSB0',
        manufacturer: 'FTDI',
        serialNumber: undefined,
        vendorId: '0403',
        productId: '6001',
        pnpId: undefined,
        locationId: undefined,
      }),
    ).to.deep.equal({ path: '/dev/ttyUSB0', manufacturer: 'FTDI', vendorId: '0403', productId: '6001' });
  });
});
