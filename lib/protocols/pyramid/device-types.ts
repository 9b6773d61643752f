/**
 * Public shape of the Pyramid RS-232 bill acceptor driver: options with
 * their ranges, the device interface and the errors its commands raise.
 */
import type { Observable, SchedulerLike } from 'rxjs';
import type { Diagnostic } from '../../core/diagnostics.js';
import { CashwireError, InvalidArgumentError, OptionRangeError } from '../../core/errors.js';
import type { DeviceEvent, DeviceState } from '../../core/events.js';
import type { Money } from '../../core/money.js';
import { resolveBackoff } from '../../operators/backoff.js';
import type { LinkStats } from '../../operators/stats.js';
import type { FrameTrace } from '../../operators/trace.js';
import type { Transport } from '../../transport/transport.js';
import { USD_BILLS, type BillTable } from './bills.js';
import type { EscrowDecision } from './escrow.js';
import { checkBusyTolerance } from './link.js';
import type { PrimaryState, PyramidStatus } from './status.js';

/** What the application learns about a note held in escrow. */
export interface EscrowedBill {
  /** Note index 1..7, 0 for a barcode ticket or an unknown note. */
  readonly index: number;
  /** Value from the bill table, when the index is in it. */
  readonly money?: Money;
  /** Barcode text, when the item is a ticket. */
  readonly barcode?: string;
}

/**
 * What the device talks through: a Transport (losing it is final; whoever
 * opened it closes it), or an opener such as
 * `openSerialTransport(path, PYRAMID_LINE)` that the device subscribes to
 * whenever it needs a line, so a pulled cable or a USB adapter that comes back
 * as a new port is reopened (see `reconnect`). The device closes the lines it
 * opened.
 */
export type PyramidDeviceTarget = Transport | Observable<Transport>;

/** Back-off between tries to reopen a lost line (opener targets only). */
export interface PyramidReconnectOptions {
  /** Wait before the first try, ms; it doubles after each failed try. 10..60000, default 1000. */
  readonly initialDelayMs?: number;
  /** Longest wait between tries, ms. 10..600000, default 30000 (never below initialDelayMs). */
  readonly maxDelayMs?: number;
}

export interface PyramidDeviceOptions {
  /** Pause between one poll's reply and the next poll, ms. 50..5000, default 100. */
  readonly pollIntervalMs?: number;
  /** Wait for a reply before resending the same bytes, ms. 20..5000, default 250. */
  readonly replyTimeoutMs?: number;
  /** Silence tolerated (the acceptor skips replies while reading or stacking) before the link is down, ms. 100..60000, default 5000. */
  readonly busyToleranceMs?: number;
  /** Initial enable mask, bit n-1 = note index n. 0..0x7F, default 0x7F (all). */
  readonly enableMask?: number;
  /** Hold each note in escrow until the application says stack or return. Default false. */
  readonly escrow?: boolean;
  /** Host-side escrow timeout: an undecided note is returned, ms. 1000..600000, default 30000. */
  readonly escrowTimeoutMs?: number;
  /** Decide on an escrowed note right away; return undefined to decide later with stack()/returnBill(). */
  readonly onEscrow?: (bill: EscrowedBill) => EscrowDecision | undefined;
  /** Enable barcode ticket detection (D2 bit 1). Default false. */
  readonly barcode?: boolean;
  /** Note index → value table of the loaded firmware. Default USD (1=$1 … 7=$100). */
  readonly bills?: BillTable;
  /** Address reported in event `device` refs (the link has no addressing). Default 0. */
  readonly address?: number;
  /** Reopen back-off when the target is an opener; checked (and ignored) for a plain Transport. */
  readonly reconnect?: PyramidReconnectOptions;
  readonly scheduler?: SchedulerLike;
}

export interface ResolvedOptions {
  readonly pollIntervalMs: number;
  readonly replyTimeoutMs: number;
  readonly busyToleranceMs: number;
  readonly enableMask: number;
  readonly escrow: boolean;
  readonly escrowTimeoutMs: number;
  readonly barcode: boolean;
  readonly bills: BillTable;
  readonly address: number;
  readonly reconnect: { readonly initialDelayMs: number; readonly maxDelayMs: number };
}

export const PYRAMID_DEVICE_LIMITS = {
  pollIntervalMs: { min: 50, max: 5000, default: 100 },
  replyTimeoutMs: { min: 20, max: 5000, default: 250 },
  escrowTimeoutMs: { min: 1000, max: 600_000, default: 30_000 },
} as const;

export const PYRAMID_RECONNECT_LIMITS = {
  initialDelayMs: { min: 10, max: 60_000, default: 1000 },
  maxDelayMs: { min: 10, max: 600_000, default: 30_000 },
} as const;

interface Limits {
  readonly min: number;
  readonly max: number;
  readonly default: number;
}

function inRange(name: string, value: number | undefined, limits: Limits): number {
  const { min, max } = limits;
  if (value === undefined) return limits.default;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new OptionRangeError(name, value, min, max, 'ms');
  }
  return value;
}

function ranged(name: keyof typeof PYRAMID_DEVICE_LIMITS, value: number | undefined): number {
  return inRange(name, value, PYRAMID_DEVICE_LIMITS[name]);
}

/** Validate a mask: an integer 0..0x7F. Throws {@link InvalidArgumentError}. */
export function checkMask(mask: number): number {
  if (!Number.isInteger(mask) || mask < 0 || mask > 0x7f) {
    throw new InvalidArgumentError(
      `Enable mask must be an integer 0..0x7F (bit n-1 enables note index n), got ${mask}.`,
      { enableMask: mask },
    );
  }
  return mask;
}

/** Validate every option. Throws {@link OptionRangeError} / {@link InvalidArgumentError}. */
export function resolveOptions(o: PyramidDeviceOptions): ResolvedOptions {
  return {
    pollIntervalMs: ranged('pollIntervalMs', o.pollIntervalMs),
    replyTimeoutMs: ranged('replyTimeoutMs', o.replyTimeoutMs),
    busyToleranceMs: checkBusyTolerance(o.busyToleranceMs),
    enableMask: checkMask(o.enableMask ?? 0x7f),
    escrow: o.escrow ?? false,
    escrowTimeoutMs: ranged('escrowTimeoutMs', o.escrowTimeoutMs),
    barcode: o.barcode ?? false,
    bills: o.bills ?? USD_BILLS,
    address: o.address ?? 0,
    reconnect: resolveBackoff(o.reconnect, PYRAMID_RECONNECT_LIMITS),
  };
}

/** The latest acceptor view, from the last fresh reply. */
export interface PyramidSnapshot {
  readonly state: PrimaryState;
  readonly status: PyramidStatus;
  /** Mask the poll that got this reply carried. */
  readonly enableMask: number;
}

/** An escrow command came when no note is in escrow, or contradicts the decision already sent. */
export class EscrowStateError extends CashwireError {
  override readonly name = 'EscrowStateError';
  constructor(command: string, reason: 'no-note' | 'already-decided') {
    super(
      'ESCROW_STATE',
      reason === 'no-note'
        ? `${command}: no note is held in escrow.`
        : `${command}: the other decision was already sent for the note in escrow.`,
      { command, reason },
    );
  }
}

export interface PyramidDevice {
  /** Hot: normalized cash events plus raw Pyramid events (`type: 'raw'`). Completes on dispose. */
  readonly events$: Observable<DeviceEvent>;
  /** Replays the latest life-cycle state. */
  readonly state$: Observable<DeviceState>;
  /** Replays the latest acceptor status (after the first fresh reply). */
  readonly acceptor$: Observable<PyramidSnapshot>;
  /**
   * Diagnostics (bad checksums, junk, stale replies), link-down errors and, with an opener, the
   * TransportError of each lost line or failed reopen. Never terminates on bad bytes.
   */
  readonly errors$: Observable<Diagnostic | CashwireError>;
  /** Every frame in and out. */
  readonly trace$: Observable<FrameTrace>;
  /**
   * Link counters (tx, rx, checksum errors, resyncs, discarded bytes,
   * timeouts, resends, stale replies) and per-attempt latency, from
   * subscription on. Completes on dispose.
   */
  readonly stats$: Observable<LinkStats>;
  /** The mask the next poll carries. */
  readonly enableMask: number;
  /** Cold. Set the mask; completes when a fresh reply to a poll carrying it arrived. */
  setEnableMask(mask: number): Observable<void>;
  /** Cold. Enable exactly these note indexes (1..7). */
  enableIndexes(indexes: readonly number[]): Observable<void>;
  /** Cold. Enable exactly the notes of these values (minor units or Money), looked up in the bill table. */
  enableValues(values: readonly (number | Money)[]): Observable<void>;
  /** Cold. Accept notes again with the last non-zero mask (0x7F if there was none). */
  enable(): Observable<void>;
  /** Cold. Refuse every note (mask 0); a note in escrow is returned. */
  disable(): Observable<void>;
  /** Cold. Stack the escrowed note; completes when it has left Escrowed. */
  stack(): Observable<void>;
  /** Cold. Return the escrowed note; completes when it has left Escrowed. */
  returnBill(): Observable<void>;
  /** Cold. Ask for the last barcode read since power-up (extended 0x70/01). Empty string: none. */
  queryBarcode(): Observable<string>;
  /** Cold. Send a soft reset (no reply expected); the next reply starts a new baseline. */
  reset(): Observable<void>;
  /** Stops polling, completes the streams, cancels every timer, closes a line it opened. Idempotent. */
  dispose(): void;
}
