/**
 * `cashwire simulate <protocol> --port <path>`: a virtual device on a serial
 * port (one end of a null-modem cable or of a socat pty pair), driven by line
 * commands typed on standard input. Runs until `quit` or Ctrl-C.
 *
 * Also home of the option parsers the other subcommands share: each throws
 * commander's InvalidArgumentError, so a bad value is bad usage (exit 2) with
 * the option named, before any port is opened.
 */
import { type Command, InvalidArgumentError as UsageError, Option } from 'commander';
import { NEVER, type Observable, concat, takeUntil, takeWhile } from 'rxjs';
import { ESSP_PROFILE_NAMES } from '../../protocols/essp/simulator/index.js';
import type { FaultPlan } from '../../testing/faults/index.js';
import type { CliIo } from '../io.js';
import { runCcTalkSimulator } from './cctalk.js';
import { runPyramidSimulator } from './pyramid.js';
import { SIMULATOR_HELP, runEsspSimulator } from './simulate-essp.js';
import { FAULTS_HELP, parseFaultsOption } from './simulate-faults.js';

/** What every subcommand gets from the program: where to print and when to stop. */
export interface CliContext {
  readonly io: CliIo;
  /** Emits when the user asks the command to stop (SIGINT, SIGTERM). */
  readonly stop$: Observable<unknown>;
  /** A command's exit code (kept off `process.exitCode` so the program can run in-process). */
  readonly done: (code: number) => void;
}

/** eSSP simulator profiles as typed on the command line: nv200, nv200-smart-payout, smart-hopper ... */
export const ESSP_DEVICE_NAMES: readonly string[] = ESSP_PROFILE_NAMES.map((p) =>
  p.toLowerCase().replace(/_/g, '-'),
);

export function parseEsspDevice(text: string): string {
  const wanted = text.toLowerCase().replace(/_/g, '-');
  if (!ESSP_DEVICE_NAMES.includes(wanted)) {
    throw new UsageError(`unknown device '${text}'. Choose one of: ${ESSP_DEVICE_NAMES.join(', ')}.`);
  }
  return wanted;
}

/** A whole number, decimal or 0x-hex, within [min, max]. */
export function integerIn(min: number, max: number): (text: string) => number {
  return (text) => {
    const t = text.trim();
    const n = /^0x[0-9a-f]+$/i.test(t) ? Number.parseInt(t, 16) : /^\d+$/.test(t) ? Number(t) : Number.NaN;
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new UsageError(`expected a whole number ${min}..${max} (decimal or 0x hex), got '${text}'.`);
    }
    return n;
  };
}

/** The 64-bit fixed half of the eSSP key. */
export function parseHexKey(text: string): string {
  const hex = text.replace(/^0x/i, '');
  if (!/^[0-9a-f]{16}$/i.test(hex)) {
    throw new UsageError(`expected 16 hex digits (e.g. 0123456701234567), got '${text}'.`);
  }
  return hex;
}

/**
 * Simulators and monitors run until `quit` or a stop signal. The end of
 * standard input does not stop them: `printf 'insert 2\n' | cashwire simulate
 * essp ...` must keep the unit alive for the host to poll, and a command
 * started in the background (stdin closed) must keep running.
 */
export function untilStopped(ctx: CliContext): CliIo {
  return {
    ...ctx.io,
    stdinLines$: concat(ctx.io.stdinLines$, NEVER).pipe(
      takeWhile((line) => !QUIT.test(line)),
      takeUntil(ctx.stop$),
    ),
  };
}

/** Start catching Ctrl-C as a stop request now, before the action opens its port (see main.ts). */
export function catchStopSignals(ctx: CliContext): void {
  ctx.stop$.subscribe().unsubscribe();
}

/** What ends a simulator or a monitor typed on stdin, whatever the protocol. */
const QUIT = /^\s*(quit|exit|q)\s*$/i;

const indent = (lines: readonly string[]): string => lines.map((l) => `  ${l}`).join('\n');

/** `--faults` and `--seed`, shared by every simulator; both are checked before the port is opened. */
function withFaultOptions(command: Command): Command {
  return command
    .option(
      '--faults <spec>',
      'inject faults on what the unit sends, e.g. drop=0.05,corrupt=0.01',
      parseFaultsOption,
    )
    .option('--seed <n>', 'seed of the faults (default: random, printed at start)', integerIn(0, 0xffff_ffff))
    .addHelpText('after', FAULTS_HELP);
}

/** The fault options as the runners take them (absent when not given). */
function faultOptions(opts: Record<string, unknown>): { faults?: FaultPlan; seed?: number } {
  return {
    ...(opts['faults'] !== undefined && { faults: opts['faults'] as FaultPlan }),
    ...(typeof opts['seed'] === 'number' && { seed: opts['seed'] }),
  };
}

export function registerSimulateCommand(program: Command, ctx: CliContext): void {
  const simulate = program
    .command('simulate')
    .description('Run a simulated device on a serial port, driven by line commands on stdin')
    .hook('preAction', () => catchStopSignals(ctx))
    .addHelpText(
      'after',
      `
Examples:
  socat -d -d pty,raw,echo=0 pty,raw,echo=0      # prints two paths, e.g. /dev/pts/3 and /dev/pts/4
  cashwire simulate essp --port /dev/pts/3 --device nv200-smart-payout
  cashwire monitor essp --port /dev/pts/4
  cashwire simulate essp --port /dev/pts/3 --faults drop=0.05,corrupt=0.01,reset=0.001 --seed 7`,
    );

  withFaultOptions(simulate.command('essp'))
    .description('A simulated eSSP unit (NV9USB, NV200, SMART Payout, SMART Hopper, NV11, NV4000 ...)')
    .requiredOption('--port <path>', 'serial port path, e.g. /dev/pts/3 or COM3')
    .addOption(
      new Option('--device <name>', `unit to simulate: ${ESSP_DEVICE_NAMES.join(', ')}`)
        .default('nv200')
        .argParser(parseEsspDevice),
    )
    .option('--address <n>', "SSP address 0..0x7D (default: the unit's own, 0 or 0x10)", integerIn(0, 0x7d))
    .option('--fixed-key <hex>', 'fixed key half, 16 hex digits (default 0123456701234567)', parseHexKey)
    .option('--currency <code>', 'dataset currency (default EUR)')
    .option('--require-encryption', 'answer KEY NOT SET to plain commands until a key is negotiated')
    .addHelpText(
      'after',
      `
Line commands on stdin:
${indent(SIMULATOR_HELP)}

Examples:
  cashwire simulate essp --port /dev/pts/3
  cashwire simulate essp --port /dev/pts/3 --device nv4000 --fixed-key 0123456701234567
  cashwire simulate essp --port COM7 --device smart-hopper --address 0x10
  cashwire simulate essp --port /dev/pts/3 --faults drop=0.05,corrupt=0.01,reset=0.001 --seed 7`,
    )
    .action(async (opts: Record<string, unknown>) => {
      ctx.done(
        await runEsspSimulator(
          {
            port: opts['port'] as string,
            device: opts['device'] as string,
            ...(typeof opts['address'] === 'number' && { address: opts['address'] }),
            ...(typeof opts['fixedKey'] === 'string' && { fixedKey: opts['fixedKey'] }),
            ...(typeof opts['currency'] === 'string' && { currency: opts['currency'].toUpperCase() }),
            ...(opts['requireEncryption'] === true && { requireEncryption: true }),
            ...faultOptions(opts),
          },
          untilStopped(ctx),
        ),
      );
    });

  withFaultOptions(simulate.command('cctalk'))
    .description('A simulated ccTalk bus: coin acceptor (2), bill validator (40), hopper (3)')
    .requiredOption('--port <path>', 'serial port path')
    .option('--devices <list>', 'devices on the bus, comma-separated: coin, bill, hopper', 'coin')
    .option('--echo', 'echo every host frame back, as a single-wire interface does')
    .option('--crc', 'CRC-16 checksums instead of the simple 8-bit sum')
    .addHelpText(
      'after',
      `
Line commands on stdin:
  coin <slot 1-16>, bill <channel 1-16>, reject, jam [coin|bill], empty, reset, stats, help

Examples:
  cashwire simulate cctalk --port /dev/pts/3
  cashwire simulate cctalk --port /dev/pts/3 --devices coin,hopper --echo
  cashwire simulate cctalk --port /dev/pts/3 --devices coin,bill,hopper --crc
  cashwire simulate cctalk --port /dev/pts/3 --faults drop=0.05,split=0.2 --seed 7`,
    )
    .action(async (opts: Record<string, unknown>) => {
      ctx.done(
        await runCcTalkSimulator(
          {
            port: opts['port'] as string,
            devices: opts['devices'] as string,
            echo: opts['echo'] === true,
            crc: opts['crc'] === true,
            ...faultOptions(opts),
          },
          untilStopped(ctx),
        ),
      );
    });

  withFaultOptions(simulate.command('pyramid'))
    .description('A simulated Pyramid RS-232 bill acceptor (Apex-like, USD bills 1..7)')
    .requiredOption('--port <path>', 'serial port path')
    .addHelpText(
      'after',
      `
Line commands on stdin:
  insert <bill 1-7>, barcode <text>, jam, clear-jam, cheat, cashbox-out, cashbox-in, reset, stats, help

Examples:
  cashwire simulate pyramid --port /dev/pts/3
  cashwire monitor pyramid --port /dev/pts/4 --escrow
  cashwire simulate pyramid --port /dev/pts/3 --faults drop=0.05,reset=0.001 --seed 7`,
    )
    .action(async (opts: Record<string, unknown>) => {
      ctx.done(
        await runPyramidSimulator({ port: opts['port'] as string, ...faultOptions(opts) }, untilStopped(ctx)),
      );
    });
}
