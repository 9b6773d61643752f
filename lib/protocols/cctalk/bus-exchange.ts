/**
 * ccTalk bus requests: encoding a request, matching frames against the
 * request in flight (echo stripped, NAK fails, BUSY resends), decoding the
 * reply, and tracing/echo bookkeeping of each attempt.
 *
 * Echo: the first frame after a send is compared with what was sent; only a
 * byte-identical copy is stripped. Replies: to the host, from the addressed
 * device (8-bit mode), header 0. NAK fails the request with a
 * {@link DeviceError} (a refused action, never resent); BUSY resends the same
 * bytes; silence times out and resends.
 */
import { type Observable, type SchedulerLike, type Subject, defer } from 'rxjs';
import { toHex } from '../../core/bytes.js';
import type { Diagnostic } from '../../core/diagnostics.js';
import { DeviceError, InvalidArgumentError } from '../../core/errors.js';
import type { ExchangeEvent, MatchResult, RequestQueue } from '../../operators/exchange.js';
import { type FrameTrace, traceRecord } from '../../operators/trace.js';
import { REPLY_HEADER, type CcTalkBus, type CcTalkReply, type RawRequestOptions } from './bus-types.js';
import { type ChecksumMode, checksumValid } from './checksum.js';
import { type EchoState, echoReceived, echoSent, echoTimedOut } from './echo.js';
import { BROADCAST_ADDRESS, HOST_ADDRESS, encodeFrame, frameFields } from './framing.js';
import {
  type ArgsParam,
  type HeaderName,
  type ReplyOf,
  decodeReplyOf,
  encodeRequest,
  headerByNumber,
} from './headers.js';
import { HEADER_POLICY } from './link-policy.js';

/** The bus's per-line state, shared by the request path, the address poll and the line wiring. */
export interface LinkState {
  echo: EchoState;
  /** While an address poll collects raw bytes, the frame parser's complaints are expected noise. */
  rawWindow: boolean;
}

export interface BusExchangeDeps {
  readonly scheduler: SchedulerLike;
  readonly link: LinkState;
  readonly diagnostics: Subject<Diagnostic>;
  readonly trace: Subject<FrameTrace>;
  readonly modeOf: (address: number) => ChecksumMode;
}

export function checkAddress(address: number): number {
  if (!Number.isInteger(address) || address < 0 || address > 255 || address === HOST_ADDRESS) {
    throw new InvalidArgumentError(
      `ccTalk device address must be an integer 0 or 2..255 (1 is the host), got ${String(address)}.`,
      { address },
    );
  }
  return address;
}

/** Echo and trace bookkeeping for each queue event (attempt, timeout, unsolicited frame). */
export function createExchangeTap(deps: BusExchangeDeps): (e: ExchangeEvent) => void {
  const { scheduler, link, diagnostics, trace } = deps;
  return (e) => {
    if (e.type === 'attempt') {
      link.echo = echoSent(link.echo, e.bytes);
      trace.next(
        traceRecord(scheduler, 'tx', 'cctalk', e.bytes, {
          address: e.bytes[0]!,
          name: e.label,
          ...(e.attempt > 1 && { note: `attempt ${e.attempt}` }),
        }),
      );
    } else if (e.type === 'timeout') {
      if (link.rawWindow) return; // an address poll ends by timing out; its echo is handled there
      const step = echoTimedOut(link.echo);
      link.echo = step.state;
      if (step.diagnostic) diagnostics.next(step.diagnostic);
    } else if (e.type === 'unsolicited') {
      const { raw } = e.frame as CcTalkReply;
      trace.next(traceRecord(scheduler, 'rx', 'cctalk', raw, { note: 'unsolicited' }));
    }
  };
}

/** `request` and `requestRaw` of the bus, sent through `queue`. */
export function createBusRequests(
  deps: BusExchangeDeps,
  queue: RequestQueue<CcTalkReply>,
): Pick<CcTalkBus, 'request' | 'requestRaw'> {
  const { scheduler, link, diagnostics, trace, modeOf } = deps;

  /** Match a frame against the request in flight to `address`. */
  const matcher =
    <R>(address: number, label: string, decode: (reply: CcTalkReply) => MatchResult<R>) =>
    (reply: CcTalkReply): MatchResult<R> => {
      const step = echoReceived(link.echo, reply.raw);
      link.echo = step.state;
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

  return { request, requestRaw };
}
