/**
 * From fresh status replies to events, with the credit rule (pure).
 *
 * Only fresh replies (a matching ack after a toggle) are fed in, each one
 * confirmed by a second identical read when it says something new
 * (confirm.ts), and every event is an edge against the previous fresh reply:
 *
 * - credit exactly once: on the rising edge of Stacked, valued by the note
 *   index of that same reply, or, when that reply carries index 0, by the
 *   index captured while the note was accepted/escrowed/stacking (flagged
 *   `inferred`). A replayed or lingering Stacked bit is not an edge, and the
 *   index bits alone never credit.
 * - the first reply after start or soft reset is a baseline: the acceptor may
 *   replay a reply an earlier host process already acted on, so a Stacked bit
 *   there is reported as `unconfirmed-stack` and not credited.
 * - a power-up right after a reply showed a note in the transport (accepting,
 *   escrowed, stacking) reports `events-lost` with count 1: the unit forgot the
 *   note, which may have reached the cashbox (see docs/reliability.md, Soak).
 * - after a gap (the line was lost, or silent past the busy tolerance, or the
 *   unit took a damaged copy of a host message as new and so dropped the events
 *   of a reply the host never accepted) the unit may have lost power and
 *   finished its power-up unseen, or moved on unseen. A powered unit keeps
 *   an outcome (Stacked, Returned, Rejected, Cheated) until a new ack takes it,
 *   so a note that was in the transport and is gone with no outcome and no
 *   power-up flag in the first fresh reply after the gap also reports
 *   `events-lost` with count 1. So does a note shown by a later reply that
 *   cannot be the same one: a note only moves forward (accepting, escrowed,
 *   stacking, Stacked) and keeps its index, so a reply showing an earlier stage
 *   or another index shows the next note, and the first one's outcome was lost.
 * - for both loss rules, a note that only a read the host did not accept
 *   showed (`sawNote`) counts too: it was probably damage, but when the unit
 *   then powers up or moves on it may be the note whose outcome was lost.
 * - a Stacked note whose value is not known (index 0 and none captured, or an
 *   index the bill table lacks) reports `events-lost` too: money went in.
 * - one-shot events (rejected, cheated, returned) and conditions (jam, full,
 *   failure, cashbox) are edges too: some units keep them set over several
 *   fresh replies.
 */
import type { DeviceEvent, DeviceRef, RawEvent } from '../../core/events.js';
import { billValue, type BillTable } from './bills.js';
import { continuesNote, type NoteSeen, transportStage } from './note-stage.js';
import { primaryState, type PrimaryState, type PyramidStatus, type StatusFlag } from './status.js';

export interface ReplyTrack {
  /** Previous fresh status; undefined before the first. */
  readonly prev: PyramidStatus | undefined;
  /** Note index seen while the current note was in the transport; 0 when none. */
  readonly captured: number;
  /** Barcode of the previous fresh reply, so each ticket is reported once. */
  readonly barcode: string | undefined;
}

export const INITIAL_TRACK: ReplyTrack = { prev: undefined, captured: 0, barcode: undefined };

export interface TrackContext {
  readonly device: DeviceRef;
  readonly table: BillTable;
  /** False for the baseline reply after start or soft reset. */
  readonly trusted: boolean;
  /** Barcode carried by this reply (extended barcode frame), if any. */
  readonly barcode?: string;
  /**
   * First accepted reply after the host may have missed what the unit did: the
   * line was lost or silent past the busy tolerance, or the unit took a damaged
   * copy of a host message as a new one (confirm.ts).
   */
  readonly gap?: boolean;
  /**
   * Since the previous fresh reply, a reply read but never accepted (confirm.ts)
   * showed a note in the transport or a new Stacked bit: how far, with this note
   * index. The loss rules count it as a note the unit may have had.
   */
  readonly sawNote?: NoteSeen;
}

type Edge = 'rise' | 'fall';

interface EdgeRule {
  readonly flag: StatusFlag;
  readonly edge: Edge;
  readonly raw: string;
  /** Normalized event for this edge; undefined when there is none. */
  readonly cash?: (s: PyramidStatus, ctx: TrackContext, captured: number) => DeviceEvent | undefined;
}

const ref = (ctx: TrackContext): { device: DeviceRef } => ({ device: ctx.device });

/** Edge table. Order is the order events come out within one reply. */
const EDGES: readonly EdgeRule[] = [
  {
    flag: 'powerUp',
    edge: 'rise',
    raw: 'power-up',
    cash: (_s, ctx) => ({ type: 'device-reset', ...ref(ctx) }),
  },
  { flag: 'failure', edge: 'rise', raw: 'failure' },
  { flag: 'failure', edge: 'fall', raw: 'failure-cleared' },
  { flag: 'invalidCommand', edge: 'rise', raw: 'invalid-command' },
  {
    flag: 'cassettePresent',
    edge: 'fall',
    raw: 'cassette-removed',
    cash: (_s, ctx) => ({ type: 'cashbox-removed', ...ref(ctx) }),
  },
  {
    flag: 'cassettePresent',
    edge: 'rise',
    raw: 'cassette-replaced',
    cash: (_s, ctx) => ({ type: 'cashbox-replaced', ...ref(ctx) }),
  },
  {
    flag: 'stackerFull',
    edge: 'rise',
    raw: 'stacker-full',
    cash: (_s, ctx) => ({ type: 'stacker-full', ...ref(ctx) }),
  },
  { flag: 'stackerFull', edge: 'fall', raw: 'stacker-emptied' },
  { flag: 'jammed', edge: 'rise', raw: 'jammed', cash: (_s, ctx) => ({ type: 'jam', ...ref(ctx) }) },
  { flag: 'jammed', edge: 'fall', raw: 'jam-cleared' },
  { flag: 'cheated', edge: 'rise', raw: 'cheated', cash: (_s, ctx) => ({ type: 'fraud', ...ref(ctx) }) },
  { flag: 'rejected', edge: 'rise', raw: 'rejected', cash: (_s, ctx) => ({ type: 'rejected', ...ref(ctx) }) },
  { flag: 'escrowed', edge: 'rise', raw: 'escrowed', cash: escrowEvent },
  { flag: 'returned', edge: 'rise', raw: 'returned' },
];

function escrowEvent(s: PyramidStatus, ctx: TrackContext, captured: number): DeviceEvent {
  const channel = s.noteIndex || captured;
  const value = ctx.barcode === undefined ? billValue(ctx.table, channel) : undefined;
  return {
    type: 'escrow',
    ...ref(ctx),
    ...(channel > 0 && { channel }),
    ...(value !== undefined && { money: value }),
  };
}

/** Baseline before the first reply: nothing set except the cashbox being in place. */
function baseline(flag: StatusFlag): boolean {
  return flag === 'cassettePresent';
}

function raw(ctx: TrackContext, name: string, data: Record<string, unknown> = {}): RawEvent {
  return { type: 'raw', ...ref(ctx), name, data };
}

const lost = (ctx: TrackContext): DeviceEvent => ({ type: 'events-lost', ...ref(ctx), count: 1 });

/** The stacked edge: a credit, or the reason there is none. */
function stackEvents(s: PyramidStatus, ctx: TrackContext, captured: number): DeviceEvent[] {
  const index = s.noteIndex || captured;
  const inferred = s.noteIndex === 0 && captured !== 0;
  const data = { index, inferred, ...(ctx.barcode !== undefined && { barcode: ctx.barcode }) };
  if (!ctx.trusted) return [raw(ctx, 'unconfirmed-stack', data)];
  if (ctx.barcode !== undefined) return [raw(ctx, 'ticket-stacked', data)];
  const value = billValue(ctx.table, index);
  // Money went in and its value is not known: say so on the normalized stream too.
  if (value === undefined) return [raw(ctx, 'stacked-unknown-bill', data), lost(ctx)];
  return [
    raw(ctx, 'stacked', data),
    { type: 'credit', ...ref(ctx), money: value, kind: 'bill', channel: index },
  ];
}

/** A note is inside the unit, on its way in (returning is on its way out). */
const inTransport = (s: PyramidStatus): boolean => s.accepting || s.escrowed || s.stacking;

/**
 * The note the previous reply showed in the transport (`prev`, its index
 * `captured`, or an unaccepted read since, `saw`) vanished across a gap with
 * no outcome at all: `s` shows no note, or a note that cannot be that one (an
 * earlier stage or another index: the next note).
 */
function vanished(
  s: PyramidStatus,
  gap: boolean,
  prev: PyramidStatus,
  captured: number,
  saw: NoteSeen | undefined,
): boolean {
  if (!gap || s.powerUp) return false; // the power-up rule's case
  if (s.stacked || s.returned || s.rejected || s.cheated) return false;
  const stage = transportStage(prev);
  if (stage !== undefined && !continuesNote(s, { stage, index: captured })) return true;
  return saw !== undefined && !continuesNote(s, saw);
}

/** Index to remember for the note now in the transport (0 clears it). */
function nextCaptured(s: PyramidStatus, prev: PyramidStatus | undefined, captured: number): number {
  if (inTransport(s)) {
    if (s.noteIndex !== 0) return s.noteIndex;
    if (s.accepting && !(prev?.accepting ?? false)) return 0; // a new note starts
    return captured;
  }
  return s.stacked || s.returned || s.rejected ? 0 : captured;
}

export interface TrackResult {
  readonly track: ReplyTrack;
  readonly events: readonly DeviceEvent[];
  readonly state: PrimaryState;
}

/** Feed one fresh status reply. */
export function trackReply(track: ReplyTrack, s: PyramidStatus, ctx: TrackContext): TrackResult {
  const { prev } = track;
  const was = (flag: StatusFlag): boolean => (prev ? prev[flag] : baseline(flag));
  // The index of the note being stacked may only be known from earlier replies.
  const captured = s.noteIndex !== 0 && inTransport(s) ? s.noteIndex : track.captured;
  const events: DeviceEvent[] = [];
  // A note only an unaccepted read showed counts for the loss rules (never for a credit).
  const saw = ctx.sawNote !== undefined;
  const index = captured || (ctx.sawNote?.index ?? 0);
  const unread = saw && !(prev !== undefined && inTransport(prev)) ? { unconfirmed: true } : {};

  const state = primaryState(s);
  const before = prev ? primaryState(prev) : undefined;
  if (state !== before) events.push(raw(ctx, 'state', { from: before ?? null, to: state }));
  if (prev === undefined || prev.model !== s.model || prev.revision !== s.revision) {
    events.push(raw(ctx, 'identity', { model: s.model, revision: s.revision }));
  }
  if (ctx.barcode !== undefined && ctx.barcode !== '' && ctx.barcode !== track.barcode)
    events.push(raw(ctx, 'barcode', { barcode: ctx.barcode }));

  for (const rule of EDGES) {
    const fired = rule.edge === 'rise' ? s[rule.flag] && !was(rule.flag) : !s[rule.flag] && was(rule.flag);
    if (!fired) continue;
    if (rule.flag === 'powerUp' && prev === undefined) {
      events.push(raw(ctx, rule.raw)); // a unit powering up before the host's first poll is no reset
      continue;
    }
    events.push(raw(ctx, rule.raw, rule.flag === 'escrowed' ? { index: s.noteIndex || captured } : {}));
    const cash = rule.cash?.(s, ctx, captured);
    if (cash) events.push(cash);
    // Power lost with a note in the transport: the unit forgets it, and it may be in the
    // cashbox (a note being stacked is) without any Stacked ever coming. Never silent.
    if (rule.flag === 'powerUp' && prev !== undefined && (inTransport(prev) || saw)) {
      events.push(raw(ctx, 'note-outcome-unknown', { index, state: primaryState(prev), ...unread }));
      events.push(lost(ctx));
    }
  }
  if (prev !== undefined && vanished(s, ctx.gap ?? false, prev, track.captured, ctx.sawNote)) {
    events.push(raw(ctx, 'note-outcome-unknown', { index, state: primaryState(prev), gap: true, ...unread }));
    events.push(lost(ctx));
  }
  if (s.stacked && !was('stacked')) events.push(...stackEvents(s, ctx, captured));

  return {
    track: { prev: s, captured: nextCaptured(s, prev, captured), barcode: ctx.barcode },
    events,
    state,
  };
}
