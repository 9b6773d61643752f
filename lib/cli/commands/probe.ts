/**
 * `cashwire probe --port <path>`: find out what is on a serial port. Each
 * protocol is tried at its own line settings (the port is reopened for each):
 * eSSP 9600 8N2, ccTalk 9600 8N1, Pyramid 9600 7E1. The scan stops at the
 * first protocol that answers (`--all` tries every one) and prints what it
 * learnt; when nothing answers it says so and lists what to check.
 *
 * Exit codes: 0 something answered, 1 nothing did (or the port failed), 2 bad usage.
 */
import { type Command, InvalidArgumentError as UsageError, Option } from 'commander';
import { InvalidArgumentError } from '../../core/errors.js';
import { type CliIo, jsonLine, processIo, setProcessExitCode } from '../io.js';
import { probeCcTalk } from '../probe/cctalk.js';
import { probeEssp } from '../probe/essp.js';
import { probePyramid } from '../probe/pyramid.js';
import {
  type OpenAt,
  PROBE_PROTOCOLS,
  type ProbeFinding,
  type ProbeProtocol,
  type ProbeSettings,
  type ProtocolProbe,
  openSerialAt,
} from '../probe/types.js';
import { integerIn } from './simulate.js';

export interface ProbeOptions {
  readonly port: string;
  readonly json?: boolean;
  /** Reply timeout of one try, ms (20..5000). Default {@link DEFAULT_PROBE_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  /** Protocols to try, in order. Default all three. */
  readonly protocols?: readonly ProbeProtocol[];
  /** Keep going after a protocol answered. */
  readonly all?: boolean;
  /** Opens the port at given line settings; tests pass memory pairs. */
  readonly open?: OpenAt;
}

export const DEFAULT_PROBE_TIMEOUT_MS = 150;
export const PROBE_TIMEOUT_RANGE = { min: 20, max: 5000 } as const;

type Prober = (open: OpenAt, path: string, settings: ProbeSettings) => Promise<ProtocolProbe>;
const PROBERS: Readonly<Record<ProbeProtocol, { readonly label: string; readonly run: Prober }>> = {
  essp: { label: 'eSSP', run: probeEssp },
  cctalk: { label: 'ccTalk', run: probeCcTalk },
  pyramid: { label: 'Pyramid', run: probePyramid },
};

/** What to check when nothing answered, most likely first. */
export const NOTHING_ANSWERED_ADVICE: readonly string[] = [
  'the cable and the adapter: TX/RX not swapped, ground connected; a USB unit shows up as a new port (`cashwire list`)',
  'the power supply of the device (most units need 12 V or 24 V besides the data lines)',
  'the port: is it the right one, and is no other program (or another cashwire) holding it?',
  'the line settings: eSSP 9600 8N2, ccTalk 9600 8N1, Pyramid 9600 7E1; an eSSP unit told to change speed (SET_BAUD_RATE) keeps it until reset',
  'the device mode: an Apex or Spectra must be in RS-232 mode (DIP switches off), an ITL unit must be set to SSP/eSSP (or ccTalk) rather than pulse or parallel',
  'the address: eSSP units answer at 0x00 (validators) or 0x10 (SMART Hopper); ccTalk devices at 2 (coin), 3-5 (hoppers), 40 (bill) unless changed',
];

/** Parse `--protocols essp,cctalk`. Throws InvalidArgumentError naming a wrong entry. */
export function parseProtocols(text: string): ProbeProtocol[] {
  const out: ProbeProtocol[] = [];
  for (const item of text.split(/[\s,]+/).filter(Boolean)) {
    const p = item.toLowerCase();
    if (!(PROBE_PROTOCOLS as readonly string[]).includes(p)) {
      throw new InvalidArgumentError(
        `Unknown protocol '${item}'. Choose from: ${PROBE_PROTOCOLS.join(', ')}.`,
        { protocol: item },
      );
    }
    if (!out.includes(p as ProbeProtocol)) out.push(p as ProbeProtocol);
  }
  if (out.length === 0) throw new InvalidArgumentError('--protocols needs at least one protocol.');
  return out;
}

const hex2 = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;

/** Pretty lines for one device found. */
export function describeFinding(f: ProbeFinding): string[] {
  const address = f.protocol === 'cctalk' ? String(f.address) : hex2(f.address);
  const head = [
    `${PROBERS[f.protocol].label} device at address ${address}:`,
    f.unit ?? 'unknown unit',
    f.manufacturer,
    f.product,
  ]
    .filter((x): x is string => x !== undefined && x !== '')
    .join(' ');
  const lines = [head];
  const facts: [string, string | undefined][] = [
    ['serial', f.serial],
    ['firmware', f.firmware],
    ['currency', f.currency],
    ['channels', f.channels?.join(', ')],
  ];
  for (const [k, v] of facts) if (v !== undefined && v !== '') lines.push(`  ${k.padEnd(9)} ${v}`);
  const details = Object.entries(f.details)
    .map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(',') : String(v)}`)
    .join(', ');
  if (details !== '') lines.push(`  ${'details'.padEnd(9)} ${details}`);
  for (const w of f.warnings) lines.push(`  no answer: ${w}`);
  return lines;
}

function usage(io: CliIo, message: string): number {
  io.err(`cashwire: ${message} (add --help for usage)`);
  return 2;
}

/** Probe the port. Resolves with the exit code. */
export async function runProbe(options: ProbeOptions, io: CliIo): Promise<number> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  if (
    !Number.isInteger(timeoutMs) ||
    timeoutMs < PROBE_TIMEOUT_RANGE.min ||
    timeoutMs > PROBE_TIMEOUT_RANGE.max
  ) {
    return usage(
      io,
      `--timeout must be a whole number of ms from ${PROBE_TIMEOUT_RANGE.min} to ${PROBE_TIMEOUT_RANGE.max}, got ${String(timeoutMs)}`,
    );
  }
  if (options.port.trim() === '') return usage(io, '--port needs a path, e.g. /dev/ttyUSB0 or COM3');
  const protocols = options.protocols ?? PROBE_PROTOCOLS;
  const json = options.json === true;
  const showProgress = !json && io.isTty;
  const settings: ProbeSettings = {
    timeoutMs,
    progress: (text) => {
      if (showProgress) io.err(`... ${text}`);
    },
  };
  const open = options.open ?? openSerialAt;
  if (!json) io.out(`Probing ${options.port} (${protocols.map((p) => PROBERS[p].label).join(', ')})...`);

  const probes: ProtocolProbe[] = [];
  for (const protocol of protocols) {
    const probe = await PROBERS[protocol].run(open, options.port, settings);
    probes.push(probe);
    if (!json) {
      const what =
        probe.error !== undefined
          ? `failed: ${probe.error}`
          : probe.found.length > 0
            ? `${probe.found.length} device(s) answered`
            : 'no answer';
      io.out(`${PROBERS[protocol].label} (${probe.line}): ${what}  [${probe.elapsedMs} ms]`);
      for (const f of probe.found) for (const line of describeFinding(f)) io.out(`  ${line}`);
      if (probe.found.length === 0) {
        for (const n of probe.notes ?? [])
          io.out(`  no ${PROBERS[protocol].label} reply, only other bytes, at ${n}`);
      }
    }
    if (probe.found.length > 0 && options.all !== true) break;
  }

  const found = probes.flatMap((p) => p.found);
  const openFailed = probes.length > 0 && probes.every((p) => p.error !== undefined);
  // A port that cannot be opened is one actionable line, whatever the output mode.
  if (openFailed) io.err(`cashwire: ${probes[0]!.error!}`);
  if (json) {
    io.out(
      jsonLine({
        port: options.port,
        answered: found.length > 0,
        found,
        probes,
        ...(found.length === 0 && { advice: NOTHING_ANSWERED_ADVICE }),
      }),
    );
  } else if (found.length === 0) {
    if (!openFailed) {
      io.out('');
      io.out(`Nothing answered on ${options.port}. Tried:`);
      for (const p of probes) io.out(`  ${PROBERS[p.protocol].label} at ${p.line}: ${p.tried}`);
      io.out('Check:');
      for (const a of NOTHING_ANSWERED_ADVICE) io.out(`  - ${a}`);
    }
  } else {
    io.out('');
    const first = found[0]!;
    io.out(
      `Next: cashwire monitor ${first.protocol} --port ${options.port}` +
        (first.protocol === 'essp' && first.address !== 0 ? ` --address ${hex2(first.address)}` : ''),
    );
  }
  return found.length > 0 ? 0 : 1;
}

export function registerProbeCommand(
  program: Command,
  io: CliIo = processIo,
  done: (code: number) => void = setProcessExitCode,
): void {
  program
    .command('probe')
    .description(
      'Find out which device answers on a serial port: eSSP, ccTalk (both checksum modes) or Pyramid',
    )
    .requiredOption('--port <path>', 'serial port path, e.g. /dev/ttyUSB0 or COM3')
    .option('--json', 'one JSON document on stdout, no progress lines')
    .option(
      '--timeout <ms>',
      `reply timeout of one try, ms ${PROBE_TIMEOUT_RANGE.min}..${PROBE_TIMEOUT_RANGE.max} (default ${DEFAULT_PROBE_TIMEOUT_MS}; raise it for slow USB adapters)`,
      integerIn(PROBE_TIMEOUT_RANGE.min, PROBE_TIMEOUT_RANGE.max),
    )
    .addOption(
      new Option('--protocols <list>', 'protocols to try, in order, comma-separated')
        .default([...PROBE_PROTOCOLS], PROBE_PROTOCOLS.join(','))
        .argParser((text: string) => {
          try {
            return parseProtocols(text);
          } catch (e) {
            throw new UsageError(e instanceof Error ? e.message : String(e));
          }
        }),
    )
    .option('--all', 'keep trying the other protocols after one answered')
    .addHelpText(
      'after',
      `
Tries, reopening the port at each protocol's line settings:
  eSSP     9600 8N2  SYNC to 0x00 and 0x10, SETUP_REQUEST, GET_SERIAL_NUMBER, GET_FIRMWARE_VERSION
  ccTalk   9600 8N1  address poll, simple poll of 2,3,4,5,40 (8-bit sum and CRC-16, echo or not), identification
  Pyramid  9600 7E1  a poll with enable mask 0: state, model and revision

Exit codes: 0 a device answered, 1 nothing answered (what to check is printed), 2 bad usage.

Examples:
  cashwire probe --port /dev/ttyUSB0
  cashwire probe --port COM3 --json
  cashwire probe --port /dev/ttyACM0 --protocols essp --timeout 500`,
    )
    .action(async (opts: Record<string, unknown>) => {
      done(
        await runProbe(
          {
            port: opts['port'] as string,
            json: opts['json'] === true,
            ...(typeof opts['timeout'] === 'number' && { timeoutMs: opts['timeout'] }),
            protocols: opts['protocols'] as ProbeProtocol[],
            all: opts['all'] === true,
          },
          io,
        ),
      );
    });
}
