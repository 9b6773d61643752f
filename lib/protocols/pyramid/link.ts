/**
 * The Pyramid ack rule as a pure state value (no time source, no I/O).
 *
 * The host owns one ack bit. Every host message carries it; the acceptor
 * answers with the same bit. The bit toggles only after a valid reply with
 * the matching ack has arrived. Until then the host resends the very same
 * bytes, and the acceptor, seeing an unchanged ack, replays its previous reply
 * instead of acting twice. That is what makes a lost reply harmless.
 *
 * Silence is not failure: an Apex does not answer while it reads or stacks a
 * note. The link is only declared down after `busyToleranceMs` without any
 * valid reply.
 *
 * The device layer feeds this state with scheduler time; these functions
 * only compute.
 */
import { OptionRangeError } from '../../core/errors.js';
import { PyramidMessageType, type AckBit, type PyramidFrame } from './framing.js';

export const PYRAMID_LINK_LIMITS = {
  /** Silence tolerated before the link counts as down, ms. */
  busyToleranceMs: { min: 100, max: 60_000, default: 5000 },
} as const;

export interface PyramidLinkState {
  /** Ack bit the next (or repeated) host message carries. */
  readonly ack: AckBit;
  /** Scheduler time of the last valid reply (or of the start, before any reply). */
  readonly lastReplyAt: number;
  /** True once the silence since the last valid reply (or the start) reached the tolerance; cleared by a reply. */
  readonly down: boolean;
  /**
   * Valid replies since start or soft reset. The first one only establishes a
   * baseline: after a host restart the acceptor may still hold our ack bit and
   * replay a reply that an earlier host process already saw.
   */
  readonly replies: number;
}

/** How a received frame relates to the message in flight. */
export type ReplyVerdict =
  /** A device reply with the ack we sent: a valid answer. */
  | 'fresh'
  /** A device reply with the other ack: a late answer to an earlier message. */
  | 'stale'
  /** Not a reply to a host message (an echo of our own frame, or a host-type frame). */
  | 'foreign';

/** Message types an acceptor answers a host message with. */
const REPLY_TYPES: ReadonlySet<number> = new Set([
  PyramidMessageType.statusReply,
  PyramidMessageType.extended,
  PyramidMessageType.auxiliary,
]);

export function checkBusyTolerance(value: number | undefined): number {
  const { min, max } = PYRAMID_LINK_LIMITS.busyToleranceMs;
  if (value === undefined) return PYRAMID_LINK_LIMITS.busyToleranceMs.default;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new OptionRangeError('busyToleranceMs', value, min, max, 'ms');
  }
  return value;
}

/** State at start: ack 0, no reply yet. */
export function startLink(now: number): PyramidLinkState {
  return { ack: 0, lastReplyAt: now, down: false, replies: 0 };
}

/**
 * Classify a frame received while a host message with `state.ack` is in
 * flight. Host polls (type 1, 3, 4) can only be an echo of our own bytes.
 */
export function classifyReply(state: PyramidLinkState, frame: PyramidFrame): ReplyVerdict {
  if (!REPLY_TYPES.has(frame.messageType)) return 'foreign';
  if (frame.messageType === PyramidMessageType.extended && frame.data.length < 7) return 'foreign';
  return frame.ack === state.ack ? 'fresh' : 'stale';
}

/** A valid reply arrived: toggle the ack, clear `down`, count the reply. */
export function acceptReply(state: PyramidLinkState, now: number): PyramidLinkState {
  return { ack: state.ack === 0 ? 1 : 0, lastReplyAt: now, down: false, replies: state.replies + 1 };
}

/** Whether events of the reply about to be accepted can be trusted (not the baseline after start/reset). */
export function isTrusted(state: PyramidLinkState): boolean {
  return state.replies > 0;
}

export type SilenceVerdict = 'busy' | 'down' | 'still-down';

/**
 * An attempt ended without a valid reply. The ack does not change, so the
 * next attempt repeats the same bytes. Returns `down` once, when the silence
 * first reaches the tolerance; `busy` while it is shorter; `still-down` after.
 */
export function noteSilence(
  state: PyramidLinkState,
  now: number,
  toleranceMs: number,
): { readonly state: PyramidLinkState; readonly verdict: SilenceVerdict } {
  if (now - state.lastReplyAt < toleranceMs) return { state, verdict: 'busy' };
  if (state.down) return { state, verdict: 'still-down' };
  return { state: { ...state, down: true }, verdict: 'down' };
}

/**
 * A soft reset was sent. The acceptor does not answer it and forgets its
 * ack, so the host toggles (as the netPyramid host does) and treats the next
 * reply as a new baseline. Silence is measured from now: the unit may be deaf
 * for about 3 s.
 */
export function afterSoftReset(state: PyramidLinkState, now: number): PyramidLinkState {
  return { ack: state.ack === 0 ? 1 : 0, lastReplyAt: now, down: false, replies: 0 };
}

/**
 * A line was opened again after a loss. Silence counts from now, so the new
 * line gets the whole busy tolerance. The ack bit, the baseline count and the
 * `down` flag are kept: the host's view of the exchange did not change, and an
 * acceptor that stayed powered still holds the last ack it answered.
 */
export function restartSilence(state: PyramidLinkState, now: number): PyramidLinkState {
  return { ...state, lastReplyAt: now };
}
