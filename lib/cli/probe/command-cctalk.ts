/**
 * `cashwire command cctalk`: one header from the table, sent through the bus
 * (echo learnt from the line). Without --checksum the device is first asked
 * a simple poll in the 8-bit sum mode, then in CRC-16, and the command goes
 * out in the mode it answered.
 */
import { type Observable, catchError, firstValueFrom, map, of } from 'rxjs';
import { CashwireError, DeviceError, InvalidArgumentError } from '../../core/errors.js';
import { CCTALK_LINE_SETTINGS, type CcTalkBus, createCcTalkBus } from '../../protocols/cctalk/bus.js';
import type { ChecksumMode } from '../../protocols/cctalk/checksum.js';
import { HEADERS, type HeaderName, encodeRequest } from '../../protocols/cctalk/headers.js';
import type { CommandRequest, PreparedCommand } from './command-types.js';
import { tableName, validateArgs } from './command-types.js';

/** What a NAK means, for the one-line error. */
const NAK_ADVICE =
  'The device understood the command and refused it: check that this device class supports it, ' +
  'that it is in a state that allows it (enabled, not busy), and the argument values.';

/** Find the checksum mode the device answers in, or fail with what to check. */
async function answeringMode(bus: CcTalkBus, address: number, timeoutMs: number): Promise<ChecksumMode> {
  for (const mode of ['simple', 'crc16'] as const) {
    bus.setChecksum(address, mode);
    const ok = await firstValueFrom(
      bus.requestRaw(address, 254, undefined, { timeoutMs, attempts: 2, label: 'SIMPLE_POLL' }).pipe(
        map(() => true),
        catchError(() => of(false)),
      ),
    );
    if (ok) return mode;
  }
  throw new CashwireError(
    'NO_ANSWER',
    `No ccTalk device answered a simple poll at address ${address} (8-bit sum or CRC-16). ` +
      'Check the address (--address), the cable, power, and the port; `cashwire probe` scans the usual addresses.',
    { address },
  );
}

export function prepareCcTalkCommand(request: CommandRequest): PreparedCommand {
  const name = tableName(request.name);
  // Validates the name (UnknownCommandError with suggestions) and the arguments (naming the field).
  const { args } = validateArgs(request.args, (a) =>
    (encodeRequest as (n: string, a?: unknown) => unknown)(name, a),
  );
  const def = HEADERS[name as HeaderName];
  if (def.direction === 'reply' || 'rawByteReply' in def) {
    throw new InvalidArgumentError(
      `${name} is not a command a host sends on its own here` +
        (def.direction === 'reply'
          ? ' (devices send it as a reply).'
          : '; use `cashwire probe` to scan addresses.'),
      { command: name },
    );
  }
  const address = request.address ?? 2;
  if (!Number.isInteger(address) || address < 0 || address > 255 || address === 1) {
    throw new InvalidArgumentError(
      `--address must be a ccTalk address 0 or 2..255 (1 is the host), got ${address}.`,
      {
        address,
      },
    );
  }
  return {
    line: CCTALK_LINE_SETTINGS,
    run: async (transport) => {
      const bus = createCcTalkBus(transport, {
        echo: 'auto',
        ...(request.timeoutMs !== undefined && { replyTimeoutMs: request.timeoutMs }),
      });
      try {
        const checksum = request.checksum ?? (await answeringMode(bus, address, request.timeoutMs ?? 100));
        bus.setChecksum(address, checksum);
        // The name was checked against the table above; the typed signature wants a literal name.
        const reply$ = (
          bus.request as (this: CcTalkBus, a: number, n: string, args?: unknown) => Observable<unknown>
        ).call(bus, address, name, args);
        const reply: unknown = await firstValueFrom(reply$).catch((e: unknown) => {
          if (e instanceof DeviceError && e.info['advice'] === undefined) {
            throw new DeviceError(name, e.response, `${e.message} ${NAK_ADVICE}`, {
              ...e.info,
              advice: NAK_ADVICE,
            });
          }
          throw e;
        });
        return {
          protocol: 'cctalk',
          address,
          command: name,
          status: 'ACK',
          reply,
          link: { checksum },
          warnings: [],
        };
      } finally {
        bus.dispose();
      }
    },
  };
}
