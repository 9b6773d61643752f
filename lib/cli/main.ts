/**
 * Entry point of the `cashwire` command. Subcommands register themselves in
 * ./commands; this file builds the program, turns Ctrl-C into a clean stop,
 * and maps errors to exit codes:
 *
 * - 0: done (also after `--help`, `--version`, or a stop by Ctrl-C);
 * - 1: the device, the port or the protocol failed;
 * - 2: bad usage (unknown command or option, a value out of range).
 *
 * An error prints one line, `cashwire: <what to do>`; the stack only when
 * DEBUG is set.
 */
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { type Observable, ReplaySubject, defer } from 'rxjs';
import { isCashwireError } from '../core/errors.js';
import { createPyramidLineDecoder } from '../protocols/pyramid/decode-lines.js';
import { processIo } from './io.js';
import { registerCommandCommand } from './commands/command.js';
import { registerDecodeCommand, registerDecoder } from './commands/decode.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerListCommand } from './commands/list.js';
import { registerProbeCommand } from './commands/probe.js';
import { registerMonitorCommand } from './commands/monitor.js';
import { type CliContext, registerSimulateCommand } from './commands/simulate.js';

export const EXIT_OK = 0;
export const EXIT_DEVICE = 1;
export const EXIT_USAGE = 2;

/** Error codes of typed errors that mean "the caller asked for something wrong", not a device fault. */
const USAGE_CODES: ReadonlySet<string> = new Set([
  'INVALID_ARGUMENT',
  'OPTION_OUT_OF_RANGE',
  'UNKNOWN_COMMAND',
]);

registerDecoder('pyramid', () => createPyramidLineDecoder());

/**
 * SIGINT / SIGTERM for commands that run until stopped (demo, simulate,
 * monitor). Signals are caught from the first subscription to `stop$` on
 * (those commands subscribe as their action starts); other commands keep
 * the default, so Ctrl-C ends them at once. Once caught, the first signal
 * asks the command to stop (it disposes its devices and closes its port) and
 * is remembered, so a command still opening its port stops as soon as it
 * listens; a second one ends the process at once (exit 130).
 */
export function watchStopSignals(): { readonly stop$: Observable<NodeJS.Signals>; release(): void } {
  const stop = new ReplaySubject<NodeJS.Signals>(1);
  let armed = false;
  let count = 0;
  const on = (signal: NodeJS.Signals): void => {
    count += 1;
    if (count > 1) process.exit(130);
    stop.next(signal);
  };
  return {
    stop$: defer(() => {
      if (!armed) {
        armed = true;
        process.on('SIGINT', on);
        process.on('SIGTERM', on);
      }
      return stop;
    }),
    release: () => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      stop.complete();
    },
  };
}

/** Commander's `error: ...` as `cashwire: ... (add --help for usage)` on one line. */
function oneLine(text: string): string {
  const message = text
    .trim()
    .replace(/^error:\s*/i, '')
    .replace(/\s*\n\s*/g, ' ');
  return `cashwire: ${message} (add --help for usage)\n`;
}

/** `cashwire demo --json | head` closes the pipe early: that ends the command, it is not an error. */
function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(EXIT_OK);
      throw e;
    });
  }
}

function version(): string {
  try {
    const pkg = createRequire(import.meta.url)('../../package.json') as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('cashwire')
    .description('Drive and simulate cash devices (eSSP, ccTalk, Pyramid RS-232) over serial lines.')
    .version(version())
    // Subcommands registered below inherit these: usage errors throw instead of
    // exiting, and print as one line in the same form as every other error.
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.io.out(text.replace(/\n$/, '')),
      writeErr: (text) => ctx.io.err(text.replace(/\n$/, '')),
      outputError: (text, write) => write(oneLine(text)),
    })
    .addHelpText(
      'after',
      `
Examples:
  cashwire demo                                    every simulator in-process, money in and out
  cashwire list                                    serial ports, with a guess of what is behind each
  cashwire probe --port /dev/ttyUSB0               which device answers there, and how
  cashwire simulate essp --port /dev/pts/3         a virtual NV200 on one end of a pty pair
  cashwire monitor essp --port /dev/pts/4 --json   watch it from the other end
  cashwire command essp --port /dev/pts/4 GET_SERIAL_NUMBER
  echo "7F 80 01 11 65 82" | cashwire decode essp  read captured bytes

Exit codes: 0 ok, 1 device or protocol error, 2 bad usage. Set DEBUG=1 for stack traces.`,
    );
  // In the order a newcomer meets them: try it, find the port, see what answers, watch it, talk to it,
  // fake it, read a capture.
  registerDemoCommand(program, ctx);
  registerListCommand(program, ctx.io, ctx.done);
  registerProbeCommand(program, ctx.io, ctx.done);
  registerMonitorCommand(program, ctx);
  registerCommandCommand(program, ctx.io, ctx.done);
  registerSimulateCommand(program, ctx);
  registerDecodeCommand(program, ctx.io);
  return program;
}

/** Exit code for an error that ended a command. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  if (isCashwireError(err) && USAGE_CODES.has(err.code)) return EXIT_USAGE;
  return EXIT_DEVICE;
}

/** Run the command line; resolves with the exit code. `ctx` replaces the process's streams and signals. */
export async function main(
  argv: readonly string[],
  ctx: Partial<Pick<CliContext, 'io' | 'stop$'>> = {},
): Promise<number> {
  const io = ctx.io ?? processIo;
  if (ctx.io === undefined) quietOnClosedPipe();
  const signals = ctx.stop$ === undefined ? watchStopSignals() : undefined;
  let code: number | undefined;
  const program = buildProgram({
    io,
    stop$: ctx.stop$ ?? signals!.stop$,
    done: (c) => (code = c),
  });
  try {
    await program.parseAsync([...argv]);
    // `decode` reports through process.exitCode.
    return code ?? (typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK);
  } catch (err) {
    const failure = exitCodeOf(err);
    // Commander has already printed its own one-line message (or the help).
    if (err instanceof CommanderError) return failure;
    io.err(`cashwire: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env['DEBUG'] && err instanceof Error && err.stack) io.err(err.stack);
    return failure;
  } finally {
    signals?.release();
  }
}
