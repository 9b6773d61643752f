/**
 * Public shape of the Pyramid acceptor simulator.
 */
import type { Observable, SchedulerLike } from 'rxjs';
import type { PyramidFrame } from '../framing.js';

/** How long the unit takes for each step, ms (scheduler time). */
export interface PyramidSimulatorTiming {
  /** Power-up phase after power-on: replies carry no state bit and the power-up flag. */
  readonly powerUpMs: number;
  /** Drawing a note in and validating it. */
  readonly readMs: number;
  /** Moving a note into the cashbox. */
  readonly stackMs: number;
  /** Handing a note back. */
  readonly returnMs: number;
  /** At the start of reading and of stacking the unit answers no poll for this long. */
  readonly busyMs: number;
  /** Deaf time after a soft reset (no reply at all). */
  readonly resetMs: number;
  /** No host message for this long returns an escrowed note. */
  readonly noPollReturnMs: number;
  /** Delay before each reply goes out (0: at once). */
  readonly replyDelayMs: number;
}

export const PYRAMID_SIMULATOR_TIMING: PyramidSimulatorTiming = {
  powerUpMs: 400,
  readMs: 600,
  stackMs: 600,
  returnMs: 600,
  busyMs: 300,
  resetMs: 1000,
  noPollReturnMs: 5000,
  replyDelayMs: 0,
};

export interface PyramidSimulatorOptions {
  readonly scheduler?: SchedulerLike;
  readonly timing?: Partial<PyramidSimulatorTiming>;
  /** Notes the cashbox takes before the unit reports stacker full. Default 1000. */
  readonly stackerCapacity?: number;
  /** S4 model byte. Default 16 (Apex 7200 US). */
  readonly model?: number;
  /** S5 revision byte. Default 17. */
  readonly revision?: number;
}

export type PyramidSimulatorPhase = 'power-up' | 'idle' | 'accepting' | 'escrowed' | 'stacking' | 'returning';

/** What physically happened, to compare with what the host reported. */
export interface PyramidSimulatorStats {
  /** Notes and tickets put into the bezel. */
  readonly inserted: number;
  /** Bills that reached the cashbox. */
  readonly accepted: number;
  /** Tickets that reached the cashbox. */
  readonly tickets: number;
  readonly rejected: number;
  readonly returned: number;
  /** Power cycles and soft resets. */
  readonly resets: number;
  /** Replies sent again verbatim because the host repeated its ack. */
  readonly replays: number;
}

export interface PyramidReplyContext {
  /** The host frame being answered. */
  readonly frame: PyramidFrame;
  /** The reply the unit would send. */
  readonly reply: Uint8Array;
  /** True when `reply` is a verbatim replay of the previous one. */
  readonly replay: boolean;
}

/**
 * Fault injection: return other bytes to send instead, 'silent' to lose the
 * reply on the line (the unit still considers it sent), or undefined to keep it.
 */
export type PyramidReplyOverride = (ctx: PyramidReplyContext) => Uint8Array | 'silent' | undefined;

export interface PyramidSimulator {
  readonly stats: PyramidSimulatorStats;
  readonly phase: PyramidSimulatorPhase;
  /** Human-readable lines describing what the unit does. */
  readonly log$: Observable<string>;
  /** Put the note of `index` (1..7) in the bezel. False when the unit cannot take an item now. */
  insertBill(index: number): boolean;
  /** Insert a barcode ticket (at most 28 printable ASCII characters). */
  insertBarcode(text: string): boolean;
  /** A note sticks in the path: jammed until clearJam(). */
  jam(): void;
  /** The operator clears the path; a note in it is removed without credit. */
  clearJam(): void;
  /** A pull-back attempt: Cheated, and a note being read is lost to the customer. */
  cheat(): void;
  removeCashbox(): void;
  /** Put an empty cashbox back (clears stacker full). */
  replaceCashbox(): void;
  /** Lose power and start again: ack memory gone, power-up phase. */
  powerCycle(): void;
  /** Alter replies (fault injection). Returns a function that removes the override. */
  override(fn: PyramidReplyOverride): () => void;
  /** Lose the next `count` replies on the line. */
  dropReplies(count: number): void;
  dispose(): void;
}
