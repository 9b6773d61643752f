/**
 * Public shape of an eSSP device: the interface `createEsspDevice` returns,
 * its options and the unit information read while connecting.
 */
import type { Observable, SchedulerLike } from 'rxjs';
import type { Diagnostic } from '../../../core/diagnostics.js';
import type { CashwireError } from '../../../core/errors.js';
import type { DeviceEvent, DeviceState } from '../../../core/events.js';
import type { Money } from '../../../core/money.js';
import type { LinkStats } from '../../../operators/stats.js';
import type { FrameTrace } from '../../../operators/trace.js';
import type { ArgsOf, EsspCommandName } from '../commands/table.js';
import type { RandomSource } from '../crypto/index.js';
import type { EsspCommandReply } from '../session.js';

/** 'required': fail unless a key is negotiated; 'auto': negotiate, fall back to clear if refused; 'off': never. */
export type EncryptionMode = 'required' | 'auto' | 'off';

/** Known models with extra connect steps. 'NV4000' reads the serial numbers of modules 0x11..0x15. */
export type EsspModel = 'NV4000';

export interface EsspDeviceOptions {
  /** SSP address, 0x00..0x7D. Default 0x00 (validators, SMART Payout, NV11); SMART Hopper uses 0x10. */
  readonly address?: number;
  /** The 64-bit fixed part of the eSSP key as 16 hex digits. Default '0123456701234567'. */
  readonly fixedKey?: string;
  /** Highest host protocol version to offer (4..8); connect steps down until the device accepts. Default 8. */
  readonly protocolVersion?: number;
  /** Pause between polls, 200..1000 ms (the device disables itself after 10 s without commands). Default 200. */
  readonly pollIntervalMs?: number;
  /** Default 'auto'. */
  readonly encryption?: EncryptionMode;
  /** Reply timeout per attempt, ms (10..60000). Default 1000. Ignored when an existing bus is passed. */
  readonly timeoutMs?: number;
  /** Attempts per command before CommandTimeoutError (1..100). Default 20. Ignored when an existing bus is passed. */
  readonly attempts?: number;
  /** Channels to accept after connect, 1-based. Default: every channel of the dataset. */
  readonly acceptChannels?: readonly number[];
  /** Send ENABLE at the end of connect. Default true. */
  readonly autoEnable?: boolean;
  /** Put decrypted bytes in trace$ records. Default false. Keys never appear either way. */
  readonly traceDecrypted?: boolean;
  /** Model-specific connect steps. */
  readonly model?: EsspModel;
  /** Module bytes whose GET_SERIAL_NUMBER is read at connect (default: 0x11..0x15 for 'NV4000', none otherwise). */
  readonly serialModules?: readonly number[];
  /** Pause between two HOLDs while a note is held in escrow, 500..3000 ms. Default 2000. */
  readonly holdIntervalMs?: number;
  /** Back-off between reconnect attempts: doubles from `initialDelayMs` (default 1000) up to `maxDelayMs` (default 30000). */
  readonly reconnect?: { readonly initialDelayMs?: number; readonly maxDelayMs?: number };
  /** Randomness for key exchange and packing (tests inject a seeded source). */
  readonly random?: RandomSource;
  readonly scheduler?: SchedulerLike;
}

export interface EsspChannel {
  readonly channel: number;
  readonly value: Money;
}

export interface EsspUnitInfo {
  readonly address: number;
  readonly unitType: number;
  readonly unitTypeName: string;
  readonly firmware: string;
  readonly currency: string;
  readonly protocolVersion: number;
  readonly channels: readonly EsspChannel[];
  readonly serialNumber: number;
  readonly encrypted: boolean;
  /** Serial numbers of extra modules by module byte (NV4000 recyclers 0x11..0x14, interface 0x15). */
  readonly moduleSerials?: Readonly<Record<number, number>>;
}

/** A stored denomination and how many of it a payout unit holds. */
export interface EsspLevel {
  readonly value: Money;
  readonly level: number;
}

export type EsspRoute = 'payout' | 'cashbox';

export interface EsspDevice {
  /** Hot: normalized cash events and every raw eSSP event (`type: 'raw'`, legacy event names). */
  readonly events$: Observable<DeviceEvent>;
  /** Replays the latest state. */
  readonly state$: Observable<DeviceState>;
  /** Recoverable faults and link diagnostics (CRC errors, stale replies, decrypt failures, ...). */
  readonly errors$: Observable<CashwireError | Diagnostic>;
  /** Every frame of this address, in and out. */
  readonly trace$: Observable<FrameTrace>;
  /** Link counters (tx, rx, CRC errors, resyncs, timeouts, retries, stale replies, decrypt failures) and latency. On a shared bus they count the whole line. */
  readonly stats$: Observable<LinkStats>;
  /** Unit information after each (re)connect; replays the latest. */
  readonly info$: Observable<EsspUnitInfo>;
  /** Any command of the table, validated; the reply type follows from the name. Cold. */
  send<N extends EsspCommandName>(name: N, args?: ArgsOf<N>): Observable<EsspCommandReply<N>>;
  enable(): Observable<void>;
  disable(): Observable<void>;
  /** Escrow control for a note reported by an `escrow` event. */
  readonly escrow: {
    /** Keep the note in escrow while subscribed: HOLD replaces POLL, repeated within the escrow timeout. */
    hold(): Observable<void>;
    /** End any hold and poll now: the POLL accepts the note. */
    accept(): Observable<void>;
    /** End any hold and return the note (REJECT_BANKNOTE). */
    reject(): Observable<void>;
  };
  /** Payout units only; refused locally with EncryptionRequiredError (nothing sent) without a key. */
  payout(amount: Money): Observable<void>;
  payoutByDenomination(items: readonly { readonly value: Money; readonly count: number }[]): Observable<void>;
  /** Keep `amount` in the unit, send the rest to the cashbox; `minPayout` is the smallest payout to keep possible. */
  float(amount: Money, minPayout: Money): Observable<void>;
  /** Everything to the cashbox, no value accounting. */
  empty(): Observable<void>;
  /** Everything to the cashbox, with value accounting (SMART_EMPTIED reports it). */
  smartEmpty(): Observable<void>;
  setRoute(value: Money, route: EsspRoute): Observable<void>;
  levels(): Observable<readonly EsspLevel[]>;
  /** Stops polling, errors pending commands with DisposedError, completes every stream. Idempotent. */
  dispose(): void;
}
