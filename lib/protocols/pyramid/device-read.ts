/**
 * Reading the acceptor's answer to one host message until it can be acted on:
 * the frame matcher of the request queue (fresh, stale or foreign, per the ack
 * rule) and the confirmation loop of confirm.ts, with their diagnostics. It
 * owns the confirmation gate; the device owns the ack and everything the
 * accepted reply changes.
 */
import { EMPTY, type Observable, type SchedulerLike, concatMap, of, timer } from 'rxjs';
import { toHex } from '../../core/bytes.js';
import type { Diagnostic } from '../../core/diagnostics.js';
import type { MatchResult, Request } from '../../operators/exchange.js';
import { CONFIRM_READS, OPEN_GATE, type ReadResult, readReply, readStale } from './confirm.js';
import { type Reply, decodeReply } from './device-wire.js';
import type { PyramidFrame } from './framing.js';
import { type PyramidLinkState, classifyReply } from './link.js';

/** A fresh reply and its bytes, before the gate has passed it. */
export interface Read {
  readonly reply: Reply;
  /** Type and data bytes: what two reads must share (the ack is not compared). */
  readonly key: string;
}

export interface ReplyReaderDeps {
  readonly scheduler: SchedulerLike;
  /** Pause before reading the same message again. */
  readonly pollIntervalMs: number;
  readonly diag: (kind: Diagnostic['kind'], message: string, hex?: string) => void;
  /** The link state now (its ack is the one in flight). */
  readonly link: () => PyramidLinkState;
  /** Whether the last accepted reply showed Stacked. */
  readonly prevStacked: () => boolean;
  /** Send one copy of a message through the request queue. */
  readonly send: (request: Request<PyramidFrame, Read>) => Observable<Read>;
}

export interface ReplyReader {
  /** The request queue's matcher for every message the device sends. */
  readonly match: (frame: PyramidFrame) => MatchResult<Read>;
  /**
   * Send `bytes` and read again, a poll interval apart, until a reply is
   * accepted (then `accept` runs and the reply is emitted) or CONFIRM_READS
   * reads disagreed (then nothing is emitted; the message is still unanswered).
   */
  readonly read: (
    label: string,
    bytes: Uint8Array,
    accept: (reply: Reply, seen: ReadResult) => void,
  ) => Observable<Reply>;
  /** Forget everything read (soft reset: the next reply is a new baseline). */
  readonly reset: () => void;
}

const IGNORE = { kind: 'ignore' } as const;

const replyKey = (frame: PyramidFrame): string => `${frame.messageType}:${toHex(frame.data)}`;

export function createReplyReader(deps: ReplyReaderDeps): ReplyReader {
  let gate = OPEN_GATE;

  const match = (frame: PyramidFrame): MatchResult<Read> => {
    const link = deps.link();
    const verdict = classifyReply(link, frame);
    if (verdict === 'foreign') return IGNORE;
    if (verdict === 'stale') {
      const was = gate.movedOn;
      // Decoded only for the note it may show (confirm.ts): it is never acted on.
      const stale = decodeReply(frame);
      const status = typeof stale === 'string' ? undefined : stale.status;
      gate = readStale(gate, replyKey(frame), status, deps.prevStacked());
      const moved = gate.movedOn && !was ? ' The unit took a damaged copy of a message as new.' : '';
      deps.diag(
        'stale-reply',
        `Reply with ack ${frame.ack} ignored while waiting for ack ${link.ack}.${moved}`,
      );
      return IGNORE;
    }
    const reply = decodeReply(frame);
    if (typeof reply === 'string') {
      deps.diag('decode', `Pyramid reply ignored: ${reply}`);
      return IGNORE;
    }
    return { kind: 'accept', value: { reply, key: replyKey(frame) } };
  };

  const read: ReplyReader['read'] = (label, bytes, accept) => {
    const attempt = (n: number): Observable<Reply> =>
      deps.send({ label, bytes, match }).pipe(
        concatMap(({ reply, key }) => {
          const r = readReply(gate, key, reply.status, deps.prevStacked());
          gate = r.gate;
          if (r.implausible !== undefined) {
            const what = r.verdict === 'accept' ? 'accepted: read twice alike' : 'discarded';
            deps.diag('decode', `Implausible Pyramid status (${r.implausible}) ${what}.`, key.slice(2));
          }
          if (r.verdict === 'accept') {
            accept(reply, r);
            return of(reply);
          }
          if (n >= CONFIRM_READS) {
            deps.diag('crc', `No two of ${n} replies to the same ${label} agreed; reading on.`);
            return EMPTY;
          }
          return timer(deps.pollIntervalMs, deps.scheduler).pipe(concatMap(() => attempt(n + 1)));
        }),
      );
    return attempt(1);
  };

  return {
    match,
    read,
    reset: () => {
      gate = OPEN_GATE;
    },
  };
}
