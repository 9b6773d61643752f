/**
 * `npm run bench [-- [--quick] [suite ...]]`: runs every benchmark suite, or
 * the ones named, after printing the machine. `--quick` shortens every
 * measurement for a smoke run; its figures are not worth quoting.
 * Figures and how to read them: docs/performance.md.
 */
import { deviceSuite, exchangeSuite } from './device-suite.js';
import { receiveSuite } from './receive-suite.js';
import { seedCompareSuite } from './seed-compare.js';
import { load, machineLine, type Suite } from './report.js';

const SUITES: readonly Suite[] = [receiveSuite, seedCompareSuite, deviceSuite, exchangeSuite];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const names = args.filter((a) => !a.startsWith('--'));
const unknown = names.filter((n) => !SUITES.some((s) => s.name === n));
if (unknown.length > 0) {
  console.error(`unknown suite(s): ${unknown.join(', ')}; available:`);
  for (const s of SUITES) console.error(`  ${s.name}  ${s.description}`);
  process.exit(2);
}
// With no names: every suite but 'exchange', whose point is a fresh process
// (the 'device' suite runs the same measurement).
const selected =
  names.length === 0
    ? SUITES.filter((s) => s !== exchangeSuite)
    : SUITES.filter((s) => names.includes(s.name));

console.log(`cashwire benchmarks${quick ? ' (quick: smoke run, do not quote)' : ''}`);
console.log(machineLine());
for (const suite of selected) {
  console.log(`\n## ${suite.name}: ${suite.description}`);
  await suite.run({ quick });
}
console.log(`\ndone; ${load()}`);
