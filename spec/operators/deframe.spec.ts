import { expect } from 'chai';
import fc from 'fast-check';
import { from, Subject } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { bytes, toHex } from '../../lib/core/bytes.js';
import type { Diagnostic } from '../../lib/core/diagnostics.js';
import { type DeframeOutput, type FrameParser, deframe, framesOnly } from '../../lib/operators/deframe.js';
import { createTestScheduler } from '../helpers/marbles.js';

const STX = 0x02;
const ETX = 0x03;

/** Toy protocol: STX payload ETX; bytes outside a frame are discarded. Frames are payload hex. */
function toyParser(): FrameParser<string> {
  let held: number[] | undefined;
  const diag = (kind: Diagnostic['kind'], hex: string): DeframeOutput<string> => ({
    type: 'diagnostic',
    diagnostic: { kind, protocol: 'toy', message: `${kind} ${hex}`, hex },
  });
  return {
    get pending() {
      return held !== undefined;
    },
    push(chunk) {
      const out: DeframeOutput<string>[] = [];
      for (const b of chunk) {
        if (held === undefined) {
          if (b === STX) held = [];
          else out.push(diag('discarded', toHex(bytes(b))));
        } else if (b === ETX) {
          const payload = Uint8Array.from(held);
          out.push({ type: 'frame', frame: toHex(payload), raw: bytes(STX, ...payload, ETX) });
          held = undefined;
        } else {
          held.push(b);
        }
      }
      return out;
    },
    reset() {
      if (held === undefined) return [];
      const dropped = toHex(bytes(STX, ...held));
      held = undefined;
      return [diag('resync', dropped)];
    },
  };
}

const frame = (hex: string): DeframeOutput<string> => ({
  type: 'frame',
  frame: hex,
  raw: bytes(STX, ...(hex ? hex.split(' ').map((h) => parseInt(h, 16)) : []), ETX),
});
const diagnostic = (kind: Diagnostic['kind'], hex: string): DeframeOutput<string> => ({
  type: 'diagnostic',
  diagnostic: { kind, protocol: 'toy', message: `${kind} ${hex}`, hex },
});

describe('deframe', () => {
  let ts: TestScheduler;
  beforeEach(() => {
    ts = createTestScheduler();
  });

  it('joins a frame split over chunks that arrive within the inter-byte gap', () => {
    ts.run(({ cold, expectObservable }) => {
      const chunks = cold('a 9ms b 9ms c', { a: bytes(STX, 0x10), b: bytes(0x11), c: bytes(0x12, ETX) });
      expectObservable(chunks.pipe(deframe(toyParser, { interByteGapMs: 15, scheduler: ts }))).toBe(
        '20ms f',
        { f: frame('10 11 12') },
      );
    });
  });

  it('resets a partial frame when the gap elapses, in virtual time, and starts afresh', () => {
    ts.run(({ cold, expectObservable }) => {
      const chunks = cold('a 29ms b 4ms c', {
        a: bytes(STX, 0x10),
        b: bytes(0x11, STX),
        c: bytes(0x12, ETX),
      });
      // The gap timer fires 15 ms after 'a'; 0x11 then arrives outside any frame.
      expectObservable(chunks.pipe(deframe(toyParser, { interByteGapMs: 15, scheduler: ts }))).toBe(
        '15ms r 14ms d 4ms f',
        { r: diagnostic('resync', '02 10'), d: diagnostic('discarded', '11'), f: frame('12') },
      );
    });
  });

  it('restarts the gap timer on every chunk', () => {
    ts.run(({ cold, expectObservable }) => {
      const chunks = cold('a 9ms b 9ms c 9ms d', {
        a: bytes(STX),
        b: bytes(0x01),
        c: bytes(0x02),
        d: bytes(ETX),
      });
      expectObservable(chunks.pipe(deframe(toyParser, { interByteGapMs: 12, scheduler: ts }))).toBe(
        '30ms f',
        {
          f: frame('01 02'),
        },
      );
    });
  });

  it('does not arm the gap when no frame is partly held', () => {
    ts.run(({ cold, expectObservable }) => {
      const chunks = cold('a 99ms b', { a: bytes(STX, 0x01, ETX), b: bytes(STX, 0x02, ETX) });
      expectObservable(chunks.pipe(deframe(toyParser, { interByteGapMs: 5, scheduler: ts }))).toBe(
        'f 99ms g',
        {
          f: frame('01'),
          g: frame('02'),
        },
      );
    });
  });

  it('never resets without a gap option', () => {
    ts.run(({ cold, expectObservable }) => {
      const chunks = cold('a 999ms b', { a: bytes(STX, 0x01), b: bytes(ETX) });
      expectObservable(chunks.pipe(deframe(toyParser, { scheduler: ts }))).toBe('1000ms f', {
        f: frame('01'),
      });
    });
  });

  it('passes diagnostics through in order with frames, and never errors on junk', () => {
    ts.run(({ cold, expectObservable }) => {
      const chunks = cold('(a|)', { a: bytes(0xff, STX, 0x07, ETX, 0xee) });
      expectObservable(chunks.pipe(deframe(toyParser))).toBe('(xfy|)', {
        x: diagnostic('discarded', 'FF'),
        f: frame('07'),
        y: diagnostic('discarded', 'EE'),
      });
    });
  });

  it('propagates a transport error and cancels a pending gap timer', () => {
    ts.run(({ cold, expectObservable }) => {
      const lost = new Error('line lost');
      const chunks = cold('a 4ms #', { a: bytes(STX, 0x01) }, lost);
      expectObservable(chunks.pipe(deframe(toyParser, { interByteGapMs: 10, scheduler: ts }))).toBe(
        '5ms #',
        {},
        lost,
      );
    });
  });

  it('gives each subscriber its own parser', () => {
    const source = new Subject<Uint8Array>();
    const a: string[] = [];
    const b: string[] = [];
    source.pipe(deframe(toyParser)).subscribe((o) => o.type === 'frame' && a.push(o.frame));
    source.next(bytes(STX, 0x01));
    source.pipe(deframe(toyParser)).subscribe((o) => o.type === 'frame' && b.push(o.frame));
    source.next(bytes(0x05, ETX));
    expect(a).to.deep.equal(['01 05']);
    expect(b).to.deep.equal([]);
  });

  it('yields the same frames however the byte stream is cut (property)', () => {
    const payload = fc.uint8Array({ maxLength: 8 }).map((p) => p.filter((x) => x !== STX && x !== ETX));
    fc.assert(
      fc.property(
        fc.array(payload, { maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (payloads, cuts) => {
          const stream = Uint8Array.from(payloads.flatMap((p) => [STX, ...p, ETX]));
          const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((x, y) => x - y);
          const chunks: Uint8Array[] = [];
          let last = 0;
          for (const p of [...points, stream.length]) {
            chunks.push(stream.subarray(last, p));
            last = p;
          }
          const outs: DeframeOutput<string>[] = [];
          from(chunks)
            .pipe(deframe(toyParser))
            .subscribe((o) => outs.push(o));
          expect(framesOnly(outs)).to.deep.equal(payloads.map((p) => toHex(p)));
        },
      ),
    );
  });
});
