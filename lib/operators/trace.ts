/**
 * Frame trace records: one per frame on the wire, the data behind `trace$`
 * and the JSONL fixture format. Plain data so they serialize as they are.
 */
import type { SchedulerLike } from 'rxjs';
import { toHex } from '../core/bytes.js';
import { logger, type Logger } from '../core/log.js';

/**
 * One `cashwire:<protocol>:frame` debug namespace per protocol, made on first
 * use. A driver that builds trace records only while someone reads them keeps
 * this logger at hand: while it is enabled the records are built for the log.
 */
const frameLoggers = new Map<string, Logger>();
export function frameLogger(protocol: string): Logger {
  let log = frameLoggers.get(protocol);
  if (log === undefined) {
    log = logger(`${protocol}:frame`);
    frameLoggers.set(protocol, log);
  }
  return log;
}

export interface FrameTrace {
  /** `scheduler.now()` when the frame was sent or received. */
  readonly time: number;
  readonly direction: 'tx' | 'rx';
  readonly protocol: string;
  readonly address?: number;
  /** The bytes exactly as on the wire. */
  readonly hex: string;
  /** Command or event name, when known. */
  readonly name?: string;
  readonly note?: string;
  /** Decrypted bytes; only filled when the user opted in (they may carry secrets). */
  readonly plainHex?: string;
}

export interface TraceDetails {
  readonly address?: number;
  readonly name?: string;
  readonly note?: string;
  readonly plain?: Uint8Array;
}

/** Build a {@link FrameTrace}, leaving out absent details (exact optional properties). */
export function traceRecord(
  scheduler: Pick<SchedulerLike, 'now'>,
  direction: 'tx' | 'rx',
  protocol: string,
  bytes: Uint8Array,
  details: TraceDetails = {},
): FrameTrace {
  const log = frameLogger(protocol);
  if (log.enabled) {
    // Raw frames with a direction arrow; decrypted bytes are never logged.
    const where = details.address === undefined ? '' : ` @${details.address}`;
    const what = [details.name, details.note].filter((x) => x !== undefined).join(' ');
    log('%s%s %s%s', direction === 'tx' ? '->' : '<-', where, toHex(bytes), what ? `  ${what}` : '');
  }
  return {
    time: scheduler.now(),
    direction,
    protocol,
    hex: toHex(bytes),
    ...(details.address !== undefined && { address: details.address }),
    ...(details.name !== undefined && { name: details.name }),
    ...(details.note !== undefined && { note: details.note }),
    ...(details.plain !== undefined && { plainHex: toHex(details.plain) }),
  };
}
