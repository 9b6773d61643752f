/**
 * The serial-port adapter: the only module that imports `serialport`.
 *
 * It turns the callback/stream API of `serialport` v13 into the library's
 * {@link Transport} contract: a hot `data$` of plain `Uint8Array` chunks that
 * completes on `close()` and errors with a {@link TransportError} when the
 * line is lost, cold writes that complete once the bytes have been drained to
 * the device, and errors whose messages say what to do next.
 */
import { Observable, Subject, catchError, defer, from, map, throwError } from 'rxjs';
import { SerialPort } from 'serialport';
import { TransportError } from '../core/errors.js';
import type { LineSettings, Transport } from './transport.js';

export interface SerialTransportOptions {
  /** Take an exclusive lock on the port so no other program can open it. Default true. */
  readonly lock?: boolean;
  /** RTS/CTS hardware flow control. Default false (cash devices rarely use it). */
  readonly rtscts?: boolean;
}

/** A serial port as the operating system reports it. Absent details are left out. */
export interface PortInfo {
  readonly path: string;
  readonly manufacturer?: string;
  readonly serialNumber?: string;
  readonly vendorId?: string;
  readonly productId?: string;
  readonly pnpId?: string;
  readonly locationId?: string;
}

/** Why an open failed, for callers that branch on it (`error.info.reason`). */
export type OpenFailure = 'not-found' | 'permission' | 'busy' | 'other';

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function classify(e: unknown): OpenFailure {
  const code = (e as { code?: unknown } | undefined)?.code;
  const text = `${typeof code === 'string' ? code : ''} ${describe(e)}`;
  if (/ENOENT|No such file|cannot find|File not found/i.test(text)) return 'not-found';
  if (/EACCES|EPERM|Permission denied|Access denied/i.test(text)) return 'permission';
  if (/EBUSY|lock|Resource busy|temporarily unavailable/i.test(text)) return 'busy';
  return 'other';
}

const OPEN_ADVICE: Readonly<Record<OpenFailure, (path: string) => string>> = {
  'not-found': (path) => `Port ${path} does not exist. Run \`cashwire list\` to see ports.`,
  permission: (path) =>
    `No permission to open ${path}. On Linux add your user to the 'dialout' group (then log in again), ` +
    'or run with access to the device.',
  busy: (path) =>
    `Port ${path} is in use by another program. Close it (or the other cashwire instance) and retry.`,
  other: (path) => `Could not open ${path}.`,
};

function openError(path: string, e: unknown): TransportError {
  const reason = classify(e);
  const advice = OPEN_ADVICE[reason](path);
  const detail = reason === 'other' ? ` ${describe(e)}` : '';
  return new TransportError(`${advice}${detail}`, { path, reason, detail: describe(e) }, { cause: e });
}

/** Wrap an open port. `data$` is attached before the transport is handed out, so no byte is missed. */
function wrap(port: SerialPort, path: string): Transport {
  const data = new Subject<Uint8Array>();
  let closing = false;
  let ended = false;
  let closed$: Observable<void> | undefined;

  const lose = (why: string, cause?: unknown): void => {
    if (ended) return;
    ended = true;
    data.error(
      new TransportError(
        `The line to ${path} was lost: ${why}. Check the cable and the adapter.`,
        { path },
        { cause },
      ),
    );
  };

  port.on('data', (chunk: Uint8Array) => {
    // Copy out of Node's pooled Buffer into a plain Uint8Array that callers may keep.
    data.next(new Uint8Array(chunk));
  });
  port.on('error', (e: unknown) => {
    if (!closing) lose(describe(e), e);
  });
  port.on('close', (e: unknown) => {
    if (closing) {
      if (!ended) {
        ended = true;
        data.complete();
      }
    } else {
      lose(e ? describe(e) : 'the port closed unexpectedly', e);
    }
  });

  const write = (bytes: Uint8Array): Observable<void> =>
    new Observable<void>((subscriber) => {
      if (closing || ended || !port.isOpen) {
        subscriber.error(new TransportError(`Cannot write to ${path}: the port is closed.`, { path }));
        return;
      }
      const fail = (e: unknown): void =>
        subscriber.error(
          new TransportError(`Writing to ${path} failed: ${describe(e)}`, { path }, { cause: e }),
        );
      port.write(Buffer.from(bytes), (e) => {
        if (e) fail(e);
      });
      // drain: the reply timeout should start once the bytes are on the line, not in a buffer.
      port.drain((e) => {
        if (e) fail(e);
        else {
          subscriber.next();
          subscriber.complete();
        }
      });
    });

  const close = (): Observable<void> => {
    closed$ ??= new Observable<void>((subscriber) => {
      closing = true;
      const done = (): void => {
        if (!ended) {
          ended = true;
          data.complete();
        }
        subscriber.next();
        subscriber.complete();
      };
      if (!port.isOpen) {
        done();
        return;
      }
      port.close((e) => {
        if (e && port.isOpen) {
          subscriber.error(
            new TransportError(`Closing ${path} failed: ${describe(e)}`, { path }, { cause: e }),
          );
        } else done();
      });
    });
    return closed$;
  };

  return { description: path, data$: data.asObservable(), write, close };
}

/**
 * Open a serial port. Cold: the port is opened on subscribe; the open
 * {@link Transport} is emitted once, then the Observable completes. The port
 * stays open until `transport.close()` (unsubscribing before the open finished
 * closes it again).
 *
 * Errors with a {@link TransportError} whose message says what to do
 * (`info.reason` is an {@link OpenFailure}).
 */
export function openSerialTransport(
  path: string,
  settings: LineSettings,
  options: SerialTransportOptions = {},
): Observable<Transport> {
  return new Observable<Transport>((subscriber) => {
    let port: SerialPort;
    try {
      port = new SerialPort({
        path,
        baudRate: settings.baudRate,
        dataBits: settings.dataBits,
        parity: settings.parity,
        stopBits: settings.stopBits,
        lock: options.lock ?? true,
        rtscts: options.rtscts ?? false,
        autoOpen: false,
      });
    } catch (e) {
      subscriber.error(
        new TransportError(
          `Invalid settings for ${path}: ${describe(e)}`,
          { path, reason: 'other' },
          { cause: e },
        ),
      );
      return undefined;
    }
    let handedOut = false;
    port.open((e) => {
      if (e) {
        subscriber.error(openError(path, e));
        return;
      }
      if (subscriber.closed) {
        // Nobody wants it any more.
        port.close();
        return;
      }
      handedOut = true;
      subscriber.next(wrap(port, path));
      subscriber.complete();
    });
    return () => {
      if (!handedOut && port.isOpen) port.close();
    };
  });
}

type RawPortInfo = { readonly path: string } & Partial<
  Record<Exclude<keyof PortInfo, 'path'>, string | undefined>
>;

const PORT_DETAILS = [
  'manufacturer',
  'serialNumber',
  'vendorId',
  'productId',
  'pnpId',
  'locationId',
] as const;

/** Normalize a port record from `serialport`: absent details are left out rather than `undefined`. */
export function toPortInfo(raw: RawPortInfo): PortInfo {
  const info: { -readonly [K in keyof PortInfo]: PortInfo[K] } = { path: raw.path };
  for (const key of PORT_DETAILS) {
    const v = raw[key];
    if (v !== undefined) info[key] = v;
  }
  return info;
}

function listError(e: unknown): TransportError {
  const text = describe(e);
  // On Linux, serialport enumerates ports through udevadm.
  const hint = /udevadm/.test(text)
    ? ' Install udev (it provides `udevadm`), or open the port by its path.'
    : '';
  return new TransportError(`Could not list serial ports: ${text}.${hint}`, {}, { cause: e });
}

/** The serial ports the operating system knows about. Cold: asks on subscribe. */
export function listSerialPorts(): Observable<PortInfo[]> {
  return defer(() => from(SerialPort.list())).pipe(
    map((ports) => ports.map(toPortInfo)),
    catchError((e: unknown) => throwError(() => listError(e))),
  );
}
