/**
 * Shared pieces of every benchmark suite: run options, the machine line,
 * number formatting and a heap probe. Suites print their own tables.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** What `npm run bench -- [--quick] [suite ...]` asked for. */
export interface BenchRun {
  /** Short measurements: a smoke run that the figures must not be quoted from. */
  readonly quick: boolean;
}

/** One benchmark suite, selectable by name on the command line. */
export interface Suite {
  readonly name: string;
  readonly description: string;
  run(options: BenchRun): Promise<void>;
}

/**
 * 9600 baud at 10 bits per byte: 960 bytes per second. eSSP's 2 stop bits make
 * it 11 bits (873 bytes/s), so factors against 960 understate the headroom.
 */
export const WIRE_BYTES_PER_SECOND = 960;

/** Node, CPU and load: every figure depends on them, so they are printed first. */
export function machineLine(): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return (
    `node ${process.version} (V8 ${process.versions.v8}), ${process.platform}/${process.arch}, ` +
    `${cpu} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${load()}`
  );
}

/** Other work on the machine skews every figure: print it with them. */
export function load(): string {
  return `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
}

/** Megabytes as 10^6 bytes, two decimals. */
export function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(2);
}

export function ms(t: number): string {
  return t.toFixed(0);
}

export function thousands(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

let fullGc: (() => void) | undefined;

/** A full GC, with `--expose-gc` switched on at run time so `tsx bench/index.ts` needs no flags. */
export function gc(): void {
  if (fullGc === undefined) {
    setFlagsFromString('--expose-gc');
    const fn: unknown = runInNewContext('gc');
    if (typeof fn !== 'function') throw new Error('could not expose gc()');
    fullGc = fn as () => void;
  }
  fullGc();
}

/** Heap used after a full GC, before and after `work`, and how long the work took. */
export function heapAround(work: () => void): { before: number; after: number; ms: number } {
  gc();
  const before = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  work();
  const elapsed = performance.now() - t0;
  gc();
  return { before, after: process.memoryUsage().heapUsed, ms: elapsed };
}
