import { expect } from 'chai';
import { ReplaySubject, filter, map, switchMap, take, timer } from 'rxjs';
import { fromHex, toHex } from '../../../lib/core/bytes.js';
import { CommandTimeoutError, InvalidArgumentError, OptionRangeError } from '../../../lib/core/errors.js';
import { createPyramidDevice } from '../../../lib/protocols/pyramid/device.js';
import { createPyramidSimulator } from '../../../lib/protocols/pyramid/simulator/simulator.js';
import { createMemoryPair } from '../../../lib/transport/memory.js';
import { createTestScheduler } from '../../helpers/marbles.js';
import { credits, runScenario, txHex, txTimes } from './device-harness.js';

/** Marble of the first three polls written at a given interval. */
function cadence(intervalMs: number, expected: string): void {
  const ts = createTestScheduler();
  ts.run(({ expectObservable }) => {
    const [host, line] = createMemoryPair();
    const sim = createPyramidSimulator(line, { scheduler: ts });
    const device = createPyramidDevice(host, { scheduler: ts, pollIntervalMs: intervalMs });
    // Recorded from creation: expectObservable subscribes after the first poll went out.
    const polls$ = new ReplaySubject<string>();
    device.trace$
      .pipe(
        filter((t) => t.direction === 'tx'),
        map(() => 'p'),
        take(3),
      )
      .subscribe(polls$);
    expectObservable(polls$).toBe(expected);
    ts.schedule(() => {
      device.dispose();
      sim.dispose();
    }, 3 * intervalMs);
  });
}

describe('Pyramid device: link and polling', () => {
  describe('poll cadence', () => {
    it('polls every 100 ms by default', () => cadence(100, 'p 99ms p 99ms (p|)'));
    it('polls every 50 ms at the lower limit', () => cadence(50, 'p 49ms p 49ms (p|)'));
    it('polls every 5 s at the upper limit', () => cadence(5000, 'p 4999ms p 4999ms (p|)'));
  });

  // The first reply says something new (there is nothing before it), so it is read twice before
  // the ack toggles (confirm.ts); replies that repeat the accepted status toggle it at once.
  it('every poll is the 8-byte frame carrying the current mask, and the ack toggles after each accepted reply', () => {
    const run = runScenario({ untilMs: 350, device: { enableMask: 0x1f } }, () => undefined);
    expect(txHex(run)).to.deep.equal([
      '02 08 10 1F 00 00 03 07',
      '02 08 10 1F 00 00 03 07',
      '02 08 11 1F 00 00 03 06',
      '02 08 10 1F 00 00 03 07',
    ]);
  });

  it('the fact sheet poll: all notes enabled, ack 0', () => {
    const run = runScenario({ untilMs: 50 }, () => undefined);
    expect(run.host.written[0]).to.deep.equal(fromHex('02 08 10 7F 00 00 03 67'));
  });

  it('resends identical bytes after a lost reply, and gets the replayed reply', () => {
    let replays = 0;
    const run = runScenario({ untilMs: 800 }, (r) => {
      r.at(300, () => r.sim.dropReplies(1));
      r.at(300, () => (replays = r.sim.stats.replays)); // the first reply's confirmation read is one
      r.at(600, () => (replays = r.sim.stats.replays - replays));
    });
    const times = txTimes(run);
    const hex = txHex(run);
    // Poll at 300 lost; resent at 300 + replyTimeout (250 ms) with the same bytes.
    expect(times.slice(0, 6)).to.deep.equal([0, 100, 200, 300, 550, 650]);
    expect(hex[4]).to.equal(hex[3]);
    expect(replays).to.equal(1);
    // After the replayed reply the ack moves on.
    expect(hex[5]).to.not.equal(hex[4]);
    expect(run.errors.filter((e) => e instanceof CommandTimeoutError)).to.have.length(0);
  });

  it('ignores a reply with the wrong ack and resends the same bytes on timeout', () => {
    const run = runScenario({ untilMs: 600 }, (r) => {
      r.at(150, () => {
        const remove = r.sim.override(({ reply }) => {
          remove();
          const wrong = reply.slice();
          wrong[2] = wrong[2]! ^ 1; // other ack bit
          wrong[wrong.length - 1] = wrong[wrong.length - 1]! ^ 1; // keep the checksum right
          return wrong;
        });
      });
    });
    const hex = txHex(run);
    expect(txTimes(run).slice(0, 4)).to.deep.equal([0, 100, 200, 450]);
    expect(hex[3]).to.equal(hex[2]);
    expect(run.errors.some((e) => 'kind' in e && e.kind === 'stale-reply')).to.equal(true);
  });

  describe('busy tolerance', () => {
    it('a unit silent for 3 s while busy is not a dead link', () => {
      const run = runScenario({ untilMs: 5000 }, (r) => {
        r.at(1000, () => {
          const remove = r.sim.override(() => 'silent');
          r.at(3000, remove);
        });
      });
      // Same bytes resent through the whole silence.
      const during = run.trace.filter((t) => t.direction === 'tx' && t.time >= 1000 && t.time < 3000);
      expect(new Set(during.map((t) => t.hex)).size).to.equal(1);
      expect(run.states.map((s) => s.status)).to.deep.equal(['connecting', 'enabled', 'disposed']);
      expect(run.errors.filter((e) => e instanceof CommandTimeoutError)).to.have.length(0);
    });

    it('an unanswered poll is resent verbatim even across a mask change; the next fresh poll carries the mask', () => {
      let doneAt: number | undefined;
      const run = runScenario({ untilMs: 4000 }, (r) => {
        r.at(1000, () => {
          const remove = r.sim.override(() => 'silent');
          r.at(3000, remove);
        });
        r.at(1500, () => r.device.setEnableMask(0x01).subscribe({ complete: () => (doneAt = r.ts.now()) }));
      });
      const tx = run.trace.filter((t) => t.direction === 'tx');
      const silent = tx.filter((t) => t.time >= 1000 && t.time < 3000);
      expect(new Set(silent.map((t) => t.hex)).size).to.equal(1);
      expect(silent[0]!.hex.split(' ')[3]).to.equal('7F');
      // The first message after the silence is still the unanswered poll (the unit replays its reply) ...
      const after = tx.filter((t) => t.time > 3000);
      expect(after[0]!.hex).to.equal(silent[0]!.hex);
      // ... then the ack moves on and the new mask goes out; the command completes on that reply.
      expect(after[1]!.hex.split(' ')[3]).to.equal('01');
      expect(doneAt).to.equal(after[1]!.time);
    });

    it('silence beyond the tolerance reports the link down once, and recovers', () => {
      const run = runScenario({ untilMs: 9000, device: { busyToleranceMs: 2000 } }, (r) => {
        r.at(1000, () => {
          const remove = r.sim.override(() => 'silent');
          r.at(6000, remove);
        });
      });
      const downs = run.errors.filter((e) => e instanceof CommandTimeoutError);
      expect(downs).to.have.length(1);
      expect(run.states.map((s) => s.status)).to.deep.equal([
        'connecting',
        'enabled',
        'recovering',
        'enabled',
        'disposed',
      ]);
    });
  });

  describe('enable mask', () => {
    it('a mask change mid-session is carried by the next poll; the command completes on its reply', () => {
      const ts = createTestScheduler();
      const written: { time: number; mask: number }[] = [];
      ts.run(({ expectObservable }) => {
        const [host, line] = createMemoryPair();
        const sim = createPyramidSimulator(line, { scheduler: ts });
        const device = createPyramidDevice(host, { scheduler: ts });
        device.trace$
          .pipe(filter((t) => t.direction === 'tx'))
          .subscribe((t) => written.push({ time: t.time, mask: fromHex(t.hex)[3]! }));
        expectObservable(timer(1050, ts).pipe(switchMap(() => device.setEnableMask(0x04)))).toBe(
          '1100ms (a|)',
          { a: undefined },
        );
        ts.schedule(() => {
          device.dispose();
          sim.dispose();
        }, 1300);
      });
      expect(written.filter((w) => w.time <= 1000).every((w) => w.mask === 0x7f)).to.equal(true);
      expect(written.filter((w) => w.time >= 1100).every((w) => w.mask === 0x04)).to.equal(true);
    });

    it('by value and by index, looked up in the bill table', () => {
      const run = runScenario({ untilMs: 400 }, (r) => {
        r.at(50, () => r.device.enableValues([100, 500, 2000]).subscribe());
        r.at(250, () => r.device.enableIndexes([7]).subscribe());
      });
      const masks = run.host.written.map((b) => b[3]);
      // 0 and 100: the first reply and its confirmation read (same bytes); then each new poll.
      expect(masks).to.deep.equal([0x7f, 0x7f, 0x15, 0x40]);
    });

    it('disable() sends mask 0 and reports disabled; enable() restores the last mask', () => {
      const run = runScenario({ untilMs: 950, device: { enableMask: 0x05 } }, (r) => {
        r.at(550, () => r.device.disable().subscribe());
        r.at(750, () => r.device.enable().subscribe());
      });
      expect(run.host.written.map((b) => b[3]).slice(5)).to.deep.equal([0x05, 0x00, 0x00, 0x05, 0x05]);
      expect(run.states.map((s) => s.status)).to.deep.equal([
        'connecting',
        'enabled',
        'disabled',
        'enabled',
        'disposed',
      ]);
    });

    it('a disabled note is refused by the acceptor and never credited', () => {
      const run = runScenario({ untilMs: 3000, device: { enableMask: 0x03 } }, (r) =>
        r.at(500, () => r.sim.insertBill(5)),
      );
      expect(credits(run)).to.have.length(0);
      expect(run.events.some((e) => e.type === 'rejected')).to.equal(true);
      expect(run.sim.stats.rejected).to.equal(1);
    });
  });

  describe('bad input: typed errors, nothing written', () => {
    const bad: [string, object, new (...a: never[]) => Error][] = [
      ['poll interval below 50 ms', { pollIntervalMs: 49 }, OptionRangeError],
      ['poll interval above 5 s', { pollIntervalMs: 5001 }, OptionRangeError],
      ['mask above 0x7F', { enableMask: 0x80 }, InvalidArgumentError],
      ['negative mask', { enableMask: -1 }, InvalidArgumentError],
      ['reply timeout out of range', { replyTimeoutMs: 5 }, OptionRangeError],
      ['busy tolerance out of range', { busyToleranceMs: 0 }, OptionRangeError],
    ];
    for (const [what, options, type] of bad) {
      it(what, () => {
        const ts = createTestScheduler();
        const [host] = createMemoryPair();
        expect(() => createPyramidDevice(host, { scheduler: ts, ...options })).to.throw(type);
        ts.flush();
        expect(host.written).to.have.length(0);
      });
    }

    it('setEnableMask(0x80) errors and no poll carries it', () => {
      let error: unknown;
      const run = runScenario({ untilMs: 300 }, (r) =>
        r.at(50, () => r.device.setEnableMask(0x80).subscribe({ error: (e: unknown) => (error = e) })),
      );
      expect(error).to.be.instanceOf(InvalidArgumentError);
      expect(run.device.enableMask).to.equal(0x7f);
      expect(run.host.written.every((b) => b[3] === 0x7f)).to.equal(true);
    });

    it('a value not in the table is refused', () => {
      let error: unknown;
      runScenario({ untilMs: 100 }, (r) =>
        r.at(10, () => r.device.enableValues([300]).subscribe({ error: (e: unknown) => (error = e) })),
      );
      expect((error as { code?: string }).code).to.equal('UNKNOWN_BILL_VALUE');
    });
  });

  it('power-up replies with no state bit are valid: no diagnostics, connecting until the unit is ready', () => {
    const run = runScenario({ untilMs: 1000 }, () => undefined);
    const first = run.trace.find((t) => t.direction === 'rx')!;
    expect(first.hex.split(' ')[3]).to.equal('00'); // S0: no state bit
    expect(run.errors).to.have.length(0);
    expect(run.states.map((s) => s.status)).to.deep.equal(['connecting', 'enabled', 'disposed']);
    expect(run.events.some((e) => e.type === 'device-reset')).to.equal(false);
  });

  it('trace$ records every frame both ways with scheduler time', () => {
    const run = runScenario({ untilMs: 150 }, () => undefined);
    expect(run.trace.map((t) => [t.time, t.direction, t.name])).to.deep.equal([
      [0, 'tx', 'poll'],
      [0, 'rx', 'status'],
      [100, 'tx', 'poll'],
      [100, 'rx', 'status'],
    ]);
    expect(toHex(run.host.written[0]!)).to.equal(run.trace[0]!.hex);
  });

  it('dispose stops polling and leaves no timer behind', () => {
    const ts = createTestScheduler();
    const [host, line] = createMemoryPair();
    const sim = createPyramidSimulator(line, { scheduler: ts });
    const device = createPyramidDevice(host, { scheduler: ts });
    let completed = false;
    device.events$.subscribe({ complete: () => (completed = true) });
    ts.schedule(() => device.dispose(), 250);
    ts.schedule(() => sim.dispose(), 250);
    ts.flush();
    expect(completed).to.equal(true);
    expect(ts.actions).to.have.length(0);
    expect(host.written).to.have.length(3);
  });
});
