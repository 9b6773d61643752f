/**
 * One eSSP line: a deframer and a request queue shared by every slave
 * address on it. A validator at 0x00 and a SMART Hopper at 0x10 on the same
 * port must never talk at the same time, so all of their traffic goes
 * through this one queue; the sessions (session.ts) only decide what bytes
 * to send and how to read the answer.
 *
 * The bus also keeps the sequence-flag state of every address (link.ts) and
 * the line-level observability: one trace record per frame in and out (built
 * only while trace$ has a subscriber or the frame log is on), and the
 * deframer's diagnostics (junk, CRC errors, resyncs).
 */
import { Observable, type SchedulerLike, Subject, asyncScheduler } from 'rxjs';
import type { Diagnostic } from '../../core/diagnostics.js';
import { InvalidArgumentError } from '../../core/errors.js';
import {
  type DirectRequestQueue,
  type Request,
  type RequestQueue,
  createRequestQueue,
} from '../../operators/exchange.js';
import { type FrameTrace, type TraceDetails, frameLogger, traceRecord } from '../../operators/trace.js';
import type { Transport } from '../../transport/transport.js';
import { ESSP_PROTOCOL, type EsspFrame } from './framing.js';
import {
  ESSP_DEFAULT_ATTEMPTS,
  ESSP_DEFAULT_TIMEOUT_MS,
  type EsspLinkState,
  createLinkState,
} from './link.js';
import { deframeEssp } from './parser.js';

/** A request on an eSSP line; `describe` names its frame in the trace record of each attempt. */
export interface EsspRequest<R> extends Request<EsspRx, R> {
  describe?(): TraceDetails;
}

/** A received frame with the exact wire bytes it came from. */
export interface EsspRx {
  readonly frame: EsspFrame;
  readonly raw: Uint8Array;
}

export interface EsspBusOptions {
  /** Reply timeout per attempt, ms (10..60000). Default 1000 (ITL's host SDK). */
  readonly timeoutMs?: number;
  /** Attempts per command before CommandTimeoutError (1..100). Default 20 (the manual's limit). */
  readonly attempts?: number;
  readonly scheduler?: SchedulerLike;
}

/** What the sessions share through the bus. Not meant for application code. */
export interface EsspLine {
  readonly scheduler: SchedulerLike;
  readonly queue: DirectRequestQueue<EsspRx>;
  /** Sequence-flag state of every address (immutable value, replaced on each transition). */
  link: EsspLinkState;
  /** True while trace records are wanted (a trace$ subscriber, or the frame log): skip building details otherwise. */
  readonly tracing: boolean;
  /** Record a received frame (nothing is built while nobody traces). */
  traceRx(rx: EsspRx, details: TraceDetails): void;
  diagnose(d: Diagnostic): void;
}

export interface EsspBusCore {
  /** Shared request queue: its `busy$` is what a poller waits on. */
  readonly queue: RequestQueue<EsspRx>;
  /** Every frame on the line, both directions, all addresses. */
  readonly trace$: Observable<FrameTrace>;
  /** Line diagnostics (junk, CRC, resync) and per-address ones (stale replies, decrypt failures). */
  readonly diagnostics$: Observable<Diagnostic>;
  readonly scheduler: SchedulerLike;
  /** @internal shared state for sessions. */
  readonly line: EsspLine;
  /** Errors pending commands with DisposedError, stops reading. Does not close the transport. */
  dispose(): void;
}

/** Build the shared part of a bus; `createEsspBus` (session.ts) adds sessions on top. */
export function createBusCore(transport: Transport, options: EsspBusOptions = {}): EsspBusCore {
  const scheduler = options.scheduler ?? asyncScheduler;
  const trace = new Subject<FrameTrace>();
  const diagnostics = new Subject<Diagnostic>();
  // Trace records (hex strings, objects) are built only while someone reads
  // trace$ or the frame log is on: a device polled for months writes
  // millions of frames nobody looks at.
  const frameLog = frameLogger(ESSP_PROTOCOL);
  const tracing = (): boolean => trace.observed || frameLog.enabled;

  // One subscriber (the request queue): deframe, report line diagnostics, pass frames on.
  const frames$ = new Observable<EsspRx>((subscriber) =>
    transport.data$.pipe(deframeEssp({ scheduler })).subscribe({
      next: (out) => {
        if (out.type === 'frame') subscriber.next({ frame: out.frame, raw: out.raw });
        else diagnostics.next(out.diagnostic);
      },
      error: (e: unknown) => subscriber.error(e),
      complete: () => subscriber.complete(),
    }),
  );

  const queue = createRequestQueue<EsspRx>(
    {
      frames$,
      write: (bytes) => transport.write(bytes),
      // One record per attempt, a resend included; a session's command names its frame.
      beforeWrite: (request, bytes) => {
        if (!line.tracing) return;
        const details = (request as EsspRequest<unknown>).describe?.() ?? {};
        trace.next(traceRecord(scheduler, 'tx', ESSP_PROTOCOL, bytes, details));
      },
      // Frames nobody waits for still appear in the trace.
      unsolicited: (rx) => {
        if (!tracing()) return;
        trace.next(
          traceRecord(scheduler, 'rx', ESSP_PROTOCOL, rx.raw, {
            address: rx.frame.address,
            note: 'unsolicited',
          }),
        );
      },
    },
    {
      timeoutMs: options.timeoutMs ?? ESSP_DEFAULT_TIMEOUT_MS,
      attempts: options.attempts ?? ESSP_DEFAULT_ATTEMPTS,
      scheduler,
    },
  );

  const line: EsspLine = {
    scheduler,
    queue,
    link: createLinkState(),
    get tracing() {
      return tracing();
    },
    traceRx: (rx, details) => {
      if (tracing()) trace.next(traceRecord(scheduler, 'rx', ESSP_PROTOCOL, rx.raw, details));
    },
    diagnose: (d) => diagnostics.next(d),
  };

  let disposed = false;
  return {
    queue,
    scheduler,
    line,
    trace$: trace.asObservable(),
    diagnostics$: diagnostics.asObservable(),
    dispose: () => {
      if (disposed) return;
      disposed = true;
      queue.dispose();
      trace.complete();
      diagnostics.complete();
    },
  };
}

/** Throws InvalidArgumentError when `address` already has an open session. */
export function assertAddressFree(open: ReadonlySet<number>, address: number): void {
  if (open.has(address)) {
    throw new InvalidArgumentError(
      `A session for eSSP address 0x${address.toString(16).padStart(2, '0')} is already open on this bus; ` +
        'dispose it first or share it.',
      { address },
    );
  }
}
