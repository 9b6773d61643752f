import { expect } from 'chai';
import fc from 'fast-check';
import { InvalidArgumentError } from '../../lib/core/errors.js';
import { createFaultyLine } from '../../lib/testing/faults/faulty-line.js';
import {
  FAULT_PROBABILITY_KEYS,
  LINE_FAULT_KEYS,
  assertFaultsApply,
  formatFaultPlan,
  lineFaultPlan,
  parseFaultSpec,
  protocolFaultsOf,
  validateFaultPlan,
  type FaultPlan,
} from '../../lib/testing/faults/plan.js';
import { createMemoryPair } from '../../lib/transport/memory.js';
import { createRandom } from '../../lib/testing/random.js';

function errorOf(fn: () => unknown): InvalidArgumentError {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(InvalidArgumentError);
    return e as InvalidArgumentError;
  }
  expect.fail('expected an InvalidArgumentError');
}

describe('fault plan', () => {
  it('parses the CLI form into probabilities', () => {
    expect(parseFaultSpec('drop=0.05,corrupt=0.01,reset=0.001,dup=0.01,delay=0.01,split=0.2')).to.deep.equal({
      drop: 0.05,
      corrupt: 0.01,
      reset: 0.001,
      dup: 0.01,
      delay: 0.01,
      split: 0.2,
    });
  });

  it('accepts spaces, upper case, durations and the empty plan', () => {
    expect(parseFaultSpec(' DROP = 1 , pull=0.5, delayms=2500, reconnectms=0 ')).to.deep.equal({
      drop: 1,
      pull: 0.5,
      delayMs: 2500,
      reconnectMs: 0,
    });
    expect(parseFaultSpec('')).to.deep.equal({});
  });

  it('names an unknown key', () => {
    const e = errorOf(() => parseFaultSpec('drop=0.1,explode=0.2'));
    expect(e.message).to.contain("'explode'");
    expect(e.info['fault']).to.equal('explode');
  });

  it('names a probability outside 0..1 or not a number', () => {
    for (const [spec, key] of [
      ['corrupt=1.5', 'corrupt'],
      ['drop=-0.1', 'drop'],
      ['split=abc', 'split'],
      ['dup=', 'dup'],
    ] as const) {
      const e = errorOf(() => parseFaultSpec(spec));
      expect(e.message, spec).to.contain(`'${key}'`);
      expect(e.info['fault']).to.equal(key);
    }
  });

  it('rejects an item without "=", a repeated key and a negative duration', () => {
    expect(errorOf(() => parseFaultSpec('drop')).message).to.contain("'drop'");
    expect(errorOf(() => parseFaultSpec('drop=0.1,drop=0.2')).message).to.contain('twice');
    expect(errorOf(() => parseFaultSpec('delayms=-1')).info['fault']).to.equal('delayMs');
  });

  it('validates plan objects the same way', () => {
    expect(errorOf(() => validateFaultPlan({ drop: 2 })).info['fault']).to.equal('drop');
    expect(errorOf(() => validateFaultPlan({ nope: 0.1 } as FaultPlan)).info['fault']).to.equal('nope');
  });

  it('formats a plan back into a spec that parses to the same plan', () => {
    const probability = fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined });
    const record: Record<string, fc.Arbitrary<number | undefined>> = {};
    for (const k of FAULT_PROBABILITY_KEYS) record[k] = probability;
    fc.assert(
      fc.property(fc.record(record), (raw) => {
        const plan: Record<string, number> = {};
        for (const [k, v] of Object.entries(raw)) if (v !== undefined && v > 0) plan[k] = v;
        expect(parseFaultSpec(formatFaultPlan(plan))).to.deep.equal(plan);
      }),
    );
  });
});

describe('fault plan: the eSSP counter desync', () => {
  it('parses desync like any probability, and formats it back', () => {
    const plan = parseFaultSpec('drop=0.05, DESYNC=0.01');
    expect(plan).to.deep.equal({ drop: 0.05, desync: 0.01 });
    expect(formatFaultPlan(plan)).to.equal('drop=0.05,desync=0.01');
    expect(FAULT_PROBABILITY_KEYS).to.include('desync');
    expect(LINE_FAULT_KEYS).not.to.include('desync');
  });

  it('refuses a desync outside 0..1 or not a number, naming it', () => {
    for (const spec of ['desync=1.01', 'desync=-0.5', 'desync=often', 'desync=', 'desync=NaN']) {
      const e = errorOf(() => parseFaultSpec(spec));
      expect(e.message, spec).to.contain("'desync'");
      expect(e.message, spec).to.contain('0 to 1');
      expect(e.info['fault'], spec).to.equal('desync');
    }
    expect(errorOf(() => parseFaultSpec('desync=0.1,desync=0.2')).message).to.contain('twice');
    expect(errorOf(() => parseFaultSpec('bogus=1')).message).to.contain('desync');
  });

  it('applies to eSSP only: ccTalk, Pyramid and a plain line refuse it by name', () => {
    const plan = parseFaultSpec('corrupt=0.01,desync=0.02');
    expect(assertFaultsApply(plan, 'essp')).to.equal(plan);
    for (const protocol of ['cctalk', 'pyramid'] as const) {
      const e = errorOf(() => assertFaultsApply(plan, protocol));
      expect(e.message).to.match(/'desync' does not apply to (ccTalk|Pyramid).*eSSP/);
      expect(e.info).to.include({ fault: 'desync', protocol });
    }
    expect(errorOf(() => assertFaultsApply(plan, undefined)).info['fault']).to.equal('desync');
    // A zero probability asks for nothing: every protocol takes it.
    expect(() => assertFaultsApply({ desync: 0 }, 'cctalk')).not.to.throw();
    expect(protocolFaultsOf({ desync: 0, drop: 1 })).to.deep.equal([]);
    expect(protocolFaultsOf(plan)).to.deep.equal(['desync']);
  });

  it('is not a line fault: createFaultyLine refuses it instead of ignoring it', () => {
    const [, end] = createMemoryPair();
    const e = errorOf(() => createFaultyLine(end, { drop: 0.1, desync: 0.01 }, { seed: 1 }));
    expect(e.info['fault']).to.equal('desync');
    expect(e.message).to.contain('createEsspDesync');
    expect(lineFaultPlan({ drop: 0.1, desync: 0.01, delayMs: 5 })).to.deep.equal({ drop: 0.1, delayMs: 5 });
    expect(() =>
      createFaultyLine(end, lineFaultPlan({ drop: 0.1, desync: 0.01 }), { seed: 1 }),
    ).not.to.throw();
  });
});

describe('createRandom', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const a = createRandom(42);
    const b = createRandom(42);
    const c = createRandom(43);
    const sa = Array.from({ length: 16 }, () => a.nextU32());
    expect(Array.from({ length: 16 }, () => b.nextU32())).to.deep.equal(sa);
    expect(Array.from({ length: 16 }, () => c.nextU32())).to.not.deep.equal(sa);
  });

  it('keeps int() inside its bound and covers it', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 50 }), (seed, n) => {
        const r = createRandom(seed);
        const seen = new Set<number>();
        for (let i = 0; i < 40 * n; i++) {
          const v = r.int(n);
          expect(v).to.be.within(0, n - 1);
          seen.add(v);
        }
        expect(seen.size).to.equal(n);
      }),
      { numRuns: 50 },
    );
  });

  it('is roughly uniform (chance(0.25) over 40 000 draws)', () => {
    const r = createRandom(7);
    let hits = 0;
    for (let i = 0; i < 40_000; i++) if (r.chance(0.25)) hits++;
    expect(hits).to.be.within(9_600, 10_400);
  });

  it('forks streams that depend on the label, not on draws made elsewhere', () => {
    const a = createRandom(1);
    const fa = a.fork('drop');
    a.bytes(100);
    const b = createRandom(1);
    const fb = b.fork('drop');
    expect(fa.nextU32()).to.equal(fb.nextU32());
    expect(createRandom(1).fork('dup').nextU32()).to.not.equal(createRandom(1).fork('drop').nextU32());
  });

  it('rejects a seed that is not a safe integer', () => {
    expect(() => createRandom(1.5)).to.throw(InvalidArgumentError);
  });
});
