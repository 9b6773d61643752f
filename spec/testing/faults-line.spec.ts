import { expect } from 'chai';
import fc from 'fast-check';
import { VirtualTimeScheduler, firstValueFrom, toArray, takeUntil, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { InvalidArgumentError, TransportError } from '../../lib/core/errors.js';
import { createMemoryPair } from '../../lib/transport/memory.js';
import {
  createFaultyLine,
  type FaultInjection,
  type FaultyLineOptions,
} from '../../lib/testing/faults/faulty-line.js';
import type { FaultPlan } from '../../lib/testing/faults/plan.js';
import { encodeFrame, splitFrames } from '../../lib/protocols/essp/framing.js';
import { createEsspSimulator } from '../../lib/protocols/essp/simulator/index.js';

/** A pair whose `device` end writes through a faulty line; returns what the host end received. */
function rig(plan: FaultPlan, options: Partial<FaultyLineOptions> = {}) {
  const [host, device] = createMemoryPair();
  const line = createFaultyLine(device, plan, { seed: 1, ...options });
  const received: Uint8Array[] = [];
  host.data$.subscribe((c) => received.push(c));
  const injections: FaultInjection[] = [];
  line.injections$.subscribe((i) => injections.push(i));
  const send = (bytes: Uint8Array | number[]): void => {
    line.write(Uint8Array.from(bytes)).subscribe();
  };
  return { host, device, line, received, injections, send };
}

const flat = (chunks: readonly Uint8Array[]): number[] => chunks.flatMap((c) => Array.from(c));

const traffic = (n: number, seed = 0): Uint8Array[] =>
  Array.from({ length: n }, (_, i) =>
    Uint8Array.from({ length: 1 + ((i * 7 + seed) % 20) }, (_, j) => (i + j) & 0xff),
  );

describe('createFaultyLine', () => {
  it('passes every write through unchanged with an empty plan', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { maxLength: 20 }), (writes) => {
        const r = rig({});
        for (const w of writes) r.send(w);
        expect(r.received.map((c) => Array.from(c))).to.deep.equal(writes.map((w) => Array.from(w)));
        expect(r.line.stats.chunks).to.equal(writes.length);
        expect(r.injections).to.deep.equal([]);
      }),
    );
  });

  it('drop=1 loses every write and counts it', () => {
    const r = rig({ drop: 1 });
    for (const w of traffic(5)) r.send(w);
    expect(r.received).to.deep.equal([]);
    expect(r.line.stats.drop).to.equal(5);
    expect(r.injections.map((i) => i.chunk)).to.deep.equal([0, 1, 2, 3, 4]);
  });

  it('corrupt=1 flips exactly one bit of every byte', () => {
    const r = rig({ corrupt: 1 });
    const sent = traffic(10);
    for (const w of sent) r.send(w);
    const got = flat(r.received);
    const want = flat(sent);
    expect(got.length).to.equal(want.length);
    got.forEach((b, i) => {
      const x = b ^ want[i]!;
      expect(x !== 0 && (x & (x - 1)) === 0, `byte ${i}`).to.equal(true);
    });
    expect(r.line.stats.corrupt).to.equal(want.length);
  });

  it('dropbyte=1 loses every byte; dup=1 sends every write twice', () => {
    const a = rig({ dropbyte: 1 });
    a.send([1, 2, 3]);
    expect(a.received).to.deep.equal([]);
    expect(a.line.stats.dropbyte).to.equal(3);
    const b = rig({ dup: 1 });
    b.send([1, 2, 3]);
    b.send([4]);
    expect(b.received.map((c) => Array.from(c))).to.deep.equal([[1, 2, 3], [1, 2, 3], [4], [4]]);
    expect(b.line.stats.dup).to.equal(2);
  });

  it('split=1 cuts a write into 2 to 4 pieces that join back to it', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 2, maxLength: 60 }), fc.integer(), (bytes, seed) => {
        const r = rig({ split: 1 }, { seed });
        r.send(bytes);
        expect(r.received.length).to.be.within(2, 4);
        expect(flat(r.received)).to.deep.equal(Array.from(bytes));
        expect(r.injections[0]).to.include({ kind: 'split', pieces: r.received.length });
      }),
    );
  });

  it('delay holds a write and everything after it, in order (marbles)', () => {
    const scheduler = new VirtualTimeScheduler();
    const plan: FaultPlan = { delay: 1, delayMs: 100 };
    const [host, device] = createMemoryPair();
    const line = createFaultyLine(device, plan, { seed: 3, scheduler });
    const seen: [number, number][] = [];
    host.data$.subscribe((c) => seen.push([scheduler.now(), c[0]!]));
    scheduler.schedule(() => line.write(Uint8Array.of(1)).subscribe(), 10);
    scheduler.schedule(() => line.write(Uint8Array.of(2)).subscribe(), 20);
    scheduler.flush();
    expect(seen).to.deep.equal([
      [110, 1],
      [120, 2],
    ]);
    expect(line.stats.delay).to.equal(2);
  });

  it('a stalled line keeps later, undelayed writes behind the stalled one', () => {
    const scheduler = new VirtualTimeScheduler();
    const [host, device] = createMemoryPair();
    const line = createFaultyLine(device, { delay: 0.5, delayMs: 50 }, { seed: 11, scheduler });
    const seen: number[] = [];
    host.data$.subscribe((c) => seen.push(c[0]!));
    for (let i = 0; i < 40; i++) scheduler.schedule(() => line.write(Uint8Array.of(i)).subscribe(), i * 5);
    scheduler.flush();
    expect(seen).to.deep.equal(Array.from({ length: 40 }, (_, i) => i));
    expect(line.stats.delay).to.be.within(5, 35);
  });

  it('marble: a delayed reply arrives delayMs later on the other end', () => {
    const ts = new TestScheduler((a, b) => {
      expect(a).to.deep.equal(b);
    });
    ts.run(({ cold, expectObservable }) => {
      const [host, device] = createMemoryPair();
      const line = createFaultyLine(device, { delay: 1, delayMs: 5 }, { seed: 1, scheduler: ts });
      cold('-a--b|', { a: 1, b: 2 }).subscribe((v) => line.write(Uint8Array.of(v)).subscribe());
      expectObservable(host.data$, '^ 20ms !').toBe('------a--b', {
        a: Uint8Array.of(1),
        b: Uint8Array.of(2),
      });
    });
  });

  it('is reproducible: same seed and traffic give the same faults; another seed does not', () => {
    const plan: FaultPlan = { drop: 0.2, corrupt: 0.02, dup: 0.1, split: 0.3, dropbyte: 0.01 };
    const run = (seed: number) => {
      const r = rig(plan, { seed, scheduler: new VirtualTimeScheduler() });
      for (const w of traffic(300)) r.send(w);
      return { injections: r.injections, received: flat(r.received), stats: r.line.stats };
    };
    expect(run(99)).to.deep.equal(run(99));
    expect(run(99).injections).to.not.deep.equal(run(100).injections);
  });

  it('draws each fault kind from its own stream: adding corruption does not move the drops', () => {
    const drops = (plan: FaultPlan) => {
      const r = rig(plan, { seed: 5 });
      for (const w of traffic(200)) r.send(w);
      return r.injections.filter((i) => i.kind === 'drop').map((i) => i.chunk);
    };
    const alone = drops({ drop: 0.1 });
    expect(alone.length).to.be.within(8, 40);
    expect(drops({ drop: 0.1, corrupt: 0.3, split: 0.5 })).to.deep.equal(alone);
  });

  it('pull errors data$ with a TransportError, fails writes, and reconnect() restores the line', async () => {
    const [host, device] = createMemoryPair();
    const line = createFaultyLine(host, {}, { seed: 1 });
    const errors: unknown[] = [];
    const got: number[] = [];
    line.data$.subscribe({ next: (c) => got.push(...c), error: (e) => errors.push(e) });
    device.write(Uint8Array.of(1)).subscribe();
    line.pullCable();
    expect(errors).to.have.length(1);
    expect(errors[0]).to.be.instanceOf(TransportError);
    expect(line.connected).to.equal(false);
    device.write(Uint8Array.of(2)).subscribe(); // lost: nothing arrives through a pulled cable
    let writeError: unknown;
    line.write(Uint8Array.of(9)).subscribe({
      error: (e: unknown) => {
        writeError = e;
      },
    });
    expect(writeError).to.be.instanceOf(TransportError);
    line.data$.subscribe({ error: (e) => errors.push(e) });
    expect(errors).to.have.length(2);

    line.reconnect();
    expect(line.connected).to.equal(true);
    const after = new Subject<void>();
    const next = firstValueFrom(line.data$.pipe(takeUntil(after), toArray()));
    device.write(Uint8Array.of(3)).subscribe();
    after.next();
    expect(await next).to.deep.equal([Uint8Array.of(3)]);
    expect(got).to.deep.equal([1]);
    expect(line.stats).to.include({ pull: 1, reconnect: 1 });
  });

  it('pull as a fault, with reconnectMs, comes back by itself and calls the hooks', () => {
    const scheduler = new VirtualTimeScheduler();
    const [, device] = createMemoryPair();
    const calls: string[] = [];
    const line = createFaultyLine(
      device,
      { pull: 1, reconnectMs: 30 },
      {
        seed: 1,
        scheduler,
        onPull: () => calls.push(`pull@${scheduler.now()}`),
        onReconnect: () => calls.push(`back@${scheduler.now()}`),
      },
    );
    let err: unknown;
    line.data$.subscribe({
      error: (e: unknown) => {
        err = e;
      },
    });
    scheduler.schedule(() => line.write(Uint8Array.of(1)).subscribe({ error: () => undefined }), 10);
    scheduler.flush();
    expect(err).to.be.instanceOf(TransportError);
    expect(calls).to.deep.equal(['pull@10', 'back@40']);
    expect(line.connected).to.equal(true);
  });

  it('reset calls onReset after the chunk went out, and needs onReset when its probability is above 0', () => {
    expect(() => createFaultyLine(createMemoryPair()[0], { reset: 0.1 }, { seed: 1 })).to.throw(
      InvalidArgumentError,
      /onReset/,
    );
    const order: string[] = [];
    const [host, device] = createMemoryPair();
    host.data$.subscribe(() => order.push('bytes'));
    const line = createFaultyLine(device, { reset: 1 }, { seed: 1, onReset: () => order.push('reset') });
    line.write(Uint8Array.of(1)).subscribe();
    expect(order).to.deep.equal(['bytes', 'reset']);
    expect(line.stats.reset).to.equal(1);
  });

  it("direction 'inbound' applies the plan to what the wrapped side receives", () => {
    const [host, device] = createMemoryPair();
    const line = createFaultyLine(host, { drop: 1 }, { seed: 1, direction: 'inbound' });
    const got: Uint8Array[] = [];
    line.data$.subscribe((c) => got.push(c));
    device.write(Uint8Array.of(1, 2)).subscribe();
    line.write(Uint8Array.of(3)).subscribe();
    expect(got).to.deep.equal([]);
    expect(device.written).to.have.length(1);
    expect(flat(host.written)).to.deep.equal([3]); // outbound untouched
    expect(line.stats.drop).to.equal(1);
  });

  it('wired to the eSSP simulator: lost replies are exactly the injected drops, resets power-cycle it', () => {
    const [host, device] = createMemoryPair();
    let resets = 0;
    const line = createFaultyLine(
      device,
      { drop: 0.3, reset: 0.05 },
      { seed: 2024, onReset: () => resets++ },
    );
    const sim = createEsspSimulator(line, { profile: 'NV9USB', random: (o) => o.fill(1) });
    const replies: number[] = [];
    host.data$.subscribe((c) => {
      for (const item of splitFrames(c).items) if (item.type === 'frame') replies.push(item.frame.data[0]!);
    });
    for (let i = 0; i < 100; i++) {
      host.write(encodeFrame({ address: 0, seq: 1, data: Uint8Array.of(0x11) })).subscribe();
    }
    expect(replies.length + line.stats.drop).to.equal(100);
    expect(line.stats.drop).to.be.within(15, 45);
    expect(resets).to.equal(line.stats.reset);
    sim.dispose();
  });
});
