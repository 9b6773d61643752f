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
import type { TraceDetails } from '../../operators/trace.js';
import type { EsspLine, EsspRequest, EsspRx } from './bus.js';
import { type EsspReply as TableReply, decodeReplyRow } from './commands/table.js';
import type { AnyCommandDef } from './commands/types.js';
import { type HostEncryptionSession, STEX } from './crypto/index.js';
import { ESSP_PROTOCOL, encodeFrame } from './framing.js';
import { explainResponse } from './generic.js';
import { ESSP_SYNC_SEQ, type EsspRequestTag } from './link.js';
import type { EsspCommandReply, SessionContext } from './session-types.js';

export const SYNC_CODE = 0x11;

const IGNORE: MatchResult<never> = { kind: 'ignore' };

type AnyReply = EsspCommandReply;

/** The session's key and context as they are now (read when a command's turn comes). */
export interface SessionKeys {
  readonly crypto: HostEncryptionSession | undefined;
  readonly context: SessionContext;
}

export interface ExchangeDeps {
  readonly line: EsspLine;
  readonly address: number;
  readonly traceDecrypted: boolean;
  /** The key in force and the context when the command's turn comes. */
  readonly keys: SessionKeys;
  /** The device answered KEY_NOT_SET. */
  readonly keyNotSet: (command: string) => void;
}

/** Where one command's outcome goes: its reply, then completion, or an error. */
export interface ReplySink {
  next(reply: AnyReply): void;
  error(e: unknown): void;
  complete(): void;
}

/** A command started on the wire; `stop()` abandons it if it is still running. */
export interface Running {
  stop(): void;
}

/**
 * Start one command now. Not an Observable: the session calls it from inside
 * its own, and one layer per command is enough (see operators/exchange.ts for
 * why layers count on the poll path).
 */
export type Exchange = (row: AnyCommandDef, data: Uint8Array, encrypt: boolean, sink: ReplySink) => Running;

const STOPPED: Running = { stop: () => undefined };

export function createExchange(deps: ExchangeDeps): Exchange {
  return (row, data, encrypt, sink) => {
    let command: Command;
    try {
      command = new Command(deps, row, data, encrypt, sink);
    } catch (e) {
      sink.error(e);
      return STOPPED;
    }
    command.start();
    return command;
  };
}

/**
 * One command: its request for the shared queue (bytes built once, `match`
 * judging every frame) and the observer of that request. One object with its
 * methods on the prototype, since a poll makes one of these a few times a
 * second for the life of the device. Its fields are `declare`d and set in the
 * constructor, so that building one runs no field initializer.
 */
class Command implements EsspRequest<AnyReply>, Running {
  declare readonly label: string;
  declare readonly bytes: Uint8Array;
  /** Built here for this command alone and never changed: the queue needs no copy. */
  declare readonly bytesFinal: true;
  declare readonly timeoutMs?: number;
  declare readonly deps: ExchangeDeps;
  declare readonly row: AnyCommandDef;
  /** The command's DATA before encryption (trace records may show it). */
  declare readonly data: Uint8Array;
  declare readonly tag: EsspRequestTag;
  declare readonly cipher: HostEncryptionSession | undefined;
  declare readonly showPlain: boolean;
  declare readonly ctx: SessionContext;
  declare readonly sink: ReplySink;
  /** Abandons the queued request; undefined until `start` has returned. */
  declare cancel: (() => void) | undefined;
  declare stopped: boolean;
  /** The queue has reported the outcome (reply, failure or end). */
  declare settled: boolean;

  /** Builds the frame; throws (nothing written) when it cannot be built. */
  constructor(deps: ExchangeDeps, row: AnyCommandDef, data: Uint8Array, encrypt: boolean, sink: ReplySink) {
    const { line, address, keys } = deps;
    const name = row.name;
    const crypto = keys.crypto;
    if (encrypt && crypto === undefined) throw new EncryptionRequiredError(name);
    const cipher = encrypt ? crypto : undefined;
    const seq = row.code === SYNC_CODE ? ESSP_SYNC_SEQ : line.link.nextSeq(address);
    this.label = name;
    this.bytes = encodeFrame({ address, seq, data: cipher ? cipher.wrapCommand(data) : data });
    this.bytesFinal = true;
    if (row.timeoutMs !== undefined) this.timeoutMs = row.timeoutMs;
    this.deps = deps;
    this.row = row;
    this.data = data;
    this.tag = { address, seq };
    this.cipher = cipher;
    this.showPlain = cipher !== undefined && deps.traceDecrypted;
    this.ctx = keys.context;
    this.sink = sink;
    this.cancel = undefined;
    this.stopped = false;
    this.settled = false;
  }

  /** Trace details of the frame, built only when a record is (see bus.ts). */
  describe(): TraceDetails {
    const { address } = this.deps;
    const name = this.label;
    return this.showPlain ? { address, name, plain: this.data } : { address, name };
  }

  start(): void {
    // The command is both the request and where its outcome goes.
    const cancel = this.deps.line.queue.start(this, this);
    // Stopped while the queue delivered synchronously (an in-memory device).
    if (this.stopped) cancel();
    else this.cancel = cancel;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    // Abandoned before its outcome: the unit may have executed it and holds
    // its reply for this flag, which it would send again, unexecuted, to the
    // next command (same flag, since none was committed). That command starts
    // with SYNC instead.
    if (!this.settled) {
      const line = this.deps.line;
      line.link = line.link.lost(this.deps.address);
    }
    this.cancel?.();
  }

  // ------------------------------------------------ the request's outcome
  next(reply: AnyReply): void {
    this.settled = true;
    this.sink.next(reply);
  }

  error(e: unknown): void {
    this.settled = true;
    // Executed or not, nobody knows: the next command starts with SYNC.
    const line = this.deps.line;
    if (e instanceof CommandTimeoutError) line.link = line.link.lost(this.deps.address);
    this.sink.error(e);
  }

  complete(): void {
    this.settled = true;
    this.sink.complete();
  }

  // ------------------------------------------------ judging the frames
  match(rx: EsspRx): MatchResult<AnyReply> {
    const { line, address } = this.deps;
    const name = this.label;
    const f = rx.frame;
    const verdict = line.link.acceptReply(this.tag, f);
    if (verdict !== 'ok') {
      line.traceRx(rx, { address: f.address, note: `${verdict} reply ignored` });
      this.diagnose('stale-reply', `Ignored a ${verdict} reply while waiting for ${name}.`, rx, {
        command: name,
        expectedSeq: this.tag.seq,
        replyAddress: f.address,
        replySeq: f.seq,
      });
      return IGNORE;
    }
    let body = f.data;
    if (body[0] === STEX) {
      const result = this.cipher?.unwrapReply(body);
      if (result === undefined || !result.ok) {
        const why = result === undefined ? 'no key for an encrypted reply' : result.error.message;
        line.traceRx(rx, { address, name, note: 'decrypt failed' });
        this.diagnose('decrypt', `Reply to ${name} did not decrypt: ${why}`, rx, { command: name });
        return { kind: 'retry', reason: 'decrypt' };
      }
      body = result.data;
    }
    // A valid reply for this flag: the device executed the command.
    line.link = this.row.code === SYNC_CODE ? line.link.afterSync(address) : line.link.commit(address);
    let reply: TableReply;
    try {
      reply = decodeReplyRow(this.row, body, this.ctx);
    } catch (e) {
      line.traceRx(rx, { address, name, note: 'undecodable reply' });
      const error = isCashwireError(e) ? e : new DecodeError(String(e), { command: name });
      return { kind: 'fail', error };
    }
    if (line.tracing) {
      const note = reply.error ? `${reply.status} ${reply.error.name}` : reply.status;
      line.traceRx(
        rx,
        this.showPlain && body !== f.data ? { address, name, note, plain: body } : { address, name, note },
      );
    }
    if (reply.status === 'OK') {
      return { kind: 'accept', value: { command: name, status: 'OK', info: reply.info } as AnyReply };
    }
    if (reply.status === 'KEY_NOT_SET') this.deps.keyNotSet(name);
    return { kind: 'fail', error: this.refused(reply) };
  }

  diagnose(kind: Diagnostic['kind'], message: string, rx: EsspRx, info: object): void {
    const { line, address } = this.deps;
    line.diagnose({ kind, protocol: ESSP_PROTOCOL, message, hex: toHex(rx.raw), info: { address, ...info } });
  }

  refused(reply: TableReply): DeviceError {
    const row = this.row;
    const advice = explainResponse(reply.code, row.errors);
    const detail = reply.error ? ` (${reply.error.name})` : '';
    return new DeviceError(
      row.name,
      reply.status,
      `${row.name} was refused: ${reply.status}${detail}. ${advice}`,
      {
        address: this.deps.address,
        generic: reply.code,
        advice,
        ...(reply.error && { error: reply.error.name, errorCode: reply.error.code }),
      },
    );
  }
}
