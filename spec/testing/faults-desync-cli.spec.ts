/**
 * `cashwire simulate essp --faults desync=... --seed N`: the counter desync
 * reaches the simulated unit, the eSSP driver on the other end recovers,
 * and the `stats` line counts the faults; ccTalk and Pyramid refuse it.
 */
import { expect } from 'chai';
import { InvalidArgumentError as UsageError } from 'commander';
import { Subject, firstValueFrom, of } from 'rxjs';
import { runCcTalkSimulator } from '../../lib/cli/commands/cctalk.js';
import { runPyramidSimulator } from '../../lib/cli/commands/pyramid.js';
import { runEsspSimulator } from '../../lib/cli/commands/simulate-essp.js';
import { parseFaultsOption } from '../../lib/cli/commands/simulate-faults.js';
import type { CliIo } from '../../lib/cli/io.js';
import { InvalidArgumentError } from '../../lib/core/errors.js';
import { createEsspDevice } from '../../lib/protocols/essp/device/device.js';
import { createMemoryPair } from '../../lib/transport/memory.js';

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('cashwire simulate --faults desync', function () {
  this.timeout(10_000);

  it('essp: the unit gets out of step, the driver renegotiates, stats counts the faults', async () => {
    const [host, end] = createMemoryPair();
    const out: string[] = [];
    const stdin = new Subject<string>();
    const io: CliIo = { out: (l) => out.push(l), err: () => undefined, stdinLines$: stdin, isTty: false };
    const options = { port: 'p', device: 'nv200', requireEncryption: true, seed: 5 } as const;
    const done = runEsspSimulator({ ...options, faults: parseFaultsOption('desync=0.1') }, io, () => of(end));
    await Promise.resolve();
    const device = createEsspDevice(host, { encryption: 'required' });
    const stats = (): Record<string, unknown> | undefined => {
      const line = out.filter((l) => l.startsWith('{')).at(-1);
      return line === undefined ? undefined : (JSON.parse(line) as Record<string, unknown>);
    };
    let faults: Record<string, unknown> = {};
    let negotiated = 0;
    for (let waited = 0; waited < 6_000; waited += 100) {
      await pause(100);
      stdin.next('stats');
      faults = (stats()?.['faults'] ?? {}) as Record<string, unknown>;
      negotiated = out.filter((l) => l.includes('encryption key negotiated')).length;
      if ((faults['desync'] as number) > 0 && negotiated > (faults['desync'] as number)) break;
    }
    device.dispose();
    stdin.complete();
    expect(await done).to.equal(0);
    expect(out.some((l) => /inside it: desync=0\.1; seed 5 \(--seed 5 replays them\)/.test(l))).to.equal(
      true,
    );
    expect(faults).to.include({ plan: 'desync=0.1', seed: 5, drop: 0 });
    expect(faults['desync'], 'desync faults injected').to.be.a('number').greaterThan(0);
    expect(out.some((l) => l.includes('encrypted packet refused'))).to.equal(true);
    // Every fault cost the driver one new key, and it got it.
    expect(negotiated).to.be.greaterThan(faults['desync'] as number);
  });

  it('essp: desync 0 (or no desync) still reports desync 0 next to the line faults', async () => {
    const out: string[] = [];
    const stdin = new Subject<string>();
    const io: CliIo = { out: (l) => out.push(l), err: () => undefined, stdinLines$: stdin, isTty: false };
    const [, end] = createMemoryPair();
    const options = { port: 'p', device: 'nv9usb', seed: 9, faults: parseFaultsOption('drop=0.1') };
    const done = runEsspSimulator(options, io, () => of(end));
    await Promise.resolve();
    stdin.next('stats');
    stdin.complete();
    expect(await done).to.equal(0);
    const line = JSON.parse(out.find((l) => l.startsWith('{'))!) as { faults: Record<string, unknown> };
    expect(line.faults).to.include({ plan: 'drop=0.1', seed: 9, desync: 0, drop: 0 });
  });

  it('a bad desync value is a usage error naming the key', () => {
    for (const text of ['desync=2', 'desync=x', 'desync=-1']) {
      expect(() => parseFaultsOption(text), text)
        .to.throw(UsageError)
        .with.property('message')
        .that.matches(/'desync'/);
    }
  });

  const others = {
    cctalk: (end: ReturnType<typeof createMemoryPair>[1], io: CliIo) =>
      runCcTalkSimulator({ port: 'p', open: () => of(end), faults: { desync: 0.01 }, seed: 1 }, io),
    pyramid: (end: ReturnType<typeof createMemoryPair>[1], io: CliIo) =>
      runPyramidSimulator({ port: 'p', open: () => of(end), faults: { desync: 0.01 }, seed: 1 }, io),
  };
  for (const [protocol, start] of Object.entries(others)) {
    it(`${protocol}: --faults desync is refused (exit 2) naming the fault and eSSP, and the port is closed`, async () => {
      const [host, end] = createMemoryPair();
      const io: CliIo = {
        out: () => undefined,
        err: () => undefined,
        stdinLines$: new Subject(),
        isTty: false,
      };
      let error: unknown;
      await start(end, io).catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).message).to.match(/'desync' does not apply.*eSSP/);
      expect((error as InvalidArgumentError).info['fault']).to.equal('desync');
      // The simulator's end is closed: the host side sees its line end.
      const ended = await firstValueFrom(host.data$, { defaultValue: 'ended' }).catch(() => 'ended');
      expect(ended).to.equal('ended');
    });
  }
});
