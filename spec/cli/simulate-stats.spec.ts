/**
 * The `stats` line and the fault wiring shared by the three simulator
 * runners: one JSON line, the same common keys on every protocol, the fault
 * plan and seed in it, and a `reset` fault power-cycling the unit.
 */
import { expect } from 'chai';
import { Subject, lastValueFrom, of } from 'rxjs';
import { runCcTalkSimulator } from '../../lib/cli/commands/cctalk.js';
import { runPyramidSimulator } from '../../lib/cli/commands/pyramid.js';
import { runEsspSimulator } from '../../lib/cli/commands/simulate-essp.js';
import { faultySide, parseFaultsOption } from '../../lib/cli/commands/simulate-faults.js';
import type { CliIo } from '../../lib/cli/io.js';
import { parseFaultSpec } from '../../lib/testing/faults/index.js';
import { createMemoryPair } from '../../lib/transport/memory.js';
import type { Transport } from '../../lib/transport/transport.js';

type Runner = (
  faults: string | undefined,
  seed: number | undefined,
  io: CliIo,
  t: Transport,
) => Promise<number>;

const opts = (faults: string | undefined, seed: number | undefined) => ({
  ...(faults !== undefined && { faults: parseFaultSpec(faults) }),
  ...(seed !== undefined && { seed }),
});

const RUNNERS: Readonly<Record<string, Runner>> = {
  essp: (f, s, io, t) => runEsspSimulator({ port: 'p', device: 'nv9usb', ...opts(f, s) }, io, () => of(t)),
  cctalk: (f, s, io, t) => runCcTalkSimulator({ port: 'p', open: () => of(t), ...opts(f, s) }, io),
  pyramid: (f, s, io, t) => runPyramidSimulator({ port: 'p', open: () => of(t), ...opts(f, s) }, io),
};

async function statsOf(run: Runner, faults?: string, seed?: number) {
  const out: string[] = [];
  const stdin = new Subject<string>();
  const io: CliIo = { out: (l) => out.push(l), err: () => undefined, stdinLines$: stdin, isTty: false };
  const done = run(faults, seed, io, createMemoryPair()[1]);
  await Promise.resolve();
  stdin.next('stats');
  stdin.complete();
  expect(await done).to.equal(0);
  const json = out.filter((l) => l.startsWith('{'));
  expect(json).to.have.length(1);
  return { out, stats: JSON.parse(json[0]!) as Record<string, unknown> };
}

describe('cashwire simulate: --faults, --seed and the stats line', () => {
  for (const [protocol, run] of Object.entries(RUNNERS)) {
    it(`${protocol}: one JSON line with the common counters, the plan and the seed`, async () => {
      const { out, stats } = await statsOf(run, 'drop=0.25,split=0.5', 42);
      expect(stats).to.include({ protocol, inserted: 0, accepted: 0, rejected: 0, resets: 0 });
      expect(stats['faults']).to.include({ plan: 'drop=0.25,split=0.5', seed: 42, chunks: 0, drop: 0 });
      expect(out.some((l) => /seed 42 \(--seed 42 replays them\)/.test(l))).to.equal(true);
    });

    it(`${protocol}: no --faults → faults null, no banner; without --seed a seed is still printed`, async () => {
      const plain = await statsOf(run);
      expect(plain.stats['faults']).to.equal(null);
      expect(plain.out.some((l) => /seed/.test(l))).to.equal(false);
      const seeded = await statsOf(run, 'drop=0.1');
      const seed = (seeded.stats['faults'] as { seed: number }).seed;
      expect(Number.isInteger(seed)).to.equal(true);
      expect(seeded.out.some((l) => l.includes(`--seed ${seed}`))).to.equal(true);
    });
  }

  it('a reset fault power-cycles the unit after the chunk went out', async () => {
    const [a, b] = createMemoryPair();
    let cycles = 0;
    const side = faultySide(b, { faults: parseFaultSpec('reset=1'), seed: 1 }, () => cycles++);
    const got: number[] = [];
    a.data$.subscribe((c) => got.push(...c));
    await lastValueFrom(side.transport.write(Uint8Array.of(1, 2)), { defaultValue: undefined });
    expect(got).to.deep.equal([1, 2]);
    expect(cycles).to.equal(1);
    expect(side.report()).to.include({ reset: 1, chunks: 1 });
  });

  it('after a pull fault the unit hears the line again once it is back (reconnectms)', async () => {
    const [host, unit] = createMemoryPair();
    const side = faultySide(
      unit,
      { faults: parseFaultSpec('pull=1,reconnectms=20'), seed: 1 },
      () => undefined,
    );
    const heard: number[] = [];
    side.transport.data$.subscribe((c) => heard.push(...c));
    await lastValueFrom(host.write(Uint8Array.of(1)), { defaultValue: undefined });
    await lastValueFrom(side.transport.write(Uint8Array.of(9)), { defaultValue: undefined }).catch(
      () => undefined,
    );
    await lastValueFrom(host.write(Uint8Array.of(2)), { defaultValue: undefined }); // cable out: lost
    await new Promise((resolve) => setTimeout(resolve, 60));
    await lastValueFrom(host.write(Uint8Array.of(3)), { defaultValue: undefined });
    expect(heard).to.deep.equal([1, 3]);
    expect(side.report()).to.include({ pull: 1, reconnect: 1 });
  });

  it('a bad spec is a usage error that names the key', () => {
    expect(() => parseFaultsOption('drop=0.1,bogus=1')).to.throw(/bogus/);
    expect(() => parseFaultsOption('drop=0.1,bogus=1'))
      .to.throw()
      .with.property('code', 'commander.invalidArgument');
  });
});
