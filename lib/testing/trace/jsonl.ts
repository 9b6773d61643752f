/**
 * The JSONL trace format: one {@link FrameTrace} per line, as a device's
 * `trace$` emits it. The same file is a field log and a replay fixture.
 *
 * Only the known record fields are written, in a fixed order, so a record
 * carrying anything else (a future field, an object from user code) cannot
 * leak it into a file. `plainHex` is present only when the device was created
 * with its decrypted-trace opt-in; keys are never part of a record.
 */
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { type Observable, type Subscription, map } from 'rxjs';
import type { FrameTrace } from '../../operators/trace.js';
import { TraceFormatError } from './errors.js';

/** A record read from a trace file, with the 1-based line it came from (used in replay errors). */
export interface TraceLine extends FrameTrace {
  readonly line: number;
}

/** Where {@link recordTrace} writes: a function or anything with `write(string)` (a file or stdout stream). */
export type TraceSink = ((line: string) => void) | { write(chunk: string): unknown };

const HEX_RE = /^(?:[0-9A-Fa-f]{2}(?: [0-9A-Fa-f]{2})*)?$/;

const Hex = new t.Type<string, string, unknown>(
  'Hex',
  (u): u is string => typeof u === 'string' && HEX_RE.test(u),
  (u, c) =>
    typeof u === 'string' && HEX_RE.test(u) ? t.success(u) : t.failure(u, c, 'space-separated hex bytes'),
  t.identity,
);

const Byte = t.refinement(t.number, (n) => Number.isInteger(n) && n >= 0 && n <= 255, 'address 0..255');

const FrameTraceCodec = t.intersection([
  t.type({
    time: t.number,
    direction: t.union([t.literal('tx'), t.literal('rx')]),
    protocol: t.string,
    hex: Hex,
  }),
  t.partial({ address: Byte, name: t.string, note: t.string, plainHex: Hex }),
]);

/** One record as one JSON line (no newline), fields in a fixed order. */
export function traceToJsonLine(record: FrameTrace): string {
  const out: Record<string, unknown> = {
    time: record.time,
    direction: record.direction,
    protocol: record.protocol,
  };
  if (record.address !== undefined) out['address'] = record.address;
  out['hex'] = record.hex;
  if (record.name !== undefined) out['name'] = record.name;
  if (record.note !== undefined) out['note'] = record.note;
  if (record.plainHex !== undefined) out['plainHex'] = record.plainHex;
  return JSON.stringify(out);
}

/** Each record of `trace$` as one JSON line (without the newline). Completes and errors with `trace$`. */
export function traceToJsonLines(trace$: Observable<FrameTrace>): Observable<string> {
  return trace$.pipe(map(traceToJsonLine));
}

/**
 * Write every record of `trace$` to `sink` as a line ending in `\n`. Returns the
 * subscription: unsubscribe (or let `trace$` complete, e.g. on dispose) to stop.
 */
export function recordTrace(trace$: Observable<FrameTrace>, sink: TraceSink): Subscription {
  const write = typeof sink === 'function' ? sink : (line: string) => void sink.write(line);
  return traceToJsonLines(trace$).subscribe((line) => write(`${line}\n`));
}

function describeFailure(errors: t.Errors): string {
  const first = errors[0];
  if (!first) return 'invalid record';
  const path = first.context
    .map((c) => c.key)
    .filter((k) => k !== '' && !/^\d+$/.test(k))
    .join('.');
  const expected = first.message ?? first.context.at(-1)?.type.name ?? 'a valid value';
  return `field '${path || '(record)'}' must be ${expected}, got ${JSON.stringify(first.value) ?? 'nothing'}`;
}

/**
 * Parse a JSONL trace: the whole text or its lines. Blank lines and lines
 * starting with `#` (comments) are skipped. Throws {@link TraceFormatError}
 * naming the first bad line.
 */
export function parseTraceLines(input: string | Iterable<string>): TraceLine[] {
  const lines = typeof input === 'string' ? input.split(/\r?\n/) : input;
  const out: TraceLine[] = [];
  let n = 0;
  for (const raw of lines) {
    n += 1;
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new TraceFormatError(n, `not JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new TraceFormatError(n, 'expected a JSON object');
    }
    const decoded = FrameTraceCodec.decode(value);
    if (isLeft(decoded)) throw new TraceFormatError(n, describeFailure(decoded.left));
    const r = decoded.right;
    out.push({
      line: n,
      time: r.time,
      direction: r.direction,
      protocol: r.protocol,
      hex: r.hex.toUpperCase(),
      ...(r.address !== undefined && { address: r.address }),
      ...(r.name !== undefined && { name: r.name }),
      ...(r.note !== undefined && { note: r.note }),
      ...(r.plainHex !== undefined && { plainHex: r.plainHex.toUpperCase() }),
    });
  }
  return out;
}
