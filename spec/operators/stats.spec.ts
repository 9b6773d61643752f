import { expect } from 'chai';
import { EMPTY, lastValueFrom, of, toArray } from 'rxjs';
import type { Diagnostic } from '../../lib/core/diagnostics.js';
import { DeviceError, TransportError } from '../../lib/core/errors.js';
import type { ExchangeEvent } from '../../lib/operators/exchange.js';
import { EMPTY_LINK_STATS, LATENCY_WINDOW, type LinkStats, linkStats } from '../../lib/operators/stats.js';
import type { FrameTrace } from '../../lib/operators/trace.js';
import { createTestScheduler } from '../helpers/marbles.js';

const tx = (time: number): FrameTrace => ({
  time,
  direction: 'tx',
  protocol: 'essp',
  hex: '7F 80 01 07 12 02',
});
const rx = (time: number): FrameTrace => ({
  time,
  direction: 'rx',
  protocol: 'essp',
  hex: '7F 80 01 F0 23 80',
});
const diag = (kind: Diagnostic['kind'], hex?: string): Diagnostic => ({
  kind,
  protocol: 'essp',
  message: kind,
  ...(hex !== undefined && { hex }),
});
const attempt = (time: number, n = 1): ExchangeEvent => ({
  type: 'attempt',
  time,
  label: 'POLL',
  attempt: n,
  bytes: new Uint8Array([1]),
});
const reply = (time: number, n = 1): ExchangeEvent => ({
  type: 'reply',
  time,
  label: 'POLL',
  attempt: n,
  elapsedMs: 0,
});
const S = (patch: Partial<LinkStats>): LinkStats => ({ ...EMPTY_LINK_STATS, ...patch });

describe('linkStats', () => {
  it('counts frames and measures tx → first rx latency from the trace alone', () => {
    createTestScheduler().run(({ cold, expectObservable }) => {
      const trace$ = cold<FrameTrace>('-a-b-c-d-e|', {
        a: tx(0),
        b: rx(20),
        c: rx(25), // a second rx does not make a second sample
        d: tx(100),
        e: rx(160),
      });
      const l1 = { samples: 1, minMs: 20, avgMs: 20, maxMs: 20, p95Ms: 20 };
      const l2 = { samples: 2, minMs: 20, avgMs: 40, maxMs: 60, p95Ms: 60 };
      expectObservable(linkStats(trace$)).toBe('za-b-c-d-e|', {
        z: EMPTY_LINK_STATS,
        a: S({ tx: 1 }),
        b: S({ tx: 1, rx: 1, latency: l1 }),
        c: S({ tx: 1, rx: 2, latency: l1 }),
        d: S({ tx: 2, rx: 2, latency: l1 }),
        e: S({ tx: 2, rx: 3, latency: l2 }),
      });
    });
  });

  it('takes timeouts, resends, NAKs and per-attempt latency from the queue events', () => {
    createTestScheduler().run(({ cold, expectObservable }) => {
      const trace$ = cold<FrameTrace>('-a----b------|', { a: tx(0), b: tx(100) });
      const events$ = cold<ExchangeEvent>('--a-b--c-d-e-f|', {
        a: attempt(0),
        b: { type: 'timeout', time: 100, label: 'POLL', attempt: 1, timeoutMs: 100 },
        c: attempt(100, 2),
        d: reply(130, 2), // measured from attempt 2, not from the first send
        e: { type: 'retry', time: 140, label: 'POLL', attempt: 1, reason: 'NAK' },
        f: {
          type: 'fail',
          time: 150,
          label: 'READ',
          attempt: 1,
          error: new DeviceError('READ', 'NAK', 'no'),
        },
      });
      const latency = { samples: 1, minMs: 30, avgMs: 30, maxMs: 30, p95Ms: 30 };
      const timedOut = S({ tx: 1, timeouts: 1 });
      const resent = S({ tx: 2, timeouts: 1, retries: 1 });
      expectObservable(linkStats(trace$, events$)).toBe('zab-c-de-f-g-h|', {
        z: EMPTY_LINK_STATS,
        a: S({ tx: 1 }),
        b: S({ tx: 1 }),
        c: timedOut,
        d: { ...timedOut, tx: 2 },
        e: resent,
        f: { ...resent, latency },
        g: { ...resent, latency, naks: 1 },
        h: { ...resent, latency, naks: 2 },
      });
    });
  });

  it('with queue events, rx frames alone do not make latency samples', () => {
    createTestScheduler().run(({ cold, expectObservable }) => {
      const trace$ = cold<FrameTrace>('-ab|', { a: tx(0), b: rx(50) });
      expectObservable(linkStats(trace$, EMPTY)).toBe('zab|', {
        z: EMPTY_LINK_STATS,
        a: S({ tx: 1 }),
        b: S({ tx: 1, rx: 1 }),
      });
    });
  });

  it('counts link diagnostics by kind and ignores other errors on the same stream', () => {
    createTestScheduler().run(({ cold, expectObservable }) => {
      const diagnostics$ = cold<unknown>('-abcdefg|', {
        a: diag('crc'),
        b: diag('resync'),
        c: diag('discarded', '00 01 02'),
        d: diag('stale-reply'),
        e: diag('decrypt'),
        f: diag('echo'),
        g: new TransportError('line lost'),
      });
      const all = S({ crcErrors: 1, resyncs: 1, discardedBytes: 3, seqMismatches: 1, decryptFailures: 1 });
      expectObservable(linkStats(EMPTY, undefined, diagnostics$)).toBe('zabcdefg|', {
        z: EMPTY_LINK_STATS,
        a: S({ crcErrors: 1 }),
        b: S({ crcErrors: 1, resyncs: 1 }),
        c: S({ crcErrors: 1, resyncs: 1, discardedBytes: 3 }),
        d: S({ crcErrors: 1, resyncs: 1, discardedBytes: 3, seqMismatches: 1 }),
        e: all,
        f: all,
        g: all,
      });
    });
  });

  it('p95 is the nearest-rank percentile; min, max and average cover every sample', async () => {
    const pairs = (latencies: readonly number[], from: number): FrameTrace[] =>
      latencies.flatMap((ms, i) => [tx(from + i * 10_000), rx(from + i * 10_000 + ms)]);
    const shuffled = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
    const one = await lastValueFrom(linkStats(of(...pairs(shuffled, 0))));
    expect(one.latency).to.deep.equal({ samples: 100, minMs: 1, avgMs: 50.5, maxMs: 100, p95Ms: 95 });

    // The percentile follows the recent window; the extremes remember everything.
    const slow = Array.from({ length: LATENCY_WINDOW }, () => 1000);
    const fast = Array.from({ length: LATENCY_WINDOW }, () => 2);
    const all = await lastValueFrom(linkStats(of(...pairs(slow, 0), ...pairs(fast, 1e8))).pipe(toArray()));
    expect(all.at(-1)!.latency).to.deep.equal({
      samples: 2 * LATENCY_WINDOW,
      minMs: 2,
      avgMs: 501,
      maxMs: 1000,
      p95Ms: 2,
    });
  });
});
