/**
 * `cashwire monitor essp --port <path>`: connect to an eSSP unit (SYNC, key
 * exchange, SETUP, ENABLE), then print its state changes and events until
 * stopped (Ctrl-C). The port is opened once up front so a wrong path fails
 * at once with advice; after that the device may reopen it by itself (a USB
 * unit that resets comes back as a new port).
 */
import { openReopeningPort } from '../reopening-port.js';
import {
  NEVER,
  type Observable,
  concat,
  endWith,
  first,
  firstValueFrom,
  ignoreElements,
  map,
  race,
  takeUntil,
  timer,
} from 'rxjs';
import { createWriteStream, openSync } from 'node:fs';
import type { Diagnostic } from '../../core/diagnostics.js';
import { CashwireError, InvalidArgumentError } from '../../core/errors.js';
import { formatMoney } from '../../core/money.js';
import type { DeviceRef } from '../../core/events.js';
import { ESSP_LINE } from '../../protocols/essp/context.js';
import { createEsspDevice } from '../../protocols/essp/device/device.js';
import type { EncryptionMode, EsspUnitInfo } from '../../protocols/essp/device/types.js';
import { openSerialTransport } from '../../transport/serialport.js';
import { recordTrace } from '../../testing/trace/jsonl.js';
import type { CliIo } from '../io.js';
import { clockStamp, eventLine, infoLine, outputStyle, problemLine, stateLine } from '../format.js';

export type { OpenTransport } from '../reopening-port.js';
import type { OpenTransport } from '../reopening-port.js';

export interface EsspMonitorOptions {
  readonly port: string;
  /** 16 hex digits. */
  readonly fixedKey?: string;
  readonly address?: number;
  readonly encryption?: EncryptionMode;
  readonly json?: boolean;
  /** Emits once to stop (SIGINT in the CLI). */
  readonly stop$: Observable<unknown>;
  /** Opens the port; tests pass one end of a memory pair. */
  readonly open?: OpenTransport;
  /** Say that nothing answers after this long without a reply, ms. Default {@link SILENCE_HINT_MS}. */
  readonly silenceHintMs?: number;
  /** Stamp for pretty lines; default the time of day. */
  readonly stamp?: () => string;
  /** Also write every frame to this file as JSON lines (encrypted bytes as sent; never keys). */
  readonly traceFile?: string;
}

/** A trace file being written by a monitor: `write` takes whole lines, `close` flushes. */
export interface TraceFile {
  readonly write: (line: string) => void;
  close(): Promise<void>;
}

/**
 * Create (or truncate) `path` for a JSONL trace. Opened synchronously so a
 * wrong path fails before any port is touched, with a message naming it.
 */
export function openTraceFile(path: string): TraceFile {
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (e) {
    throw new InvalidArgumentError(
      `Cannot write the trace file '${path}' (${e instanceof Error ? e.message : String(e)}).`,
      { traceFile: path },
    );
  }
  const stream = createWriteStream(path, { fd });
  // A late write failure (disk full) must not crash the monitor; the file is simply short.
  stream.on('error', () => undefined);
  return {
    write: (line) => void stream.write(line),
    close: () => new Promise<void>((resolve) => stream.end(() => resolve())),
  };
}

/** Run `body` with the trace file of `path` (if any) open, closing it however `body` ends. */
export async function withTraceFile<T>(
  path: string | undefined,
  body: (file: TraceFile | undefined) => Promise<T>,
): Promise<T> {
  const file = path === undefined ? undefined : openTraceFile(path);
  try {
    return await body(file);
  } finally {
    await file?.close();
  }
}

const openPort: OpenTransport = (path) => openSerialTransport(path, ESSP_LINE);

/** Checked before anything is opened, so bad usage never touches the port. */
export function parseFixedKey(text: string): string {
  const hex = text.replace(/^0x/i, '');
  if (!/^[0-9a-f]{16}$/i.test(hex)) {
    throw new InvalidArgumentError(`--fixed-key takes 16 hex digits (e.g. 0123456701234567), got '${text}'.`);
  }
  return hex;
}

function describeUnit(u: EsspUnitInfo): string {
  const values = u.channels.map((c) => formatMoney(c.value)).join(', ');
  return (
    `${u.unitTypeName} serial ${u.serialNumber} firmware ${u.firmware} protocol ${u.protocolVersion} ` +
    `${u.encrypted ? 'encrypted' : 'NOT encrypted'}; channels ${values}`
  );
}

/** How long the monitor waits for a first reply before it says that nothing answers. */
export const SILENCE_HINT_MS = 3000;

const silence = (port: string): CashwireError =>
  new CashwireError(
    'NO_REPLY_YET',
    `No reply on ${port} yet. Check that the unit is powered and connected to this port, that nothing else ` +
      'has the port open, and the address (--address); the driver keeps trying.',
    { port },
  );

/** Resolves with the exit code: 0 after a stop, 1 when the device ends in state 'error'. */
export async function runEsspMonitor(options: EsspMonitorOptions, io: CliIo): Promise<number> {
  const fixedKey = options.fixedKey === undefined ? undefined : parseFixedKey(options.fixedKey);
  return withTraceFile(options.traceFile, (file) => monitorEssp(options, io, fixedKey, file));
}

async function monitorEssp(
  options: EsspMonitorOptions,
  io: CliIo,
  fixedKey: string | undefined,
  traceFile: TraceFile | undefined,
): Promise<number> {
  const open = options.open ?? openPort;
  const style = outputStyle(options.json, io.isTty);
  const stamp = options.stamp ?? ((): string => clockStamp());
  const ref: DeviceRef = { protocol: 'essp', address: options.address ?? 0 };

  // Fail fast on a wrong path; later opens (after a lost line) go through `open` again.
  const port = await openReopeningPort(open, options.port);

  const device = createEsspDevice(port.opener, {
    ...(fixedKey !== undefined && { fixedKey }),
    ...(options.address !== undefined && { address: options.address }),
    ...(options.encryption !== undefined && { encryption: options.encryption }),
  });
  if (!style.json) io.out(`Connecting to the eSSP unit on ${options.port} (Ctrl-C to stop)...`);

  let failure: Error | undefined;
  const warn = (p: CashwireError | Diagnostic): void => {
    const line = problemLine(style, ref, p, stamp());
    if (style.json) io.out(line);
    else io.err(line);
  };
  const subs = [
    // Subscribed first so the first SYNC is in the file too.
    ...(traceFile === undefined ? [] : [recordTrace(device.trace$, traceFile.write)]),
    device.state$.subscribe((s) => {
      if (s.status === 'error') failure = s.error;
      if (s.status !== 'disposed') io.out(stateLine(style, ref, s, stamp()));
    }),
    device.info$.subscribe((u) => io.out(infoLine(style, ref, { unit: u }, describeUnit(u), stamp()))),
    device.events$.subscribe((e) => {
      const line = eventLine(style, e, stamp());
      if (line !== undefined) io.out(line);
    }),
    device.errors$.subscribe(warn),
    // The driver retries for a long time before it reports a timeout; say early that nothing answers.
    timer(options.silenceHintMs ?? SILENCE_HINT_MS)
      .pipe(takeUntil(device.trace$.pipe(first((t) => t.direction === 'rx'))))
      .subscribe(() => warn(silence(options.port))),
  ];

  // Ends on a stop request, on `quit` typed on stdin (whose end alone stops nothing: the monitor may
  // run in the background), or when the device gives up (its state stream completes after 'error').
  const quit$ = concat(io.stdinLines$, NEVER).pipe(first((l) => /^\s*(quit|exit|q)\s*$/i.test(l)));
  await firstValueFrom(
    race(
      options.stop$.pipe(map(() => undefined)),
      quit$.pipe(map(() => undefined)),
      device.state$.pipe(ignoreElements(), endWith(undefined)),
    ),
    { defaultValue: undefined },
  );
  for (const s of subs) s.unsubscribe();
  device.dispose();
  await port.closeUnused();
  if (failure !== undefined) {
    io.err(`cashwire: ${failure.message}`);
    return 1;
  }
  return 0;
}
