import { expect } from 'chai';
import fc from 'fast-check';
import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import type { FrameTrace } from '../../lib/operators/trace.js';
import { createEsspDevice } from '../../lib/protocols/essp/device/device.js';
import { createEsspSimulator } from '../../lib/protocols/essp/simulator/index.js';
import {
  TraceFormatError,
  parseTraceLines,
  recordTrace,
  seededRandom,
  traceToJsonLine,
  traceToJsonLines,
} from '../../lib/testing/trace/index.js';
import { createMemoryPair } from '../../lib/transport/memory.js';
import { createTestScheduler } from '../helpers/marbles.js';

const POLL: FrameTrace = {
  time: 200,
  direction: 'tx',
  protocol: 'essp',
  address: 0,
  hex: '7F 80 01 07 12 02',
  name: 'POLL',
};

const formatError = (text: string): TraceFormatError => {
  try {
    parseTraceLines(text);
  } catch (e) {
    if (e instanceof TraceFormatError) return e;
    throw e;
  }
  throw new Error('parseTraceLines accepted a bad trace');
};

const hexArb = fc
  .uint8Array({ maxLength: 12 })
  .map((b) => Array.from(b, (x) => x.toString(16).padStart(2, '0').toUpperCase()).join(' '));

const recordArb: fc.Arbitrary<FrameTrace> = fc
  .record(
    {
      time: fc.integer({ min: 0, max: 2 ** 45 }),
      direction: fc.constantFrom('tx' as const, 'rx' as const),
      protocol: fc.constantFrom('essp', 'cctalk', 'pyramid'),
      address: fc.integer({ min: 0, max: 255 }),
      hex: hexArb,
      name: fc.string({ maxLength: 20 }),
      note: fc.string({ maxLength: 20 }),
      plainHex: hexArb,
    },
    { requiredKeys: ['time', 'direction', 'protocol', 'hex'] },
  )
  .map((r) => r as FrameTrace);

describe('JSONL trace format', () => {
  it('writes one record per line with the fields in a fixed order', () => {
    expect(traceToJsonLine(POLL)).to.equal(
      '{"time":200,"direction":"tx","protocol":"essp","address":0,"hex":"7F 80 01 07 12 02","name":"POLL"}',
    );
    const rx: FrameTrace = {
      note: 'OK',
      hex: '7F 80 01 F0 23 80',
      protocol: 'essp',
      direction: 'rx',
      time: 205,
    };
    expect(traceToJsonLine(rx)).to.equal(
      '{"time":205,"direction":"rx","protocol":"essp","hex":"7F 80 01 F0 23 80","note":"OK"}',
    );
  });

  it('never writes fields a record does not define (nothing extra can leak into a file)', () => {
    const withExtra = { ...POLL, key: '0123456701234567', line: 7 } as FrameTrace;
    const line = traceToJsonLine(withExtra);
    expect(line).to.not.contain('key');
    expect(line).to.not.contain('0123456701234567');
    expect(line).to.not.contain('"line"');
  });

  it('round-trips any record, adding the line number it was read from', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { maxLength: 5 }), (records) => {
        const text = records.map((r) => `${traceToJsonLine(r)}\n`).join('');
        const parsed = parseTraceLines(text);
        expect(parsed).to.deep.equal(records.map((r, i) => ({ line: i + 1, ...r })));
      }),
    );
  });

  it('skips blank lines and # comments but counts them in line numbers', () => {
    const text = `# a comment\n\n${traceToJsonLine(POLL)}\r\n   \n${traceToJsonLine({ ...POLL, time: 400 })}`;
    expect(parseTraceLines(text).map((r) => [r.line, r.time])).to.deep.equal([
      [3, 200],
      [5, 400],
    ]);
    expect(parseTraceLines([traceToJsonLine(POLL)])).to.have.length(1);
  });

  it('accepts lower-case hex and stores it upper case, as toHex writes it', () => {
    const [r] = parseTraceLines('{"time":1,"direction":"rx","protocol":"essp","hex":"7f 80"}');
    expect(r!.hex).to.equal('7F 80');
  });

  describe('bad lines fail with TraceFormatError naming the line', () => {
    const good = traceToJsonLine(POLL);
    const cases: readonly (readonly [string, string, RegExp])[] = [
      ['not JSON', `${good}\n{"time":`, /not JSON/],
      ['not an object', `${good}\n[1,2]`, /JSON object/],
      ['a bad direction', `${good}\n{"time":1,"direction":"up","protocol":"essp","hex":""}`, /direction/],
      [
        'hex without separators',
        `${good}\n{"time":1,"direction":"tx","protocol":"essp","hex":"7F80"}`,
        /hex/,
      ],
      ['odd hex', `${good}\n{"time":1,"direction":"tx","protocol":"essp","hex":"7F 8"}`, /hex/],
      ['a missing time', `${good}\n{"direction":"tx","protocol":"essp","hex":"7F"}`, /time/],
      [
        'an address out of range',
        `${good}\n{"time":1,"direction":"tx","protocol":"x","hex":"","address":256}`,
        /address/,
      ],
    ];
    for (const [what, text, reason] of cases) {
      it(what, () => {
        const e = formatError(text);
        expect(e.line).to.equal(2);
        expect(e.code).to.equal('TRACE_FORMAT');
        expect(e.message)
          .to.match(/line 2/)
          .and.to.match(reason);
      });
    }
  });

  it('traceToJsonLines maps each record as it comes and ends with the trace', () => {
    createTestScheduler().run(({ cold, expectObservable }) => {
      const trace$ = cold<FrameTrace>('a-b|', { a: POLL, b: { ...POLL, time: 400 } });
      expectObservable(traceToJsonLines(trace$)).toBe('a-b|', {
        a: traceToJsonLine(POLL),
        b: traceToJsonLine({ ...POLL, time: 400 }),
      });
    });
  });

  it('recordTrace writes newline-terminated lines to a function or a stream-like sink', () => {
    createTestScheduler().run(({ cold, flush }) => {
      const trace$ = cold<FrameTrace>('ab|', { a: POLL, b: { ...POLL, direction: 'rx' } });
      const viaFunction: string[] = [];
      const chunks: string[] = [];
      recordTrace(trace$, (line) => viaFunction.push(line));
      recordTrace(trace$, { write: (chunk: string) => chunks.push(chunk) });
      flush();
      expect(viaFunction).to.deep.equal(chunks);
      expect(parseTraceLines(chunks.join('')).map((r) => r.direction)).to.deep.equal(['tx', 'rx']);
      expect(chunks.every((c) => c.endsWith('\n') && !c.slice(0, -1).includes('\n'))).to.equal(true);
    });
  });

  describe('an encrypted eSSP session recorded as JSONL', () => {
    /** Record 1.5 s of a session against the simulator with an inserted note. */
    const record = (traceDecrypted: boolean): string => {
      const scheduler = new VirtualTimeScheduler(VirtualAction, Number.POSITIVE_INFINITY);
      const [host, line] = createMemoryPair();
      const sim = createEsspSimulator(line, { profile: 'NV9USB', scheduler, random: seededRandom(1) });
      const dev = createEsspDevice(host, { scheduler, traceDecrypted, random: seededRandom(2) });
      const out: string[] = [];
      recordTrace(dev.trace$, (l) => out.push(l));
      scheduler.schedule(() => sim.insertNote(1), 500);
      scheduler.schedule(() => (dev.dispose(), sim.dispose()), 1500);
      scheduler.flush();
      return out.join('');
    };
    const FIXED_KEY_FORMS = ['0123456701234567', '01 23 45 67 01 23 45 67', '67 45 23 01 67 45 23 01'];

    it('holds no decrypted bytes unless the device opted in, and never the fixed key', () => {
      const plain = record(false);
      expect(parseTraceLines(plain).length).to.be.greaterThan(10);
      expect(plain).to.not.contain('plainHex');
      const opted = record(true);
      expect(parseTraceLines(opted).filter((r) => r.plainHex !== undefined).length).to.be.greaterThan(0);
      for (const text of [plain, opted]) for (const key of FIXED_KEY_FORMS) expect(text).to.not.contain(key);
    });
  });
});
