import { expect } from 'chai';
import { EMPTY, Observable, Subject, defer, of, throwError } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { bytes, toHex } from '../../lib/core/bytes.js';
import {
  CommandTimeoutError,
  DeviceError,
  DisposedError,
  OptionRangeError,
  TransportError,
} from '../../lib/core/errors.js';
import {
  type ExchangeEvent,
  type MatchResult,
  type Request,
  createRequestQueue,
} from '../../lib/operators/exchange.js';
import { traceRecord } from '../../lib/operators/trace.js';
import { createMemoryPair } from '../../lib/transport/memory.js';
import { createTestScheduler } from '../helpers/marbles.js';

/** Toy frames are strings; each test request says which strings answer it. */
type Frame = string;

interface Written {
  readonly t: number;
  readonly hex: string;
}

function fakeIo(ts: TestScheduler, frames$: Observable<Frame>) {
  const writes: Written[] = [];
  return {
    writes,
    io: {
      frames$,
      write: (b: Uint8Array) =>
        defer(() => {
          writes.push({ t: ts.now(), hex: toHex(b) });
          return of(undefined);
        }),
    },
  };
}

function request(
  label: string,
  verdicts: Readonly<Record<string, MatchResult<string>>>,
  extra: Partial<Request<Frame, string>> = {},
): Request<Frame, string> {
  return {
    label,
    bytes: bytes(label.length, ...Array.from(label, (c) => c.charCodeAt(0))),
    match: (f) => verdicts[f] ?? { kind: 'ignore' },
    ...extra,
  };
}

const accept = (value: string): MatchResult<string> => ({ kind: 'accept', value });
const RETRY: MatchResult<string> = { kind: 'retry', reason: 'NAK' };

describe('createRequestQueue', () => {
  let ts: TestScheduler;
  beforeEach(() => {
    ts = createTestScheduler();
  });

  it('resends identical bytes on timeout and gives up with CommandTimeoutError after N attempts', () => {
    ts.run(({ expectObservable, hot }) => {
      const { io, writes } = fakeIo(ts, hot(''));
      const q = createRequestQueue(io, { timeoutMs: 100, attempts: 3, scheduler: ts });
      const req = request('PING', { ok: accept('pong') });
      const events: ExchangeEvent['type'][] = [];
      q.events$.subscribe((e) => events.push(e.type));
      expectObservable(q.send(req)).toBe('300ms #', undefined, new CommandTimeoutError('PING', 3, 300));
      ts.flush();
      expect(writes).to.deep.equal([
        { t: 0, hex: '04 50 49 4E 47' },
        { t: 100, hex: '04 50 49 4E 47' },
        { t: 200, hex: '04 50 49 4E 47' },
      ]);
      expect(events).to.deep.equal([
        'attempt',
        'timeout',
        'attempt',
        'timeout',
        'attempt',
        'timeout',
        'give-up',
      ]);
    });
  });

  it('reports attempts and elapsed time in the timeout error info', () => {
    ts.run(({ hot }) => {
      const { io } = fakeIo(ts, hot(''));
      const q = createRequestQueue(io, { timeoutMs: 250, attempts: 2, scheduler: ts });
      let error: unknown;
      q.send(request('SYNC', {})).subscribe({ error: (e: unknown) => (error = e) });
      ts.flush();
      expect(error).to.be.instanceOf(CommandTimeoutError);
      expect((error as CommandTimeoutError).info).to.deep.equal({
        command: 'SYNC',
        attempts: 2,
        elapsedMs: 500,
        lastReason: 'timeout',
      });
    });
  });

  it('writes the bytes as they were when the request started, even if the caller reuses its buffer', () => {
    ts.run(({ hot }) => {
      const { io, writes } = fakeIo(ts, hot(''));
      const q = createRequestQueue(io, { timeoutMs: 10, attempts: 2, scheduler: ts });
      const buf = bytes(1, 2, 3);
      q.send({ label: 'X', bytes: buf, match: () => ({ kind: 'ignore' }) }).subscribe({
        error: () => undefined,
      });
      buf[0] = 0xff;
      ts.flush();
      expect(writes.map((w) => w.hex)).to.deep.equal(['01 02 03', '01 02 03']);
    });
  });

  it("resends immediately on 'retry', counting it as an attempt", () => {
    ts.run(({ expectObservable, hot }) => {
      const { io, writes } = fakeIo(ts, hot('20ms n 29ms a'));
      const q = createRequestQueue(io, { timeoutMs: 100, attempts: 3, scheduler: ts });
      expectObservable(q.send(request('POLL', { n: RETRY, a: accept('A') }))).toBe('50ms (v|)', { v: 'A' });
      ts.flush();
      expect(writes.map((w) => w.t)).to.deep.equal([0, 20]);
      expect(new Set(writes.map((w) => w.hex)).size).to.equal(1);
    });
  });

  it("gives up when the last attempt is answered with 'retry'", () => {
    ts.run(({ expectObservable, hot }) => {
      const { io, writes } = fakeIo(ts, hot('10ms n 9ms n'));
      const q = createRequestQueue(io, { timeoutMs: 100, attempts: 2, scheduler: ts });
      expectObservable(q.send(request('POLL', { n: RETRY }))).toBe(
        '20ms #',
        undefined,
        new CommandTimeoutError('POLL', 2, 20),
      );
      ts.flush();
      expect(writes.map((w) => w.t)).to.deep.equal([0, 10]);
    });
  });

  it("keeps the same deadline when a frame is 'ignore'd", () => {
    ts.run(({ expectObservable, hot }) => {
      const { io, writes } = fakeIo(ts, hot('50ms j 29ms j'));
      const q = createRequestQueue(io, { timeoutMs: 100, attempts: 1, scheduler: ts });
      expectObservable(q.send(request('POLL', {}))).toBe(
        '100ms #',
        undefined,
        new CommandTimeoutError('POLL', 1, 100),
      );
      ts.flush();
      expect(writes).to.have.length(1);
    });
  });

  it('accepts a reply after ignored frames within the deadline', () => {
    ts.run(({ expectObservable, hot }) => {
      const { io, writes } = fakeIo(ts, hot('50ms j 39ms a'));
      const q = createRequestQueue(io, { timeoutMs: 100, attempts: 3, scheduler: ts });
      expectObservable(q.send(request('POLL', { a: accept('A') }))).toBe('90ms (v|)', { v: 'A' });
      ts.flush();
      expect(writes).to.have.length(1);
    });
  });

  it("errors with the match's error on 'fail', without resending", () => {
    const nak = new DeviceError('SET', 'COMMAND_CANNOT_BE_PROCESSED', 'SET cannot be processed now.');
    ts.run(({ expectObservable, hot }) => {
      const { io, writes } = fakeIo(ts, hot('30ms f'));
      const q = createRequestQueue(io, { timeoutMs: 100, attempts: 3, scheduler: ts });
      expectObservable(q.send(request('SET', { f: { kind: 'fail', error: nak } }))).toBe(
        '30ms #',
        undefined,
        nak,
      );
      ts.flush();
      expect(writes).to.have.length(1);
    });
  });

  it('serializes requests: the second is written only after the first is answered', () => {
    ts.run(({ expectObservable, hot }) => {
      const { io, writes } = fakeIo(ts, hot('30ms a 29ms b'));
      const q = createRequestQueue(io, { timeoutMs: 100, scheduler: ts });
      const first = q.send(request('ONE', { a: accept('1'), b: accept('wrong') }));
      const second = q.send(request('TWO', { a: accept('wrong'), b: accept('2') }));
      expectObservable(first).toBe('30ms (v|)', { v: '1' });
      expectObservable(second).toBe('60ms (v|)', { v: '2' });
      ts.flush();
      expect(writes.map((w) => [w.t, w.hex])).to.deep.equal([
        [0, '03 4F 4E 45'],
        [30, '03 54 57 4F'],
      ]);
    });
  });

  it('removes a waiting request when it is unsubscribed, and never writes it', () => {
    ts.run(({ expectObservable, hot }) => {
      const { io, writes } = fakeIo(ts, hot('30ms a 9ms c'));
      const q = createRequestQueue(io, { timeoutMs: 100, scheduler: ts });
      expectObservable(q.send(request('ONE', { a: accept('1') }))).toBe('30ms (v|)', { v: '1' });
      expectObservable(q.send(request('TWO', { a: accept('2') })), '^ 9ms !').toBe('');
      expectObservable(q.send(request('THREE', { c: accept('3') }))).toBe('40ms (v|)', { v: '3' });
      const pending: number[] = [];
      ts.schedule(() => pending.push(q.pending), 5);
      ts.schedule(() => pending.push(q.pending), 15);
      ts.flush();
      expect(pending).to.deep.equal([2, 1]);
      expect(writes.map((w) => [w.t, w.hex.slice(0, 2)])).to.deep.equal([
        [0, '03'],
        [30, '05'],
      ]);
    });
  });

  it('abandons an in-flight request on unsubscribe and starts the next one at once', () => {
    ts.run(({ expectObservable, hot }) => {
      const { io, writes } = fakeIo(ts, hot('15ms a 9ms b'));
      const q = createRequestQueue(io, { timeoutMs: 100, scheduler: ts });
      const events: ExchangeEvent[] = [];
      q.events$.subscribe((e) => events.push(e));
      expectObservable(q.send(request('ONE', { a: accept('1') })), '^ 9ms !').toBe('');
      expectObservable(q.send(request('TWO', { b: accept('2') }))).toBe('25ms (v|)', { v: '2' });
      ts.flush();
      expect(writes.map((w) => w.t)).to.deep.equal([0, 10]);
      expect(events.find((e) => e.type === 'abandoned')).to.deep.equal({
        type: 'abandoned',
        time: 10,
        label: 'ONE',
      });
      // The 'a' at 15 answers nobody still waiting for it: TWO ignores it.
      expect(events.filter((e) => e.type === 'ignored')).to.have.length(1);
    });
  });

  it('reports busy$ while requests are in flight or waiting, and replays the latest value', () => {
    ts.run(({ expectObservable, hot }) => {
      const { io } = fakeIo(ts, hot('30ms a 9ms b'));
      const q = createRequestQueue(io, { timeoutMs: 100, scheduler: ts });
      ts.schedule(() => {
        q.send(request('ONE', { a: accept('1') })).subscribe();
        q.send(request('TWO', { b: accept('2') })).subscribe();
      }, 10);
      expectObservable(q.busy$).toBe('f 9ms t 29ms f', { f: false, t: true });
      const late: boolean[] = [];
      ts.schedule(() => q.busy$.subscribe((b) => late.push(b)).unsubscribe(), 20);
      ts.flush();
      expect(late).to.deep.equal([true]);
    });
  });

  it('drops frames that arrive while nothing is in flight, reporting them as unsolicited', () => {
    ts.run(({ expectObservable, hot }) => {
      const { io } = fakeIo(ts, hot('5ms a 9ms a'));
      const q = createRequestQueue(io, { timeoutMs: 100, scheduler: ts });
      const events: ExchangeEvent[] = [];
      q.events$.subscribe((e) => events.push(e));
      const values: string[] = [];
      ts.schedule(() => q.send(request('ONE', { a: accept('1') })).subscribe((v) => values.push(v)), 10);
      expectObservable(q.busy$).toBe('f 9ms t 4ms f', { f: false, t: true });
      ts.flush();
      expect(events[0]).to.deep.equal({ type: 'unsolicited', time: 5, frame: 'a' });
      expect(events.map((e) => e.type)).to.deep.equal(['unsolicited', 'attempt', 'reply']);
      expect(values).to.deep.equal(['1']);
    });
  });

  it('completes a request without reply right after the write', () => {
    ts.run(({ expectObservable, hot }) => {
      const { io, writes } = fakeIo(ts, hot(''));
      const q = createRequestQueue(io, { scheduler: ts });
      expectObservable(q.send(request('RESET', {}, { expectReply: false }))).toBe('|');
      expectObservable(q.send(request('NEXT', {}, { expectReply: false }))).toBe('|');
      ts.flush();
      expect(writes).to.have.length(2);
    });
  });

  it('errors the request with the TransportError of a failed write, and carries on', () => {
    ts.run(({ expectObservable, hot }) => {
      const lost = new TransportError('The line of memory:host was cut.');
      let fail: unknown = lost;
      const q = createRequestQueue<Frame>(
        {
          frames$: hot('20ms a'),
          write: () =>
            defer(() => {
              const e = fail;
              fail = undefined;
              return e === undefined ? of(undefined) : throwError(() => e);
            }),
        },
        { scheduler: ts },
      );
      expectObservable(q.send(request('ONE', {}))).toBe('#', undefined, lost);
      expectObservable(q.send(request('TWO', { a: accept('2') }))).toBe('20ms (v|)', { v: '2' });
    });
  });

  it('wraps a foreign write error in a TransportError', () => {
    let error: unknown;
    const q = createRequestQueue({
      frames$: new Subject<Frame>(),
      write: () => throwError(() => new Error('EIO')),
    });
    q.send(request('ONE', {})).subscribe({ error: (e: unknown) => (error = e) });
    expect(error).to.be.instanceOf(TransportError);
    expect((error as Error).message).to.equal('Writing ONE failed: EIO');
    q.dispose();
  });

  it('dispose errors the in-flight and waiting requests with DisposedError, and later sends too', () => {
    ts.run(({ expectObservable, hot }) => {
      const { io, writes } = fakeIo(ts, hot(''));
      const q = createRequestQueue(io, { timeoutMs: 1000, scheduler: ts });
      const disposed = new DisposedError('Request queue');
      expectObservable(q.send(request('ONE', {}))).toBe('50ms #', undefined, disposed);
      expectObservable(q.send(request('TWO', {}))).toBe('50ms #', undefined, disposed);
      expectObservable(q.busy$).toBe('t 49ms (f|)', { f: false, t: true });
      ts.schedule(() => q.dispose(), 50);
      let late: unknown;
      ts.schedule(() => q.send(request('THREE', {})).subscribe({ error: (e: unknown) => (late = e) }), 60);
      ts.flush();
      expect(late).to.be.instanceOf(DisposedError);
      expect(writes).to.have.length(1);
      expect(q.pending).to.equal(0);
    });
  });

  it('errors pending and later requests when the frame stream errors (line lost)', () => {
    ts.run(({ expectObservable, hot }) => {
      const lost = new TransportError('The line of memory:host was cut.');
      const { io } = fakeIo(ts, hot('40ms #', undefined, lost));
      const q = createRequestQueue(io, { scheduler: ts });
      expectObservable(q.send(request('ONE', {}))).toBe('40ms #', undefined, lost);
      expectObservable(q.send(request('TWO', {}))).toBe('40ms #', undefined, lost);
    });
  });

  it('errors every send at once when the frame stream has already ended', () => {
    const q = createRequestQueue({ frames$: EMPTY, write: () => of(undefined) });
    let error: unknown;
    q.send(request('ONE', {})).subscribe({ error: (e: unknown) => (error = e) });
    expect(error).to.be.instanceOf(TransportError);
    expect((error as Error).message).to.match(/transport closed/);
  });

  it('reports the written bytes and the attempt number on attempt events', () => {
    ts.run(({ hot }) => {
      const { io } = fakeIo(ts, hot('15ms a'));
      const q = createRequestQueue(io, { timeoutMs: 10, attempts: 2, scheduler: ts });
      const events: ExchangeEvent[] = [];
      q.events$.subscribe((e) => events.push(e));
      q.send(request('AB', { a: accept('ok') })).subscribe();
      ts.flush();
      expect(
        events.map((e) =>
          e.type === 'attempt' ? [e.type, e.time, e.attempt, toHex(e.bytes)] : [e.type, e.time],
        ),
      ).to.deep.equal([
        ['attempt', 0, 1, '02 41 42'],
        ['timeout', 10],
        ['attempt', 10, 2, '02 41 42'],
        ['reply', 15],
      ]);
    });
  });

  it('exchanges with a device that answers synchronously over the in-memory pair', () => {
    const [host, device] = createMemoryPair();
    device.data$.subscribe((b) => {
      if (b[0] === 0x01) device.write(bytes(0x81, ...b.subarray(1))).subscribe();
    });
    const q = createRequestQueue({ write: (b) => host.write(b), frames$: host.data$ });
    const got: number[][] = [];
    q.send({
      label: 'ECHO',
      bytes: bytes(0x01, 0x2a),
      match: (f: Uint8Array) => (f[0] === 0x81 ? { kind: 'accept', value: [...f] } : { kind: 'ignore' }),
    }).subscribe((v) => got.push(v));
    expect(got).to.deep.equal([[0x81, 0x2a]]);
    q.dispose();
  });

  describe('option ranges', () => {
    const io = { frames$: new Subject<Frame>(), write: () => of(undefined) };

    it('rejects out-of-range queue options at creation', () => {
      for (const bad of [{ timeoutMs: 9 }, { timeoutMs: 60_001 }, { timeoutMs: Number.NaN }]) {
        expect(() => createRequestQueue(io, bad)).to.throw(
          OptionRangeError,
          /'timeoutMs' must be between 10 ms and 60000 ms/,
        );
      }
      for (const bad of [{ attempts: 0 }, { attempts: 101 }, { attempts: 1.5 }]) {
        expect(() => createRequestQueue(io, bad)).to.throw(
          OptionRangeError,
          /'attempts' must be between 1 and 100/,
        );
      }
      expect(() => createRequestQueue(io, { timeoutMs: 10, attempts: 100 })).not.to.throw();
      expect(() => createRequestQueue(io, { timeoutMs: 60_000, attempts: 1 })).not.to.throw();
    });

    it('rejects out-of-range request options on subscribe, before anything is written', () => {
      let written = 0;
      const q = createRequestQueue({
        frames$: new Subject<Frame>(),
        write: () =>
          defer(() => {
            written += 1;
            return of(undefined);
          }),
      });
      const errors: unknown[] = [];
      q.send(request('SLOW', {}, { timeoutMs: 60_001 })).subscribe({ error: (e: unknown) => errors.push(e) });
      q.send(request('MANY', {}, { attempts: 0 })).subscribe({ error: (e: unknown) => errors.push(e) });
      expect(errors.map((e) => (e as Error).message)).to.deep.equal([
        "Option 'SLOW.timeoutMs' must be between 10 ms and 60000 ms, got 60001.",
        "Option 'MANY.attempts' must be between 1 and 100, got 0.",
      ]);
      expect(errors.every((e) => e instanceof OptionRangeError)).to.equal(true);
      expect(written).to.equal(0);
      expect(q.pending).to.equal(0);
      q.dispose();
    });
  });
});

describe('traceRecord', () => {
  it('records time, direction and wire hex, leaving out absent details', () => {
    const clock = { now: () => 1234 };
    expect(traceRecord(clock, 'tx', 'essp', bytes(0x7f, 0x80, 0x01, 0x07))).to.deep.equal({
      time: 1234,
      direction: 'tx',
      protocol: 'essp',
      hex: '7F 80 01 07',
    });
    expect(
      traceRecord(clock, 'rx', 'cctalk', bytes(1, 0, 2, 0, 0xfd), {
        address: 2,
        name: 'ACK',
        note: 'echo stripped',
        plain: bytes(0xf0),
      }),
    ).to.deep.equal({
      time: 1234,
      direction: 'rx',
      protocol: 'cctalk',
      address: 2,
      hex: '01 00 02 00 FD',
      name: 'ACK',
      note: 'echo stripped',
      plainHex: 'F0',
    });
  });
});
