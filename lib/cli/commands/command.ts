/**
 * `cashwire command <protocol> --port <path> <NAME> [json-args]`: send one
 * command and print its decoded reply. Names and arguments go through the
 * same tables and validation as the library, before the port is opened:
 *
 * - unknown name → exit 2, with the closest names;
 * - bad arguments → exit 2, naming the field; nothing is written;
 * - the device refuses → exit 1, with the response name and what it means;
 * - silence, a lost line → exit 1.
 *
 * eSSP payouts, floats and empties are followed until they end: progress
 * lines on stderr at a terminal, the events seen in the result.
 */
import { type Command, Option } from 'commander';
import { firstValueFrom } from 'rxjs';
import { InvalidArgumentError, isCashwireError } from '../../core/errors.js';
import { type CliIo, jsonLine, processIo, setProcessExitCode } from '../io.js';
import { prepareCcTalkCommand } from '../probe/command-cctalk.js';
import { PYRAMID_COMMANDS, preparePyramidCommand } from '../probe/command-pyramid.js';
import type { CommandRequest, CommandResult, PreparedCommand } from '../probe/command-types.js';
import {
  ESSP_OPERATION_TIMEOUT_MS,
  type EsspCommandResult,
  type ProgressSink,
  prepareEsspCommand,
} from '../probe/command-essp.js';
import { type OpenAt, PROBE_PROTOCOLS, type ProbeProtocol, openSerialAt } from '../probe/types.js';
import { integerIn, parseHexKey } from './simulate.js';

export interface CommandOptions extends Omit<CommandRequest, 'args'> {
  readonly protocol: string;
  readonly port: string;
  /** json-args as typed (parsed here, so bad JSON is bad usage). */
  readonly args?: string;
  readonly json?: boolean;
  readonly open?: OpenAt;
}

const PREPARE: Readonly<
  Record<ProbeProtocol, (r: CommandRequest, follow: { progress?: ProgressSink }) => PreparedCommand>
> = {
  essp: prepareEsspCommand,
  cctalk: prepareCcTalkCommand,
  pyramid: preparePyramidCommand,
};

/** Error codes that mean the request was wrong, not the device (same split as the program's exit codes). */
const USAGE_CODES: ReadonlySet<string> = new Set([
  'INVALID_ARGUMENT',
  'OPTION_OUT_OF_RANGE',
  'UNKNOWN_COMMAND',
]);

/** Parse json-args; bad JSON is an InvalidArgumentError that shows how to quote it. */
export function parseJsonArgs(text: string | undefined): unknown {
  if (text === undefined || text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new InvalidArgumentError(
      `json-args is not valid JSON (${e instanceof Error ? e.message : String(e)}): ` +
        `got ${text}. Quote it for the shell, e.g. '{"module":1}'.`,
      { args: text },
    );
  }
}

/** Options that only make sense for one protocol are refused elsewhere, so nothing is silently ignored. */
function checkOptions(protocol: ProbeProtocol, o: CommandOptions): void {
  const only = (flag: string, given: boolean, wanted: ProbeProtocol): void => {
    if (given && protocol !== wanted) {
      throw new InvalidArgumentError(`${flag} applies to ${wanted} only.`, { option: flag });
    }
  };
  only('--fixed-key', o.fixedKey !== undefined, 'essp');
  only('--encrypt', o.encrypt === true, 'essp');
  only('--checksum', o.checksum !== undefined, 'cctalk');
  if (protocol === 'pyramid' && o.address !== undefined) {
    throw new InvalidArgumentError('--address does not apply to Pyramid: the link has no addresses.', {
      option: '--address',
    });
  }
}

function prepare(o: CommandOptions, progress: ProgressSink | undefined): PreparedCommand {
  const protocol = o.protocol.toLowerCase();
  if (!(PROBE_PROTOCOLS as readonly string[]).includes(protocol)) {
    throw new InvalidArgumentError(
      `Unknown protocol '${o.protocol}'. Choose from: ${PROBE_PROTOCOLS.join(', ')}.`,
      { protocol: o.protocol },
    );
  }
  checkOptions(protocol as ProbeProtocol, o);
  const { open: _open, json: _json, args, protocol: _p, port: _port, ...request } = o;
  return PREPARE[protocol as ProbeProtocol](
    { ...request, args: parseJsonArgs(args) },
    progress === undefined ? {} : { progress },
  );
}

function printValue(io: CliIo, key: string, value: unknown, indent: string): void {
  if (
    value !== null &&
    typeof value === 'object' &&
    !(value instanceof Uint8Array) &&
    !Array.isArray(value)
  ) {
    io.out(`${indent}${key}:`);
    for (const [k, v] of Object.entries(value)) printValue(io, k, v, `${indent}  `);
    return;
  }
  const text = typeof value === 'string' ? value : jsonLine(value);
  io.out(`${indent}${key}: ${text}`);
}

const hex2 = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;

/** Pretty output: a headline, the reply's fields, then any warnings. */
export function printResult(io: CliIo, r: CommandResult): void {
  const where = r.address === undefined ? '' : ` @${r.protocol === 'essp' ? hex2(r.address) : r.address}`;
  const link = Object.entries(r.link)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ');
  io.out(`${r.protocol}${where} ${r.command}: ${r.status}${link === '' ? '' : `  (${link})`}`);
  if (r.reply === undefined) io.out('  (no data)');
  else if (
    typeof r.reply === 'object' &&
    r.reply !== null &&
    !(r.reply instanceof Uint8Array) &&
    !Array.isArray(r.reply)
  ) {
    for (const [k, v] of Object.entries(r.reply)) printValue(io, k, v, '  ');
  } else printValue(io, 'reply', r.reply, '  ');
  const op = (r as EsspCommandResult).operation;
  if (op !== undefined) {
    io.out(`  operation: ${op.finished ? `ended with ${op.end ?? '?'}` : 'not ended'}`);
    for (const e of op.events) io.out(`    ${jsonLine(e)}`);
  }
  for (const w of r.warnings) io.err(`warning: ${w}`);
}

function fail(io: CliIo, json: boolean, e: unknown): number {
  const usage = isCashwireError(e) && USAGE_CODES.has(e.code);
  const message = e instanceof Error ? e.message : String(e);
  if (json) {
    const error = isCashwireError(e) ? e.toJSON() : { message };
    io.out(jsonLine({ ok: false, error }));
  }
  io.err(`cashwire: ${message}${usage ? ' (add --help for usage)' : ''}`);
  if (process.env['DEBUG'] && e instanceof Error && e.stack) io.err(e.stack);
  return usage ? 2 : 1;
}

/** Validate, open the port at the protocol's settings, run the command, print. Resolves with the exit code. */
export async function runCommand(options: CommandOptions, io: CliIo): Promise<number> {
  const json = options.json === true;
  let prepared: PreparedCommand;
  // Progress of payouts, floats and empties: for a person at a terminal only, never mixed into --json.
  const progress: ProgressSink | undefined = io.isTty && !json ? (line) => io.err(line) : undefined;
  try {
    prepared = prepare(options, progress);
  } catch (e) {
    return fail(io, json, e);
  }
  const open = options.open ?? openSerialAt;
  try {
    const transport = await firstValueFrom(open(options.port, prepared.line));
    try {
      const result = await prepared.run(transport);
      if (json) io.out(jsonLine({ ok: true, ...result }));
      else printResult(io, result);
      return 0;
    } finally {
      await firstValueFrom(transport.close(), { defaultValue: undefined }).catch(() => undefined);
    }
  } catch (e) {
    return fail(io, json, e);
  }
}

export function registerCommandCommand(
  program: Command,
  io: CliIo = processIo,
  done: (code: number) => void = setProcessExitCode,
): void {
  program
    .command('command')
    .description('Send one command to a device and print its decoded reply')
    .argument('<protocol>', `protocol: ${PROBE_PROTOCOLS.join(', ')}`)
    .argument(
      '<name>',
      'command name from the protocol table, e.g. GET_SERIAL_NUMBER, REQUEST_MANUFACTURER_ID, POLL',
    )
    .argument('[json-args]', 'arguments as a JSON object, e.g. \'{"module":1}\'')
    .requiredOption('--port <path>', 'serial port path, e.g. /dev/ttyUSB0 or COM3')
    .option(
      '--address <n>',
      'device address (eSSP 0..0x7D, default 0; ccTalk 0, 2..255, default 2)',
      integerIn(0, 255),
    )
    .option(
      '--fixed-key <hex>',
      'eSSP: fixed key half, 16 hex digits (default 0123456701234567)',
      parseHexKey,
    )
    .option('--encrypt', 'eSSP: negotiate a key first (automatic for commands that must be encrypted)')
    .addOption(
      new Option(
        '--checksum <mode>',
        'ccTalk: simple (8-bit sum) or crc16 (default: the mode the device answers in)',
      ).choices(['simple', 'crc16']),
    )
    .option(
      '--timeout <ms>',
      'reply timeout of one try, ms (default: eSSP 1000, ccTalk 300, Pyramid 250)',
      integerIn(20, 60_000),
    )
    .option('--json', 'one JSON object on stdout')
    .addHelpText(
      'after',
      `
eSSP sends SYNC first, then SETUP_REQUEST (so replies decode for the unit), then the command.
eSSP payouts, floats and empties are then polled until they end (at most ${ESSP_OPERATION_TIMEOUT_MS / 1000} s):
progress on stderr at a terminal; the events seen in the result (with --json, only the final JSON).
ccTalk uses the header names of the ccTalk table. Pyramid commands: ${Object.keys(PYRAMID_COMMANDS).join(', ')}.

Exit codes: 0 the device answered OK, 1 the device refused or did not answer, 2 bad usage (nothing was sent).

Examples:
  cashwire command essp --port /dev/ttyACM0 GET_SERIAL_NUMBER
  cashwire command essp --port /dev/ttyACM0 SETUP_REQUEST --json
  cashwire command essp --port /dev/ttyACM0 GET_SERIAL_NUMBER '{"module":1}'
  cashwire command essp --port /dev/ttyACM1 GET_ALL_LEVELS --address 0x10
  cashwire command essp --port COM4 PAYOUT_AMOUNT '{"amount":500,"country_code":"EUR","test":true}'
  cashwire command cctalk --port /dev/ttyUSB0 REQUEST_MANUFACTURER_ID --address 2
  cashwire command cctalk --port /dev/ttyUSB0 MODIFY_INHIBIT_STATUS '{"mask":65535}'
  cashwire command pyramid --port /dev/ttyS0 POLL '{"mask":127}'`,
    )
    .action(
      async (protocol: string, name: string, args: string | undefined, opts: Record<string, unknown>) => {
        done(
          await runCommand(
            {
              protocol,
              name,
              ...(args !== undefined && { args }),
              port: opts['port'] as string,
              ...(typeof opts['address'] === 'number' && { address: opts['address'] }),
              ...(typeof opts['fixedKey'] === 'string' && { fixedKey: opts['fixedKey'] }),
              ...(opts['encrypt'] === true && { encrypt: true }),
              ...(typeof opts['checksum'] === 'string' && {
                checksum: opts['checksum'] as 'simple' | 'crc16',
              }),
              ...(typeof opts['timeout'] === 'number' && { timeoutMs: opts['timeout'] }),
              json: opts['json'] === true,
            },
            io,
          ),
        );
      },
    );
}
