/**
 * The ccTalk bus: one line, many devices by address, one request in flight
 * (all devices share one request queue, because they share one wire).
 *
 * - The line is a Transport (losing it closes the bus) or an opener
 *   (`Observable<Transport>`), which is opened on first use and reopened with
 *   back-off after a loss; `line$` tells devices when to re-sync (see line.ts).
 * - Checksum mode per address (8-bit and CRC-16 devices can share a bus).
 * - Echo: the first frame after a send is compared with what was sent; only a
 *   byte-identical copy is stripped. A missing echo on a line that has been
 *   echoing, or a corrupted one, is reported on `diagnostics$`.
 * - Replies: to the host, from the addressed device (8-bit mode), header 0.
 *   NAK fails the request with a {@link DeviceError} (a refused action, never
 *   resent); BUSY resends the same bytes; silence times out and resends.
 * - Address poll (253) answers are raw single bytes, not frames; they are
 *   collected from the line during the poll window.
 *
 * This file wires the line, the shared queue and the streams; the request
 * path (echo, NAK/BUSY, decoding) is in bus-exchange.ts, the address poll in
 * bus-address-poll.ts, the public types in bus-types.ts.
 */
import { BehaviorSubject, Subject, asyncScheduler, distinctUntilChanged, filter, map, tap } from 'rxjs';
import type { Diagnostic } from '../../core/diagnostics.js';
import { deframe } from '../../operators/deframe.js';
import { type ExchangeEvent, type RequestQueue, createRequestQueue } from '../../operators/exchange.js';
import type { FrameTrace } from '../../operators/trace.js';
import { createAddressPoll } from './bus-address-poll.js';
import {
  type BusExchangeDeps,
  type LinkState,
  checkAddress,
  createBusRequests,
  createExchangeTap,
} from './bus-exchange.js';
import {
  CCTALK_INTER_BYTE_GAP_MS,
  type CcTalkBus,
  type CcTalkBusOptions,
  type CcTalkReply,
  type Wire,
} from './bus-types.js';
import type { ChecksumMode } from './checksum.js';
import { createEchoState } from './echo.js';
import { type CcTalkBusTarget, type LineIo, createCcTalkLine, resolveReconnect } from './line.js';
import { checkLimit } from './link-policy.js';
import { createCcTalkParser } from './parser.js';

export {
  CCTALK_INTER_BYTE_GAP_MS,
  CCTALK_LINE_SETTINGS,
  type CcTalkBus,
  type CcTalkBusOptions,
  type CcTalkReply,
  type RawRequestOptions,
  REPLY_HEADER,
} from './bus-types.js';

/**
 * Create a bus on `target`: a Transport (used as is; its loss closes the bus)
 * or an opener `Observable<Transport>` (opened on first use, reopened after a
 * loss with back-off, closed on dispose).
 *
 * @throws OptionRangeError / InvalidArgumentError for options out of range.
 */
export function createCcTalkBus(target: CcTalkBusTarget, options: CcTalkBusOptions = {}): CcTalkBus {
  const scheduler = options.scheduler ?? asyncScheduler;
  const timeoutMs = checkLimit('replyTimeoutMs', options.replyTimeoutMs);
  const attempts = checkLimit('attempts', options.attempts, '');
  const reconnect = resolveReconnect(target, options.reconnect);
  const defaultMode: ChecksumMode = options.checksum ?? 'simple';
  const modes = new Map<number, ChecksumMode>(
    Object.entries(options.checksumByAddress ?? {}).map(([a, m]) => [Number(a), m]),
  );
  const modeOf = (address: number): ChecksumMode => modes.get(address) ?? defaultMode;

  const diagnostics = new Subject<Diagnostic>();
  const trace = new Subject<FrameTrace>();
  /** Every generation's queue events, for link statistics across reopened lines. */
  const exchange = new Subject<ExchangeEvent>();
  const busy = new BehaviorSubject<boolean>(false);
  const echoPolicy = options.echo ?? 'auto';
  const link: LinkState = {
    echo: createEchoState(echoPolicy),
    /** While an address poll collects raw bytes, the frame parser's complaints are expected noise. */
    rawWindow: false,
  };
  const deps: BusExchangeDeps = { scheduler, link, diagnostics, trace, modeOf };
  const onExchange = createExchangeTap(deps);

  /** A fresh parser, queue and echo state per opened transport: nothing half-read crosses a reconnect. */
  const attach = (io: LineIo): Wire => {
    link.echo = createEchoState(echoPolicy);
    link.rawWindow = false;
    const frames$ = io.data$.pipe(
      deframe(() => createCcTalkParser({ mode: modeOf }), {
        interByteGapMs: CCTALK_INTER_BYTE_GAP_MS,
        scheduler,
      }),
      tap((out) => {
        if (out.type === 'diagnostic' && !link.rawWindow) diagnostics.next(out.diagnostic);
      }),
      filter((out) => out.type === 'frame'),
      map((out): CcTalkReply => ({ frame: out.frame, raw: out.raw })),
    );
    const queue = createRequestQueue<CcTalkReply>(
      { write: (b) => io.write(b), frames$ },
      { timeoutMs, attempts, scheduler },
    );
    const taps = queue.events$.subscribe((e) => {
      onExchange(e);
      exchange.next(e);
    });
    taps.add(queue.busy$.subscribe((b) => busy.next(b)));
    return { queue, data$: io.data$, taps };
  };

  const line = createCcTalkLine<Wire>(target, {
    scheduler,
    reconnect,
    ...(options.description !== undefined && { description: options.description }),
    attach,
    detach: (wire) => {
      wire.taps.unsubscribe();
      wire.queue.dispose();
      busy.next(false);
    },
  });

  const closeStreams = (): void => {
    busy.complete();
    exchange.complete();
    diagnostics.complete();
    trace.complete();
  };
  // A lost Transport closes the bus for good: pollers see busy$ complete, as before.
  line.state$.subscribe({ complete: closeStreams });

  const queue: RequestQueue<CcTalkReply> = {
    send: (request) => line.use((wire) => wire.queue.send(request)),
    busy$: busy.pipe(distinctUntilChanged()),
    get pending() {
      return line.current()?.queue.pending ?? 0;
    },
    events$: exchange.asObservable(),
    dispose: () => line.dispose(),
  };

  const { request, requestRaw } = createBusRequests(deps, queue);
  const addressPoll = createAddressPoll(line, link, defaultMode);

  return {
    request,
    requestRaw,
    addressPoll,
    checksumOf: modeOf,
    setChecksum: (address, mode) => {
      checkAddress(address);
      modes.set(address, mode);
    },
    queue,
    line$: line.state$,
    reconnects: line.reconnects,
    open: () => line.open(),
    diagnostics$: diagnostics.asObservable(),
    trace$: trace.asObservable(),
    get description() {
      return line.description;
    },
    dispose: () => line.dispose(),
  };
}
