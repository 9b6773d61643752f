/**
 * `cashwire simulate essp`: run a virtual eSSP unit on a serial port (for
 * example one end of a null-modem cable or a socat pty pair) so a host
 * application can be exercised without hardware. Line commands on standard
 * input drive the scenario; everything the unit does is printed.
 */
import { EMPTY, catchError, firstValueFrom, lastValueFrom, takeWhile, tap } from 'rxjs';
import { InvalidArgumentError, isCashwireError } from '../../core/errors.js';
import { formatMoney, isCurrencyCode, minorUnitDigits } from '../../core/money.js';
import { ESSP_LINE } from '../../protocols/essp/context.js';
import {
  createEsspSimulator,
  ESSP_PROFILE_NAMES,
  type EsspProfileName,
  type EsspSimulator,
} from '../../protocols/essp/simulator/index.js';
import { type EsspDesync, createEsspDesync } from '../../testing/faults/index.js';
import { openSerialTransport } from '../../transport/serialport.js';
import type { CliIo } from '../io.js';
import { type FaultReport, type SimulatorFaultOptions, faultySide, statsLine } from './simulate-faults.js';

export interface SimulateEsspOptions extends SimulatorFaultOptions {
  /** Serial port path, e.g. /dev/ttyUSB0 or COM3. */
  readonly port: string;
  /** Profile name, e.g. NV9USB, NV200_SMART_PAYOUT, SMART_HOPPER. */
  readonly device: string;
  /** SSP address; default: the profile's. */
  readonly address?: number;
  /** Fixed key half as 16 hex digits; default 0123456701234567. */
  readonly fixedKey?: string;
  /** Dataset currency; default EUR. */
  readonly currency?: string;
  /** Answer KEY NOT SET to plain commands until a key is negotiated. */
  readonly requireEncryption?: boolean;
}

/** How the port is opened; replaced in tests by an in-memory transport. */
export type { OpenTransport } from '../reopening-port.js';
import type { OpenTransport } from '../reopening-port.js';

const openPort: OpenTransport = (path) => openSerialTransport(path, ESSP_LINE);

export const SIMULATOR_HELP = [
  'insert <channel>             put a note of that channel (1-based) in the bezel (a coin on a hopper)',
  'insert-value <amount> <cur>  insert by value, in whole units: insert-value 20 EUR, insert-value 0.50 EUR',
  'reject [code]                refuse the next note (reject code, default 2 = not recognised)',
  'jam [safe]                   jam the note path (unsafe by default); clear-jam frees it',
  'fraud                        report a fraud attempt',
  'cashbox-out | cashbox-in     remove / replace the cashbox',
  'stacker-full                 report a full stacker',
  'reset                        power-cycle the unit',
  'levels                       stored counts per denomination',
  'stats                        one JSON line: what really happened to the money, faults injected',
  'help                         this list; quit ends the simulator',
];

function parseDevice(name: string): EsspProfileName {
  const upper = name.toUpperCase().replace(/-/g, '_');
  const found = ESSP_PROFILE_NAMES.find((p) => p === upper);
  if (found === undefined) {
    throw new InvalidArgumentError(
      `Unknown device '${name}'. Choose one of: ${ESSP_PROFILE_NAMES.join(', ')}.`,
    );
  }
  return found;
}

/** "20" or "0.50" in whole currency units → integer minor units. */
function parseAmount(text: string, currency: string): number {
  const digits = minorUnitDigits(currency);
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (match === null || (match[2] ?? '').length > digits) {
    throw new InvalidArgumentError(`'${text}' is not an amount in ${currency} (e.g. 20 or 0.50).`);
  }
  return Number(match[1]) * 10 ** digits + Number((match[2] ?? '').padEnd(digits, '0') || '0');
}

function integer(text: string | undefined, what: string): number {
  const n = text === undefined ? NaN : Number(text);
  if (!Number.isInteger(n))
    throw new InvalidArgumentError(`${what} must be a whole number, got '${text ?? ''}'.`);
  return n;
}

/** The simulator's own counters in the `stats` line shape shared by every protocol. */
export function esspStats(sim: EsspSimulator, faults: FaultReport | null = null): string {
  const { inserted, accepted, stored, rejected, returned, resets, creditedValue, paidOut } = sim.stats;
  const currency = sim.profile.currency;
  return statsLine(
    {
      protocol: 'essp',
      inserted,
      accepted,
      stored,
      rejected,
      returned,
      resets,
      creditedValue,
      paidOut,
      currency,
    },
    faults,
  );
}

/** Run one typed line against the simulator; returns what to print. */
export function simulatorCommand(
  sim: EsspSimulator,
  line: string,
  faults: () => FaultReport | null = () => null,
): string[] {
  const [word = '', ...rest] = line.trim().split(/\s+/);
  const taken = (ok: boolean): string[] => [ok ? 'ok' : 'the unit did not take it (disabled, busy or full)'];
  switch (word.toLowerCase()) {
    case '':
      return [];
    case 'insert':
      return taken(sim.insertNote(integer(rest[0], 'channel')));
    case 'insert-value': {
      const currency = (rest[1] ?? sim.profile.currency).toUpperCase();
      if (!isCurrencyCode(currency)) throw new InvalidArgumentError(`'${currency}' is not a currency code.`);
      return taken(sim.insertValue({ amount: parseAmount(rest[0] ?? '', currency), currency }));
    }
    case 'reject':
      sim.rejectNext(rest[0] === undefined ? undefined : integer(rest[0], 'reject code'));
      return ['the next note will be rejected'];
    case 'jam':
      sim.jam(rest[0] === 'safe');
      return ['jammed'];
    case 'clear-jam':
      sim.clearJam();
      return ['jam cleared'];
    case 'fraud':
      sim.fraud();
      return ['fraud attempt'];
    case 'cashbox-out':
      sim.removeCashbox();
      return ['cashbox removed'];
    case 'cashbox-in':
      sim.replaceCashbox();
      return ['cashbox replaced'];
    case 'stacker-full':
      sim.fillStacker();
      return ['stacker full'];
    case 'reset':
      sim.powerCycle();
      return ['power cycled'];
    case 'levels':
      return sim.profile.channels.map(
        (v, i) => `${formatMoney({ amount: v, currency: sim.profile.currency })}: ${sim.levels[i] ?? 0}`,
      );
    case 'stats':
      return [esspStats(sim, faults())];
    case 'help':
    case '?':
      return SIMULATOR_HELP;
    default:
      throw new InvalidArgumentError(`Unknown command '${word}'. Type 'help' for the list.`);
  }
}

/**
 * Open the port, run the simulator until standard input ends or `quit` is
 * typed, then close everything. Resolves with the process exit code.
 */
export async function runEsspSimulator(
  options: SimulateEsspOptions,
  io: CliIo,
  open: OpenTransport = openPort,
): Promise<number> {
  const profile = parseDevice(options.device);
  const port = await firstValueFrom(open(options.port));
  let unit: EsspSimulator | undefined;
  let desync: EsspDesync | undefined;
  const side = faultySide(port, options, () => unit?.powerCycle(), {
    protocol: 'essp',
    stats: () => ({ desync: desync?.stats.desync ?? 0 }),
  });
  const transport = side.transport;
  const sim = (unit = createEsspSimulator(transport, {
    profile,
    ...(options.address !== undefined ? { address: options.address } : {}),
    ...(options.fixedKey !== undefined ? { fixedKey: options.fixedKey } : {}),
    ...(options.currency !== undefined ? { currency: options.currency } : {}),
    ...(options.requireEncryption !== undefined ? { requireEncryption: options.requireEncryption } : {}),
  }));
  // The counter desync happens inside the unit, so it is injected through the simulator, not the line.
  if (options.faults !== undefined && side.seed !== undefined) {
    desync = createEsspDesync(sim, options.faults, { seed: side.seed });
  }
  const logs = sim.log$.subscribe((line) => io.out(line));
  if (side.banner !== undefined) io.out(side.banner);
  io.out(
    `${sim.profile.name} (unit type 0x${sim.profile.unitType.toString(16).padStart(2, '0')}) at address ` +
      `0x${sim.address.toString(16).padStart(2, '0')} on ${transport.description}; type 'help' for commands.`,
  );
  try {
    await lastValueFrom(
      io.stdinLines$.pipe(
        takeWhile((line) => !/^\s*(quit|exit)\s*$/i.test(line)),
        tap((line) => {
          try {
            for (const out of simulatorCommand(sim, line, side.report)) io.out(out);
          } catch (e) {
            io.err(isCashwireError(e) ? e.message : String(e));
          }
        }),
        catchError(() => EMPTY),
      ),
      { defaultValue: undefined },
    );
  } finally {
    logs.unsubscribe();
    desync?.dispose();
    sim.dispose();
    await firstValueFrom(transport.close(), { defaultValue: undefined });
  }
  return 0;
}
