/**
 * `npm run bench`: throughput of the eSSP receive path on a generated stream
 * of realistic POLL replies, plain and encrypted, delivered in serial-sized
 * chunks. Prints the machine, a table per stage and the heap before/after a
 * long run. `npm run bench -- --quick` shortens every measurement (smoke run).
 *
 * Each benchmark iteration is one full pass over a stream (about 1 MB), so
 * per-call timer overhead is irrelevant and the figures are per byte / frame.
 */
import { cpus, totalmem } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Bench } from 'tinybench';
import { createHostCrypto } from '../lib/protocols/essp/crypto/session.js';
import {
  deframeAndDecode,
  deframeDecryptDecode,
  deframeOnly,
  hostSessionPolls,
  type ReceiveCounts,
} from './essp-receive.js';
import { BENCH_CONTEXT, benchKey, buildStreams, type FrameStream } from './streams.js';

/** 9600 baud, 8 data bits + start + stop: about 960 bytes per second on the wire. */
const WIRE_BYTES_PER_SECOND = 960;

const quick = process.argv.includes('--quick');
const timeMs = quick ? 200 : 3000;
const warmupMs = quick ? 50 : 300;
/** Passes of the heap run: about a million plain replies, and about 190 000 encrypted ones. */
const plainPasses = quick ? 1 : 6;
const encryptedPasses = quick ? 1 : 4;

const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
console.log(`cashwire eSSP receive benchmark${quick ? ' (quick)' : ''}`);
console.log(
  `node ${process.version} (V8 ${process.versions.v8}), ${process.platform}/${process.arch}, ` +
    `${cpu} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM`,
);

let started = performance.now();
const streams = buildStreams();
const { plain, encrypted } = streams;
console.log(
  `input: ${streams.plain.frames} POLL replies, ${streams.events} events, ` +
    `${plain.stuffedFrames} plain frames with stuffing; ` +
    `plain ${mb(plain.bytes.length)} MB in ${streams.plainChunks.length} chunks, ` +
    `encrypted ${mb(encrypted.bytes.length)} MB (${encrypted.frames} replies, ` +
    `${encrypted.stuffedFrames} with stuffing) in ${streams.encryptedChunks.length} chunks; ` +
    `chunks 1-64 bytes; generated in ${ms(performance.now() - started)} ms`,
);

const key = benchKey();
const host = createHostCrypto(benchKey());

interface Stage {
  readonly name: string;
  readonly stream: FrameStream;
  readonly events: number;
  readonly run: () => ReceiveCounts;
}

const stages: readonly Stage[] = [
  {
    name: '1 deframe + CRC',
    stream: plain,
    events: 0,
    run: () => deframeOnly(streams.plainChunks),
  },
  {
    name: '2 deframe + CRC + events',
    stream: plain,
    events: streams.events,
    run: () => deframeAndDecode(streams.plainChunks, BENCH_CONTEXT),
  },
  {
    name: '3 deframe + CRC + decrypt + events',
    stream: encrypted,
    events: streams.encryptedEvents,
    run: () => deframeDecryptDecode(streams.encryptedChunks, key, BENCH_CONTEXT),
  },
  {
    name: '4 host session: wrap POLL + 3',
    stream: encrypted,
    events: streams.encryptedEvents,
    run: () => {
      host.reset();
      return hostSessionPolls(streams.encryptedChunks, host, BENCH_CONTEXT);
    },
  },
];

// A stage that miscounts would measure the wrong work: check each once first.
for (const stage of stages) {
  const c = stage.run();
  if (c.frames !== stage.stream.frames || c.events !== stage.events || c.diagnostics + c.failures > 0) {
    throw new Error(`${stage.name}: unexpected pass ${JSON.stringify(c)}`);
  }
}

const bench = new Bench({
  name: 'essp receive',
  time: timeMs,
  warmupTime: warmupMs,
  warmupIterations: 2,
  iterations: 5,
});
for (const stage of stages) bench.add(stage.name, () => void stage.run());
started = performance.now();
await bench.run();
const benchMs = performance.now() - started;

const rows = bench.tasks.map((task, i) => {
  const stage = stages[i]!;
  const r = task.result;
  if (r.state !== 'completed') throw new Error(`${task.name}: ${r.state}`);
  const seconds = r.latency.mean / 1000;
  const bytesPerSecond = stage.stream.bytes.length / seconds;
  return {
    stage: stage.name,
    input: stage.stream === plain ? 'plain' : 'encrypted',
    'MB/s': mb(bytesPerSecond),
    'frames/s': Math.round(stage.stream.frames / seconds).toLocaleString('en-US'),
    'ns/frame': Math.round((seconds * 1e9) / stage.stream.frames).toLocaleString('en-US'),
    '± rme': `${r.latency.rme.toFixed(1)} %`,
    passes: r.latency.samplesCount,
    'x 9600 baud': Math.round(bytesPerSecond / WIRE_BYTES_PER_SECOND).toLocaleString('en-US'),
  };
});
console.log(`\nthroughput (MB = 10^6 bytes; one pass = one whole stream; ${ms(benchMs)} ms)`);
console.table(rows);

// Heap: many passes over each stream with a full GC before and after; growth
// would mean the receive path keeps something per frame.
const gc = exposeGc();
const heap = [
  longRun('2 deframe + CRC + events', plain.frames, plainPasses, () =>
    deframeAndDecode(streams.plainChunks, BENCH_CONTEXT),
  ),
  longRun('3 deframe + CRC + decrypt + events', encrypted.frames, encryptedPasses, () =>
    deframeDecryptDecode(streams.encryptedChunks, key, BENCH_CONTEXT),
  ),
];
console.log('\nheap over a long run (many passes, full GC before and after)');
console.table(heap);
host.dispose();
key.wipe();

function longRun(
  name: string,
  framesPerPass: number,
  passes: number,
  pass: () => ReceiveCounts,
): Record<string, string> {
  gc();
  const before = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  for (let i = 0; i < passes; i++) pass();
  const elapsed = performance.now() - t0;
  gc();
  const after = process.memoryUsage().heapUsed;
  return {
    stage: name,
    frames: (framesPerPass * passes).toLocaleString('en-US'),
    'heap before (MB)': mb(before),
    'heap after (MB)': mb(after),
    'growth (kB)': ((after - before) / 1000).toFixed(1),
    'time (ms)': ms(elapsed),
  };
}

/** A full-GC function: `--expose-gc` turned on at run time, so `tsx bench/index.ts` needs no flags. */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  const fn: unknown = runInNewContext('gc');
  if (typeof fn !== 'function') throw new Error('could not expose gc()');
  return () => {
    (fn as () => void)();
  };
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(2);
}

function ms(t: number): string {
  return t.toFixed(0);
}
