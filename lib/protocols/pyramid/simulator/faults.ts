/**
 * Fault injection for the simulator's replies: overrides that replace or
 * lose a reply, and a count of replies to lose. A lost reply still counts as
 * sent for the unit, so a host that repeats its ack gets it replayed.
 */
import type { PyramidReplyContext, PyramidReplyOverride } from './types.js';

export interface ReplyFaults {
  override(fn: PyramidReplyOverride): () => void;
  dropReplies(count: number): void;
  /** The bytes that reach the line, or 'silent'. */
  apply(ctx: PyramidReplyContext): Uint8Array | 'silent';
}

export function createReplyFaults(): ReplyFaults {
  const overrides: PyramidReplyOverride[] = [];
  let dropCount = 0;
  return {
    override: (fn) => {
      overrides.push(fn);
      return () => {
        const i = overrides.indexOf(fn);
        if (i >= 0) overrides.splice(i, 1);
      };
    },
    dropReplies: (count) => {
      dropCount += Math.max(0, Math.floor(count));
    },
    apply: (ctx) => {
      let out: Uint8Array | 'silent' = ctx.reply;
      for (const o of [...overrides]) {
        if (out === 'silent') break;
        out = o({ ...ctx, reply: out }) ?? out;
      }
      if (dropCount > 0) {
        dropCount -= 1;
        return 'silent';
      }
      return out;
    },
  };
}
