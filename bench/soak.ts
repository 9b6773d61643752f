/**
 * `npm run soak`: money safety under faults, per protocol. Inserts N notes or
 * coins into each simulator while the line loses replies, flips bits and the
 * unit power-cycles at random, then compares what the simulator accepted with
 * what the driver credited. Exits 1 when anything was lost or counted twice.
 *
 *   npm run soak                                   # 100 000 items per protocol, seed 1
 *   npm run soak -- --count 5000 --seed 7          # other size or seed
 *   npm run soak -- --protocol cctalk              # one protocol (repeatable, or a comma list)
 *   npm run soak -- --faults drop=0.05,corrupt=0.01,reset=0.001
 *   npm run soak -- --protocol essp --faults drop=0.05,desync=0.001   # desync: eSSP only
 */
import { parseArgs } from 'node:util';
import { assertFaultsApply, parseFaultSpec } from '../lib/testing/faults/index.js';
import { formatSoakReport } from './soak/report.js';
import { defaultSoakPlan, runSoak } from './soak/run.js';
import { SOAK_PROTOCOLS, type SoakProtocol, type SoakResult } from './soak/types.js';

function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0 || (name === 'count' && n === 0)) {
    throw new Error(
      `--${name} must be a ${name === 'count' ? 'positive' : 'non-negative'} integer, got '${text}'.`,
    );
  }
  return n;
}

function main(): number {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '100000' },
      seed: { type: 'string', default: '1' },
      protocol: { type: 'string', multiple: true },
      faults: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    console.log(
      'usage: npm run soak -- [--count N] [--seed S] [--protocol essp|cctalk|pyramid] [--faults SPEC]',
    );
    return 0;
  }
  const count = positiveInt('count', values.count);
  const seed = positiveInt('seed', values.seed);
  const wanted = (values.protocol ?? [...SOAK_PROTOCOLS]).flatMap((p) => p.split(','));
  for (const p of wanted) {
    if (!(SOAK_PROTOCOLS as readonly string[]).includes(p)) {
      throw new Error(`Unknown protocol '${p}'; known: ${SOAK_PROTOCOLS.join(', ')}.`);
    }
  }
  const given = values.faults === undefined ? undefined : parseFaultSpec(values.faults);
  // Refuse a fault a protocol does not have before hours of soak, not after.
  for (const p of wanted as SoakProtocol[]) if (given !== undefined) assertFaultsApply(given, p);
  const results: SoakResult[] = [];
  for (const protocol of wanted as SoakProtocol[]) {
    const plan = given ?? defaultSoakPlan(protocol);
    process.stderr.write(`${protocol}: ${count} items, seed ${seed} `);
    const result = runSoak({
      protocol,
      count,
      seed,
      plan,
      onProgress: () => process.stderr.write('.'),
    });
    process.stderr.write(` ${result.pass ? 'pass' : 'FAIL'}\n`);
    results.push(result);
  }
  console.log(formatSoakReport(results));
  return results.every((r) => r.pass) ? 0 : 1;
}

try {
  process.exitCode = main();
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 2;
}
