/** Timing of the simulated mechanics and the reject codes the unit sets itself. */

export interface EsspTiming {
  /** From insertion to READ NOTE with the channel (note in escrow). */
  readonly readMs: number;
  /** From acceptance to CREDIT NOTE. */
  readonly creditMs: number;
  /** From acceptance to NOTE STACKED / NOTE STORED IN PAYOUT. */
  readonly stackMs: number;
  /** NOTE REJECTING lasts this long before NOTE REJECTED. */
  readonly rejectMs: number;
  /** Escrow held without any command this long → returned with reject code 0x13 (GA138: ~10 s). */
  readonly escrowTimeoutMs: number;
  /** Time per note moved by a payout, float or empty. */
  readonly noteItemMs: number;
  /** Time per coin moved by a hopper. */
  readonly coinItemMs: number;
}

export const DEFAULT_TIMING: EsspTiming = {
  readMs: 400,
  creditMs: 300,
  stackMs: 1000,
  rejectMs: 800,
  escrowTimeoutMs: 10_000,
  noteItemMs: 600,
  coinItemMs: 100,
};

/** Reject codes (fact sheet §15) the machine sets itself. */
export const REJECT = {
  HOST: 0x08,
  INHIBITED: 0x0c,
  FRAUD: 0x0e,
  ESCROW_TIMEOUT: 0x13,
  UNABLE_TO_STACK: 0x1d,
} as const;
