/**
 * `cashwire command essp`: SYNC, a key exchange when asked for (--encrypt) or
 * when the command must travel encrypted, SETUP_REQUEST so replies decode
 * for this unit type and protocol version, then the command itself.
 */
import { firstValueFrom } from 'rxjs';
import { validateOrThrow } from '../../core/codec.js';
import { DeviceError, InvalidArgumentError } from '../../core/errors.js';
import type { EsspCommandName } from '../../protocols/essp/commands/table.js';
import { lookupCommand } from '../../protocols/essp/commands/table.js';
import { ESSP_LINE } from '../../protocols/essp/context.js';
import { DEFAULT_FIXED_KEY } from '../../protocols/essp/crypto/index.js';
import { createEsspBus } from '../../protocols/essp/session.js';
import { parseFixedKey } from '../commands/essp-monitor.js';
import type { CommandRequest, PreparedCommand } from './command-types.js';
import { tableName, validateArgs } from './command-types.js';
import { applySetupContext, sendWithKeyRetry } from './essp.js';

/** Commands sent as they are: the link and key set-up, and SETUP_REQUEST itself. */
const NO_SETUP_FIRST: ReadonlySet<string> = new Set([
  'SYNC',
  'SETUP_REQUEST',
  'SET_GENERATOR',
  'SET_MODULUS',
  'REQUEST_KEY_EXCHANGE',
  'RESET',
]);

export const ESSP_COMMAND_TIMEOUT_MS = 1000;

export function prepareEsspCommand(request: CommandRequest): PreparedCommand {
  const row = lookupCommand(tableName(request.name));
  const { value: args } = validateArgs(request.args, (a): unknown => validateOrThrow(row.args, a, row.name));
  const address = request.address ?? 0;
  if (!Number.isInteger(address) || address < 0 || address > 0x7d) {
    throw new InvalidArgumentError(`--address must be an eSSP address 0..0x7D, got ${address}.`, { address });
  }
  const fixedKey = parseFixedKey(request.fixedKey ?? DEFAULT_FIXED_KEY);
  const name = row.name as EsspCommandName;
  const encrypt = request.encrypt === true || row.encryption === 'required';
  return {
    line: ESSP_LINE,
    run: async (transport) => {
      const bus = createEsspBus(transport, {
        timeoutMs: request.timeoutMs ?? ESSP_COMMAND_TIMEOUT_MS,
        attempts: 3,
      });
      const session = bus.session(address, { fixedKey });
      const warnings: string[] = [];
      try {
        await firstValueFrom(session.send('SYNC'));
        if (encrypt) await firstValueFrom(session.negotiateKey(), { defaultValue: undefined });
        if (!NO_SETUP_FIRST.has(name)) {
          try {
            applySetupContext(session, await sendWithKeyRetry(session, 'SETUP_REQUEST'));
          } catch (e) {
            if (!(e instanceof DeviceError)) throw e;
            warnings.push(`SETUP_REQUEST refused (${e.response}); replies decoded with default settings`);
          }
        }
        const reply = name === 'SYNC' ? undefined : await sendWithKeyRetry(session, name, args as never);
        return {
          protocol: 'essp',
          address,
          command: name,
          status: 'OK',
          reply,
          link: {
            encrypted: session.encrypted,
            protocolVersion: session.context.protocolVersion,
            unitType: session.context.unitType,
          },
          warnings,
        };
      } finally {
        session.dispose();
        bus.dispose();
      }
    },
  };
}
