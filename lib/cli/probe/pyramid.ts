/**
 * Pyramid RS-232 probe and one-shot messages at 9600 7E1.
 *
 * The link has no addresses, only an ack bit the acceptor mirrors. A fresh
 * host cannot know which bit the acceptor saw last, and an acceptor that saw
 * the same bit again replays its previous reply instead of acting. So every
 * one-shot message goes out twice: once with ack 0 (a baseline whose answer
 * may be a replay), then with ack 1, whose answer is fresh.
 */
import { asyncScheduler, firstValueFrom } from 'rxjs';
import { CommandTimeoutError } from '../../core/errors.js';
import type { MatchResult } from '../../operators/exchange.js';
import { type Reply, createPyramidWire, decodeReply } from '../../protocols/pyramid/device-wire.js';
import {
  type AckBit,
  PYRAMID_LINE,
  type PyramidFrame,
  encodeHostPoll,
} from '../../protocols/pyramid/framing.js';
import { primaryState } from '../../protocols/pyramid/status.js';
import type { Transport } from '../../transport/transport.js';
import {
  type OpenAt,
  type ProbeFinding,
  type ProbeSettings,
  type ProtocolProbe,
  lineText,
  messageOf,
  withTransport,
} from './types.js';

/** S4 model codes of Pyramid units (fact sheet §5); EBDS units send an ASCII letter instead. */
const MODELS: readonly (readonly [from: number, to: number, name: string])[] = [
  [0, 2, 'Apex 5200/5400/5600 (US)'],
  [3, 5, 'Apex 5200/5400/5600 (foreign)'],
  [6, 7, 'Trilogy'],
  [8, 9, 'Aqua'],
  [10, 11, 'Phoenix'],
  [12, 12, 'Curve'],
  [13, 13, 'Pro2'],
  [16, 18, 'Apex 7200/7400/7600 (US)'],
  [19, 21, 'Apex 7200/7400/7600 (foreign)'],
  [22, 25, 'Spectra'],
];

/** A readable name for the S4 byte; the raw code is always kept beside it. */
export function pyramidModelName(code: number): string {
  const row = MODELS.find(([from, to]) => code >= from && code <= to);
  if (row) return row[2];
  if (code >= 0x41 && code <= 0x5a) return `EBDS model '${String.fromCharCode(code)}'`;
  return 'unknown model';
}

export interface PyramidExchangeOptions {
  readonly timeoutMs: number;
  /** Tries per message (identical bytes). */
  readonly attempts?: number;
}

/** Accept status and extended replies with the wanted ack (any ack for the baseline). */
function matcher(ack: AckBit | undefined) {
  return (frame: PyramidFrame): MatchResult<Reply> => {
    const reply = decodeReply(frame);
    if (typeof reply === 'string') return { kind: 'ignore' };
    if (ack !== undefined && frame.ack !== ack) return { kind: 'ignore' };
    return { kind: 'accept', value: reply };
  };
}

/**
 * Send `build(0)` then `build(1)` and resolve with the fresh reply to the
 * second. `expectReply: false` writes the second message only (soft reset:
 * the acceptor does not answer it).
 */
export async function pyramidExchange(
  transport: Transport,
  label: string,
  build: (ack: AckBit) => Uint8Array,
  options: PyramidExchangeOptions & { readonly expectReply?: boolean },
): Promise<Reply | undefined> {
  const queue = createPyramidWire(transport, {
    scheduler: asyncScheduler,
    replyTimeoutMs: options.timeoutMs,
    diagnostic: () => undefined,
    trace: () => undefined,
    lost: () => undefined,
  });
  const attempts = options.attempts ?? 2;
  try {
    if (options.expectReply === false) {
      await firstValueFrom(queue.send({ label, bytes: build(0), match: matcher(0), expectReply: false }), {
        defaultValue: undefined,
      });
      return undefined;
    }
    await firstValueFrom(queue.send({ label, bytes: build(0), match: matcher(undefined), attempts }));
    return await firstValueFrom(queue.send({ label, bytes: build(1), match: matcher(1), attempts }));
  } finally {
    queue.dispose();
  }
}

/** Everything a status reply says, as plain data for JSON and pretty output. */
export function describeReply(reply: Reply): Record<string, unknown> {
  const { status } = reply;
  const flags = Object.entries(status)
    .filter(([, v]) => v === true)
    .map(([k]) => k);
  return {
    state: primaryState(status),
    flags,
    noteIndex: status.noteIndex,
    model: status.model,
    modelName: pyramidModelName(status.model),
    revision: status.revision,
    ...(reply.subtype !== undefined && { subtype: reply.subtype }),
    ...(reply.barcode !== undefined && { barcode: reply.barcode }),
  };
}

export async function probePyramidOn(transport: Transport, settings: ProbeSettings): Promise<ProbeFinding[]> {
  settings.progress('Pyramid: poll with enable mask 0 (no bill accepted)');
  try {
    const reply = await pyramidExchange(transport, 'POLL', (ack) => encodeHostPoll({ ack, enableMask: 0 }), {
      timeoutMs: settings.timeoutMs,
    });
    if (reply === undefined) return [];
    const d = describeReply(reply);
    return [
      {
        protocol: 'pyramid',
        address: 0,
        unit: `${pyramidModelName(reply.status.model)} (model code ${reply.status.model})`,
        firmware: `revision ${reply.status.revision}`,
        details: { state: d['state'], flags: d['flags'] },
        warnings: [],
      },
    ];
  } catch (e) {
    if (e instanceof CommandTimeoutError) return [];
    throw e;
  }
}

export async function probePyramid(
  open: OpenAt,
  path: string,
  settings: ProbeSettings,
): Promise<ProtocolProbe> {
  const started = performance.now();
  const base = {
    protocol: 'pyramid',
    line: lineText(PYRAMID_LINE),
    tried: 'host poll with enable mask 0, ack 0 then ack 1',
  } as const;
  try {
    const found = await withTransport(open, path, PYRAMID_LINE, (t) => probePyramidOn(t, settings));
    return { ...base, found, elapsedMs: Math.round(performance.now() - started) };
  } catch (e) {
    return { ...base, found: [], error: messageOf(e), elapsedMs: Math.round(performance.now() - started) };
  }
}
