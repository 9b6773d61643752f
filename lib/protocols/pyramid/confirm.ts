/**
 * Confirmation of acceptor replies before the host acts on them (pure).
 *
 * The Pyramid checksum is one XOR byte: two flipped bits in the same column
 * of a reply cancel out, so a damaged reply passes now and then. Acting on one
 * is costly both ways. A false Stacked bit credits a note early, and when the
 * next good reply clears it, the real Stacked is a second rising edge (a
 * double credit). A false Stacked bit before the real one hides the real edge
 * (a lost credit). And accepting a reply advances the ack, after which the
 * unit drops the events of the reply it really sent: a damaged reply that hid
 * a Stacked bit loses the note for good.
 *
 * The protocol allows confirmation: until the host toggles its ack, the unit
 * answers every copy of the same message with the same reply. So a reply
 * that says anything new (its bytes differ from the last accepted reply) is
 * only accepted once the very same message, sent again, brings the very same
 * bytes back. Two independent corruptions agreeing byte for byte is
 * negligible. A reply that repeats the last accepted one is accepted at once:
 * it changes nothing. The cost is one more exchange per change of status.
 *
 * A reply whose flags cannot all be true at once (see {@link implausibleStatus})
 * is discarded as a diagnostic when read once. The same bytes read twice in a
 * row are what the unit says, and are accepted: discarding them for ever would
 * leave the host stuck on an unanswered message.
 *
 * A reply read once and then contradicted is not thrown away entirely: if it
 * showed a note in the transport or a Stacked bit, the gate remembers that
 * (`sawNote`). Usually it was damaged. But when the next accepted reply shows
 * the unit powered up, or the unit moved on (below), that note may be the one
 * whose outcome was lost, and the credit rule says `events-lost` instead of
 * staying silent.
 *
 * A reply with the other ack that is not a copy of the last accepted reply
 * means the unit took a damaged copy of our message as a new one. It then
 * considers the reply it last sent delivered and forgets its events, which
 * the host never accepted. The gate remembers that (`movedOn`): the credit
 * rule treats it as a gap in what the host saw. That stale reply is itself
 * delivered as far as the unit knows, so a note it showed goes into
 * `sawNote` as well.
 */
import { laterStage, noteStage, type NoteSeen } from './note-stage.js';
import type { PyramidStatus, StatusFlag } from './status.js';

/** Reads of one message in one loop cycle while waiting for two identical replies. */
export const CONFIRM_READS = 4;

interface Candidate {
  readonly key: string;
  /** It showed a note in the transport or a new Stacked bit: how far, with which index. */
  readonly note: NoteSeen | undefined;
}

export interface ReplyGate {
  /** Bytes (type and data) of the last accepted reply; undefined before the first. */
  readonly accepted: string | undefined;
  /** A reply read once that says something new, waiting for an identical second read. */
  readonly candidate: Candidate | undefined;
  /** The unit answered a message we did not send as new (see above) since the last accepted reply. */
  readonly movedOn: boolean;
  /**
   * Since the last accepted reply, a reply read but not accepted (a fresh one
   * left behind, or a stale one the unit built for a message it took as new)
   * showed a note in the transport or a new Stacked bit: the furthest stage
   * shown, and the note index it carried (0 if none).
   */
  readonly sawNote: NoteSeen | undefined;
}

export const OPEN_GATE: ReplyGate = {
  accepted: undefined,
  candidate: undefined,
  movedOn: false,
  sawNote: undefined,
};

const TRANSPORT_STATES: readonly StatusFlag[] = ['idling', 'accepting', 'escrowed', 'stacking', 'returning'];

/**
 * Why these six status bytes cannot describe one unit at one moment, or
 * undefined when they can. A unit is in one transport state at a time, and
 * a note it reports Stacked has reached a cashbox that is in place and has
 * left the transport (the reply has one note-index field, which belongs to
 * that note).
 */
export function implausibleStatus(s: PyramidStatus): string | undefined {
  // Counted without building a list: this runs on every reply.
  let count = 0;
  let state: StatusFlag | undefined;
  for (const f of TRANSPORT_STATES) {
    if (s[f]) {
      count++;
      state = f;
    }
  }
  if (count > 1)
    return `several transport states at once (${TRANSPORT_STATES.filter((f) => s[f]).join(', ')})`;
  if (s.stacked && s.returned) return 'stacked and returned at once';
  if (s.stacked && !s.cassettePresent) return 'stacked with the cashbox removed';
  if (s.stacked && state !== undefined && state !== 'idling') return `stacked while a note is still ${state}`;
  return undefined;
}

export type ReadVerdict =
  /** Act on the reply: toggle the ack and process its events. */
  | 'accept'
  /** Send the same message again and compare. */
  | 'confirm';

export interface ReadResult {
  readonly gate: ReplyGate;
  readonly verdict: ReadVerdict;
  /** Why the reply is implausible, when it is (the device reports it as a diagnostic). */
  readonly implausible?: string;
  /** On 'accept': what the reads before it saw, for the credit rule. */
  readonly movedOn?: boolean;
  readonly sawNote?: NoteSeen;
}

/** A note shown by a read that is not accepted joins what was seen. */
function seen(gate: ReplyGate, note: NoteSeen | undefined): ReplyGate['sawNote'] {
  const before = gate.sawNote;
  if (note === undefined) return before;
  if (before === undefined) return note;
  return { index: note.index || before.index, stage: laterStage(note.stage, before.stage) };
}

/** The candidate is left behind. */
const drop = (gate: ReplyGate): ReplyGate['sawNote'] => seen(gate, gate.candidate?.note);

function shownNote(status: PyramidStatus, prevStacked: boolean): NoteSeen | undefined {
  const stage = noteStage(status, prevStacked);
  return stage === undefined ? undefined : { index: status.noteIndex, stage };
}

/**
 * One fresh reply (matching ack) to the message in flight. `key` is its type
 * and data bytes, `prevStacked` whether the last accepted reply showed Stacked.
 */
export function readReply(
  gate: ReplyGate,
  key: string,
  status: PyramidStatus,
  prevStacked: boolean,
): ReadResult {
  const implausible = implausibleStatus(status);
  const why = implausible === undefined ? {} : { implausible };
  const confirmed = gate.candidate?.key === key;
  if (confirmed || (implausible === undefined && gate.accepted === key)) {
    const sawNote = confirmed ? gate.sawNote : drop(gate);
    return {
      gate: { accepted: key, candidate: undefined, movedOn: false, sawNote: undefined },
      verdict: 'accept',
      movedOn: gate.movedOn,
      ...(sawNote !== undefined && { sawNote }),
      ...why,
    };
  }
  return {
    gate: {
      ...gate,
      candidate: { key, note: shownNote(status, prevStacked) },
      sawNote: drop(gate),
    },
    verdict: 'confirm',
    ...why,
  };
}

/**
 * A reply with the other ack. A copy of the last accepted reply is a late
 * duplicate and harmless; anything else was built by the unit for a message
 * it took as new. The unit considers that reply delivered, and it is never
 * acted on: a note it showed (a Stacked event, say) is gone from the unit's
 * next reply. So the note is remembered like a left-behind read's, for the
 * loss rules. It is never credited: it was read once, and a checksum that
 * holds is no proof against two flipped bits. `status` is undefined when the
 * reply cannot be decoded.
 */
export function readStale(
  gate: ReplyGate,
  key: string,
  status: PyramidStatus | undefined,
  prevStacked: boolean,
): ReplyGate {
  if (key === gate.accepted) return gate;
  const note = status === undefined ? undefined : shownNote(status, prevStacked);
  return { ...gate, movedOn: true, sawNote: seen(gate, note) };
}
