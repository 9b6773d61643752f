/**
 * The simulator's command table (code → behaviour) and the dispatcher every
 * decrypted command goes through. Order of the checks, as a unit applies them:
 *
 * 1. a unit forcing encryption answers KEY NOT SET (0xFA) to plain commands
 *    other than SYNC and the key exchange while no key is negotiated;
 * 2. test overrides see the command next and may answer anything;
 * 3. codes the profile does not implement get COMMAND NOT KNOWN (0xF2);
 * 4. commands the table marks "encryption required" sent plain get
 *    PARAMETER OUT OF RANGE (0xF4), as GA973 describes;
 * 5. the behaviour runs.
 */
import { commandByCode, lookupCommand } from '../../commands/table.js';
import { CORE_HANDLERS } from './core.js';
import { KEY_HANDLERS } from './keys.js';
import { NOTE_FLOAT_HANDLERS } from './note-float.js';
import { PAYOUT_HANDLERS } from './payout.js';
import { channelSecurity, channelValues, setupRequest, unitData } from './setup.js';
import { fail, STATUS, type CommandHandler, type HandlerContext } from './types.js';

export * from './types.js';

const BY_NAME: Readonly<Record<string, CommandHandler>> = {
  ...CORE_HANDLERS,
  ...KEY_HANDLERS,
  ...PAYOUT_HANDLERS,
  ...NOTE_FLOAT_HANDLERS,
  SETUP_REQUEST: setupRequest,
  UNIT_DATA: unitData,
  CHANNEL_VALUE_REQUEST: channelValues,
  CHANNEL_SECURITY_DATA: channelSecurity,
};

/** Built-in behaviours by command code. */
export const DEFAULT_HANDLERS: ReadonlyMap<number, CommandHandler> = new Map(
  Object.entries(BY_NAME).map(([name, handler]) => [lookupCommand(name).code, handler]),
);

/** Codes a unit forcing encryption still answers in clear before a key exists. */
const KEY_SETUP = new Set(
  ['SYNC', 'SET_GENERATOR', 'SET_MODULUS', 'REQUEST_KEY_EXCHANGE'].map((n) => lookupCommand(n).code),
);

/**
 * A test hook for one command: return reply DATA to answer with, or
 * undefined to let the unit behave normally. `defaultReply()` runs the
 * normal behaviour (with its effects) and returns its reply.
 */
export type ReplyOverride = (
  args: Uint8Array,
  context: HandlerContext & { readonly code: number; defaultReply(): Uint8Array },
) => Uint8Array | undefined;

/** Codes of the handled commands the table marks "encryption required", resolved once. */
const ENCRYPTED_ONLY: ReadonlySet<number> = new Set(
  [...DEFAULT_HANDLERS.keys()].filter((code) => commandByCode(code)?.encryption === 'required'),
);

/** Run the normal behaviour of a command: support, encryption-required and the handler. */
function normal(ctx: HandlerContext, code: number, args: Uint8Array): Uint8Array {
  const handler = DEFAULT_HANDLERS.get(code);
  if (handler === undefined || !ctx.profile.commands.has(code)) return fail(STATUS.UNKNOWN);
  if (!ctx.encrypted && ENCRYPTED_ONLY.has(code)) return fail(STATUS.OUT_OF_RANGE);
  return handler(ctx, args);
}

/** Answer one command (code + arguments, already decrypted). */
export function dispatch(
  ctx: HandlerContext,
  data: Uint8Array,
  overrides: ReadonlyMap<number, ReplyOverride>,
): Uint8Array {
  const code = data[0]!;
  const args = data.subarray(1);
  if (
    ctx.profile.requireEncryption &&
    !ctx.encrypted &&
    ctx.state.keys.session === undefined &&
    !KEY_SETUP.has(code)
  ) {
    return fail(STATUS.KEY_NOT_SET);
  }
  const override = overrides.get(code);
  if (override !== undefined) {
    let ran: Uint8Array | undefined;
    const defaultReply = (): Uint8Array => (ran ??= normal(ctx, code, args));
    const reply = override(args, { ...ctx, code, defaultReply });
    if (reply !== undefined) return reply;
    if (ran !== undefined) return ran;
  }
  return normal(ctx, code, args);
}
