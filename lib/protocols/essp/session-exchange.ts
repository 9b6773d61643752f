/**
 * One eSSP command on the wire, for one address: build its bytes once (flag,
 * and ciphertext with its count), hand them to the shared queue, and judge
 * every frame that comes back (see session.ts for the rules).
 */
import { toHex } from '../../core/bytes.js';
import type { Diagnostic } from '../../core/diagnostics.js';
import {
  CommandTimeoutError,
  DecodeError,
  DeviceError,
  EncryptionRequiredError,
  isCashwireError,
} from '../../core/errors.js';
import type { MatchResult } from '../../operators/exchange.js';
import type { EsspLine, EsspRx } from './bus.js';
import { type EsspCommandName, type EsspReply as TableReply, decodeReply } from './commands/table.js';
import type { AnyCommandDef } from './commands/types.js';
import { type HostEncryptionSession, STEX } from './crypto/index.js';
import { ESSP_PROTOCOL, encodeFrame } from './framing.js';
import { explainResponse } from './generic.js';
import { ESSP_SYNC_SEQ, type SeqFlag } from './link.js';
import type { EsspCommandReply, SessionContext } from './session-types.js';

export const SYNC_CODE = 0x11;

const IGNORE: MatchResult<never> = { kind: 'ignore' };

type AnyReply = EsspCommandReply;

export interface ExchangeDeps {
  readonly line: EsspLine;
  readonly address: number;
  readonly traceDecrypted: boolean;
  /** The key in force when the command's turn comes. */
  readonly crypto: () => HostEncryptionSession | undefined;
  readonly context: () => SessionContext;
  /** The device answered KEY_NOT_SET. */
  readonly keyNotSet: (command: string) => void;
}

/** Where one command's outcome goes: its reply, then completion, or an error. */
export interface ReplySink {
  next(reply: AnyReply): void;
  error(e: unknown): void;
  complete(): void;
}

/**
 * Start one command now; returns its teardown (abandons it if still running).
 * Not an Observable: the session calls it from inside its own, and one layer
 * per command is enough (see operators/exchange.ts for why layers count).
 */
export type Exchange = (
  row: AnyCommandDef,
  data: Uint8Array,
  encrypt: boolean,
  sink: ReplySink,
) => () => void;

export function createExchange(deps: ExchangeDeps): Exchange {
  const { line, address } = deps;

  const diagnose = (kind: Diagnostic['kind'], message: string, rx: EsspRx, info: object): void =>
    line.diagnose({ kind, protocol: ESSP_PROTOCOL, message, hex: toHex(rx.raw), info: { address, ...info } });

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
  return (row: AnyCommandDef, data: Uint8Array, encrypt: boolean, sink: ReplySink): (() => void) => {
    const name = row.name;
    let release: () => void;
    let wire: Uint8Array;
    let seq: SeqFlag;
    let cipher: HostEncryptionSession | undefined;
    let showPlain: boolean;
    try {
      const isSync = row.code === SYNC_CODE;
      const crypto = deps.crypto();
      if (encrypt && crypto === undefined) throw new EncryptionRequiredError(name);
      cipher = encrypt ? crypto : undefined;
      seq = isSync ? ESSP_SYNC_SEQ : line.link.nextSeq(address);
      wire = encodeFrame({ address, seq, data: cipher ? cipher.wrapCommand(data) : data });
      showPlain = cipher !== undefined && deps.traceDecrypted;
      release = line.describeTx(wire, showPlain ? { address, name, plain: data } : { address, name });
    } catch (e) {
      sink.error(e);
      return noop;
    }
    const isSync = row.code === SYNC_CODE;
    const ctx = deps.context();
    const tag = { address, seq };

    const match = (rx: EsspRx): MatchResult<AnyReply> => {
      const f = rx.frame;
      const verdict = line.link.acceptReply(tag, f);
      if (verdict !== 'ok') {
        line.traceRx(rx, { address: f.address, note: `${verdict} reply ignored` });
        diagnose('stale-reply', `Ignored a ${verdict} reply while waiting for ${name}.`, rx, {
          command: name,
          expectedSeq: seq,
          replyAddress: f.address,
          replySeq: f.seq,
        });
        return IGNORE;
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
      if (line.tracing) {
        const note = reply.error ? `${reply.status} ${reply.error.name}` : reply.status;
        line.traceRx(
          rx,
          showPlain && body !== f.data ? { address, name, note, plain: body } : { address, name, note },
        );
      }
      if (reply.status === 'OK') {
        return { kind: 'accept', value: { command: name, status: 'OK', info: reply.info } as AnyReply };
      }
      if (reply.status === 'KEY_NOT_SET') deps.keyNotSet(name);
      return { kind: 'fail', error: deviceError(row, reply) };
    };

    const request =
      row.timeoutMs === undefined
        ? { label: name, bytes: wire, match }
        : { label: name, bytes: wire, match, timeoutMs: row.timeoutMs };
    const sent = line.queue.send(request).subscribe({
      next: (value) => sink.next(value),
      error: (e: unknown) => {
        // Executed or not, nobody knows: the next command starts with SYNC.
        if (e instanceof CommandTimeoutError) line.link = line.link.lost(address);
        release();
        sink.error(e);
      },
      complete: () => {
        release();
        sink.complete();
      },
    });
    return () => {
      sent.unsubscribe();
      release();
    };
  };
}

const noop = (): void => undefined;
