/**
 * Suite `seed`: cashwire's eSSP receive path against the older eSSP library
 * (`encrypted-smiley-secure-protocol`, a devDependency used only here) on the
 * same bytes from `bench/streams.ts`.
 *
 * How that library receives: its serial port is piped into its own stream
 * Transform (`src/parser.js`), which hunts STX, unstuffs, checks the CRC and
 * pushes each frame as a Buffer; its `SSP` object hands that Buffer to its
 * `parsePacket` method, which checks the CRC again, decrypts with aes-js when
 * a key is set, and decodes POLL events with `parseData` (`src/utils.js`).
 * The bench calls exactly those: the Transform written to directly (cheaper
 * than piping a port into it) and `parsePacket` on an `SSP` object with the
 * state its POLL handling would have (command POLL, protocol 6, SMART Payout,
 * the key negotiated through its own key-derivation method).
 *
 * Two inputs: the stream cut into 1-64 byte chunks as a port delivers it, and
 * the same bytes cut at frame boundaries. The older parser loses frames when a
 * chunk holds the end of one frame and the start of the next, so the second
 * input is its best case; it is the one the targets are checked on.
 */
import { createRequire } from 'node:module';
import type { Transform } from 'node:stream';
import { finished } from 'node:stream/promises';
import {
  deframeAndDecode,
  deframeDecryptDecode,
  checksOnlyFloor,
  deframeOnly,
  frameShapeFloor,
  type ReceiveCounts,
} from './essp-receive.js';
import { atLeast, printTargets, type Target } from './device-targets.js';
import { type BudgetInput, budgetRows, unavoidableCosts } from './seed-budget.js';
import { mb, ms, thousands, type BenchRun, type Suite } from './report.js';
import { BENCH_CONTEXT, BENCH_KEY_BYTES, benchKey, buildStreams, wholeFrameChunks } from './streams.js';

const require = createRequire(import.meta.url);

/** The parts of the older library's `SSP` object that its POLL handling uses. */
interface SeedSsp {
  currentCommand: string | null;
  protocol_version: number | undefined;
  unit_type: string | null;
  keys: { hostRandom: bigint | null; modulusKey: bigint | null };
  encryptKey?: Uint8Array;
  parsePacket(frame: Uint8Array): { success: boolean; info: unknown };
  createHostEncryptionKeys(slaveKey: Uint8Array): void;
}

const SeedSSP = require('encrypted-smiley-secure-protocol') as new (param: object) => SeedSsp;
const SeedParser = require('encrypted-smiley-secure-protocol/src/parser.js') as new (o: {
  id: number;
}) => Transform;
const seedUnitTypes = require('encrypted-smiley-secure-protocol/src/unit_type.js') as Record<number, string>;

/**
 * An `SSP` object as it stands while polling a SMART Payout at protocol 6. For
 * the encrypted stream the key comes from its own `createHostEncryptionKeys`:
 * with host random 1 and a large modulus the negotiated part equals the slave
 * key passed, which gives the bench key (fixed key + 0x038E39).
 */
function seedSsp(encrypted: boolean): SeedSsp {
  const ssp = new SeedSSP({ id: 0, fixedKey: '0123456701234567' });
  ssp.currentCommand = 'POLL';
  ssp.protocol_version = BENCH_CONTEXT.protocolVersion;
  ssp.unit_type = seedUnitTypes[BENCH_CONTEXT.unitType] ?? null;
  if (encrypted) {
    ssp.keys.hostRandom = 1n;
    ssp.keys.modulusKey = 1n << 62n;
    ssp.createHostEncryptionKeys(BENCH_KEY_BYTES.subarray(8));
    const key = ssp.encryptKey;
    if (key === undefined || key.length !== 16 || key.some((b, i) => b !== BENCH_KEY_BYTES[i])) {
      throw new Error('the older library derived a different key');
    }
  }
  return ssp;
}

/** One pass of the older library over `chunks`: its Transform, then `parsePacket` per frame unless `ssp` is undefined. */
async function seedPass(chunks: readonly Uint8Array[], ssp: SeedSsp | undefined): Promise<ReceiveCounts> {
  const counts: ReceiveCounts = { frames: 0, events: 0, diagnostics: 0, failures: 0 };
  const parser = new SeedParser({ id: 0 });
  parser.on('data', (frame: Uint8Array) => {
    counts.frames++;
    if (ssp === undefined) return;
    const r = ssp.parsePacket(frame);
    // An empty POLL reply is a success whose info is `{}`, not a list.
    if (!r.success) counts.failures++;
    else if (Array.isArray(r.info)) counts.events += r.info.length;
  });
  // 'data' switches the stream to flowing on the next tick; write once it flows.
  await new Promise((r) => setImmediate(r));
  for (const c of chunks) parser.write(c);
  parser.end();
  await finished(parser);
  return counts;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface Pair {
  readonly stage: string;
  readonly input: string;
  readonly bytes: number;
  readonly ours: () => ReceiveCounts;
  readonly seed: () => Promise<ReceiveCounts>;
}

async function run({ quick }: BenchRun): Promise<void> {
  const streams = buildStreams();
  const { plain, encrypted } = streams;
  const key = benchKey();
  const inputs = [
    { name: 'serial chunks', plain: streams.plainChunks, encrypted: streams.encryptedChunks },
    { name: 'whole frames', plain: wholeFrameChunks(plain), encrypted: wholeFrameChunks(encrypted) },
  ];
  const pairs: Pair[] = inputs.flatMap((input) => [
    {
      stage: 'A deframe + CRC',
      input: input.name,
      bytes: plain.bytes.length,
      ours: () => deframeOnly(input.plain),
      seed: () => seedPass(input.plain, undefined),
    },
    {
      stage: 'B deframe + CRC + events',
      input: input.name,
      bytes: plain.bytes.length,
      ours: () => deframeAndDecode(input.plain, BENCH_CONTEXT),
      seed: () => seedPass(input.plain, seedSsp(false)),
    },
    {
      stage: 'C deframe + CRC + decrypt + events',
      input: input.name,
      bytes: encrypted.bytes.length,
      ours: () => deframeDecryptDecode(input.encrypted, key, BENCH_CONTEXT),
      seed: () => seedPass(input.encrypted, seedSsp(true)),
    },
  ]);
  // How far the frame shape alone lets the ratio go: the yardstick against the
  // older library's stage B on its best case.
  const whole = inputs[1]!;
  pairs.push({
    stage: 'F yardstick: frame objects only, no parsing',
    input: whole.name,
    bytes: plain.bytes.length,
    ours: () => frameShapeFloor(whole.plain),
    seed: () => seedPass(whole.plain, seedSsp(false)),
  });
  // How far any receiver with the same checks and decoder could go: no frame
  // objects and no stream at all, DATA copied once.
  pairs.push({
    stage: 'G yardstick: checks and events only, no frames, no stream',
    input: whole.name,
    bytes: plain.bytes.length,
    ours: () => checksOnlyFloor(whole.plain, BENCH_CONTEXT),
    seed: () => seedPass(whole.plain, seedSsp(false)),
  });

  // What each side makes of the input, before any timing.
  const checks = [];
  for (const p of pairs) {
    const o = p.ours();
    const s = await p.seed();
    checks.push({
      stage: p.stage,
      input: p.input,
      'frames (cashwire)': o.frames,
      'frames (older)': s.frames,
      'events (cashwire)': o.events,
      'events (older)': s.events,
      'failed (cashwire)': o.diagnostics + o.failures,
      'failed (older)': s.failures,
    });
  }
  console.log(
    `input: plain ${mb(plain.bytes.length)} MB (${thousands(plain.frames)} replies), ` +
      `encrypted ${mb(encrypted.bytes.length)} MB (${thousands(encrypted.frames)} replies); ` +
      'older library = encrypted-smiley-secure-protocol, its parser Transform + SSP.parsePacket',
  );
  console.log('\nwhat each side recovers from the input (events: as each library counts them)');
  console.table(checks);

  // Rounds that alternate the two sides pass by pass (and which side goes
  // first), so a change in the machine's load hits both alike; the ratio is
  // taken per round and the median round is reported. A stalled pass moves a
  // median far less than a mean.
  const rounds = quick ? 3 : 15;
  const started = performance.now();
  const rows = [];
  const ratios: number[] = [];
  const budgets: BudgetInput[] = [];
  for (const p of pairs) {
    p.ours(); // warm-up, both sides
    await p.seed();
    const ourTimes: number[] = [];
    const seedTimes: number[] = [];
    const roundRatios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const timeOurs = (): number => {
        const t = performance.now();
        p.ours();
        return performance.now() - t;
      };
      const timeSeed = async (): Promise<number> => {
        const t = performance.now();
        await p.seed();
        return performance.now() - t;
      };
      let o: number;
      let sd: number;
      if (r % 2 === 0) {
        o = timeOurs();
        sd = await timeSeed();
      } else {
        sd = await timeSeed();
        o = timeOurs();
      }
      ourTimes.push(o);
      seedTimes.push(sd);
      roundRatios.push(sd / o);
    }
    const ours = median(ourTimes) / 1000;
    const seed = median(seedTimes) / 1000;
    const ratio = median(roundRatios);
    ratios.push(ratio);
    const encryptedStage = p.stage.startsWith('C');
    if (p.stage.startsWith('B') || encryptedStage) {
      budgets.push({
        stage: p.stage,
        input: p.input,
        encrypted: encryptedStage,
        replies: encryptedStage ? encrypted.frames : plain.frames,
        olderPassMs: median(seedTimes),
      });
    }
    rows.push({
      stage: p.stage,
      input: p.input,
      'cashwire MB/s': mb(p.bytes / ours),
      'older MB/s': mb(p.bytes / seed),
      'cashwire ÷ older (median round)': ratio.toFixed(1),
      'rounds: lowest – highest': `${Math.min(...roundRatios).toFixed(1)} – ${Math.max(...roundRatios).toFixed(1)}`,
    });
  }
  console.log(
    `\nthroughput on the same bytes: ${rounds} rounds per stage, each one pass of either side in turn, ` +
      `median pass shown (one pass = one whole stream; ${ms(performance.now() - started)} ms)`,
  );
  console.table(rows);

  const targets: Target[] = pairs
    .map((p, k) => ({ p, ratio: ratios[k]! }))
    .filter(({ p }) => p.stage.startsWith('B') || p.stage.startsWith('C'))
    .map(({ p, ratio }) => ({
      what: `decode throughput ÷ older library: ${p.stage.slice(2)}, ${p.input}`,
      ...atLeast(20, '×', 1),
      measured: ratio,
      note: p.input === 'whole frames' ? "the older parser's best case" : 'it loses frames here',
    }));
  printTargets('seed comparison targets', targets);

  // What 20 × leaves per reply once the steps no receiver can skip are paid.
  const costs = unavoidableCosts(plain, encrypted, key, quick ? 3 : 15);
  console.log(
    '\nthe 20 × budget per reply (the older median pass ÷ replies in the stream ÷ 20) against the steps ' +
      'no receiver can skip, timed alone on the same replies: one owned copy of the wire bytes, the CRC-16, ' +
      "and for an encrypted reply AES-128 decryption of its blocks with the library's cipher",
  );
  console.table(budgetRows(budgets, costs));
  key.wipe();
}

export const seedCompareSuite: Suite = {
  name: 'seed',
  description:
    'eSSP decode throughput against the older library encrypted-smiley-secure-protocol on the same bytes',
  run,
};
