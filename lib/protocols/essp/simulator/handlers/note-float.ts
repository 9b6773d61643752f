/**
 * NV11 note float behaviours: stored notes form a stack (last in, first
 * out); PAYOUT NOTE pays the top note, STACK NOTE moves it to the cashbox,
 * GET NOTE POSITIONS lists the stack by value or by channel.
 */
import { bytes, concatBytes, u32le } from '../../../../core/bytes.js';
import { channelMoney, event } from '../state.js';
import { cannot, ok, outOfRange, wrongParams, type CommandHandler, type HandlerContext } from './types.js';

/** Error bytes after 0xF5 for the note float (fact sheet §13). */
const FLOAT_ERROR = { EMPTY: 2, BUSY: 3, DISABLED: 4 } as const;

/** The top note's index, or the F5 reply saying why none can move. */
function topNote(ctx: HandlerContext): number | Uint8Array {
  const s = ctx.state;
  if (s.job !== undefined || s.note !== undefined) return cannot(FLOAT_ERROR.BUSY);
  if (!s.enabled || !s.payoutEnabled) return cannot(FLOAT_ERROR.DISABLED);
  const top = s.floatNotes.at(-1);
  return top === undefined ? cannot(FLOAT_ERROR.EMPTY) : top;
}

export const NOTE_FLOAT_HANDLERS: Readonly<Record<string, CommandHandler>> = {
  PAYOUT_NOTE: (ctx, args) => {
    if (args.length !== 0) return wrongParams();
    const top = topNote(ctx);
    if (typeof top !== 'number') return top;
    ctx.state.floatNotes.pop();
    const value = ctx.profile.channels[top]!;
    ctx.machine.startJob({ kind: 'note-payout', items: [top], moved: 0, requested: value });
    return ok();
  },
  STACK_NOTE: (ctx, args) => {
    if (args.length !== 0) return wrongParams();
    const top = topNote(ctx);
    if (typeof top !== 'number') return top;
    const s = ctx.state;
    s.floatNotes.pop();
    s.levels[top] = Math.max(0, s.levels[top]! - 1);
    s.counters.transferred++;
    ctx.machine.after(ctx.machine.timing.noteItemMs, () =>
      ctx.machine.emit(event('NOTE_TRANSFERED_TO_STACKER', { value: channelMoney(s, top + 1) })),
    );
    ctx.log(`stored note of ${channelMoney(s, top + 1).amount} moved to the cashbox`);
    return ok();
  },
  GET_NOTE_POSITIONS: (ctx, args) => {
    if (args.length !== 0) return wrongParams();
    const s = ctx.state;
    const slots = s.floatNotes;
    if (s.reportByChannel) return ok(bytes(slots.length, ...slots.map((i) => i + 1)));
    return ok(concatBytes(bytes(slots.length), ...slots.map((i) => u32le(s.profile.channels[i]!))));
  },
  SET_VALUE_REPORTING_TYPE: (ctx, args) => {
    if (args.length !== 1) return wrongParams();
    if (args[0]! > 1) return outOfRange();
    ctx.state.reportByChannel = args[0] === 1;
    return ok();
  },
};
