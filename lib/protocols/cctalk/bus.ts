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
 */
import {
  BehaviorSubject,
  type Observable,
  type SchedulerLike,
  Subject,
  type Subscription,
  asyncScheduler,
  catchError,
  defer,
  distinctUntilChanged,
  filter,
  finalize,
  map,
  of,
  tap,
  throwError,
} from 'rxjs';
import { bytesEqual, toHex } from '../../core/bytes.js';
import type { Diagnostic } from '../../core/diagnostics.js';
import { CommandTimeoutError, DeviceError, InvalidArgumentError } from '../../core/errors.js';
import { deframe } from '../../operators/deframe.js';
import {
  type ExchangeEvent,
  type MatchResult,
  type RequestQueue,
  createRequestQueue,
} from '../../operators/exchange.js';
import { type FrameTrace, traceRecord } from '../../operators/trace.js';
import type { LineSettings } from '../../transport/transport.js';
import { type ChecksumMode, checksumValid } from './checksum.js';
import { type EchoPolicy, createEchoState, echoReceived, echoSent, echoTimedOut } from './echo.js';
import { BROADCAST_ADDRESS, type CcTalkFrame, HOST_ADDRESS, encodeFrame, frameFields } from './framing.js';
import {
  type ArgsParam,
  type HeaderName,
  type ReplyOf,
  decodeReplyOf,
  encodeRequest,
  headerByNumber,
} from './headers.js';
import {
  type CcTalkBusTarget,
  type CcTalkLineState,
  type CcTalkReconnectOptions,
  type LineIo,
  createCcTalkLine,
  resolveReconnect,
} from './line.js';
import { HEADER_POLICY, checkLimit } from './link-policy.js';
import { createCcTalkParser } from './parser.js';

export const CCTALK_LINE_SETTINGS: LineSettings = {
  baudRate: 9600,
  dataBits: 8,
  parity: 'none',
  stopBits: 1,
};
/** Receivers reset a partial frame after this much silence between bytes. */
export const CCTALK_INTER_BYTE_GAP_MS = 50;

export const REPLY_HEADER = { ack: 0, nak: 5, busy: 6 } as const;

export interface CcTalkBusOptions {
  /** Checksum mode of addresses not in `checksumByAddress`. Default 'simple'. */
  readonly checksum?: ChecksumMode;
  readonly checksumByAddress?: Readonly<Record<number, ChecksumMode>>;
  /** Default 'auto': learn from the first exchange whether the line echoes. */
  readonly echo?: EchoPolicy;
  /** Reply timeout per attempt for fast commands, ms. 20..5000, default 300. */
  readonly replyTimeoutMs?: number;
  /** Attempts per request (first send + resends). 1..10, default 4. */
  readonly attempts?: number;
  /**
   * Back-off between reopen attempts after the line is lost. Only with an
   * opener target (a Transport cannot be reopened: passing this with one is an
   * InvalidArgumentError). Defaults: 500 ms doubling up to 10 s.
   */
  readonly reconnect?: CcTalkReconnectOptions;
  /** How to name the line before an opener has opened it (then the transport's own description is used). */
  readonly description?: string;
  readonly scheduler?: SchedulerLike;
}

export interface RawRequestOptions {
  readonly timeoutMs?: number;
  readonly attempts?: number;
  /** Name for traces and errors (defaults to the table name or `header N`). */
  readonly label?: string;
}

export interface CcTalkReply {
  readonly frame: CcTalkFrame;
  readonly raw: Uint8Array;
}

export interface CcTalkBus {
  /**
   * Cold: validates the arguments (a bad argument or unknown name errors with
   * nothing written), sends, and emits the decoded reply once.
   */
  request<K extends HeaderName>(address: number, name: K, ...args: ArgsParam<K>): Observable<ReplyOf<K>>;
  /** Any header (vendor ones too); emits the reply frame. */
  requestRaw(
    address: number,
    header: number,
    data?: Uint8Array,
    options?: RawRequestOptions,
  ): Observable<CcTalkReply>;
  /**
   * Broadcast an address poll (253) and collect the raw address bytes that
   * come back within the window. Emits the addresses (sorted, duplicates kept
   * once) and completes.
   */
  addressPoll(options?: { readonly mode?: ChecksumMode; readonly windowMs?: number }): Observable<number[]>;
  checksumOf(address: number): ChecksumMode;
  setChecksum(address: number, mode: ChecksumMode): void;
  /**
   * The shared request queue (for pollers: `pollWhileIdle(bus.queue, …)`). It
   * outlives reopened lines: while the line is down, sends fail at once with a
   * TransportError and `busy$` stays false; it completes when the bus closes.
   */
  readonly queue: RequestQueue<CcTalkReply>;
  /**
   * The line's life (replays the current state): 'idle' (opener not used yet),
   * 'opening', 'open', 'down' (lost, reopening after `retryInMs`), 'closed'
   * (disposed, or a Transport target lost). Completes when closed.
   */
  readonly line$: Observable<CcTalkLineState>;
  /** True when the bus runs on an opener, so a lost line is reopened. */
  readonly reconnects: boolean;
  /** Open an idle opener now (the first request does it too). No-op otherwise. */
  open(): void;
  /** Link diagnostics: checksum errors, resyncs, echo faults. */
  readonly diagnostics$: Observable<Diagnostic>;
  /** Every frame on the wire, both directions (echoes are not traced twice). */
  readonly trace$: Observable<FrameTrace>;
  /** The transport's description (or the `description` option before an opener has opened one). */
  readonly description: string;
  /** Ends every request, stops reopening, closes the line if the bus opened it (a given Transport is left to its owner). */
  dispose(): void;
}

/** What lives on one opened transport. */
interface Wire {
  readonly queue: RequestQueue<CcTalkReply>;
  readonly data$: Observable<Uint8Array>;
  readonly taps: Subscription;
}

function checkAddress(address: number): number {
  if (!Number.isInteger(address) || address < 0 || address > 255 || address === HOST_ADDRESS) {
    throw new InvalidArgumentError(
      `ccTalk device address must be an integer 0 or 2..255 (1 is the host), got ${String(address)}.`,
      { address },
    );
  }
  return address;
}

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
  let echo = createEchoState(echoPolicy);
  /** While an address poll collects raw bytes, the frame parser's complaints are expected noise. */
  let rawWindow = false;

  const onExchange = (e: ExchangeEvent): void => {
    if (e.type === 'attempt') {
      echo = echoSent(echo, e.bytes);
      trace.next(
        traceRecord(scheduler, 'tx', 'cctalk', e.bytes, {
          address: e.bytes[0]!,
          name: e.label,
          ...(e.attempt > 1 && { note: `attempt ${e.attempt}` }),
        }),
      );
    } else if (e.type === 'timeout') {
      if (rawWindow) return; // an address poll ends by timing out; its echo is handled there
      const step = echoTimedOut(echo);
      echo = step.state;
      if (step.diagnostic) diagnostics.next(step.diagnostic);
    } else if (e.type === 'unsolicited') {
      const { raw } = e.frame as CcTalkReply;
      trace.next(traceRecord(scheduler, 'rx', 'cctalk', raw, { note: 'unsolicited' }));
    }
  };

  /** A fresh parser, queue and echo state per opened transport: nothing half-read crosses a reconnect. */
  const attach = (io: LineIo): Wire => {
    echo = createEchoState(echoPolicy);
    rawWindow = false;
    const frames$ = io.data$.pipe(
      deframe(() => createCcTalkParser({ mode: modeOf }), {
        interByteGapMs: CCTALK_INTER_BYTE_GAP_MS,
        scheduler,
      }),
      tap((out) => {
        if (out.type === 'diagnostic' && !rawWindow) diagnostics.next(out.diagnostic);
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

  /** Match a frame against the request in flight to `address`. */
  const matcher =
    <R>(address: number, label: string, decode: (reply: CcTalkReply) => MatchResult<R>) =>
    (reply: CcTalkReply): MatchResult<R> => {
      const step = echoReceived(echo, reply.raw);
      echo = step.state;
      if (step.diagnostic) diagnostics.next(step.diagnostic);
      if (step.kind === 'echo') return { kind: 'ignore' };
      if (step.kind === 'mismatch') return { kind: 'retry', reason: 'corrupted echo' };
      trace.next(traceRecord(scheduler, 'rx', 'cctalk', reply.raw, { address, name: label }));
      if (reply.frame.destination !== HOST_ADDRESS) return { kind: 'ignore' };
      const mode = modeOf(address);
      let frame = reply.frame;
      if (mode === 'crc16') {
        if (!checksumValid(reply.raw, 'crc16')) return { kind: 'ignore' };
        frame = frameFields(reply.raw, 'crc16');
      } else if (address !== BROADCAST_ADDRESS && frame.source !== address) {
        return { kind: 'ignore' };
      }
      if (frame.header === REPLY_HEADER.busy) return { kind: 'retry', reason: 'BUSY' };
      if (frame.header === REPLY_HEADER.nak) {
        return {
          kind: 'fail',
          error: new DeviceError(label, 'NAK', `Device ${address} refused ${label} (NAK).`, { address }),
        };
      }
      if (frame.header !== REPLY_HEADER.ack) return { kind: 'ignore' };
      return decode({ frame, raw: reply.raw });
    };

  const sendFrame = <R>(
    address: number,
    header: number,
    data: Uint8Array,
    label: string,
    decode: (reply: CcTalkReply) => MatchResult<R>,
    overrides: RawRequestOptions = {},
  ): Observable<R> => {
    const bytes = encodeFrame({ destination: address, header, data }, modeOf(address));
    const policy = HEADER_POLICY[header] ?? {};
    const t = overrides.timeoutMs ?? policy.timeoutMs;
    const n = overrides.attempts ?? policy.attempts;
    return queue.send({
      label,
      bytes,
      match: matcher(address, label, decode),
      ...(t !== undefined && { timeoutMs: t }),
      ...(n !== undefined && { attempts: n }),
    });
  };

  const request = <K extends HeaderName>(
    address: number,
    name: K,
    ...args: ArgsParam<K>
  ): Observable<ReplyOf<K>> =>
    defer(() => {
      checkAddress(address);
      const { header, data } = encodeRequest(name, ...args);
      return sendFrame(address, header, data, name, (reply): MatchResult<ReplyOf<K>> => {
        const decoded = decodeReplyOf(name, reply.frame.data);
        if (decoded._tag === 'Right') return { kind: 'accept', value: decoded.right };
        diagnostics.next({
          kind: 'decode',
          protocol: 'cctalk',
          message: decoded.left.message,
          hex: toHex(reply.raw),
          info: { address, command: name },
        });
        return { kind: 'fail', error: decoded.left };
      });
    });

  const requestRaw = (
    address: number,
    header: number,
    data: Uint8Array = new Uint8Array(0),
    opts: RawRequestOptions = {},
  ): Observable<CcTalkReply> =>
    defer(() => {
      checkAddress(address);
      const label = opts.label ?? headerByNumber(header)?.name ?? `header ${header}`;
      return sendFrame(address, header, data, label, (r) => ({ kind: 'accept', value: r }), opts);
    });

  const addressPoll = (
    opts: { readonly mode?: ChecksumMode; readonly windowMs?: number } = {},
  ): Observable<number[]> =>
    defer(() => {
      const windowMs = checkLimit('addressPollWindowMs', opts.windowMs);
      const mode = opts.mode ?? defaultMode;
      const bytes = encodeFrame({ destination: BROADCAST_ADDRESS, header: 253 }, mode);
      const seen: number[] = [];
      const done = (): number[] => {
        // Drop a byte-identical echo of the poll wherever it sits in the capture.
        let rest = seen;
        for (let i = 0; i + bytes.length <= rest.length; i++) {
          if (bytesEqual(Uint8Array.from(rest.slice(i, i + bytes.length)), bytes)) {
            rest = [...rest.slice(0, i), ...rest.slice(i + bytes.length)];
            break;
          }
        }
        return [...new Set(rest.filter((a) => a > HOST_ADDRESS))].sort((a, b) => a - b);
      };
      return line.use((wire) => {
        const rawSub = wire.data$.subscribe({ next: (chunk) => seen.push(...chunk), error: () => undefined });
        rawWindow = true;
        return wire.queue
          .send<never>({
            label: 'ADDRESS_POLL',
            bytes,
            match: () => ({ kind: 'ignore' }),
            timeoutMs: windowMs,
            attempts: 1,
          })
          .pipe(
            map(() => done()),
            catchError((e: unknown) => (e instanceof CommandTimeoutError ? of(done()) : throwError(() => e))),
            finalize(() => {
              rawSub.unsubscribe();
              rawWindow = false;
              echo = { ...echo, awaiting: undefined };
            }),
          );
      });
    });

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
