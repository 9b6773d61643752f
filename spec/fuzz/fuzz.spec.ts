import { expect } from 'chai';
import { DecodeError } from '../../lib/core/errors.js';
import type { DeframeOutput, FrameParser } from '../../lib/operators/deframe.js';
import { createRandom } from '../../lib/testing/random.js';
import { FUZZ_PROTOCOLS, OracleViolation, fuzzTargets, type FuzzTarget } from '../../bench/fuzz-targets.js';
import {
  TIME_BUDGET_MS,
  checkInput,
  checkParserMemory,
  forceGc,
  fuzzProtocol,
  fuzzRun,
  generateInput,
} from '../../bench/fuzz.js';

const RUNS = 10_000;
/** Override to explore: FUZZ_SEED=123 npx mocha spec/fuzz/fuzz.spec.ts */
const SEED = Number(process.env['FUZZ_SEED'] ?? 20261122);
const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

describe('fuzzing every decoder and deframer', function () {
  this.timeout(60_000);

  for (const protocol of FUZZ_PROTOCOLS) {
    it(`${protocol}: ${RUNS} random and mutated inputs break no oracle`, () => {
      const report = fuzzProtocol(protocol, RUNS, SEED);
      const lines = report.findings.map(
        (f) => `${f.target} ${f.kind}: ${f.message}\n  input: ${hex(f.input)}`,
      );
      expect(lines, `seed ${SEED}`).to.deep.equal([]);
      expect(report.runs).to.equal(RUNS);
      for (const t of fuzzTargets()[protocol])
        expect(report.perTarget[t.name], t.name).to.be.greaterThan(100);
    });
  }

  it('covers the decoders of every protocol', () => {
    const names = Object.values(fuzzTargets()).flatMap((list) => list.map((t) => t.name.split(':')[0]));
    for (const name of [
      'essp.decodeFrame',
      'essp.splitFrames',
      'essp.createEsspParser',
      'essp.decryptPacket',
      'essp.parsePollReply',
      'essp.decodeReply',
      'essp.decodeSetupRequest',
      'essp.createEsspLineDecoder',
      'cctalk.decodeFrame',
      'cctalk.createCcTalkParser',
      'cctalk.decodeCoinBuffer',
      'cctalk.decodeReply',
      'cctalk.parseCoinId',
      'pyramid.decodeFrame',
      'pyramid.createPyramidParser',
      'pyramid.decodeStatus',
      'pyramid.decodeFrameObject',
      'pyramid.decodePyramidLine',
    ]) {
      expect(names, name).to.include(name);
    }
  });

  it('mutates valid seeds: each parser seed alone is exactly one frame', () => {
    for (const list of Object.values(fuzzTargets())) {
      for (const t of list) {
        if (!t.parser) continue;
        for (const seed of t.seeds) {
          const frames = t
            .parser()
            .push(seed)
            .filter((o) => o.type === 'frame');
          expect(frames, `${t.name} ${hex(seed)}`).to.have.length(1);
        }
      }
    }
  });

  it('keeps every parser memory flat over a long random stream', function () {
    if (!forceGc()) this.skip();
    for (const list of Object.values(fuzzTargets())) {
      for (const t of list) {
        if (!t.parser) continue;
        const m = checkParserMemory(t, 0.2, SEED);
        expect(m.growth, t.name).to.be.lessThan(1_000_000);
      }
    }
  });
});

describe('the fuzzer itself', () => {
  const base = { protocol: 'essp', seeds: [Uint8Array.of(1, 2, 3)] } as const;

  it('reports an undocumented throw and keeps one input per distinct problem', () => {
    const target: FuzzTarget = {
      ...base,
      name: 'fake.throwsOn7F',
      run: (b) => {
        if (b.includes(0x7f)) throw new TypeError('boom');
      },
    };
    const report = fuzzRun([target], 2000, createRandom(1));
    expect(report.findings).to.have.length(1);
    expect(report.findings[0]).to.include({ kind: 'throw', message: 'TypeError: boom' });
    expect(Array.from(report.findings[0]!.input)).to.include(0x7f);
    expect(report.failures).to.be.greaterThan(1);
  });

  it('accepts the CashwireError subclasses a target documents, and only those', () => {
    const throwing = (mayThrow: FuzzTarget['mayThrow']): FuzzTarget => ({
      ...base,
      name: 'fake.decodeError',
      ...(mayThrow ? { mayThrow } : {}),
      run: () => {
        throw new DecodeError('bad');
      },
    });
    expect(checkInput(throwing([DecodeError]), Uint8Array.of(1))).to.equal(undefined);
    expect(checkInput(throwing(undefined), Uint8Array.of(1))).to.deep.include({ kind: 'throw' });
  });

  it('reports an oracle violation and a slow input', () => {
    const oracle: FuzzTarget = {
      ...base,
      name: 'fake.oracle',
      run: () => {
        throw new OracleViolation('chunking changed the frames');
      },
    };
    expect(checkInput(oracle, Uint8Array.of(1))).to.deep.equal({
      kind: 'oracle',
      message: 'chunking changed the frames',
    });
    const slow: FuzzTarget = {
      ...base,
      name: 'fake.slow',
      run: () => {
        const until = performance.now() + TIME_BUDGET_MS + 20;
        while (performance.now() < until);
      },
    };
    expect(checkInput(slow, Uint8Array.of(1))?.kind).to.equal('slow');
  });

  it('sees a parser whose buffer grows without bound', function () {
    if (!forceGc()) this.skip();
    const kept: Uint8Array[] = [];
    const leaky = (): FrameParser<unknown> => ({
      push: (chunk: Uint8Array): DeframeOutput<unknown>[] => {
        kept.push(chunk.slice());
        return [];
      },
      reset: () => [],
      pending: false,
    });
    const m = checkParserMemory({ ...base, name: 'fake.leaky', parser: leaky, run: () => undefined }, 2, 1);
    expect(m.growth).to.be.greaterThan(1_000_000);
    kept.length = 0;
  });

  it('derives inputs from the seed: same seed, same inputs', () => {
    const t = fuzzTargets().pyramid[0]!;
    const a = createRandom(5);
    const b = createRandom(5);
    for (let i = 0; i < 50; i++) expect(generateInput(t, a)).to.deep.equal(generateInput(t, b));
  });
});
