/**
 * The ccTalk pieces of the CLI, as plain functions over {@link CliIo} so they
 * run in tests without a process or a port:
 *
 * - `cashwire simulate cctalk --port <path> [--devices coin,bill,hopper] [--echo] [--crc]`:
 *   a simulated ccTalk bus on a serial port, driven by line commands on stdin;
 * - `cashwire monitor cctalk --port <path> [--json]`: discovers the bus,
 *   identifies and enables every device, prints their events; a pulled
 *   cable is reopened and said so ('line lost' / 'line back');
 * - `cashwire decode cctalk [file]`: registered here with the decode command.
 */
import { resolveBackoff } from '../../operators/backoff.js';
import { openReopeningPort } from '../reopening-port.js';
import { type Observable, type Subscription, firstValueFrom } from 'rxjs';
import type { Diagnostic } from '../../core/diagnostics.js';
import { type CashwireError, InvalidArgumentError } from '../../core/errors.js';
import type { DeviceRef } from '../../core/events.js';
import { createCcTalkBillValidator } from '../../protocols/cctalk/bill-validator.js';
import { CCTALK_LINE_SETTINGS, type CcTalkBus, createCcTalkBus } from '../../protocols/cctalk/bus.js';
import { CCTALK_RECONNECT_LIMITS } from '../../protocols/cctalk/line.js';
import type { ChecksumMode } from '../../protocols/cctalk/checksum.js';
import { createCcTalkCoinAcceptor } from '../../protocols/cctalk/coin-acceptor.js';
import { createCcTalkLineDecoder } from '../../protocols/cctalk/decode-lines.js';
import type { CcTalkDevice } from '../../protocols/cctalk/device-base.js';
import {
  type DiscoveryOptions,
  type DiscoveryReport,
  discoverCcTalkDevices,
} from '../../protocols/cctalk/discovery.js';
import { createCcTalkHopper } from '../../protocols/cctalk/hopper.js';
import type { CcTalkLineState, CcTalkReconnectOptions } from '../../protocols/cctalk/line.js';
import { type CcTalkSimulator, createCcTalkSimulator } from '../../protocols/cctalk/simulator/index.js';
import { openSerialTransport } from '../../transport/serialport.js';
import type { Transport } from '../../transport/transport.js';
import {
  type OutputStyle,
  clockStamp,
  eventLine,
  infoLine,
  outputStyle,
  problemLine,
  stateLine,
} from '../format.js';
import { type CliIo, jsonLine } from '../io.js';
import { eachLine, helpCommand, serveLineCommands, type LineCommands } from '../line-commands.js';
import { registerDecoder } from './decode.js';
import { type SimulatorFaultOptions, faultySide, statsLine } from './simulate-faults.js';
import { recordTrace } from '../../testing/trace/jsonl.js';
import { type TraceFile, withTraceFile } from './essp-monitor.js';

registerDecoder('cctalk', () => createCcTalkLineDecoder());

/** Opens the port; tests pass one end of a memory pair instead. */
export type OpenTransport = (path: string) => Observable<Transport>;
const openPort: OpenTransport = (path) => openSerialTransport(path, CCTALK_LINE_SETTINGS);

export type SimDeviceKind = 'coin' | 'bill' | 'hopper';
const KINDS: readonly SimDeviceKind[] = ['coin', 'bill', 'hopper'];

export interface CcTalkSimulatorCliOptions extends SimulatorFaultOptions {
  readonly port: string;
  /** Devices on the simulated bus: a list or 'coin,bill,hopper'. Default coin. */
  readonly devices?: readonly SimDeviceKind[] | string;
  /** Echo every host frame, as a single-wire interface does. Default false (a USB bridge without echo). */
  readonly echo?: boolean;
  /** Every device uses CRC-16 checksums instead of the 8-bit sum. */
  readonly crc?: boolean;
  readonly open?: OpenTransport;
}

/** Parse `--devices`. Throws {@link InvalidArgumentError} naming a wrong entry. */
export function parseDevices(spec: readonly SimDeviceKind[] | string | undefined): SimDeviceKind[] {
  const items = spec === undefined ? ['coin'] : typeof spec === 'string' ? spec.split(/[\s,]+/) : [...spec];
  const out: SimDeviceKind[] = [];
  for (const item of items.filter((i) => i !== '')) {
    if (!(KINDS as readonly string[]).includes(item)) {
      throw new InvalidArgumentError(`Unknown ccTalk device '${item}'. Choose from: ${KINDS.join(', ')}.`, {
        device: item,
      });
    }
    if (!out.includes(item as SimDeviceKind)) out.push(item as SimDeviceKind);
  }
  if (out.length === 0) throw new InvalidArgumentError('--devices needs at least one of coin, bill, hopper.');
  return out;
}

function intArg(command: string, arg: string, min: number, max: number): number {
  const n = Number(arg);
  if (!/^\d+$/.test(arg) || n < min || n > max) {
    throw new InvalidArgumentError(`${command} takes a number ${min}..${max}, got '${arg}'.`);
  }
  return n;
}

/** Scenario commands; `stats` and `help` are added by the runner, which knows the fault line. */
const SIM_COMMANDS: LineCommands<CcTalkSimulator> = {
  coin: {
    usage: 'coin <slot 1-16>      drop a coin of that position into the acceptor',
    run: (sim, arg, io) => {
      if (!sim.insertCoin(intArg('coin', arg, 1, 16))) io.err('no coin acceptor on this bus');
    },
  },
  bill: {
    usage: 'bill <channel 1-16>   feed a bill of that type into the validator',
    run: (sim, arg, io) => {
      if (!sim.insertBill(intArg('bill', arg, 1, 16))) io.err('no bill validator on this bus');
    },
  },
  reject: {
    usage: 'reject                an unrecognised coin is rejected',
    run: (sim) => sim.reject('coin'),
  },
  jam: {
    usage: 'jam [coin|bill]       a coin blocks the credit sensor, or a bill jams',
    run: (sim, arg) => sim.jam(arg === 'bill' ? 'bill' : 'coin'),
  },
  empty: { usage: 'empty                 the hopper runs out of coins', run: (sim) => sim.emptyHopper() },
  reset: { usage: 'reset                 power-cycle every device', run: (sim) => sim.powerCycle() },
};

/** Run the simulated bus until stdin ends. Resolves with the exit code. */
export async function runCcTalkSimulator(options: CcTalkSimulatorCliOptions, io: CliIo): Promise<number> {
  const kinds = parseDevices(options.devices); // bad input fails before the port opens
  const checksum: ChecksumMode = options.crc ? 'crc16' : 'simple';
  const opened = await firstValueFrom((options.open ?? openPort)(options.port));
  let unit: CcTalkSimulator | undefined;
  const side = faultySide(opened, options, () => unit?.powerCycle());
  const transport = side.transport;
  const sim = (unit = createCcTalkSimulator(transport, {
    coin: kinds.includes('coin') ? { checksum } : false,
    ...(kinds.includes('bill') && { bill: { checksum } }),
    ...(kinds.includes('hopper') && { hopper: { checksum } }),
    echo: options.echo ?? false,
  }));
  const logSub = sim.log$.subscribe((line) => io.out(line));
  if (side.banner !== undefined) io.out(side.banner);
  const where = Object.entries(sim.addresses)
    .map(([k, a]) => `${k}@${a}`)
    .join(', ');
  io.out(
    `ccTalk bus simulated on ${transport.description} (9600 8N1, ${checksum}, echo ${options.echo ? 'on' : 'off'}): ${where}. Type 'help' for commands.`,
  );
  const commands: LineCommands<CcTalkSimulator> = {
    ...SIM_COMMANDS,
    stats: {
      usage: 'stats                 what really happened so far, as one JSON line',
      run: () => {
        // No escrow return on a coin bus: 'returned' is left out of the shared shape.
        const { inserted, accepted, rejected, resets, paidOut } = sim.stats;
        io.out(
          statsLine({ protocol: 'cctalk', inserted, accepted, rejected, resets, paidOut }, side.report()),
        );
      },
    },
    help: helpCommand(() => commands, 'help                  this list'),
  };
  await serveLineCommands(io, commands, sim);
  logSub.unsubscribe();
  sim.dispose();
  await firstValueFrom(transport.close(), { defaultValue: undefined });
  return 0;
}

export interface CcTalkMonitorOptions {
  readonly port: string;
  readonly json?: boolean;
  /** Narrow or widen the bus scan (addresses, checksum modes, address poll). Default {@link MONITOR_DISCOVERY}. */
  readonly discovery?: DiscoveryOptions;
  readonly open?: OpenTransport;
  /** Stamp for pretty lines; default the time of day. */
  readonly stamp?: () => string;
  /** Also write every frame on the bus (every device's, the scan's too) to this file as JSON lines. */
  readonly traceFile?: string;
  /** Pauses between reopen attempts after the line is lost. Default: the bus's (500 ms doubling up to 10 s). */
  readonly reconnect?: CcTalkReconnectOptions;
}

/**
 * What the monitor prints about the line itself: once when it is lost, once
 * when it is back (failed reopen attempts show in the devices' states).
 */
export function lineNotice(
  style: OutputStyle,
  ref: DeviceRef,
  s: CcTalkLineState,
  port: string,
  stamp: string,
): string | undefined {
  if (s.status === 'down' && s.after === 'loss') {
    return infoLine(
      style,
      ref,
      { line: 'lost', reason: s.reason },
      `line lost: ${s.reason} Reopening ${port} until it is back.`,
      stamp,
    );
  }
  if (s.status === 'open' && s.generation > 1) {
    return infoLine(
      style,
      ref,
      { line: 'back', generation: s.generation },
      `line back on ${s.description}: devices re-sync`,
      stamp,
    );
  }
  return undefined;
}

/**
 * The monitor's scan: simple polls of the standard addresses in both checksum
 * modes, no broadcast address poll. An address poll waits out a 1.5 s window
 * per checksum mode before anything else may be sent, and a coin acceptor
 * returns every coin until it is polled, so a full scan left the bus unpolled
 * for about 5 s after start. Devices at other addresses are found by passing
 * `discovery: { addressPoll: true }` (or their addresses).
 */
export const MONITOR_DISCOVERY: DiscoveryOptions = { addressPoll: false };

function describeReport(r: DiscoveryReport): string[] {
  const out = r.addressPoll.map(
    (p) => `address poll (${p.mode}): ${p.answered.length ? p.answered.join(', ') : 'no answer'}`,
  );
  for (const d of r.devices) {
    out.push(
      `found ${d.address} (${d.checksum}): ${d.category ?? '?'} ${d.manufacturer ?? '?'} ${d.product ?? '?'} serial ${d.serial ?? '?'}`,
    );
    for (const u of d.unanswered) out.push(`  ${d.address} did not answer ${u.header}: ${u.reason}`);
  }
  for (const s of r.silent) out.push(`no answer at ${s.address} (${s.modes.join(', ')})`);
  return out;
}

/** Which driver takes each device class the scan reports. */
const DRIVERS: Readonly<Record<string, (bus: CcTalkBus, address: number) => CcTalkDevice>> = {
  'coin-acceptor': (bus, address) => createCcTalkCoinAcceptor(bus, { address }),
  'bill-validator': (bus, address) => createCcTalkBillValidator(bus, { address }),
  payout: (bus, address) => createCcTalkHopper(bus, { address }),
};

/** Discover, identify, enable and print events until stdin ends or 'quit'. Resolves with the exit code. */
export async function runCcTalkMonitor(options: CcTalkMonitorOptions, io: CliIo): Promise<number> {
  return withTraceFile(options.traceFile, (file) => monitorCcTalk(options, io, file));
}

async function monitorCcTalk(
  options: CcTalkMonitorOptions,
  io: CliIo,
  traceFile: TraceFile | undefined,
): Promise<number> {
  const style = outputStyle(options.json, io.isTty);
  const stamp = options.stamp ?? ((): string => clockStamp());
  const open = options.open ?? openPort;
  // Bad options fail before the port opens.
  const reconnect = resolveBackoff(options.reconnect, CCTALK_RECONNECT_LIMITS);
  // A wrong port fails the command at once; after that the bus owns the line and reopens it when lost.
  const port = await openReopeningPort(open, options.port);
  const bus = createCcTalkBus(port.opener, { description: options.port, reconnect });
  const busRef: DeviceRef = { protocol: 'cctalk', address: 0 };
  const warn = (ref: DeviceRef, p: CashwireError | Diagnostic): void => {
    const line = problemLine(style, ref, p, stamp());
    if (style.json) io.out(line);
    else io.err(line);
  };
  const subs: Subscription[] = [
    // The bus's trace holds every device's frames, so one file covers the whole scan and run.
    ...(traceFile === undefined ? [] : [recordTrace(bus.trace$, traceFile.write)]),
    bus.diagnostics$.subscribe((d) => warn(busRef, d)),
    bus.line$.subscribe((s) => {
      const line = lineNotice(style, busRef, s, options.port, stamp());
      if (line !== undefined) io.out(line);
    }),
  ];
  if (!style.json) io.out(`Scanning the ccTalk bus on ${options.port}...`);
  const report = await firstValueFrom(discoverCcTalkDevices(bus, options.discovery ?? MONITOR_DISCOVERY));
  if (style.json) io.out(jsonLine({ type: 'discovery', discovery: report }));
  else for (const line of describeReport(report)) io.out(line);
  const devices: CcTalkDevice[] = [];
  for (const d of report.devices) {
    const make = DRIVERS[d.deviceClass ?? ''];
    if (make) devices.push(make(bus, d.address));
  }
  if (devices.length === 0)
    io.err('No coin acceptor, bill validator or hopper answered: check wiring, port and power.');
  for (const device of devices) {
    const ref: DeviceRef = { protocol: 'cctalk', address: device.address };
    subs.push(
      device.events$.subscribe((e) => {
        const line = eventLine(style, e, stamp());
        if (line !== undefined) io.out(line);
      }),
      device.state$.subscribe((s) => {
        if (s.status !== 'disposed') io.out(stateLine(style, ref, s, stamp()));
      }),
      device.errors$.subscribe((e) => warn(ref, e)),
    );
  }
  await eachLine(io, (line) => {
    const name = line.trim();
    if (name === 'quit' || name === 'q') return false;
    if (name !== '') io.err('commands: quit');
    return true;
  });
  for (const s of subs) s.unsubscribe();
  for (const d of devices) d.dispose();
  bus.dispose(); // closes the port it opened
  await port.closeUnused();
  return devices.length === 0 ? 1 : 0;
}
