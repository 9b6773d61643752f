/**
 * Public shape of the ccTalk bus simulator: a virtual bus with a coin
 * acceptor, a bill validator and a hopper, each at its own address with its
 * own checksum mode, answering the host the way real units do.
 */
import type { Observable, SchedulerLike } from 'rxjs';
import type { ChecksumMode } from '../checksum.js';

/** What a simulated device answers: data bytes (header 0), ACK, NAK, BUSY, or nothing. */
export type SimReply =
  { readonly kind: 'data'; readonly data: Uint8Array } | { readonly kind: 'ack' | 'nak' | 'busy' | 'silent' };

interface DeviceBase {
  readonly address?: number;
  /** Default 'simple'. */
  readonly checksum?: ChecksumMode;
  readonly manufacturer?: string;
  readonly product?: string;
  /** 3-byte serial number. */
  readonly serial?: number;
}

export interface SimCoinConfig extends DeviceBase {
  /** Coin ids of positions 1..16 (blank slots as `......`). Default: the eight euro coins in 1..8. */
  readonly coins?: readonly string[];
  /** 249 reply [units, value]. Default [2, 20] (20 × 10 ms = 200 ms). */
  readonly pollingPriority?: readonly [number, number];
  /** Self-inhibit when 229 has not been read for this long, ms. Default 1000. */
  readonly pollWatchdogMs?: number;
}

export interface SimBillConfig extends DeviceBase {
  /** Bill ids of types 1..16. Default: EU0005A … EU0500A in 1..7. */
  readonly bills?: readonly string[];
  /** 156 reply for the bills' country: factor and decimal places. Default 100, 2. */
  readonly scaling?: { readonly factor: number; readonly decimalPlaces: number };
  /** The unit returns an escrowed bill that is not routed within this time, ms. Default 10000. */
  readonly escrowTimeoutMs?: number;
  /** Self-inhibit when 159 has not been read for this long, ms. Default 5000. */
  readonly pollWatchdogMs?: number;
}

export interface SimHopperConfig extends DeviceBase {
  /** Coin id the hopper pays. Default EU100A. */
  readonly coin?: string;
  /** Coins in the hopper. Default 100. */
  readonly level?: number;
  /** Time to pay one coin, ms. Default 100. */
  readonly coinIntervalMs?: number;
}

export interface CcTalkSimulatorOptions {
  /** Devices on the bus; default: a coin acceptor at 2. */
  readonly coin?: SimCoinConfig | false;
  readonly bill?: SimBillConfig | false;
  readonly hopper?: SimHopperConfig | false;
  /** Send each host frame back first, as a single-wire interface does. Default true. */
  readonly echo?: boolean;
  /** Delay before a reply, ms. Default 2. */
  readonly replyDelayMs?: number;
  readonly scheduler?: SchedulerLike;
}

/** What physically happened, to compare with what the host reported. */
export interface CcTalkSimulatorStats {
  /** Coins and bills put into the devices. */
  readonly inserted: number;
  /** Coins credited and bills stacked. */
  readonly accepted: number;
  /** Coins and bills rejected or returned. */
  readonly rejected: number;
  /** Coins paid out by the hopper. */
  readonly paidOut: number;
  /** Power cycles and reset commands. */
  readonly resets: number;
}

export interface ReplyContext {
  readonly address: number;
  readonly header: number;
  readonly data: Uint8Array;
  /** What the device would answer. */
  readonly reply: SimReply;
}

/** Fault injection: another reply, or undefined to keep the device's own. */
export type SimReplyOverride = (ctx: ReplyContext) => SimReply | undefined;

export interface CcTalkSimulator {
  readonly stats: CcTalkSimulatorStats;
  /** Human-readable lines describing what the devices do. */
  readonly log$: Observable<string>;
  /** Addresses of the devices on the bus. */
  readonly addresses: { readonly coin?: number; readonly bill?: number; readonly hopper?: number };
  /** Drop a coin of position `slot` (1..16). False when there is no coin acceptor. */
  insertCoin(slot: number): boolean;
  /** Feed a bill of type `channel` (1..16). False when there is no bill validator. */
  insertBill(channel: number): boolean;
  /** An unrecognised coin is rejected (229 event 1), or a bill fails validation (159 event 2). */
  reject(device?: 'coin' | 'bill'): void;
  /** A coin blocks the credit sensor (229 event 14), or a bill jams in the transport (159 event 6). */
  jam(device?: 'coin' | 'bill'): void;
  /** The hopper runs out of coins. */
  emptyHopper(): void;
  /** Put coins in the hopper. */
  fillHopper(count: number): void;
  /** Every device loses power and restarts: counters back to 0, inhibited, hopper disabled. */
  powerCycle(): void;
  /**
   * Set the coin acceptor's event counter (to test wrapping), as if the unit had counted that far:
   * the buffer then holds past results (coins rejected), not the blank slots of a power-up.
   */
  setCoinCounter(counter: number): void;
  /** Alter replies. Returns a function that removes the override. */
  override(fn: SimReplyOverride): () => void;
  dispose(): void;
}
