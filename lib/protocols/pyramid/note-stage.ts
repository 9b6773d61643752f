/**
 * How far a note has come on its way into the cashbox, as one status shows it
 * (pure). A note only moves forward: accepting, escrowed, stacking, then the
 * Stacked event. So a later status showing an earlier stage, or another note
 * index, shows another note, and the first one left the transport unseen.
 */
import type { PyramidStatus } from './status.js';

export type NoteStage = 'accepting' | 'escrowed' | 'stacking' | 'stacked';

const ORDER: readonly NoteStage[] = ['accepting', 'escrowed', 'stacking', 'stacked'];

/** A note a status showed: its stage and index (0 when the status carried none). */
export interface NoteSeen {
  readonly index: number;
  readonly stage: NoteStage;
}

/**
 * The stage of the note a status shows on its way in, the furthest one when
 * the flags disagree. `prevStacked`: a Stacked bit the previous accepted reply
 * already had is no new note.
 */
export function noteStage(s: PyramidStatus, prevStacked: boolean): NoteStage | undefined {
  return s.stacked && !prevStacked ? 'stacked' : transportStage(s);
}

/** The stage of the note a status shows inside the unit on its way in (none without one). */
export function transportStage(s: PyramidStatus): NoteStage | undefined {
  if (s.stacking) return 'stacking';
  if (s.escrowed) return 'escrowed';
  return s.accepting ? 'accepting' : undefined;
}

export const laterStage = (a: NoteStage, b: NoteStage): NoteStage =>
  ORDER.indexOf(a) >= ORDER.indexOf(b) ? a : b;

/**
 * Whether `s` can show the note last seen as `seen`: the same note still on its
 * way in (same stage or further, same index when both are known) or on its way
 * back out (any stage short of Stacked).
 */
export function continuesNote(s: PyramidStatus, seen: NoteSeen): boolean {
  if (s.returning) return seen.stage !== 'stacked';
  const now = transportStage(s);
  if (now === undefined || ORDER.indexOf(now) < ORDER.indexOf(seen.stage)) return false;
  return seen.index === 0 || s.noteIndex === 0 || s.noteIndex === seen.index;
}
