import { expect } from 'chai';
import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { fromHex, toHex } from '../../lib/core/bytes.js';
import { TransportError } from '../../lib/core/errors.js';
import type { FrameTrace } from '../../lib/operators/trace.js';
import {
  TraceMismatchError,
  TraceUnconsumedError,
  createReplayTransport,
  parseTraceLines,
  traceToJsonLine,
  type ReplayOptions,
  type ReplayTransport,
} from '../../lib/testing/trace/index.js';

const rec = (time: number, direction: 'tx' | 'rx', hex: string): FrameTrace => ({
  time,
  direction,
  protocol: 'test',
  hex,
});

/** Request A1 answered twice (5 and 7 ms later), request A2 answered once (2 ms later). */
const TRACE: readonly FrameTrace[] = [
  rec(100, 'tx', 'A1'),
  rec(105, 'rx', 'B1'),
  rec(107, 'rx', 'B2'),
  rec(300, 'tx', 'A2'),
  rec(302, 'rx', 'B3'),
];

interface Bench {
  readonly scheduler: VirtualTimeScheduler;
  readonly replay: ReplayTransport;
  /** `time hex` of every chunk on data$, plus `time error CODE` / `time complete`. */
  readonly seen: string[];
  /** `time ok` or `time CODE` of every write. */
  readonly writes: string[];
  write(at: number, hex: string): void;
  finished: string[];
}

function bench(records: readonly FrameTrace[], options: Omit<ReplayOptions, 'scheduler'> = {}): Bench {
  const scheduler = new VirtualTimeScheduler(VirtualAction, Number.POSITIVE_INFINITY);
  const replay = createReplayTransport(records, { scheduler, ...options });
  const seen: string[] = [];
  const writes: string[] = [];
  const finished: string[] = [];
  const t = (): number => scheduler.now();
  replay.data$.subscribe({
    next: (b) => seen.push(`${t()} ${toHex(b)}`),
    error: (e: TransportError) => seen.push(`${t()} error ${e.code}`),
    complete: () => seen.push(`${t()} complete`),
  });
  replay.finished().subscribe({
    complete: () => finished.push(`${t()} done`),
    error: (e: TraceMismatchError | TraceUnconsumedError) => finished.push(`${t()} ${e.code}`),
  });
  return {
    scheduler,
    replay,
    seen,
    writes,
    finished,
    write: (at, hex) =>
      scheduler.schedule(
        () =>
          replay.write(fromHex(hex)).subscribe({
            complete: () => writes.push(`${t()} ok`),
            error: (e: TraceMismatchError) => writes.push(`${t()} ${e.code}`),
          }),
        at,
      ),
  };
}

const caught = (fn: () => void): unknown => {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
};

describe('replay transport', () => {
  it('answers each expected write with the recorded replies at their recorded delays', () => {
    const b = bench(TRACE);
    b.write(10, 'A1');
    b.write(50, 'A2');
    b.scheduler.flush();
    expect(b.writes).to.deep.equal(['10 ok', '50 ok']);
    expect(b.seen).to.deep.equal(['15 B1', '17 B2', '52 B3']);
    expect(b.finished).to.deep.equal(['52 done']);
    expect(b.replay.remaining).to.equal(0);
    expect(b.replay.consumed).to.equal(5);
    expect(caught(() => b.replay.assertConsumed())).to.equal(undefined);
  });

  it("with timing 'immediate' delivers the replies right after the write", () => {
    const b = bench(TRACE, { timing: 'immediate' });
    b.write(10, 'A1');
    b.write(50, 'A2');
    b.scheduler.flush();
    expect(b.seen).to.deep.equal(['10 B1', '10 B2', '50 B3']);
  });

  it('plays replies recorded before the first request when data$ is subscribed', () => {
    const b = bench([rec(0, 'rx', 'C0'), rec(40, 'rx', 'C1'), ...TRACE]);
    b.write(60, 'A1');
    b.scheduler.flush();
    expect(b.seen).to.deep.equal(['0 C0', '40 C1', '65 B1', '67 B2']);
  });

  it('echoes each write first when asked (one-wire ccTalk lines)', () => {
    const b = bench(TRACE, { echo: true, timing: 'immediate' });
    b.write(10, 'A1');
    b.scheduler.flush();
    expect(b.seen).to.deep.equal(['10 A1', '10 B1', '10 B2']);
  });

  it('a write other than the next tx fails the replay with TraceMismatchError naming the line', () => {
    const b = bench(TRACE);
    b.write(10, 'A1');
    b.write(50, 'A3');
    b.write(60, 'A2');
    b.scheduler.flush();
    expect(b.writes).to.deep.equal(['10 ok', '50 TRACE_MISMATCH', '60 TRACE_MISMATCH']);
    expect(b.seen).to.deep.equal(['15 B1', '17 B2', '50 error TRANSPORT_ERROR']);
    expect(b.finished).to.deep.equal(['50 TRACE_MISMATCH']);
    const e = caught(() => b.replay.assertConsumed()) as TraceMismatchError;
    expect(e).to.be.instanceOf(TraceMismatchError);
    expect([e.line, e.expected, e.actual]).to.deep.equal([4, 'A2', 'A3']);
    expect(e.message).to.equal('Replay diverged at trace line 4: expected tx A2, the driver wrote A3.');
  });

  it('uses the line numbers of a parsed trace file in its errors', () => {
    const text = ['# header', ...TRACE.map(traceToJsonLine)].join('\n');
    const b = bench(parseTraceLines(text));
    b.write(10, 'A1');
    b.write(20, 'FF');
    b.scheduler.flush();
    expect((b.replay.failure as TraceMismatchError).line).to.equal(5);
  });

  it('a write while a recorded reply is still to come fails, and pending replies are dropped', () => {
    const b = bench(TRACE);
    b.write(10, 'A1');
    b.write(16, 'A2');
    b.scheduler.flush();
    expect(b.seen).to.deep.equal(['15 B1', '16 error TRANSPORT_ERROR']);
    const e = b.replay.failure!;
    expect([e.line, e.expectedDirection, e.expected, e.actual]).to.deep.equal([3, 'rx', 'B2', 'A2']);
    expect(e.message).to.contain('the recorded reply rx B2 first');
  });

  it('a write after the last record fails: the trace expected nothing more', () => {
    const b = bench(TRACE.slice(0, 3));
    b.write(10, 'A1');
    b.write(40, 'A2');
    b.scheduler.flush();
    expect(b.finished).to.deep.equal(['17 done']);
    const e = b.replay.failure!;
    expect([e.line, e.expectedDirection, e.expected, e.actual]).to.deep.equal([4, 'end', '', 'A2']);
    expect(e.message).to.contain('end of the trace');
  });

  it('assertConsumed names the first record the driver never reached', () => {
    const b = bench(TRACE);
    b.write(10, 'A1');
    b.scheduler.flush();
    expect(b.finished).to.deep.equal([]);
    const e = caught(() => b.replay.assertConsumed()) as TraceUnconsumedError;
    expect(e).to.be.instanceOf(TraceUnconsumedError);
    expect([e.line, e.remaining]).to.deep.equal([4, 2]);
    expect(e.message).to.contain('tx A2');
  });

  it('counts replies scheduled but not yet delivered as unconsumed', () => {
    const b = bench(TRACE.slice(0, 3));
    b.write(10, 'A1');
    b.scheduler.flush();
    const early = bench(TRACE.slice(0, 3));
    early.write(10, 'A1');
    early.scheduler.schedule(() => {
      expect(early.replay.remaining).to.equal(1);
      expect((caught(() => early.replay.assertConsumed()) as TraceUnconsumedError).line).to.equal(3);
    }, 16);
    early.scheduler.flush();
    expect(b.replay.remaining).to.equal(0);
  });

  it('non-strict: skips ahead to a later matching tx and leaves unknown writes unanswered', () => {
    const b = bench(TRACE, { strict: false, timing: 'immediate' });
    b.write(10, 'EE');
    b.write(20, 'A2');
    b.scheduler.flush();
    expect(b.writes).to.deep.equal(['10 ok', '20 ok']);
    expect(b.seen).to.deep.equal(['20 B3']);
    expect(b.replay.unexpectedWrites).to.deep.equal(['EE']);
    expect(b.replay.failure).to.equal(undefined);
    expect(b.finished).to.deep.equal(['20 done']);
  });

  it('close completes data$, drops pending replies and refuses writes', () => {
    const b = bench(TRACE);
    b.write(10, 'A1');
    b.scheduler.schedule(() => b.replay.close().subscribe(), 16);
    b.write(20, 'A2');
    b.scheduler.flush();
    expect(b.seen).to.deep.equal(['15 B1', '16 complete']);
    expect(b.writes).to.deep.equal(['10 ok', '20 TRANSPORT_ERROR']);
  });

  it('closing with records left makes finished() fail with TraceUnconsumedError', () => {
    const b = bench(TRACE);
    b.write(10, 'A1');
    b.scheduler.schedule(() => b.replay.close().subscribe(), 30);
    b.scheduler.flush();
    expect(b.finished).to.deep.equal(['30 TRACE_UNCONSUMED']);
    expect(b.replay.failure).to.equal(undefined);
    expect((caught(() => b.replay.assertConsumed()) as TraceUnconsumedError).line).to.equal(4);
  });

  it('closing after the last record keeps the replay successful', () => {
    const b = bench(TRACE.slice(0, 3));
    b.write(10, 'A1');
    b.scheduler.schedule(() => b.replay.close().subscribe(), 30);
    b.scheduler.flush();
    expect(b.finished).to.deep.equal(['17 done']);
    expect(caught(() => b.replay.assertConsumed())).to.equal(undefined);
  });

  it('rejects a record whose hex is not hex when created', () => {
    expect(() => createReplayTransport([rec(0, 'tx', 'ZZ')])).to.throw(/hex/);
  });
});
