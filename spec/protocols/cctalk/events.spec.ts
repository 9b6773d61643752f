import { expect } from 'chai';
import fc from 'fast-check';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { bytes } from '../../../lib/core/bytes.js';
import {
  type EventBuffer,
  createCreditRingTracker,
  decodeBillBuffer,
  decodeBillPair,
  decodeCoinBuffer,
  decodeCoinPair,
  decodeCvf,
  decodeSelfCheck,
  ringDistance,
  updateCreditRing,
} from '../../../lib/protocols/cctalk/events.js';

type Pair = readonly [number, number];

describe('ccTalk event buffers', () => {
  describe('229 coin acceptor buffer', () => {
    it('decodes credits with position and sorter path, and named error codes', () => {
      const r = decodeCoinBuffer(bytes(3, 5, 1, 0, 2, 3, 0, 0, 130, 0, 0));
      if (!isRight(r)) throw new Error(r.left.message);
      expect(r.right.counter).to.equal(3);
      expect(r.right.entries).to.deep.equal([
        { kind: 'credit', position: 5, sorterPath: 1 },
        { kind: 'error', code: 2, name: 'inhibited coin', rejected: 'yes' },
        { kind: 'credit', position: 3, sorterPath: 0 },
        { kind: 'error', code: 130, name: 'inhibited coin type 3', rejected: 'yes', coinType: 3 },
        { kind: 'error', code: 0, name: 'null event', rejected: 'no' },
      ]);
    });
    it('names the table codes and leaves undefined codes unnamed', () => {
      expect(decodeCoinPair(0, 14)).to.include({ name: 'credit sensor blocked', rejected: 'yes' });
      expect(decodeCoinPair(0, 40)).to.include({ name: 'external light attack', rejected: 'no' });
      expect(decodeCoinPair(0, 254)).to.include({ name: 'coin return mechanism activated' });
      expect(decodeCoinPair(0, 255)).to.include({ name: 'unspecified alarm' });
      expect(decodeCoinPair(0, 50)).to.deep.equal({
        kind: 'error',
        code: 50,
        name: undefined,
        rejected: undefined,
      });
    });
    it('rejects a reply of the wrong length as a DecodeError value', () => {
      const r = decodeCoinBuffer(bytes(1, 2, 3));
      expect(isLeft(r) && r.left.code).to.equal('DECODE_FAILED');
    });
    it('reads coin value format bytes (sheet examples)', () => {
      const cases: readonly Pair[] = [
        [100, 100],
        [148, 200],
        [153, 250],
        [178, 500],
        [228, 1000],
      ];
      for (const [code, value] of cases) expect(decodeCvf(code)).to.equal(value);
      expect(decodeCvf(255)).to.equal('token');
      expect(decodeCvf(0)).to.equal('no-value');
      expect(decodeCvf(128)).to.equal('no-value');
    });
  });

  describe('159 bill validator buffer', () => {
    it('tells credits from escrow and status pairs', () => {
      const r = decodeBillBuffer(bytes(2, 4, 1, 0, 14, 3, 0, 0, 6, 5, 7));
      if (!isRight(r)) throw new Error(r.left.message);
      expect(r.right.entries).to.deep.equal([
        { kind: 'escrow', billType: 4 },
        { kind: 'status', code: 14, name: 'stacker full', class: 'status' },
        { kind: 'credit', billType: 3 },
        { kind: 'status', code: 6, name: 'bill jammed in transport (unsafe mode)', class: 'fatal' },
        { kind: 'unknown', a: 5, b: 7 },
      ]);
    });
    it('classifies rejects, fraud and vendor codes', () => {
      expect(decodeBillPair(0, 0)).to.include({ name: 'master inhibit active' });
      expect(decodeBillPair(0, 2)).to.include({ class: 'reject' });
      expect(decodeBillPair(0, 17)).to.include({ class: 'fraud' });
      expect(decodeBillPair(0, 40)).to.deep.equal({
        kind: 'status',
        code: 40,
        name: undefined,
        class: 'unknown',
      });
    });
  });

  describe('232 self-check', () => {
    it('decodes fault codes with and without the extra byte', () => {
      expect(decodeSelfCheck(bytes(0))).to.deep.equal({
        _tag: 'Right',
        right: { code: 0, name: 'OK', ok: true },
      });
      const coil = decodeSelfCheck(bytes(2, 3));
      expect(isRight(coil) && coil.right).to.deep.equal({
        code: 2,
        name: 'inductive coils',
        ok: false,
        extra: 3,
      });
      const other = decodeSelfCheck(bytes(255, 9));
      expect(isRight(other) && other.right.name).to.equal('unspecified');
      expect(isLeft(decodeSelfCheck(bytes()))).to.equal(true);
    });
  });
});

function buf(counter: number, ...pairs: Pair[]): EventBuffer<Pair> {
  const entries = [...pairs];
  while (entries.length < 5) entries.push([0, 0]);
  return { counter, entries };
}
function feed(last: number | undefined, b: EventBuffer<Pair>) {
  return updateCreditRing(createCreditRingTracker(last), b);
}

describe('CreditRingTracker', () => {
  it('takes the first read as a baseline and credits nothing from it', () => {
    const r = feed(undefined, buf(7, [1, 1], [2, 1]));
    expect(r.outputs).to.deep.equal([{ type: 'baseline', counter: 7 }]);
    expect(r.tracker.lastCounter).to.equal(7);
  });

  it('reports new entries oldest first with their event numbers', () => {
    const r = feed(5, buf(7, [3, 1], [2, 1], [9, 9]));
    expect(r.outputs).to.deep.equal([
      { type: 'event', counter: 6, event: [2, 1] },
      { type: 'event', counter: 7, event: [3, 1] },
    ]);
  });

  it('wraps 255 → 1, never through 0', () => {
    expect(ringDistance(255, 1)).to.equal(1);
    expect(ringDistance(0, 3)).to.equal(3);
    const r = feed(254, buf(2, [3, 0], [2, 0], [1, 0], [9, 9]));
    expect(r.outputs.map((o) => (o.type === 'event' ? o.counter : o.type))).to.deep.equal([255, 1, 2]);
  });

  it('reports nothing for a repeated identical reply', () => {
    const first = feed(5, buf(6, [1, 1]));
    const again = updateCreditRing(first.tracker, buf(6, [1, 1]));
    expect(again.outputs).to.deep.equal([]);
    expect(again.tracker).to.equal(first.tracker);
  });

  it('treats a counter back at 0 as a reset and does not credit the old entries again', () => {
    const r = feed(10, buf(0, [4, 1], [4, 1]));
    expect(r.outputs).to.deep.equal([{ type: 'reset', previous: 10 }]);
    const next = updateCreditRing(r.tracker, buf(1, [6, 2]));
    expect(next.outputs).to.deep.equal([{ type: 'event', counter: 1, event: [6, 2] }]);
  });

  it('reports a jump beyond five as events-lost with the count, then the five still held', () => {
    const r = feed(1, buf(10, [10, 0], [9, 0], [8, 0], [7, 0], [6, 0]));
    expect(r.outputs[0]).to.deep.equal({ type: 'events-lost', lost: 4, after: 1, counter: 10 });
    expect(r.outputs.slice(1).map((o) => (o.type === 'event' ? o.event[0] : -1))).to.deep.equal([
      6, 7, 8, 9, 10,
    ]);
    const wrapped = feed(250, buf(10, [1, 1], [1, 1], [1, 1], [1, 1], [1, 1]));
    expect(wrapped.outputs[0]).to.include({ type: 'events-lost', lost: 10 });
  });

  /**
   * Model check: a simulated device (counter + 5-deep ring, newest first) lives
   * through random histories of events, polls, repeated replies and resets;
   * every event must be reported exactly once, in order, or counted as lost.
   */
  it('reports every event of any device history exactly once or counts it lost', () => {
    type Step =
      | { readonly t: 'events'; readonly pairs: readonly Pair[] }
      | { readonly t: 'poll' }
      | { readonly t: 'repeat' }
      | { readonly t: 'reset' };
    const pair = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }));
    const events = fc.oneof(
      { weight: 4, arbitrary: fc.array(pair, { minLength: 1, maxLength: 7 }) },
      { weight: 1, arbitrary: fc.array(pair, { minLength: 1, maxLength: 254 }) },
    );
    const step: fc.Arbitrary<Step> = fc.oneof(
      { weight: 5, arbitrary: events.map((pairs) => ({ t: 'events' as const, pairs })) },
      { weight: 5, arbitrary: fc.constant({ t: 'poll' as const }) },
      { weight: 1, arbitrary: fc.constant({ t: 'repeat' as const }) },
      { weight: 1, arbitrary: fc.constant({ t: 'reset' as const }) },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 600 }), fc.array(step, { maxLength: 60 }), (before, steps) => {
        // Device.
        let counter = 0;
        let ring: Pair[] = [
          [0, 0],
          [0, 0],
          [0, 0],
          [0, 0],
          [0, 0],
        ];
        const occur = (p: Pair) => {
          counter = counter === 255 ? 1 : counter + 1;
          ring = [p, ...ring.slice(0, 4)];
        };
        for (let i = 0; i < before; i++) occur([1, 1]);
        // Host.
        let tracker = createCreditRingTracker();
        let lastReply: EventBuffer<Pair> | undefined;
        const reported: Pair[] = [];
        let lost = 0;
        // Expectation: events since the previous poll.
        let pending: Pair[] = [];
        const expected: Pair[] = [];
        let expectedLost = 0;
        const read = (reply: EventBuffer<Pair>) => {
          const r = updateCreditRing(tracker, reply);
          tracker = r.tracker;
          for (const o of r.outputs) {
            if (o.type === 'event') reported.push(o.event);
            if (o.type === 'events-lost') lost += o.lost;
          }
        };
        const poll = () => {
          lastReply = { counter, entries: ring.slice() };
          if (tracker.lastCounter !== undefined) {
            const held = pending.slice(-5);
            expectedLost += pending.length - held.length;
            expected.push(...held);
          }
          pending = [];
          read(lastReply);
        };
        poll();
        for (const s of steps) {
          if (s.t === 'events') {
            // Keep each gap below a whole turn of the counter (the spec cannot tell those apart).
            const room = 254 - pending.length;
            for (const p of s.pairs.slice(0, room)) {
              occur(p);
              pending.push(p);
            }
          } else if (s.t === 'poll') poll();
          else if (s.t === 'repeat') {
            if (lastReply) read(lastReply);
          } else {
            poll();
            counter = 0;
            ring = [
              [0, 0],
              [0, 0],
              [0, 0],
              [0, 0],
              [0, 0],
            ];
            poll();
          }
        }
        poll();
        expect(reported).to.deep.equal(expected);
        expect(lost).to.equal(expectedLost);
      }),
      { numRuns: 300 },
    );
  });
});
