/**
 * `cashwire command essp`: SYNC, a key exchange when asked for (--encrypt) or
 * when the command must travel encrypted, SETUP_REQUEST so replies decode
 * for this unit type and protocol version, then the command itself.
 *
 * Payouts, floats and empties go on after their OK reply: the unit is polled
 * until the operation's final event (or a bounded wait), reporting progress
 * through a callback and returning the events seen.
 */
import { firstValueFrom } from 'rxjs';
import { validateOrThrow } from '../../core/codec.js';
import { formatMoney } from '../../core/money.js';
import { type EsspEvent, type EsspEventName, parsePollReply } from '../../protocols/essp/events/index.js';
import type { EsspSession } from '../../protocols/essp/session-types.js';
import type { Transport } from '../../transport/transport.js';
import { DeviceError, InvalidArgumentError } from '../../core/errors.js';
import type { EsspCommandName } from '../../protocols/essp/commands/table.js';
import { lookupCommand } from '../../protocols/essp/commands/table.js';
import { ESSP_LINE } from '../../protocols/essp/context.js';
import { DEFAULT_FIXED_KEY } from '../../protocols/essp/crypto/index.js';
import { createEsspBus } from '../../protocols/essp/session.js';
import { parseFixedKey } from '../commands/essp-monitor.js';
import type { CommandRequest, CommandResult, PreparedCommand } from './command-types.js';
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

/** How long a payout, float or empty is followed after its OK reply before giving up, ms. */
export const ESSP_OPERATION_TIMEOUT_MS = 60_000;
/** Pause between polls while following an operation, ms (the units report progress at this pace or slower). */
export const ESSP_OPERATION_POLL_MS = 200;

/** Receives one human progress line, e.g. `dispensing 5.00 EUR`. */
export type ProgressSink = (line: string) => void;

/** Events that end each long operation: its own result, plus the ways any payout-family job stops early. */
const STOPPED: readonly EsspEventName[] = ['HALTED', 'TIME_OUT', 'JAMMED', 'ERROR_DURING_PAYOUT'];
const OPERATION_ENDS: Readonly<Partial<Record<EsspCommandName, readonly EsspEventName[]>>> = {
  PAYOUT_AMOUNT: ['DISPENSED', 'INCOMPLETE_PAYOUT', ...STOPPED],
  PAYOUT_BY_DENOMINATION: ['DISPENSED', 'INCOMPLETE_PAYOUT', ...STOPPED],
  FLOAT_AMOUNT: ['FLOATED', 'INCOMPLETE_FLOAT', ...STOPPED],
  FLOAT_BY_DENOMINATION: ['FLOATED', 'INCOMPLETE_FLOAT', ...STOPPED],
  EMPTY_ALL: ['EMPTIED', ...STOPPED],
  SMART_EMPTY: ['SMART_EMPTIED', ...STOPPED],
};

/** Progress events worth a line, and the verb they are printed with. */
const PROGRESS_VERBS: Readonly<Partial<Record<EsspEventName, string>>> = {
  DISPENSING: 'dispensing',
  DISPENSED: 'dispensed',
  FLOATING: 'floating',
  FLOATED: 'floated',
  EMPTYING: 'emptying',
  EMPTIED: 'emptied',
  SMART_EMPTYING: 'smart emptying',
  SMART_EMPTIED: 'smart emptied',
  HALTED: 'halted after',
  TIME_OUT: 'timed out after',
  JAMMED: 'jammed after',
  ERROR_DURING_PAYOUT: 'payout error after',
  INCOMPLETE_PAYOUT: 'incomplete payout',
  INCOMPLETE_FLOAT: 'incomplete float',
};

/** How a followed operation ended. */
export interface EsspOperationOutcome {
  /** The final event arrived (it may still report a partial result: HALTED, JAMMED, INCOMPLETE_*). */
  readonly finished: boolean;
  /** Name of the final event, when one arrived. */
  readonly end?: EsspEventName;
  /** Events polled while following, consecutive repeats folded into one. */
  readonly events: readonly EsspEvent[];
}

export interface EsspCommandResult extends CommandResult {
  /** Present for payouts, floats and empties that were followed to their end. */
  readonly operation?: EsspOperationOutcome;
}

export interface PreparedEsspCommand extends PreparedCommand {
  run(transport: Transport): Promise<EsspCommandResult>;
}

function progressText(e: EsspEvent): string | undefined {
  const verb = PROGRESS_VERBS[e.event];
  if (verb === undefined) return undefined;
  const amounts =
    'amounts' in e ? e.amounts.map((a) => formatMoney('completed' in a ? a.completed : a)).join(', ') : '';
  return amounts === '' ? `${verb}...` : `${verb} ${amounts}`;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll until one of `ends` arrives or `timeoutMs` passes; progress lines only when they change. */
async function followOperation(
  session: EsspSession,
  ends: readonly EsspEventName[],
  progress: ProgressSink | undefined,
  timeoutMs: number,
  pollMs: number,
): Promise<EsspOperationOutcome> {
  const events: EsspEvent[] = [];
  let lastEvent = '';
  let lastLine = '';
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const polled = await firstValueFrom(session.send('POLL'));
    for (const e of parsePollReply(polled.info.data, session.context).events) {
      const key = JSON.stringify(e);
      if (key !== lastEvent) events.push(e);
      lastEvent = key;
      const line = progressText(e);
      if (line !== undefined && line !== lastLine) progress?.(line);
      if (line !== undefined) lastLine = line;
      if (ends.includes(e.event)) return { finished: true, end: e.event, events };
    }
    await sleep(pollMs);
  }
  return { finished: false, events };
}

/** What `prepareEsspCommand` may be told beyond the request (tests shorten the waits). */
export interface EsspFollowOptions {
  readonly progress?: ProgressSink;
  readonly operationTimeoutMs?: number;
  readonly pollMs?: number;
}

export function prepareEsspCommand(
  request: CommandRequest,
  follow: EsspFollowOptions = {},
): PreparedEsspCommand {
  const row = lookupCommand(tableName(request.name));
  const { value: args } = validateArgs(request.args, (a): unknown => validateOrThrow(row.args, a, row.name));
  const address = request.address ?? 0;
  if (!Number.isInteger(address) || address < 0 || address > 0x7d) {
    throw new InvalidArgumentError(`--address must be an eSSP address 0..0x7D, got ${address}.`, { address });
  }
  const fixedKey = parseFixedKey(request.fixedKey ?? DEFAULT_FIXED_KEY);
  const name = row.name as EsspCommandName;
  const encrypt = request.encrypt === true || row.encryption === 'required';
  // A test payout (`"test": true`) only checks that it could be paid: nothing moves, nothing to follow.
  const isTest = typeof args === 'object' && args !== null && (args as { test?: unknown }).test === true;
  const ends = isTest ? undefined : OPERATION_ENDS[name];
  return {
    line: ESSP_LINE,
    run: async (transport): Promise<EsspCommandResult> => {
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
        const timeoutMs = follow.operationTimeoutMs ?? ESSP_OPERATION_TIMEOUT_MS;
        let operation: EsspOperationOutcome | undefined;
        let lost = false;
        if (ends !== undefined) {
          try {
            operation = await followOperation(
              session,
              ends,
              follow.progress,
              timeoutMs,
              follow.pollMs ?? ESSP_OPERATION_POLL_MS,
            );
          } catch (e) {
            // The command was accepted, so money may be moving: say so rather than fail as if nothing happened.
            operation = { finished: false, events: [] };
            lost = true;
            warnings.push(
              `${name} was accepted, then polling failed (${e instanceof Error ? e.message : String(e)}); check the unit`,
            );
          }
        }
        if (operation?.finished === false && !lost) {
          warnings.push(
            `${name} was accepted but had not ended after ${timeoutMs / 1000} s; poll the unit to follow it`,
          );
        }
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
          ...(operation !== undefined && { operation }),
        };
      } finally {
        session.dispose();
        bus.dispose();
      }
    },
  };
}
