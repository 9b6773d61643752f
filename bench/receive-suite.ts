/**
 * Suite `receive`: throughput of the eSSP receive path on a generated stream
 * of realistic POLL replies, plain and encrypted, delivered in serial-sized
 * chunks, then the heap before and after a long run.
 *
 * Each benchmark iteration is one full pass over a stream (about 1 MB), so
 * per-call timer overhead is irrelevant and the figures are per byte / frame.
 */
import { Bench } from 'tinybench';
import { createHostCrypto } from '../lib/protocols/essp/crypto/session.js';
import {
  deframeAndDecode,
  deframeDecryptDecode,
  deframeOnly,
  hostSessionPolls,
  type ReceiveCounts,
} from './essp-receive.js';
import { heapAround, mb, ms, thousands, WIRE_BYTES_PER_SECOND, type BenchRun, type Suite } from './report.js';
import { BENCH_CONTEXT, benchKey, buildStreams, type FrameStream } from './streams.js';

interface Stage {
  readonly name: string;
  readonly stream: FrameStream;
  readonly events: number;
  readonly run: () => ReceiveCounts;
}

async function run({ quick }: BenchRun): Promise<void> {
  let started = performance.now();
  const streams = buildStreams();
  const { plain, encrypted } = streams;
  console.log(
    `input: ${plain.frames} POLL replies, ${streams.events} events, ` +
      `${plain.stuffedFrames} plain frames with stuffing; ` +
      `plain ${mb(plain.bytes.length)} MB in ${streams.plainChunks.length} chunks, ` +
      `encrypted ${mb(encrypted.bytes.length)} MB (${encrypted.frames} replies, ` +
      `${encrypted.stuffedFrames} with stuffing) in ${streams.encryptedChunks.length} chunks; ` +
      `chunks 1-64 bytes; generated in ${ms(performance.now() - started)} ms`,
  );

  const key = benchKey();
  const host = createHostCrypto(benchKey());
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
    time: quick ? 200 : 3000,
    warmupTime: quick ? 50 : 300,
    warmupIterations: quick ? 1 : 2,
    iterations: quick ? 2 : 5,
  });
  for (const stage of stages) bench.add(stage.name, () => void stage.run());
  started = performance.now();
  await bench.run();
  const benchMs = performance.now() - started;

  const rows = bench.tasks.map((task, i) => {
    const stage = stages[i]!;
    const r = task.result;
    if (r.state !== 'completed') throw new Error(`${task.name}: ${r.state}`);
    // The median pass: robust against a pass stalled by another process.
    const seconds = r.latency.p50 / 1000;
    const bytesPerSecond = stage.stream.bytes.length / seconds;
    return {
      stage: stage.name,
      input: stage.stream === plain ? 'plain' : 'encrypted',
      'MB/s': mb(bytesPerSecond),
      'best MB/s': mb(stage.stream.bytes.length / (r.latency.min / 1000)),
      'frames/s': thousands(stage.stream.frames / seconds),
      'ns/frame': thousands((seconds * 1e9) / stage.stream.frames),
      '± rme': `${r.latency.rme.toFixed(1)} %`,
      passes: r.latency.samplesCount,
      'x 9600 baud': thousands(bytesPerSecond / WIRE_BYTES_PER_SECOND),
    };
  });
  console.log(
    `\nthroughput of the median pass (MB = 10^6 bytes; one pass = one whole stream; ${ms(benchMs)} ms)`,
  );
  console.table(rows);

  // Many passes with a full GC before and after: growth would mean the
  // receive path keeps something per frame.
  const longRun = (name: string, stream: FrameStream, passes: number, pass: () => unknown) => {
    const h = heapAround(() => {
      for (let i = 0; i < passes; i++) pass();
    });
    return {
      stage: name,
      frames: thousands(stream.frames * passes),
      'heap before (MB)': mb(h.before),
      'heap after (MB)': mb(h.after),
      'growth (kB)': ((h.after - h.before) / 1000).toFixed(1),
      'time (ms)': ms(h.ms),
    };
  };
  // About a million plain replies and about 190 000 encrypted ones.
  const heap = [
    longRun(stages[1]!.name, plain, quick ? 1 : 6, stages[1]!.run),
    longRun(stages[2]!.name, encrypted, quick ? 1 : 4, stages[2]!.run),
  ];
  console.log('\nheap over a long run (many passes, full GC before and after)');
  console.table(heap);
  host.dispose();
  key.wipe();
}

export const receiveSuite: Suite = {
  name: 'receive',
  description: 'eSSP receive path: deframe + CRC, event decode, decryption (bytes/s, frames/s, heap)',
  run,
};
