/**
 * The Pyramid pieces of the CLI, as plain functions over {@link CliIo} so they
 * run in tests without a process or a port:
 *
 * - `cashwire simulate pyramid --port <path>`: a simulated acceptor on a
 *   serial port, driven by line commands on stdin;
 * - `cashwire monitor pyramid --port <path> [--mask 0x7F] [--escrow] [--json]`:
 *   the driver polling a real acceptor, printing every event; a pulled cable
 *   or a USB adapter that drops off the bus is reopened with back-off;
 * - `cashwire decode pyramid [file]`: captured bytes to JSON, one object per frame.
 */
import { openReopeningPort } from '../reopening-port.js';
import { firstValueFrom, type Observable } from 'rxjs';
import { InvalidArgumentError } from '../../core/errors.js';
import type { DeviceEvent, DeviceRef } from '../../core/events.js';
import { decodePyramidLines, isDecodeError } from '../../protocols/pyramid/decode-lines.js';
import { createPyramidDevice } from '../../protocols/pyramid/device.js';
import {
  type PyramidDeviceOptions,
  type PyramidReconnectOptions,
  checkMask,
  resolveOptions,
} from '../../protocols/pyramid/device-types.js';
import { PYRAMID_LINE } from '../../protocols/pyramid/framing.js';
import { createPyramidSimulator } from '../../protocols/pyramid/simulator/simulator.js';
import type { PyramidSimulator, PyramidSimulatorOptions } from '../../protocols/pyramid/simulator/types.js';
import { openSerialTransport } from '../../transport/serialport.js';
import { clockStamp, eventLine, outputStyle, problemLine, stateLine } from '../format.js';
import { jsonLine, type CliIo } from '../io.js';
import { eachLine, helpCommand, serveLineCommands, type LineCommands } from '../line-commands.js';
import { type SimulatorFaultOptions, faultySide, statsLine } from './simulate-faults.js';
import { recordTrace } from '../../testing/trace/jsonl.js';
import { type TraceFile, withTraceFile } from './essp-monitor.js';

/** Opens the port; tests pass one end of a memory pair instead. */
export type { OpenTransport } from '../reopening-port.js';
import type { OpenTransport } from '../reopening-port.js';

const openPort: OpenTransport = (path) => openSerialTransport(path, PYRAMID_LINE);

export interface PyramidSimulatorCliOptions
  extends Omit<PyramidSimulatorOptions, 'scheduler'>, SimulatorFaultOptions {
  readonly port: string;
  readonly open?: OpenTransport;
}

/** Scenario commands; `stats` and `help` are added by the runner, which knows the fault line. */
const SIM_COMMANDS: LineCommands<PyramidSimulator> = {
  insert: {
    usage: 'insert <bill 1-7>   put a note of that index in the bezel',
    run: (sim, arg, io) => {
      const index = Number(arg);
      if (!/^[1-7]$/.test(arg))
        throw new InvalidArgumentError(`insert takes a bill index 1..7, got '${arg}'.`);
      if (!sim.insertBill(index)) io.err(`busy (${sim.phase}): note ${index} not taken`);
    },
  },
  barcode: {
    usage: 'barcode <text>      insert a barcode ticket',
    run: (sim, arg, io) => {
      if (!sim.insertBarcode(arg)) io.err(`busy (${sim.phase}): ticket not taken`);
    },
  },
  jam: { usage: 'jam                 jam the note path', run: (sim) => sim.jam() },
  'clear-jam': { usage: 'clear-jam           clear the note path', run: (sim) => sim.clearJam() },
  cheat: { usage: 'cheat               a pull-back attempt', run: (sim) => sim.cheat() },
  'cashbox-out': { usage: 'cashbox-out         remove the cashbox', run: (sim) => sim.removeCashbox() },
  'cashbox-in': {
    usage: 'cashbox-in          put an empty cashbox back',
    run: (sim) => sim.replaceCashbox(),
  },
  reset: { usage: 'reset               power-cycle the acceptor', run: (sim) => sim.powerCycle() },
};

/** Run until stdin ends. Resolves with the exit code. */
export async function runPyramidSimulator(options: PyramidSimulatorCliOptions, io: CliIo): Promise<number> {
  const { port, open = openPort, faults: _f, seed: _s, ...simOptions } = options;
  const opened = await firstValueFrom(open(port));
  let unit: PyramidSimulator | undefined;
  const side = faultySide(opened, options, () => unit?.powerCycle());
  const transport = side.transport;
  const sim = (unit = createPyramidSimulator(transport, simOptions));
  const logSub = sim.log$.subscribe((line) => io.out(line));
  if (side.banner !== undefined) io.out(side.banner);
  io.out(`Pyramid acceptor simulated on ${transport.description} (9600 7E1). Type 'help' for commands.`);
  const commands: LineCommands<PyramidSimulator> = {
    ...SIM_COMMANDS,
    stats: {
      usage: 'stats               what really happened so far, as one JSON line',
      run: () => {
        const { inserted, accepted, rejected, returned, resets, tickets, replays } = sim.stats;
        const counts = { inserted, accepted, rejected, returned, resets, tickets, replays };
        io.out(statsLine({ protocol: 'pyramid', ...counts }, side.report()));
      },
    },
    help: helpCommand(() => commands),
  };
  await serveLineCommands(io, commands, sim);
  logSub.unsubscribe();
  sim.dispose();
  await firstValueFrom(transport.close(), { defaultValue: undefined });
  return 0;
}

export interface PyramidMonitorOptions {
  readonly port: string;
  /** Enable mask, e.g. '0x7F' or '127'. Default all notes. */
  readonly mask?: string | number;
  readonly escrow?: boolean;
  readonly json?: boolean;
  readonly open?: OpenTransport;
  /** Stamp for pretty lines; default the time of day. */
  readonly stamp?: () => string;
  /** Also write every frame to this file as JSON lines. */
  readonly traceFile?: string;
  /** Back-off for reopening a lost line (the driver's defaults: 1 s doubling up to 30 s). */
  readonly reconnect?: PyramidReconnectOptions;
}

/** Parse a mask given on the command line. Throws {@link InvalidArgumentError} on anything but 0..0x7F. */
export function parseMask(text: string | number): number {
  if (typeof text === 'number') return checkMask(text);
  const t = text.trim();
  const value = /^0x[0-9a-f]+$/i.test(t) ? Number.parseInt(t, 16) : /^\d+$/.test(t) ? Number(t) : Number.NaN;
  if (Number.isNaN(value))
    throw new InvalidArgumentError(`Mask '${text}' is not a number (use 0x7F or 127).`);
  return checkMask(value);
}

/** Pretty text for the raw events that say the line was lost or is back; undefined for any other event. */
export function lineNotice(e: DeviceEvent, port: string): string | undefined {
  if (e.type !== 'raw') return undefined;
  if (e.name === 'line-lost') {
    return `line lost on ${port}: ${String(e.data['reason'])}; reopening it (next try in ${String(e.data['delayMs'])} ms)`;
  }
  if (e.name === 'line-back') {
    const seconds = (Number(e.data['outageMs']) / 1000).toFixed(1);
    return `line back on ${port} after ${seconds} s (${String(e.data['reopens'])} tries)`;
  }
  return undefined;
}

/**
 * Poll an acceptor and print what happens until stdin ends or 'quit'. The port
 * is opened once up front (a wrong path fails at once) and opened again through
 * `open` whenever the line is lost. Resolves with the exit code.
 */
export async function runPyramidMonitor(options: PyramidMonitorOptions, io: CliIo): Promise<number> {
  const enableMask = parseMask(options.mask ?? 0x7f); // bad input fails before the port opens
  return withTraceFile(options.traceFile, (file) => monitorPyramid(options, io, enableMask, file));
}

async function monitorPyramid(
  options: PyramidMonitorOptions,
  io: CliIo,
  enableMask: number,
  traceFile: TraceFile | undefined,
): Promise<number> {
  const deviceOptions: PyramidDeviceOptions = {
    enableMask,
    escrow: options.escrow ?? false,
    ...(options.reconnect !== undefined && { reconnect: options.reconnect }),
  };
  resolveOptions(deviceOptions); // bad options fail before the port opens
  const open = options.open ?? openPort;
  const port = await openReopeningPort(open, options.port);
  const device = createPyramidDevice(port.opener, deviceOptions);
  const style = outputStyle(options.json, io.isTty);
  const stamp = options.stamp ?? ((): string => clockStamp());
  const ref: DeviceRef = { protocol: 'pyramid', address: 0 };
  const subs = [
    ...(traceFile === undefined ? [] : [recordTrace(device.trace$, traceFile.write)]),
    device.events$.subscribe((e) => {
      const line = eventLine(style, e, stamp());
      if (line !== undefined) io.out(line);
      const notice = style.json ? undefined : lineNotice(e, options.port);
      if (notice !== undefined) io.out([stamp(), notice].filter((x) => x !== '').join('  '));
      // An escrowed note waits for the operator's decision.
      if (!style.json && e.type === 'escrow') io.out("type 'stack' or 'return'");
    }),
    device.state$.subscribe((s) => {
      if (s.status !== 'disposed') io.out(stateLine(style, ref, s, stamp()));
    }),
    device.errors$.subscribe((e) => {
      const line = problemLine(style, ref, e, stamp());
      if (style.json) io.out(line);
      else io.err(line);
    }),
  ];
  let failed = false;
  subs.push(device.state$.subscribe((s) => (failed = s.status === 'error')));
  const report = (o: Observable<unknown>, what: string): void => {
    o.subscribe({ error: (e: unknown) => io.err(`${what}: ${e instanceof Error ? e.message : String(e)}`) });
  };
  await eachLine(
    io,
    (line) => {
      const [name = '', arg = ''] = line.trim().split(/\s+/);
      if (name === 'quit' || name === 'q') return false;
      if (name === 'stack') report(device.stack(), 'stack');
      else if (name === 'return') report(device.returnBill(), 'return');
      else if (name === 'mask') {
        try {
          report(device.setEnableMask(parseMask(arg)), 'mask');
        } catch (e) {
          io.err(e instanceof Error ? e.message : String(e));
        }
      } else if (name !== '') io.err(`commands: stack, return, mask <0x00-0x7F>, quit`);
      return true;
    },
    device.state$,
  );
  for (const s of subs) s.unsubscribe();
  device.dispose(); // closes the line it opened
  await port.closeUnused();
  return failed ? 1 : 0;
}

/** Decode captured lines to JSON on stdout; bad lines go to stderr. Exit code 1 when any line was bad. */
export async function runPyramidDecode(
  input: Iterable<string> | AsyncIterable<string>,
  io: CliIo,
): Promise<number> {
  const all: string[] = [];
  for await (const line of input) all.push(line);
  let bad = 0;
  for (const entry of decodePyramidLines(all)) {
    if (isDecodeError(entry)) {
      bad += 1;
      io.err(`line ${entry.line ?? '?'}: ${entry.error}${entry.hex ? ` (${entry.hex})` : ''}`);
    } else io.out(jsonLine(entry));
  }
  return bad > 0 ? 1 : 0;
}
