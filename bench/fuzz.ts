/**
 * Mutation fuzzer for every decoder and deframer (targets in bench/fuzz-targets.ts).
 *
 *   npm run fuzz                      1 000 000 inputs per protocol, seed 1
 *   npm run fuzz -- --runs 50000 --seed 7 --protocol essp
 *
 * Inputs are random bytes or mutated valid frames (bit flips, inserted and
 * deleted bytes, length-byte tweaks, splices of two frames); parsers get
 * several frames and junk cut into random chunks. Every input derives from
 * (seed, protocol, index), so a run is reproducible. A failing input is saved
 * under spec/fixtures/fuzz/<protocol>/ where spec/fuzz/corpus.spec.ts replays it.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createRandom, type Random } from '../lib/testing/random.js';
import { mutateBytes } from '../lib/testing/faults/mutate.js';
import {
  FUZZ_PROTOCOLS,
  OracleViolation,
  fuzzTargets,
  replayRandom,
  type FuzzProtocol,
  type FuzzTarget,
} from './fuzz-targets.js';

/** An input slower than this is a suspected hang (checked twice, to rule out a GC pause). */
export const TIME_BUDGET_MS = 250;

export type FindingKind = 'throw' | 'oracle' | 'slow';

export interface Finding {
  readonly target: string;
  readonly kind: FindingKind;
  readonly message: string;
  readonly input: Uint8Array;
}

export interface FuzzReport {
  readonly runs: number;
  readonly ms: number;
  /** CPU time of this process over the run (user + system), less sensitive to other load than `ms`. */
  readonly cpuMs: number;
  /** Inputs run per target. */
  readonly perTarget: Readonly<Record<string, number>>;
  /** First input of each distinct (target, kind, message). */
  readonly findings: readonly Finding[];
  /** All failing inputs, duplicates included. */
  readonly failures: number;
}

const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

/** One input for `target`: random bytes, or mutated valid ones; for parsers, several pieces run together. */
export function generateInput(target: FuzzTarget, rnd: Random): Uint8Array {
  const piece = (): Uint8Array => {
    const roll = rnd.int(20);
    if (roll < 9) return rnd.bytes(rnd.int(rnd.pick([8, 40, 300])));
    const seed = rnd.pick(target.seeds);
    if (roll === 9) return seed;
    return mutateBytes(seed, rnd, {
      others: target.seeds,
      ...(target.lengthOffsets ? { lengthOffsets: target.lengthOffsets } : {}),
    });
  };
  if (!target.parser) return piece();
  const parts: Uint8Array[] = [];
  const n = rnd.range(1, 6);
  for (let i = 0; i < n; i++) parts.push(rnd.chance(0.3) ? rnd.pick(target.seeds) : piece());
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function describe(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message.split('\n')[0]!.slice(0, 200)}`;
  return `non-error thrown: ${typeof e}`;
}

/** Run one input through every oracle. Variant choices come from the input itself, so replays are exact. */
export function checkInput(
  target: FuzzTarget,
  input: Uint8Array,
): Omit<Finding, 'input' | 'target'> | undefined {
  const once = (): Omit<Finding, 'input' | 'target'> | undefined => {
    try {
      target.run(input, replayRandom(input));
    } catch (e) {
      if (e instanceof OracleViolation) return { kind: 'oracle', message: e.message };
      if (target.mayThrow?.some((c) => e instanceof c)) return undefined;
      return { kind: 'throw', message: describe(e) };
    }
    return undefined;
  };
  const t0 = performance.now();
  const first = once();
  if (first || performance.now() - t0 <= TIME_BUDGET_MS) return first;
  const t1 = performance.now();
  once();
  const ms = performance.now() - t1;
  return ms > TIME_BUDGET_MS
    ? { kind: 'slow', message: `took ${ms.toFixed(0)} ms on ${input.length} bytes` }
    : undefined;
}

/** Fuzz `targets` round-robin for `runs` inputs. */
export function fuzzRun(targets: readonly FuzzTarget[], runs: number, rnd: Random): FuzzReport {
  const perTarget: Record<string, number> = {};
  const seen = new Set<string>();
  const findings: Finding[] = [];
  let failures = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    const target = targets[i % targets.length]!;
    const input = generateInput(target, rnd);
    perTarget[target.name] = (perTarget[target.name] ?? 0) + 1;
    const bad = checkInput(target, input);
    if (!bad) continue;
    failures++;
    const key = `${target.name}|${bad.kind}|${bad.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    findings.push({ target: target.name, ...bad, input });
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    runs,
    ms: performance.now() - t0,
    cpuMs: (cpu.user + cpu.system) / 1000,
    perTarget,
    findings,
    failures,
  };
}

export function fuzzProtocol(protocol: FuzzProtocol, runs: number, seed: number): FuzzReport {
  return fuzzRun(fuzzTargets()[protocol], runs, createRandom(seed).fork(protocol));
}

let gcFn: (() => void) | undefined | null;
/** A real garbage collection, when the runtime allows enabling it; undefined otherwise. */
export function forceGc(): (() => void) | undefined {
  if (gcFn === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as () => void;
    } catch {
      gcFn = null;
    }
  }
  return gcFn ?? undefined;
}

export interface MemoryCheck {
  readonly target: string;
  readonly bytesFed: number;
  /** Heap growth in bytes between two collections around the stream, with the parser alive. */
  readonly growth: number;
  /** False when no collection could be forced (the figure is then noise). */
  readonly exact: boolean;
  /** Whether the parser held part of a frame at the end. */
  readonly pendingAtEnd: boolean;
}

/** Feed one parser `megabytes` of generated stream in random chunks and measure heap growth. */
export function checkParserMemory(target: FuzzTarget, megabytes: number, seed: number): MemoryCheck {
  const make = target.parser;
  if (!make) throw new Error(`${target.name} is not a parser target`);
  const rnd = createRandom(seed).fork(`memory:${target.name}`);
  const gc = forceGc();
  const parser = make();
  // Warm up so lazily built tables do not count as growth.
  parser.push(generateInput(target, rnd));
  gc?.();
  const before = process.memoryUsage().heapUsed;
  let fed = 0;
  while (fed < megabytes * 1_000_000) {
    const input = generateInput(target, rnd);
    for (let i = 0; i < input.length;) {
      const size = rnd.range(1, 64);
      parser.push(input.subarray(i, i + size));
      i += size;
    }
    fed += input.length;
  }
  gc?.();
  const growth = process.memoryUsage().heapUsed - before;
  // Reading the parser after the measure keeps it (and whatever it holds) alive until then.
  return {
    target: target.name,
    bytesFed: fed,
    growth,
    exact: gc !== undefined,
    pendingAtEnd: parser.pending,
  };
}

/** Save a finding as a corpus file; returns its path. */
export function saveFinding(root: string, protocol: FuzzProtocol, f: Finding, seed: number): string {
  let hash = 0x811c9dc5;
  for (const b of f.input) hash = Math.imul(hash ^ b, 0x01000193);
  const file = join(
    root,
    protocol,
    `${f.target.replace(/[^a-z0-9.-]/gi, '_')}-${(hash >>> 0).toString(16)}.hex`,
  );
  mkdirSync(dirname(file), { recursive: true });
  const text = [
    `# target: ${f.target}`,
    `# found: seed ${seed}, ${f.kind}: ${f.message}`,
    toHex(f.input),
    '',
  ];
  writeFileSync(file, text.join('\n'));
  return file;
}

interface Args {
  runs: number;
  seed: number;
  protocols: FuzzProtocol[];
  save: boolean;
  jobs: number;
  memoryMb: number;
}

function parseArgs(argv: readonly string[]): Args {
  let runs = 1_000_000;
  let seed = 1;
  const protocols: FuzzProtocol[] = [];
  let save = true;
  let jobs = 2;
  let memoryMb = 2;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--runs') runs = Number(value());
    else if (a === '--seed') seed = Number(value());
    else if (a === '--protocol') protocols.push(value() as FuzzProtocol);
    else if (a === '--no-save') save = false;
    else if (a === '--quiet-header') continue;
    else if (a === '--jobs') jobs = Number(value());
    else if (a === '--memory-mb') memoryMb = Number(value());
    else
      throw new Error(
        `Unknown option ${a}. Options: --runs N, --seed S, --protocol essp|cctalk|pyramid, ` +
          '--jobs J, --memory-mb M, --no-save',
      );
  }
  if (!Number.isSafeInteger(runs) || runs < 1) throw new Error('--runs needs a positive integer');
  if (!Number.isSafeInteger(seed)) throw new Error('--seed needs an integer');
  for (const p of protocols) if (!FUZZ_PROTOCOLS.includes(p)) throw new Error(`Unknown protocol ${p}`);
  if (!Number.isSafeInteger(jobs) || jobs < 1) throw new Error('--jobs needs a positive integer');
  if (!(memoryMb > 0)) throw new Error('--memory-mb needs a positive number');
  return { runs, seed, protocols: protocols.length ? protocols : [...FUZZ_PROTOCOLS], save, jobs, memoryMb };
}

/** Run each protocol in its own process, `jobs` at a time; print each one's output when it ends. */
async function runParallel(args: Args): Promise<number> {
  const script = fileURLToPath(import.meta.url);
  const started = performance.now();
  console.log(
    `fuzz: ${args.runs} inputs per protocol, seed ${args.seed}, ${args.jobs} processes, node ${process.version}`,
  );
  const queue = [...args.protocols];
  let failed = 0;
  const worker = async (): Promise<void> => {
    for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
      const argv = [
        script,
        '--jobs',
        '1',
        '--protocol',
        p,
        '--runs',
        String(args.runs),
        '--seed',
        String(args.seed),
      ];
      argv.push('--memory-mb', String(args.memoryMb), ...(args.save ? [] : ['--no-save']), '--quiet-header');
      const child = spawn(process.execPath, [...process.execArgv, ...argv], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (d: Uint8Array) => (out += new TextDecoder().decode(d)));
      const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
      process.stdout.write(out);
      if (code !== 0) failed++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(args.jobs, args.protocols.length) }, worker));
  console.log(
    `fuzz: all done in ${((performance.now() - started) / 1000).toFixed(1)} s wall clock, ${failed} protocol(s) with problems`,
  );
  return failed === 0 ? 0 : 1;
}

function main(args: Args): number {
  const { runs, seed, protocols, save } = args;
  const corpus = join(dirname(fileURLToPath(import.meta.url)), '..', 'spec', 'fixtures', 'fuzz');
  const started = performance.now();
  let failed = 0;
  if (!process.argv.includes('--quiet-header')) {
    console.log(`fuzz: ${runs} inputs per protocol, seed ${seed}, node ${process.version}`);
  }
  for (const protocol of protocols) {
    const report = fuzzProtocol(protocol, runs, seed);
    const rate = Math.round(report.runs / (report.ms / 1000));
    const cpuRate = Math.round(report.runs / (report.cpuMs / 1000));
    console.log(
      `${protocol.padEnd(8)} ${report.runs} inputs in ${(report.ms / 1000).toFixed(1)} s (${rate} inputs/s; ` +
        `${(report.cpuMs / 1000).toFixed(1)} s CPU, ${cpuRate} inputs per CPU second), ` +
        `${report.failures} failing input(s), ${report.findings.length} distinct`,
    );
    for (const [name, n] of Object.entries(report.perTarget)) console.log(`  ${name.padEnd(36)} ${n}`);
    for (const target of fuzzTargets()[protocol]) {
      if (!target.parser) continue;
      const m = checkParserMemory(target, args.memoryMb, seed);
      const ok = m.growth < 1_000_000;
      if (!ok) failed++;
      console.log(
        `  memory ${target.name}: ${(m.bytesFed / 1e6).toFixed(1)} MB fed, heap ${m.growth >= 0 ? '+' : ''}${(m.growth / 1024).toFixed(0)} KiB` +
          `${m.exact ? '' : ' (no forced GC: indicative only)'} ${ok ? 'ok' : 'GROWS'}`,
      );
    }
    for (const f of report.findings) {
      failed++;
      console.log(`  FINDING ${f.target} ${f.kind}: ${f.message}\n    input: ${toHex(f.input)}`);
      if (save) console.log(`    saved: ${saveFinding(corpus, protocol, f, seed)}`);
    }
  }
  console.log(
    `${protocols.join(', ')}: done in ${((performance.now() - started) / 1000).toFixed(1)} s, ${failed} problem(s)`,
  );
  return failed === 0 ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = parseArgs(process.argv.slice(2));
  if (args.jobs > 1 && args.protocols.length > 1) {
    runParallel(args).then(
      (code) => (process.exitCode = code),
      (e: unknown) => {
        console.error(e);
        process.exitCode = 1;
      },
    );
  } else process.exitCode = main(args);
}
