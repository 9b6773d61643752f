/**
 * `cashwire monitor <protocol> --port <path>`: connect to a real (or
 * simulated) device, enable it and print what it does until Ctrl-C.
 * Pretty lines by default, JSON lines with `--json`; `--trace <file>` also
 * records every frame as JSON lines.
 */
import { type Command, Option } from 'commander';
import { runCcTalkMonitor } from './cctalk.js';
import { runEsspMonitor } from './essp-monitor.js';
import { runPyramidMonitor } from './pyramid.js';
import { type CliContext, catchStopSignals, integerIn, parseHexKey, untilStopped } from './simulate.js';

export function registerMonitorCommand(program: Command, ctx: CliContext): void {
  const monitor = program
    .command('monitor')
    .description('Connect to a device, enable it and print its events until Ctrl-C')
    .hook('preAction', () => catchStopSignals(ctx))
    .addHelpText(
      'after',
      `
Examples:
  cashwire monitor essp --port /dev/ttyUSB0
  cashwire monitor cctalk --port /dev/ttyUSB1 --json
  cashwire monitor essp --port /dev/ttyACM0 --trace session.jsonl
  cashwire monitor pyramid --port /dev/ttyS0 --mask 0x1F`,
    );

  monitor
    .command('essp')
    .description('eSSP validator or payout unit: SYNC, key exchange, SETUP, ENABLE, then poll and print')
    .requiredOption('--port <path>', 'serial port path, e.g. /dev/ttyUSB0 or COM3')
    .option('--fixed-key <hex>', 'fixed key half, 16 hex digits (default 0123456701234567)', parseHexKey)
    .option('--address <n>', 'SSP address 0..0x7D (default 0; SMART Hopper 0x10)', integerIn(0, 0x7d))
    .addOption(
      new Option('--encryption <mode>', 'required | auto (fall back to plain when refused) | off')
        .choices(['required', 'auto', 'off'])
        .default('auto'),
    )
    .option('--trace <file>', 'also write every frame to <file> as JSON lines (readable by cashwire decode)')
    .option('--json', 'one JSON object per line, raw eSSP events included')
    .addHelpText(
      'after',
      `
Output: state changes, the unit's identity, then events such as
  12:00:01.204  essp:00     credit      10.00 EUR  note ch2
Stops on Ctrl-C or 'quit' on stdin.

Examples:
  cashwire monitor essp --port /dev/ttyACM0
  cashwire monitor essp --port COM4 --fixed-key 0123456701234567 --json
  cashwire monitor essp --port /dev/ttyUSB0 --address 0x10`,
    )
    .action(async (opts: Record<string, unknown>) => {
      ctx.done(
        await runEsspMonitor(
          {
            port: opts['port'] as string,
            ...(typeof opts['fixedKey'] === 'string' && { fixedKey: opts['fixedKey'] }),
            ...(typeof opts['address'] === 'number' && { address: opts['address'] }),
            encryption: opts['encryption'] as 'required' | 'auto' | 'off',
            json: opts['json'] === true,
            ...(typeof opts['trace'] === 'string' && { traceFile: opts['trace'] }),
            stop$: ctx.stop$,
          },
          ctx.io,
        ),
      );
    });

  monitor
    .command('cctalk')
    .description('ccTalk bus: discover and identify every device, enable them, print their events')
    .requiredOption('--port <path>', 'serial port path')
    .option('--trace <file>', 'also write every frame to <file> as JSON lines (readable by cashwire decode)')
    .option('--json', 'one JSON object per line')
    .addHelpText(
      'after',
      `
Examples:
  cashwire monitor cctalk --port /dev/ttyUSB0
  cashwire monitor cctalk --port /dev/pts/4 --json`,
    )
    .action(async (opts: Record<string, unknown>) => {
      ctx.done(
        await runCcTalkMonitor(
          {
            port: opts['port'] as string,
            json: opts['json'] === true,
            ...(typeof opts['trace'] === 'string' && { traceFile: opts['trace'] }),
          },
          untilStopped(ctx),
        ),
      );
    });

  monitor
    .command('pyramid')
    .description('Pyramid RS-232 bill acceptor: poll with an enable mask, print states and credits')
    .requiredOption('--port <path>', 'serial port path')
    .option('--mask <mask>', 'bill enable mask 0x00..0x7F, bit n-1 = bill n', '0x7F')
    .option('--escrow', "hold each bill in escrow; type 'stack' or 'return' on stdin")
    .option('--trace <file>', 'also write every frame to <file> as JSON lines (readable by cashwire decode)')
    .option('--json', 'one JSON object per line')
    .addHelpText(
      'after',
      `
Line commands on stdin: stack, return, mask <0x00-0x7F>, quit

Examples:
  cashwire monitor pyramid --port /dev/ttyS0
  cashwire monitor pyramid --port /dev/ttyS0 --mask 0x0F --escrow
  cashwire monitor pyramid --port /dev/pts/4 --json`,
    )
    .action(async (opts: Record<string, unknown>) => {
      ctx.done(
        await runPyramidMonitor(
          {
            port: opts['port'] as string,
            mask: opts['mask'] as string,
            escrow: opts['escrow'] === true,
            json: opts['json'] === true,
            ...(typeof opts['trace'] === 'string' && { traceFile: opts['trace'] }),
          },
          untilStopped(ctx),
        ),
      );
    });
}
