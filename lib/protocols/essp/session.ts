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
import { Observable, concat, defer, ignoreElements, map } from 'rxjs';
import { DisposedError, UnsupportedCommandError } from '../../core/errors.js';
import type { Transport } from '../../transport/transport.js';
import { type EsspBusCore, type EsspBusOptions, assertAddressFree, createBusCore } from './bus.js';
import type { AnyCommandDef } from './commands/types.js';
import { encodeCommandRow, lookupCommand } from './commands/table.js';
import { DEFAULT_CONTEXT, unitTypeName } from './context.js';
import {
  DEFAULT_FIXED_KEY,
  type HostEncryptionSession,
  createHostCrypto,
  cryptoRandom,
  encryptionKey,
  generateKeyExchangeParams,
  hostIntermediate,
  parseFixedKey,
  sharedKey,
} from './crypto/index.js';
import { assertEsspAddress } from './framing.js';
import type { RequestSink } from '../../operators/exchange.js';
import { createLane } from './lane.js';
import { InFlight, type SessionCore, checkEncryption } from './session-command.js';
import { createExchange } from './session-exchange.js';
import type {
  EsspBus,
  EsspCommandReply,
  EsspSession,
  EsspSessionOptions,
  SendOptions,
  SessionContext,
} from './session-types.js';

export type { EsspBusOptions, EsspRx } from './bus.js';
export type {
  EsspBus,
  EsspCommandReply,
  EsspSession,
  EsspSessionOptions,
  SendOptions,
  SessionContext,
} from './session-types.js';

const NO_OPTIONS: SendOptions = {};

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
  const lane = createLane<InFlight>();
  /** The key (while one is up) and the protocol context; commands read them when their turn comes. */
  const keys: { crypto: HostEncryptionSession | undefined; context: SessionContext } = {
    crypto: undefined,
    context: DEFAULT_CONTEXT,
  };
  let disposed = false;

  const clearKey = (): void => {
    keys.crypto?.dispose();
    keys.crypto = undefined;
  };

  const exchange = createExchange({
    line,
    address,
    traceDecrypted: options.traceDecrypted === true,
    keys,
    keyNotSet: (name) => {
      clearKey();
      options.onKeyNotSet?.(name);
    },
  });

  const core: SessionCore = { line, address, keys, exchange, lane, isDisposed: () => disposed };

  /**
   * Validate and encode a command, then queue it in the lane; `out` hears of
   * a command that cannot be sent at once. Returns the command in flight, or
   * undefined when it failed.
   */
  const enter = (
    name: string,
    args: unknown,
    sendOptions: SendOptions | undefined,
    out: RequestSink<AnyReply>,
    direct: boolean,
  ): InFlight | undefined => {
    if (disposed) {
      out.error(new DisposedError(`eSSP session 0x${address.toString(16)}`));
      return undefined;
    }
    let row: AnyCommandDef;
    let data: Uint8Array;
    let encrypt: boolean;
    const context = keys.context;
    const options = sendOptions ?? NO_OPTIONS;
    try {
      row = lookupCommand(name);
      if (context.unitKnown === true && row.units !== 'all') {
        const unit = unitTypeName(context.unitType);
        if (unit !== 'UNKNOWN' && !row.units.includes(unit))
          throw new UnsupportedCommandError(row.name, unit);
      }
      data = encodeCommandRow(row, args, context);
      encrypt = checkEncryption(row, options, keys);
    } catch (e) {
      out.error(e);
      return undefined;
    }
    const entry = new InFlight(core, out, direct, row, data, options);
    entry.encryptNow = encrypt;
    lane.acquire(entry);
    entry.encryptNow = undefined;
    return entry;
  };

  const sendAny = (name: string, args: unknown, sendOptions?: SendOptions): Observable<AnyReply> =>
    new Observable<AnyReply>((subscriber) => enter(name, args, sendOptions, subscriber, false));

  const noop = (): void => undefined;

  // The session's `start`: `enter` itself, returning what abandons the command.
  const startAny = (
    name: string,
    args: unknown,
    sendOptions: SendOptions | undefined,
    sink: RequestSink<AnyReply>,
  ): (() => void) => {
    const entry = enter(name, args, sendOptions, sink, true);
    return entry === undefined ? noop : () => entry.unsubscribe();
  };

  const session: EsspSession = {
    address,
    get context() {
      return keys.context;
    },
    set context(value: SessionContext) {
      keys.context = value;
    },
    get encrypted() {
      return keys.crypto !== undefined;
    },
    // The untyped sender itself: the table's types only narrow what callers see.
    send: sendAny as EsspSession['send'],
    start: startAny,
    negotiateKey: () =>
      defer(() => {
        const params = generateKeyExchangeParams(random, { bits: options.keyBits ?? 64 });
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
            keys.crypto = createHostCrypto(encryptionKey(fixedKey, key), { random });
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
      for (const entry of lane.turns()) {
        entry.running?.stop();
        entry.error(error);
      }
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
