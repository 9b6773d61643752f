/**
 * One eSSP line: a deframer and a request queue shared by every slave
 * address on it. A validator at 0x00 and a SMART Hopper at 0x10 on the same
 * port must never talk at the same time, so all of their traffic goes
 * through this one queue; the sessions (session.ts) only decide what bytes
 * to send and how to read the answer.
 *
 * The bus also keeps the sequence-flag state of every address (link.ts) and
 * the line-level observability: one trace record per frame in and out, and
 * the deframer's diagnostics (junk, CRC errors, resyncs).
 */
import {
  type Observable,
  type SchedulerLike,
  Subject,
  asyncScheduler,
  defer,
  filter,
  map,
  share,
  tap,
} from 'rxjs';
import { toHex } from '../../core/bytes.js';
import type { Diagnostic } from '../../core/diagnostics.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { type RequestQueue, createRequestQueue } from '../../operators/exchange.js';
import { type FrameTrace, type TraceDetails, traceRecord } from '../../operators/trace.js';
import type { Transport } from '../../transport/transport.js';
import { ESSP_PROTOCOL, type EsspFrame } from './framing.js';
import {
  ESSP_DEFAULT_ATTEMPTS,
  ESSP_DEFAULT_TIMEOUT_MS,
  type EsspLinkState,
  createLinkState,
} from './link.js';
import { deframeEssp } from './parser.js';

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
  readonly queue: RequestQueue<EsspRx>;
  /** Sequence-flag state of every address (immutable value, replaced on each transition). */
  link: EsspLinkState;
  /** Describe the frame that is about to be written (name, decrypted bytes) for its trace record. */
  describeTx(wire: Uint8Array, details: TraceDetails): () => void;
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
  // Trace details for frames about to be written, by wire hex. Identical hex
  // means an identical frame (a resend), so one entry serves every attempt.
  const pendingTx = new Map<string, TraceDetails>();

  const frames$ = transport.data$.pipe(
    deframeEssp({ scheduler }),
    tap((out) => {
      if (out.type === 'diagnostic') diagnostics.next(out.diagnostic);
    }),
    filter((out) => out.type === 'frame'),
    map((out): EsspRx => ({ frame: out.frame, raw: out.raw })),
    share(),
  );

  const queue = createRequestQueue<EsspRx>(
    {
      frames$,
      write: (bytes) =>
        defer(() => {
          const details = pendingTx.get(toHex(bytes)) ?? {};
          trace.next(traceRecord(scheduler, 'tx', ESSP_PROTOCOL, bytes, details));
          return transport.write(bytes);
        }),
    },
    {
      timeoutMs: options.timeoutMs ?? ESSP_DEFAULT_TIMEOUT_MS,
      attempts: options.attempts ?? ESSP_DEFAULT_ATTEMPTS,
      scheduler,
    },
  );

  // Frames nobody waits for still appear in the trace.
  const unsolicited = queue.events$.subscribe((e) => {
    if (e.type !== 'unsolicited') return;
    const rx = e.frame as EsspRx;
    trace.next(
      traceRecord(scheduler, 'rx', ESSP_PROTOCOL, rx.raw, { address: rx.frame.address, note: 'unsolicited' }),
    );
  });

  const line: EsspLine = {
    scheduler,
    queue,
    link: createLinkState(),
    describeTx: (wire, details) => {
      const key = toHex(wire);
      pendingTx.set(key, details);
      return () => {
        if (pendingTx.get(key) === details) pendingTx.delete(key);
      };
    },
    traceRx: (rx, details) => trace.next(traceRecord(scheduler, 'rx', ESSP_PROTOCOL, rx.raw, details)),
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
      unsolicited.unsubscribe();
      pendingTx.clear();
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
