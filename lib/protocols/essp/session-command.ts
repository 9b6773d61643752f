/**
 * One command sent through an eSSP session, from the call to its end: it
 * waits its turn in the session's lane, builds its exchange when the turn
 * comes (SYNC first when the address is out of step), and passes the outcome
 * on. The session (session.ts) validates and encodes the command and makes
 * one of these per call.
 */
import { DisposedError, EncryptionRequiredError } from '../../core/errors.js';
import type { RequestSink } from '../../operators/exchange.js';
import type { EsspLine } from './bus.js';
import { lookupCommand } from './commands/table.js';
import type { AnyCommandDef } from './commands/types.js';
import type { Lane, LaneTurn } from './lane.js';
import {
  type Exchange,
  type ReplySink,
  type Running,
  type SessionKeys,
  SYNC_CODE,
} from './session-exchange.js';
import type { EsspCommandReply, SendOptions } from './session-types.js';

type AnyReply = EsspCommandReply;

/** Commands that never travel encrypted: SYNC and the key exchange itself. */
const ALWAYS_PLAIN: ReadonlySet<number> = new Set([0x11, 0x4a, 0x4b, 0x4c]);

/** What a command in flight needs from its session. */
export interface SessionCore {
  readonly line: EsspLine;
  readonly address: number;
  readonly keys: SessionKeys;
  readonly exchange: Exchange;
  /** Commands sent and not yet ended, in order (dispose errors them). */
  readonly lane: Lane<InFlight>;
  /** True once the session is disposed: a turn that comes then sends nothing. */
  isDisposed(): boolean;
}

/** Whether a command goes encrypted; throws when it must be and cannot. */
export function checkEncryption(row: AnyCommandDef, options: SendOptions, keys: SessionKeys): boolean {
  const encrypt = options.encrypt ?? (keys.crypto !== undefined && !ALWAYS_PLAIN.has(row.code));
  if (row.encryption === 'required' && !encrypt) throw new EncryptionRequiredError(row.name);
  return encrypt;
}

/**
 * A command sent through the session, from the call to its end: it waits
 * its turn in the lane, then runs its exchange, whose outcome it passes on
 * to `out`. A class with its methods on the prototype: a poll makes one of
 * these several times a second for the life of a device.
 *
 * Sent through `send`, the Observable's teardown forgets it and frees the
 * lane once the subscriber has taken the outcome; started with `start`, it
 * does so itself at the same moment. Its fields are `declare`d and set in the
 * constructor, so that building one runs no field initializer.
 */
export class InFlight implements ReplySink, LaneTurn {
  declare readonly session: SessionCore;
  declare readonly out: RequestSink<AnyReply>;
  declare readonly row: AnyCommandDef;
  declare readonly data: Uint8Array;
  declare readonly options: SendOptions;
  declare running: Running | undefined;
  /** Started with `start`: no Observable teardown will come, the entry ends itself. */
  declare readonly direct: boolean;
  /** Ended or abandoned: nothing more reaches `out`. */
  declare over: boolean;
  /**
   * Whether it goes encrypted, as checked when it was sent; set only while the
   * lane is being asked for a turn, so a turn taken at once uses it and one
   * that waited checks again.
   */
  declare encryptNow: boolean | undefined;

  constructor(
    session: SessionCore,
    out: RequestSink<AnyReply>,
    direct: boolean,
    row: AnyCommandDef,
    data: Uint8Array,
    options: SendOptions,
  ) {
    this.session = session;
    this.out = out;
    this.direct = direct;
    this.row = row;
    this.data = data;
    this.options = options;
    this.running = undefined;
    this.over = false;
    this.encryptNow = undefined;
  }

  /** The command's turn has come (the lane is free): its bytes are built now. */
  start(): void {
    const { row, data } = this;
    const { line, address, exchange } = this.session;
    if (this.session.isDisposed()) {
      // Its turn came while dispose was failing the commands ahead of it.
      this.error(new DisposedError(`eSSP session 0x${address.toString(16)}`));
      return;
    }
    let encrypt: boolean;
    try {
      // Checked again when it waited: the key may have gone meanwhile.
      encrypt = this.encryptNow ?? checkEncryption(row, this.options, this.session.keys);
    } catch (e) {
      this.error(e);
      return;
    }
    // The subscriber takes the reply before the lane frees: a follow-up
    // command sent from its callback queues behind nothing else of ours.
    if (line.link.isSynced(address) || row.code === SYNC_CODE) {
      this.running = exchange(row, data, encrypt, this);
      return;
    }
    // Out of step (first command, or one that gave up): SYNC first, then the command.
    this.running = exchange(lookupCommand('SYNC'), Uint8Array.of(SYNC_CODE), false, {
      next: () => undefined,
      error: (e) => this.error(e),
      complete: () => {
        this.running = exchange(row, data, encrypt, this);
      },
    });
  }

  next(reply: AnyReply): void {
    if (!this.over) this.out.next(reply);
  }

  error(e: unknown): void {
    if (this.over) return;
    if (this.direct) this.over = true;
    this.out.error(e);
    if (this.direct) this.end(false);
  }

  complete(): void {
    if (this.over) return;
    if (this.direct) this.over = true;
    this.out.complete();
    if (this.direct) this.end(false);
  }

  /** Abandon the command (the Observable's teardown, or the function `start` returned). */
  unsubscribe(): void {
    if (this.over && this.direct) return;
    this.over = true;
    this.end(true);
  }

  /** Leave the lane (the next command's turn comes); `stop`: it is abandoned, stop its exchange first. */
  end(stop: boolean): void {
    if (stop) this.running?.stop();
    this.session.lane.release(this);
  }
}
