/**
 * POLL / POLL WITH ACK reply parser. eSSP events carry no length, so one
 * wrong size shifts every later event: the parser stops at the first unknown
 * code or payload that does not fit, keeps the events decoded before it and
 * hands the rest back raw with a 'decode' diagnostic. It never throws.
 *
 * Hot path: the layout of every code is resolved once per (protocol version,
 * unit type) and cached; decoding allocates only the result objects.
 */

import { toHex } from '../../../core/bytes.js';
import type { Diagnostic } from '../../../core/diagnostics.js';
import type { Money } from '../../../core/money.js';
import type { EventContext } from './blocks.js';
import {
  channelOf,
  channelValue,
  datasetCurrency,
  readC7,
  readU32,
  readV7,
  readVC,
  readVVC,
  sizeC7,
  sizeU32,
  sizeU32Pair,
  sizeV7,
  sizeVC,
  sizeVC1,
  sizeVVC,
} from './blocks.js';
import { codeName } from './reject-codes.js';
import type { EventRow, Layout, PayloadSpec } from './table.js';
import { EVENTS_BY_CODE, payloadFor } from './table.js';
import type { EsspEvent, IncompleteAmount } from './types.js';

export interface PollReply {
  /** Events in the order the device reported them. */
  readonly events: EsspEvent[];
  /** Bytes that could not be decoded, from `offset` (index in the payload) to the end. */
  readonly rest?: { readonly hex: string; readonly offset: number };
  /** Why decoding stopped early. */
  readonly diagnostic?: Diagnostic;
}

interface Resolved {
  readonly row: EventRow;
  readonly spec: PayloadSpec;
}

const cache = new Map<number, readonly (Resolved | undefined)[]>();
let lastKey = -1;
let lastTable: readonly (Resolved | undefined)[] | undefined;
const CACHE_LIMIT = 64;
const isByte = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 255;

/** Per-code layouts for a session, cached by (protocol version, unit type, SMART Currency). */
export function resolvedLayouts(ctx: EventContext): readonly (Resolved | undefined)[] {
  const { protocolVersion: pv, unitType } = ctx;
  // Both are single bytes on the wire; anything else is resolved without caching.
  const cacheable = isByte(pv) && isByte(unitType);
  const key = (pv << 9) | (unitType << 1) | (ctx.smartCurrency === true ? 1 : 0);
  // A session polls with one context for hours: skip the map on a repeat.
  if (cacheable && key === lastKey && lastTable !== undefined) return lastTable;
  const hit = cacheable ? cache.get(key) : undefined;
  if (hit !== undefined) {
    lastKey = key;
    lastTable = hit;
    return hit;
  }
  const table = EVENTS_BY_CODE.map((row) =>
    row === undefined ? undefined : { row, spec: payloadFor(row, ctx) },
  );
  if (cacheable && cache.size < CACHE_LIMIT) cache.set(key, table);
  return table;
}

/** Size of `layout` at `at`, or -1 when the bytes cannot be that layout. */
export function layoutSize(layout: Layout, b: Uint8Array, at: number): number {
  switch (layout) {
    case 'none':
    case 'unsized':
      return 0;
    case 'channel':
    case 'reason':
      return at < b.length ? 1 : -1;
    case 'u32':
      return sizeU32(b, at);
    case 'u32-pair':
      return sizeU32Pair(b, at);
    case 'VC':
      return sizeVC(b, at);
    case 'VVC':
      return sizeVVC(b, at);
    case 'V7':
      return sizeV7(b, at);
    case 'VC1':
      return sizeVC1(b, at);
    case 'C7':
      return sizeC7(b, at);
    case 'VC+reason': {
      const size = sizeVC(b, at);
      return size >= 0 && at + size < b.length ? size + 1 : -1;
    }
  }
}

function fail(
  events: EsspEvent[],
  b: Uint8Array,
  start: number,
  at: number,
  code: number,
  ctx: EventContext,
  message: string,
): PollReply {
  const hex = toHex(b.subarray(at));
  const offset = at - start;
  const info = { offset, code, protocolVersion: ctx.protocolVersion, unitType: ctx.unitType };
  return {
    events,
    rest: { hex, offset },
    diagnostic: { kind: 'decode', protocol: 'essp', message, hex, info },
  };
}

const NO_NAMES: Readonly<Record<number, string>> = {};

const hex2 = (n: number): string => `0x${n.toString(16).padStart(2, '0').toUpperCase()}`;

/**
 * Decode the events of a POLL reply: the bytes of `payload` from `start` to
 * its end, which follow the 0xF0 status byte. Pass the reply's DATA with
 * `start` 1 rather than a `subarray`: a view of a small array costs far more
 * than the decoding itself. Offsets in the result count from `start`.
 * Events before an undecodable point are always returned.
 */
export function parsePollReply(payload: Uint8Array, ctx: EventContext, start = 0): PollReply {
  const events: EsspEvent[] = [];
  const end = payload.length;
  // Most replies of a polled link carry no event at all.
  if (start >= end) return { events };
  const layouts = resolvedLayouts(ctx);
  let p = start;
  while (p < end) {
    const code = payload[p]!;
    const resolved = layouts[code];
    if (resolved === undefined) {
      return fail(
        events,
        payload,
        start,
        p,
        code,
        ctx,
        `Unknown eSSP event code ${hex2(code)}; rest of the reply kept raw.`,
      );
    }
    const { row, spec } = resolved;
    const at = p + 1;
    let layout = spec.kind;
    let size = layoutSize(layout, payload, at);
    if (spec.alt !== undefined) {
      // Two documented framings: take the one that fits and ends on a known
      // event code (or the end); refuse to guess when both fit differently.
      // Country letters (0x41-0x5A) are never event codes (0x83-0xF1), so a
      // wrong V7/VC1/VC reading ends inside a country field and is rejected.
      const fitsMain = size >= 0 && boundary(payload, at + size, layouts);
      const altSize = layoutSize(spec.alt, payload, at);
      const fitsAlt = altSize >= 0 && boundary(payload, at + altSize, layouts);
      if (fitsMain && fitsAlt && altSize !== size) {
        return fail(
          events,
          payload,
          start,
          p,
          code,
          ctx,
          `${row.name} payload fits both ${spec.kind} and ${spec.alt}; not guessing.`,
        );
      }
      if (!fitsMain && fitsAlt) {
        layout = spec.alt;
        size = altSize;
      } else if (!fitsMain) size = -1;
    }
    if (size < 0) {
      return fail(
        events,
        payload,
        start,
        p,
        code,
        ctx,
        `${row.name} payload does not fit the ${layout} layout.`,
      );
    }
    events.push(build(row, layout, payload, at, ctx));
    if (layout === 'unsized') {
      if (at < end) {
        return fail(
          events,
          payload,
          start,
          at,
          code,
          ctx,
          `Size of ${row.name} data is not documented; rest kept raw.`,
        );
      }
      break;
    }
    p = at + size;
  }
  return { events };
}

function boundary(b: Uint8Array, q: number, layouts: readonly (Resolved | undefined)[]): boolean {
  return q === b.length || (q < b.length && layouts[b[q]!] !== undefined);
}

/** Build the event object of a payload already validated for `layout`. */
function build(row: EventRow, layout: Layout, b: Uint8Array, at: number, ctx: EventContext): EsspEvent {
  let channel = -1;
  let reason = -1;
  let values: Money[] | undefined;
  let pairs: IncompleteAmount[] | undefined;
  switch (layout) {
    case 'none':
    case 'unsized':
      break;
    case 'channel':
      channel = b[at]!;
      break;
    case 'reason':
      reason = b[at]!;
      break;
    case 'u32':
      values = [{ amount: readU32(b, at), currency: datasetCurrency(ctx) }];
      break;
    case 'u32-pair': {
      const currency = datasetCurrency(ctx);
      pairs = [
        {
          completed: { amount: readU32(b, at), currency },
          requested: { amount: readU32(b, at + 4), currency },
        },
      ];
      break;
    }
    case 'VC':
      values = readVC(b, at);
      break;
    case 'VC+reason':
      values = readVC(b, at);
      reason = b[at + 1 + 7 * values.length]!;
      break;
    case 'VVC':
      pairs = readVVC(b, at);
      break;
    case 'V7':
      values = [readV7(b, at)];
      break;
    case 'VC1':
      values = [readV7(b, at + 1)];
      break;
    case 'C7': {
      const v = readC7(b, at);
      values = v === undefined ? [] : [v];
      channel = channelOf(ctx, v);
      break;
    }
  }
  const event = row.name;
  const code = row.code;
  let out: object;
  switch (row.shape) {
    case 'plain':
      out = { event, code };
      break;
    case 'channel': {
      const value = values?.[0] ?? channelValue(ctx, channel);
      out = value === undefined ? { event, code, channel } : { event, code, channel, value };
      break;
    }
    case 'amounts':
      out = { event, code, amounts: values ?? [] };
      break;
    case 'value': {
      const value = values?.[0];
      out = value === undefined ? { event, code } : { event, code, value };
      break;
    }
    case 'incomplete':
      out = { event, code, amounts: pairs ?? [] };
      break;
    case 'reason':
      out = { event, code, reason, reasonName: codeName(row.reasons ?? NO_NAMES, reason) };
      break;
    case 'fraud':
      out = channel >= 0 ? { event, code, channel } : { event, code, amounts: values ?? [] };
      break;
    case 'payout-error':
      out = {
        event,
        code,
        amounts: values ?? [],
        reason,
        reasonName: codeName(row.reasons ?? NO_NAMES, reason),
      };
      break;
  }
  return out as EsspEvent;
}
