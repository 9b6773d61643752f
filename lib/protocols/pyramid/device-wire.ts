/**
 * The device's wire plumbing: bytes from the transport to frames (with
 * diagnostics and rx trace records), frames into a request queue that writes
 * tx trace records, and reply decoding for poll answers.
 */
import { defer, filter, map, tap, type SchedulerLike } from 'rxjs';
import type { Diagnostic } from '../../core/diagnostics.js';
import { TransportError } from '../../core/errors.js';
import { deframe } from '../../operators/deframe.js';
import { createRequestQueue, type RequestQueue } from '../../operators/exchange.js';
import { traceRecord, type FrameTrace } from '../../operators/trace.js';
import type { Transport } from '../../transport/transport.js';
import { decodeExtendedReply } from './extended.js';
import { PyramidMessageType, type PyramidFrame } from './framing.js';
import { PYRAMID_INTER_BYTE_GAP_MS, PYRAMID_PROTOCOL, createPyramidParser } from './parser.js';
import { decodeStatusReply, type PyramidStatus } from './status.js';

/** Identical resends of one message before the poll loop pauses and tries again. */
export const ATTEMPTS_PER_MESSAGE = 4;

/** What a fresh answer to a poll or an extended request carries. */
export interface Reply {
  readonly status: PyramidStatus;
  readonly subtype?: number;
  readonly barcode?: string;
}

const FRAME_NAMES: Readonly<Record<number, string>> = {
  [PyramidMessageType.hostPoll]: 'poll',
  [PyramidMessageType.statusReply]: 'status',
  [PyramidMessageType.auxiliary]: 'auxiliary',
  [PyramidMessageType.extended]: 'extended',
};

/** A status or extended reply, or why the frame does not answer a poll. */
export function decodeReply(frame: PyramidFrame): Reply | string {
  if (frame.messageType === PyramidMessageType.statusReply) {
    const s = decodeStatusReply(frame);
    return s._tag === 'Right' ? { status: s.right } : s.left.message;
  }
  if (frame.messageType === PyramidMessageType.extended) {
    const x = decodeExtendedReply(frame);
    if (x._tag === 'Left') return x.left.message;
    const { detail } = x.right;
    return {
      status: x.right.status,
      subtype: x.right.subtype,
      ...(detail.kind === 'barcode' && { barcode: detail.barcode }),
    };
  }
  return `message type ${frame.messageType} does not answer a poll`;
}

export interface WireHooks {
  readonly scheduler: SchedulerLike;
  readonly replyTimeoutMs: number;
  readonly diagnostic: (d: Diagnostic) => void;
  readonly trace: (t: FrameTrace) => void;
  /** The transport's data ended (error or completion): the device cannot go on. */
  readonly lost: (e: Error) => void;
}

const details = (type: number): { name?: string } => {
  const name = FRAME_NAMES[type];
  return name ? { name } : {};
};

/** The one request queue every message of the device goes through. */
export function createPyramidWire(transport: Transport, hooks: WireHooks): RequestQueue<PyramidFrame> {
  const { scheduler } = hooks;
  const frames$ = transport.data$.pipe(
    deframe(createPyramidParser, { interByteGapMs: PYRAMID_INTER_BYTE_GAP_MS, scheduler }),
    tap({
      error: (e: unknown) => hooks.lost(e instanceof Error ? e : new TransportError(String(e))),
      complete: () => hooks.lost(new TransportError(`The line to ${transport.description} closed.`)),
    }),
    filter((out) => {
      if (out.type === 'frame') return true;
      hooks.diagnostic(out.diagnostic);
      return false;
    }),
    map((out) => {
      if (out.type !== 'frame') throw new Error('unreachable');
      hooks.trace(traceRecord(scheduler, 'rx', PYRAMID_PROTOCOL, out.raw, details(out.frame.messageType)));
      return out.frame;
    }),
  );
  return createRequestQueue<PyramidFrame>(
    {
      frames$,
      write: (bytes) =>
        defer(() => {
          hooks.trace(traceRecord(scheduler, 'tx', PYRAMID_PROTOCOL, bytes, details((bytes[2] ?? 0) >> 4)));
          return transport.write(bytes);
        }),
    },
    { timeoutMs: hooks.replyTimeoutMs, attempts: ATTEMPTS_PER_MESSAGE, scheduler },
  );
}
