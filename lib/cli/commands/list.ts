/**
 * `cashwire list`: the serial ports the operating system knows, with their
 * USB vendor/product ids and a best guess of the device behind each (see
 * ../probe/usb.ts). Listing can fail (on Linux it needs udev's `udevadm`):
 * then one line says why and that a port can still be probed by its path.
 */
import type { Command } from 'commander';
import { type Observable, firstValueFrom } from 'rxjs';
import { type PortInfo, listSerialPorts } from '../../transport/serialport.js';
import { type CliIo, jsonLine, processIo, setProcessExitCode } from '../io.js';
import { guessUsbDevice, normalizeUsbId } from '../probe/usb.js';

export interface ListOptions {
  readonly json?: boolean;
  /** Lists the ports; tests pass a fixed list or a failure. */
  readonly list?: () => Observable<PortInfo[]>;
}

export interface ListedPort extends PortInfo {
  /** Vendor of the USB side, when the id is known. */
  readonly vendor?: string;
  /** What is probably behind the port ('unknown' when we cannot tell). */
  readonly guess: string;
}

const NO_USB = 'not USB (built-in or virtual port): unknown';

export function describePort(port: PortInfo): ListedPort {
  const known = guessUsbDevice(port.vendorId);
  const guess = known?.guess ?? (port.vendorId === undefined ? NO_USB : 'unknown');
  return { ...port, ...(known && { vendor: known.vendor }), guess };
}

const usbIds = (p: PortInfo): string => {
  const v = normalizeUsbId(p.vendorId);
  const d = normalizeUsbId(p.productId);
  return v === undefined ? '-' : `${v}:${d ?? '????'}`;
};

/** Fixed-width table: path, vid:pid, manufacturer, guess. */
export function portTable(ports: readonly ListedPort[]): string[] {
  const rows = ports.map((p) => [p.path, usbIds(p), p.manufacturer ?? p.vendor ?? '-', p.guess]);
  const header = ['PORT', 'VID:PID', 'MANUFACTURER', 'PROBABLY'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** Resolves with the exit code: 0 listed (even none), 1 listing failed. */
export async function runList(options: ListOptions, io: CliIo): Promise<number> {
  let ports: PortInfo[];
  try {
    ports = await firstValueFrom((options.list ?? listSerialPorts)(), { defaultValue: [] });
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).trim().replace(/\.$/, '');
    // The transport's message already says what to install; add the way around it.
    const tail = /by its path$/.test(why)
      ? ', e.g. cashwire probe --port /dev/ttyUSB0'
      : '. You can still probe a port by its path, e.g. cashwire probe --port /dev/ttyUSB0';
    io.err(`cashwire: ${why}${tail}`);
    return 1;
  }
  const listed = [...ports].sort((a, b) => a.path.localeCompare(b.path)).map(describePort);
  if (options.json === true) {
    io.out(jsonLine(listed));
    return 0;
  }
  if (listed.length === 0) {
    io.out(
      'No serial ports found. Plug the device or its USB-serial cable in, then run `cashwire list` again.',
    );
    return 0;
  }
  for (const line of portTable(listed)) io.out(line);
  io.out('');
  io.out('Next: cashwire probe --port <PORT> to see which device answers and how.');
  return 0;
}

export function registerListCommand(
  program: Command,
  io: CliIo = processIo,
  done: (code: number) => void = setProcessExitCode,
): void {
  program
    .command('list')
    .description('List serial ports with their USB ids and a best guess of the device behind each')
    .option('--json', 'one JSON array on stdout')
    .addHelpText(
      'after',
      `
The guess comes from the USB vendor id: ITL (191c) units speak eSSP (or ccTalk when configured so);
FTDI, Prolific, CH340 and CP210x are USB-serial bridges with any of the three protocols behind them.
Run \`cashwire probe --port <path>\` to find out for sure.

Examples:
  cashwire list
  cashwire list --json`,
    )
    .action(async (opts: Record<string, unknown>) => {
      done(await runList({ json: opts['json'] === true }, io));
    });
}
