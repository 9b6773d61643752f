/**
 * The ccTalk bus's public shape: line settings, reply headers, options and
 * the CcTalkBus interface (created by createCcTalkBus in bus.ts).
 */
import type { Observable, SchedulerLike, Subscription } from 'rxjs';
import type { Diagnostic } from '../../core/diagnostics.js';
import type { RequestQueue } from '../../operators/exchange.js';
import type { FrameTrace } from '../../operators/trace.js';
import type { LineSettings } from '../../transport/transport.js';
import type { ChecksumMode } from './checksum.js';
import type { EchoPolicy } from './echo.js';
import type { CcTalkFrame } from './framing.js';
import type { ArgsParam, HeaderName, ReplyOf } from './headers.js';
import type { CcTalkLineState, CcTalkReconnectOptions } from './line.js';

export const CCTALK_LINE_SETTINGS: LineSettings = {
  baudRate: 9600,
  dataBits: 8,
  parity: 'none',
  stopBits: 1,
};
/** Receivers reset a partial frame after this much silence between bytes. */
export const CCTALK_INTER_BYTE_GAP_MS = 50;

export const REPLY_HEADER = { ack: 0, nak: 5, busy: 6 } as const;

export interface CcTalkBusOptions {
  /** Checksum mode of addresses not in `checksumByAddress`. Default 'simple'. */
  readonly checksum?: ChecksumMode;
  readonly checksumByAddress?: Readonly<Record<number, ChecksumMode>>;
  /** Default 'auto': learn from the first exchange whether the line echoes. */
  readonly echo?: EchoPolicy;
  /** Reply timeout per attempt for fast commands, ms. 20..5000, default 300. */
  readonly replyTimeoutMs?: number;
  /** Attempts per request (first send + resends). 1..10, default 4. */
  readonly attempts?: number;
  /**
   * Back-off between reopen attempts after the line is lost. Only with an
   * opener target (a Transport cannot be reopened: passing this with one is an
   * InvalidArgumentError). Defaults: 500 ms doubling up to 10 s.
   */
  readonly reconnect?: CcTalkReconnectOptions;
  /** How to name the line before an opener has opened it (then the transport's own description is used). */
  readonly description?: string;
  readonly scheduler?: SchedulerLike;
}

export interface RawRequestOptions {
  readonly timeoutMs?: number;
  readonly attempts?: number;
  /** Name for traces and errors (defaults to the table name or `header N`). */
  readonly label?: string;
}

export interface CcTalkReply {
  readonly frame: CcTalkFrame;
  readonly raw: Uint8Array;
}

export interface CcTalkBus {
  /**
   * Cold: validates the arguments (a bad argument or unknown name errors with
   * nothing written), sends, and emits the decoded reply once.
   */
  request<K extends HeaderName>(address: number, name: K, ...args: ArgsParam<K>): Observable<ReplyOf<K>>;
  /** Any header (vendor ones too); emits the reply frame. */
  requestRaw(
    address: number,
    header: number,
    data?: Uint8Array,
    options?: RawRequestOptions,
  ): Observable<CcTalkReply>;
  /**
   * Broadcast an address poll (253) and collect the raw address bytes that
   * come back within the window. Emits the addresses (sorted, duplicates kept
   * once) and completes.
   */
  addressPoll(options?: { readonly mode?: ChecksumMode; readonly windowMs?: number }): Observable<number[]>;
  checksumOf(address: number): ChecksumMode;
  setChecksum(address: number, mode: ChecksumMode): void;
  /**
   * The shared request queue (for pollers: `pollWhileIdle(bus.queue, …)`). It
   * outlives reopened lines: while the line is down, sends fail at once with a
   * TransportError and `busy$` stays false; it completes when the bus closes.
   */
  readonly queue: RequestQueue<CcTalkReply>;
  /**
   * The line's life (replays the current state): 'idle' (opener not used yet),
   * 'opening', 'open', 'down' (lost, reopening after `retryInMs`), 'closed'
   * (disposed, or a Transport target lost). Completes when closed.
   */
  readonly line$: Observable<CcTalkLineState>;
  /** True when the bus runs on an opener, so a lost line is reopened. */
  readonly reconnects: boolean;
  /** Open an idle opener now (the first request does it too). No-op otherwise. */
  open(): void;
  /** Link diagnostics: checksum errors, resyncs, echo faults. */
  readonly diagnostics$: Observable<Diagnostic>;
  /** Every frame on the wire, both directions (echoes are not traced twice). */
  readonly trace$: Observable<FrameTrace>;
  /** The transport's description (or the `description` option before an opener has opened one). */
  readonly description: string;
  /** Ends every request, stops reopening, closes the line if the bus opened it (a given Transport is left to its owner). */
  dispose(): void;
}

/** What lives on one opened transport. */
export interface Wire {
  readonly queue: RequestQueue<CcTalkReply>;
  readonly data$: Observable<Uint8Array>;
  readonly taps: Subscription;
}
