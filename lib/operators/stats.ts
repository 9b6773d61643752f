/**
 * Link statistics: a running summary of a device's traffic built by a `scan`
 * over its frame trace, request-queue events and diagnostics. Every emission is
 * a fresh immutable snapshot, so it can be sampled (`auditTime`) for a
 * dashboard or compared in a marble test. Times come from the records, which
 * carry the scheduler's clock, so latency is virtual in tests.
 */
import { type Observable, EMPTY, map, merge, scan, startWith } from 'rxjs';
import type { Diagnostic } from '../core/diagnostics.js';
import type { ExchangeEvent } from './exchange.js';
import type { FrameTrace } from './trace.js';

export interface LatencySummary {
  /** Replies measured since the start. */
  readonly samples: number;
  readonly minMs: number;
  readonly avgMs: number;
  readonly maxMs: number;
  /** 95th percentile (nearest rank) over the last {@link LATENCY_WINDOW} replies. */
  readonly p95Ms: number;
}

export interface LinkStats {
  /** Frames written (every attempt). */
  readonly tx: number;
  /** Frames received. */
  readonly rx: number;
  readonly crcErrors: number;
  /** Partial frames abandoned. */
  readonly resyncs: number;
  /** Bytes dropped while hunting for a frame start. */
  readonly discardedBytes: number;
  /** Attempts that got no reply in time. */
  readonly timeouts: number;
  /** Resends: attempts after the first of a request, whatever the cause. */
  readonly retries: number;
  /** Stale replies (wrong sequence bit or ack) ignored. */
  readonly seqMismatches: number;
  readonly decryptFailures: number;
  /** Replies refusing a request at link level (NAK). */
  readonly naks: number;
  /** Request → reply time of answered attempts; undefined until the first reply. */
  readonly latency: LatencySummary | undefined;
}

/** Number of most recent latency samples the p95 is computed over. */
export const LATENCY_WINDOW = 256;

export const EMPTY_LINK_STATS: LinkStats = {
  tx: 0,
  rx: 0,
  crcErrors: 0,
  resyncs: 0,
  discardedBytes: 0,
  timeouts: 0,
  retries: 0,
  seqMismatches: 0,
  decryptFailures: 0,
  naks: 0,
  latency: undefined,
};

type CounterKey = Exclude<keyof LinkStats, 'latency'>;

type Input =
  | { readonly from: 'trace'; readonly value: FrameTrace }
  | { readonly from: 'exchange'; readonly value: ExchangeEvent }
  | { readonly from: 'diagnostic'; readonly value: unknown };

interface State {
  readonly stats: LinkStats;
  /** Start of the attempt (or tx frame) waiting for its reply. */
  readonly openedAt: number | undefined;
  readonly sumMs: number;
  readonly window: readonly number[];
}

/** Which diagnostic kind feeds which counter. */
const DIAGNOSTIC_COUNTERS = {
  crc: 'crcErrors',
  resync: 'resyncs',
  'stale-reply': 'seqMismatches',
  decrypt: 'decryptFailures',
} as const satisfies Partial<Record<Diagnostic['kind'], CounterKey>>;

const isDiagnostic = (u: unknown): u is Diagnostic =>
  typeof u === 'object' &&
  u !== null &&
  !(u instanceof Error) &&
  typeof (u as { kind?: unknown }).kind === 'string' &&
  typeof (u as { message?: unknown }).message === 'string';

const hexByteCount = (hex: string | undefined): number =>
  (hex ?? '').replace(/[^0-9a-fA-F]/g, '').length >> 1;

const isNak = (e: ExchangeEvent): boolean => {
  if (e.type === 'retry') return /\bNAK\b/i.test(e.reason);
  if (e.type !== 'fail') return false;
  const info = (e.error as { info?: { response?: unknown } } | null)?.info;
  return info?.response === 'NAK';
};

function p95(window: readonly number[]): number {
  const sorted = [...window].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(sorted.length * 0.95) - 1)] ?? 0;
}

function withSample(state: State, ms: number): State {
  const window =
    state.window.length < LATENCY_WINDOW ? [...state.window, ms] : [...state.window.slice(1), ms];
  const prev = state.stats.latency;
  const samples = (prev?.samples ?? 0) + 1;
  const sumMs = state.sumMs + ms;
  const latency: LatencySummary = {
    samples,
    minMs: prev ? Math.min(prev.minMs, ms) : ms,
    avgMs: sumMs / samples,
    maxMs: prev ? Math.max(prev.maxMs, ms) : ms,
    p95Ms: p95(window),
  };
  return { stats: { ...state.stats, latency }, openedAt: undefined, sumMs, window };
}

const bump = (state: State, key: CounterKey, by = 1): State =>
  by === 0 ? state : { ...state, stats: { ...state.stats, [key]: state.stats[key] + by } };

function step(timedByExchange: boolean) {
  return (state: State, input: Input): State => {
    switch (input.from) {
      case 'trace': {
        const t = input.value;
        const counted = bump(state, t.direction);
        if (timedByExchange) return counted;
        // Without queue events, a request's latency is its tx to the first rx after it.
        if (t.direction === 'tx') return { ...counted, openedAt: t.time };
        return counted.openedAt === undefined ? counted : withSample(counted, t.time - counted.openedAt);
      }
      case 'exchange': {
        const e = input.value;
        let next = isNak(e) ? bump(state, 'naks') : state;
        if (e.type === 'attempt') {
          if (e.attempt > 1) next = bump(next, 'retries');
          return { ...next, openedAt: e.time };
        }
        if (e.type === 'timeout') return { ...bump(next, 'timeouts'), openedAt: undefined };
        if (e.type === 'reply' && next.openedAt !== undefined)
          return withSample(next, e.time - next.openedAt);
        return next;
      }
      case 'diagnostic': {
        const d = input.value;
        if (!isDiagnostic(d)) return state;
        if (d.kind === 'discarded') return bump(state, 'discardedBytes', hexByteCount(d.hex));
        const key = (DIAGNOSTIC_COUNTERS as Partial<Record<string, CounterKey>>)[d.kind];
        return key ? bump(state, key) : state;
      }
    }
  };
}

/**
 * Running link statistics. `trace$` gives tx/rx counts; `exchangeEvents$`
 * (a request queue's `events$`) gives timeouts, resends, NAKs and per-attempt
 * latency; `diagnostics$` (a device's `errors$` is fine: errors that are not
 * diagnostics are ignored) gives CRC errors, resyncs, discarded bytes, stale
 * replies and decrypt failures. Without `exchangeEvents$`, latency is measured
 * from each tx record to the first rx record after it.
 *
 * Emits {@link EMPTY_LINK_STATS} on subscribe, then a snapshot per input.
 * Completes when every given input completes.
 */
export function linkStats(
  trace$: Observable<FrameTrace>,
  exchangeEvents$?: Observable<ExchangeEvent>,
  diagnostics$?: Observable<unknown>,
): Observable<LinkStats> {
  const initial: State = { stats: EMPTY_LINK_STATS, openedAt: undefined, sumMs: 0, window: [] };
  return merge(
    trace$.pipe(map((value): Input => ({ from: 'trace', value }))),
    (exchangeEvents$ ?? EMPTY).pipe(map((value): Input => ({ from: 'exchange', value }))),
    (diagnostics$ ?? EMPTY).pipe(map((value): Input => ({ from: 'diagnostic', value }))),
  ).pipe(
    scan(step(exchangeEvents$ !== undefined), initial),
    map((s) => s.stats),
    startWith(EMPTY_LINK_STATS),
  );
}
