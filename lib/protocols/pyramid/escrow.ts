/**
 * Host side of escrow (pure).
 *
 * While a fresh reply shows Escrowed, the host decides stack or return and
 * sets that bit on every poll until a fresh reply shows the note has left
 * Escrowed (Stacking, Returning, or anything else). Bits are level inputs,
 * so repeating them on a resend is harmless; they are never sent outside
 * Escrowed. A host-side timeout returns a note nobody decided on.
 */

export type EscrowDecision = 'stack' | 'return';

export interface EscrowState {
  /** A fresh reply showed Escrowed and no later one showed otherwise. */
  readonly held: boolean;
  /** Scheduler time the note was first seen in escrow. */
  readonly since: number;
  readonly decision: EscrowDecision | undefined;
  /** The decision came from the timeout, not from the application. */
  readonly timedOut: boolean;
}

export const NO_ESCROW: EscrowState = { held: false, since: 0, decision: undefined, timedOut: false };

/** Follow a fresh reply: entering escrow starts the clock; leaving it drops the decision. */
export function followEscrow(state: EscrowState, escrowed: boolean, now: number): EscrowState {
  if (!escrowed) return NO_ESCROW;
  return state.held ? state : { held: true, since: now, decision: undefined, timedOut: false };
}

export type DecideResult =
  | { readonly ok: true; readonly state: EscrowState }
  | { readonly ok: false; readonly reason: 'no-note' | 'already-decided' };

/** Record the application's answer. The same answer twice is fine; changing it is not. */
export function decide(state: EscrowState, decision: EscrowDecision): DecideResult {
  if (!state.held) return { ok: false, reason: 'no-note' };
  if (state.decision !== undefined && state.decision !== decision)
    return { ok: false, reason: 'already-decided' };
  return { ok: true, state: { ...state, decision } };
}

/** Return the note when nobody decided within `timeoutMs`. `expired` is true on the one call that made that choice. */
export function checkEscrowTimeout(
  state: EscrowState,
  now: number,
  timeoutMs: number,
): { readonly state: EscrowState; readonly expired: boolean } {
  if (!state.held || state.decision !== undefined || now - state.since < timeoutMs) {
    return { state, expired: false };
  }
  return { state: { ...state, decision: 'return', timedOut: true }, expired: true };
}

/** Poll bits for the current decision. */
export function escrowBits(state: EscrowState): { readonly stack: boolean; readonly return: boolean } {
  return {
    stack: state.held && state.decision === 'stack',
    return: state.held && state.decision === 'return',
  };
}
