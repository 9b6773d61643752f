/**
 * The eSSP session: how to talk to one address on a bus. It validates and
 * encodes commands from the table, picks the sequence flag, wraps commands in
 * the encryption layer when a key is up, checks and unwraps replies, and
 * turns generic failure responses into typed errors. It has no policy: no
 * polling, no connect sequence, no recovery (see device/).
 *
 * Rules applied here (fact sheet 5 and 7):
 * - Bytes of a command (flag, and ciphertext with its count) are built once,
 *   when the command's turn comes; every resend writes exactly those bytes,
 *   so a device that already executed it answers from its reply cache.
 * - A reply must echo address and flag; anything else is ignored (it is a
 *   late or foreign reply) and reported as a 'stale-reply' diagnostic.
 * - The flag moves only after a valid reply. After a command gave up the
 *   device may or may not have executed it, so the address is out of step:
 *   the next command is preceded by SYNC automatically. The same happens for
 *   the first command ever sent to an address.
 * - SYNC and the three key-exchange commands always go in clear.
 */
import { Observable, type Subscription, concat, defer, finalize, ignoreElements, map, tap } from 'rxjs';
import { toHex } from '../../core/bytes.js';
import type { Diagnostic } from '../../core/diagnostics.js';
import {
  CommandTimeoutError,
  DecodeError,
  DeviceError,
  DisposedError,
  EncryptionRequiredError,
  UnsupportedCommandError,
  isCashwireError,
} from '../../core/errors.js';
import type { MatchResult } from '../../operators/exchange.js';
import type { FrameTrace } from '../../operators/trace.js';
import type { Transport } from '../../transport/transport.js';
import {
  type EsspBusCore,
  type EsspBusOptions,
  type EsspRx,
  assertAddressFree,
  createBusCore,
} from './bus.js';
import type { AnyCommandDef } from './commands/types.js';
import {
  type ArgsOf,
  type EsspCommandName,
  type EsspReply as TableReply,
  type ReplyOf,
  decodeReply,
  encodeCommandByName,
  isSupportedBy,
  lookupCommand,
} from './commands/table.js';
import { DEFAULT_CONTEXT, unitTypeName } from './context.js';
import {
  DEFAULT_FIXED_KEY,
  type HostEncryptionSession,
  type RandomSource,
  STEX,
  createHostCrypto,
  cryptoRandom,
  encryptionKey,
  generateKeyExchangeParams,
  hostIntermediate,
  parseFixedKey,
  sharedKey,
} from './crypto/index.js';
import type { EventContext } from './events/blocks.js';
import { ESSP_PROTOCOL, assertEsspAddress, encodeFrame } from './framing.js';
import { explainResponse } from './generic.js';
import { createLane } from './lane.js';
import { ESSP_SYNC_SEQ } from './link.js';

export type { EsspBusOptions, EsspRx } from './bus.js';

/** Commands that never travel encrypted: SYNC and the key exchange itself. */
const ALWAYS_PLAIN: ReadonlySet<number> = new Set([0x11, 0x4a, 0x4b, 0x4c]);
const SYNC_CODE = 0x11;

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
  /** Size of the Diffie-Hellman numbers: 31 bits (ITL's host, default) or 64. */
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

/** One line, shared by every address on it. Does not close the transport on dispose. */
export function createEsspBus(transport: Transport, options: EsspBusOptions = {}): EsspBus {
  const core = createBusCore(transport, options);
  const open = new Map<number, EsspSession>();
  return {
    ...core,
    session: (address, sessionOptions = {}) => {
      assertEsspAddress(address);
      assertAddressFree(new Set(open.keys()), address);
      const session = openSession(core, address, sessionOptions, () => open.delete(address));
      open.set(address, session);
      return session;
    },
    dispose: () => {
      for (const s of [...open.values()]) s.dispose();
      core.dispose();
    },
  };
}

type AnyReply = EsspCommandReply;

function openSession(
  bus: EsspBusCore,
  address: number,
  options: EsspSessionOptions,
  onDispose: () => void,
): EsspSession {
  const line = bus.line;
  const random = options.random ?? cryptoRandom;
  const fixedKey = parseFixedKey(options.fixedKey ?? DEFAULT_FIXED_KEY);
  const lane = createLane();
  const live = new Set<(e: unknown) => void>();
  let crypto: HostEncryptionSession | undefined;
  let context: SessionContext = DEFAULT_CONTEXT;
  let disposed = false;

  const diagnose = (kind: Diagnostic['kind'], message: string, rx: EsspRx, info: object): void =>
    line.diagnose({ kind, protocol: ESSP_PROTOCOL, message, hex: toHex(rx.raw), info: { address, ...info } });

  const clearKey = (): void => {
    crypto?.dispose();
    crypto = undefined;
  };

  const deviceError = (row: AnyCommandDef, reply: TableReply): DeviceError => {
    const advice = explainResponse(reply.code, row.errors);
    const detail = reply.error ? ` (${reply.error.name})` : '';
    return new DeviceError(
      row.name,
      reply.status,
      `${row.name} was refused: ${reply.status}${detail}. ${advice}`,
      {
        address,
        generic: reply.code,
        advice,
        ...(reply.error && { error: reply.error.name, errorCode: reply.error.code }),
      },
    );
  };

  /** One command on the wire: build bytes once, hand them to the shared queue, judge every frame. */
  const exchange = (row: AnyCommandDef, data: Uint8Array, encrypt: boolean): Observable<AnyReply> =>
    defer(() => {
      const name = row.name;
      const isSync = row.code === SYNC_CODE;
      if (encrypt && crypto === undefined) throw new EncryptionRequiredError(name);
      const cipher = encrypt ? crypto : undefined;
      const seq = isSync ? ESSP_SYNC_SEQ : line.link.nextSeq(address);
      const wire = encodeFrame({ address, seq, data: cipher ? cipher.wrapCommand(data) : data });
      const showPlain = cipher !== undefined && options.traceDecrypted === true;
      const release = line.describeTx(wire, { address, name, ...(showPlain && { plain: data }) });
      const ctx = context;

      const match = (rx: EsspRx): MatchResult<AnyReply> => {
        const f = rx.frame;
        const verdict = line.link.acceptReply({ address, seq }, f);
        if (verdict !== 'ok') {
          line.traceRx(rx, { address: f.address, note: `${verdict} reply ignored` });
          diagnose('stale-reply', `Ignored a ${verdict} reply while waiting for ${name}.`, rx, {
            command: name,
            expectedSeq: seq,
            replyAddress: f.address,
            replySeq: f.seq,
          });
          return { kind: 'ignore' };
        }
        let body = f.data;
        if (body[0] === STEX) {
          const result = cipher?.unwrapReply(body);
          if (result === undefined || !result.ok) {
            const why = result === undefined ? 'no key for an encrypted reply' : result.error.message;
            line.traceRx(rx, { address, name, note: 'decrypt failed' });
            diagnose('decrypt', `Reply to ${name} did not decrypt: ${why}`, rx, { command: name });
            return { kind: 'retry', reason: 'decrypt' };
          }
          body = result.data;
        }
        // A valid reply for this flag: the device executed the command.
        line.link = isSync ? line.link.afterSync(address) : line.link.commit(address);
        let reply: TableReply;
        try {
          reply = decodeReply(name as EsspCommandName, body, ctx);
        } catch (e) {
          line.traceRx(rx, { address, name, note: 'undecodable reply' });
          const error = isCashwireError(e) ? e : new DecodeError(String(e), { command: name });
          return { kind: 'fail', error };
        }
        const showRxPlain = showPlain && body !== f.data;
        line.traceRx(rx, {
          address,
          name,
          note: reply.error ? `${reply.status} ${reply.error.name}` : reply.status,
          ...(showRxPlain && { plain: body }),
        });
        if (reply.status === 'OK') {
          return { kind: 'accept', value: { command: name, status: 'OK', info: reply.info } as AnyReply };
        }
        if (reply.status === 'KEY_NOT_SET') {
          clearKey();
          options.onKeyNotSet?.(name);
        }
        return { kind: 'fail', error: deviceError(row, reply) };
      };

      return line.queue
        .send({
          label: name,
          bytes: wire,
          match,
          ...(row.timeoutMs !== undefined && { timeoutMs: row.timeoutMs }),
        })
        .pipe(
          tap({
            error: (e: unknown) => {
              // Executed or not, nobody knows: the next command starts with SYNC.
              if (e instanceof CommandTimeoutError) line.link = line.link.lost(address);
            },
          }),
          finalize(release),
        );
    });

  const checkEncryption = (row: AnyCommandDef, options: SendOptions): boolean => {
    const encrypt = options.encrypt ?? (crypto !== undefined && !ALWAYS_PLAIN.has(row.code));
    if (row.encryption === 'required' && !encrypt) throw new EncryptionRequiredError(row.name);
    return encrypt;
  };

  const sendAny = (name: string, args: unknown, sendOptions: SendOptions = {}): Observable<AnyReply> =>
    new Observable<AnyReply>((subscriber) => {
      if (disposed) {
        subscriber.error(new DisposedError(`eSSP session 0x${address.toString(16)}`));
        return undefined;
      }
      let row: AnyCommandDef;
      let data: Uint8Array;
      try {
        row = lookupCommand(name);
        const unit = unitTypeName(context.unitType);
        if (
          context.unitKnown === true &&
          unit !== 'UNKNOWN' &&
          !isSupportedBy(row.name as EsspCommandName, context.unitType)
        ) {
          throw new UnsupportedCommandError(row.name, unit);
        }
        data = encodeCommandByName(name, args, context);
        checkEncryption(row, sendOptions);
      } catch (e) {
        subscriber.error(e);
        return undefined;
      }
      let inner: Subscription | undefined;
      const kill = (e: unknown): void => {
        inner?.unsubscribe();
        subscriber.error(e);
      };
      live.add(kill);
      const release = lane.acquire(() => {
        let work: Observable<AnyReply>;
        try {
          // Checked again: the key may have gone while this command waited.
          const encrypt = checkEncryption(row, sendOptions);
          const synced = line.link.isSynced(address) || row.code === SYNC_CODE;
          const main = exchange(row, data, encrypt);
          work = synced
            ? main
            : concat(
                exchange(lookupCommand('SYNC'), new Uint8Array([SYNC_CODE]), false).pipe(ignoreElements()),
                main,
              );
        } catch (e) {
          subscriber.error(e);
          return;
        }
        // Deliver before freeing the lane: a follow-up command sent from the
        // callback queues behind nothing else of ours.
        inner = work.subscribe({
          next: (value) => subscriber.next(value),
          error: (e: unknown) => subscriber.error(e),
          complete: () => subscriber.complete(),
        });
      });
      return () => {
        live.delete(kill);
        inner?.unsubscribe();
        release();
      };
    });

  const session: EsspSession = {
    address,
    get context() {
      return context;
    },
    set context(value: SessionContext) {
      context = value;
    },
    get encrypted() {
      return crypto !== undefined;
    },
    send: <N extends EsspCommandName>(name: N, args?: ArgsOf<N>, sendOptions?: SendOptions) =>
      sendAny(name, args, sendOptions) as Observable<EsspCommandReply<N>>,
    negotiateKey: () =>
      defer(() => {
        const params = generateKeyExchangeParams(random, { bits: options.keyBits ?? 31 });
        const clear = { encrypt: false };
        return concat(
          sendAny('SET_GENERATOR', { generator: params.generator }, clear).pipe(ignoreElements()),
          sendAny('SET_MODULUS', { modulus: params.modulus }, clear).pipe(ignoreElements()),
          session.send('REQUEST_KEY_EXCHANGE', { key: hostIntermediate(params) }, clear),
        ).pipe(
          map((reply) => {
            // Installed while the reply is delivered, before the next command of
            // this address is built: the device uses the new key from now on.
            const key = sharedKey(params, reply.info.key);
            clearKey();
            crypto = createHostCrypto(encryptionKey(fixedKey, key), { random });
          }),
        );
      }),
    clearKey,
    trace$: bus.trace$.pipe(filterAddress(address)),
    diagnostics$: bus.diagnostics$.pipe(filterAddress(address)),
    dispose: () => {
      if (disposed) return;
      disposed = true;
      const error = new DisposedError(`eSSP session 0x${address.toString(16)}`);
      for (const kill of [...live]) kill(error);
      live.clear();
      clearKey();
      fixedKey.wipe();
      onDispose();
    },
  };
  return session;
}

/** Keep records of one address, and line-level ones that name no address. */
function filterAddress<
  T extends { readonly address?: number; readonly info?: Readonly<Record<string, unknown>> },
>(address: number) {
  return (source: Observable<T>): Observable<T> =>
    new Observable<T>((subscriber) =>
      source.subscribe({
        next: (value) => {
          const a = value.address ?? value.info?.['address'];
          if (a === undefined || a === address) subscriber.next(value);
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => subscriber.complete(),
      }),
    );
}
