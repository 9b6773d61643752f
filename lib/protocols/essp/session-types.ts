/**
 * Public types of the eSSP session and bus (implementation in session.ts).
 */
import type { Observable } from 'rxjs';
import type { Diagnostic } from '../../core/diagnostics.js';
import type { RequestSink } from '../../operators/exchange-types.js';
import type { FrameTrace } from '../../operators/trace.js';
import type { EsspBusCore } from './bus.js';
import type { ArgsOf, EsspCommandName, ReplyOf } from './commands/table.js';
import type { RandomSource } from './crypto/index.js';
import type { EventContext } from './events/blocks.js';

/** Session context: what decoders need, plus whether the unit type was actually read from the device. */
export interface SessionContext extends EventContext {
  /** True once SETUP_REQUEST told us the unit type; only then are commands checked against it. */
  readonly unitKnown?: boolean;
}

/** An OK reply: the command, its status and its decoded payload. */
export interface EsspCommandReply<N extends EsspCommandName = EsspCommandName> {
  readonly command: N;
  readonly status: 'OK';
  readonly info: ReplyOf<N>;
}

export interface SendOptions {
  /** Force clear (false) or encrypted (true). Default: encrypted whenever a key is up. */
  readonly encrypt?: boolean;
}

export interface EsspSessionOptions {
  /** Fixed half of the eSSP key, 16 hex digits. Default '0123456701234567'. */
  readonly fixedKey?: string;
  /** Put decrypted bytes (`plainHex`) in trace records. Default false. Keys never appear. */
  readonly traceDecrypted?: boolean;
  /** Randomness for Diffie-Hellman numbers and packing bytes. Default: platform CSPRNG. */
  readonly random?: RandomSource;
  /** Size of the Diffie-Hellman primes: 64 bits (default) or 31 bits like ITL's C host, for a firmware that refuses large numbers. */
  readonly keyBits?: 31 | 64;
  /** Called when the device answers KEY_NOT_SET (the key is dropped first): renegotiate. */
  readonly onKeyNotSet?: (command: string) => void;
}

export interface EsspSession {
  readonly address: number;
  /** Protocol version, unit type, currency and channel values used to encode and decode; set after SETUP_REQUEST. */
  context: SessionContext;
  /** True while a key is negotiated and commands are wrapped. */
  readonly encrypted: boolean;
  /** Validate, encode, queue and exchange one command. Cold. See the module comment for the rules. */
  send<N extends EsspCommandName>(
    name: N,
    args?: ArgsOf<N>,
    options?: SendOptions,
  ): Observable<EsspCommandReply<N>>;
  /**
   * `send` without the Observable: the command is validated and waits its
   * turn exactly as with `send`, and reports to `sink` (the reply, then
   * completion; or an error). Returns what abandons it, like unsubscribing
   * from `send`; nothing reaches `sink` after that. For a caller that sends
   * the same command several times a second for hours (a poll loop).
   * Optional, so that a hand-written session stays valid.
   */
  start?<N extends EsspCommandName>(
    name: N,
    args: ArgsOf<N> | undefined,
    options: SendOptions | undefined,
    sink: RequestSink<EsspCommandReply<N>>,
  ): () => void;
  /** SET_GENERATOR, SET_MODULUS, REQUEST_KEY_EXCHANGE with fresh numbers; afterwards commands are encrypted (count 0). */
  negotiateKey(): Observable<void>;
  /** Forget the key (e.g. the device reset); commands go in clear until the next negotiateKey(). */
  clearKey(): void;
  /** This address's frames (both directions). */
  readonly trace$: Observable<FrameTrace>;
  /** This address's diagnostics plus the line's (CRC, junk). */
  readonly diagnostics$: Observable<Diagnostic>;
  /** Errors pending commands with DisposedError and wipes the keys. Idempotent. */
  dispose(): void;
}

export interface EsspBus extends EsspBusCore {
  /** Open the session for one address (one session per address at a time). */
  session(address: number, options?: EsspSessionOptions): EsspSession;
}
