import { expect } from 'chai';
import fc from 'fast-check';
import { filter, map } from 'rxjs';
import type { DeviceEvent, RawEvent } from '../../../lib/core/events.js';
import { deframe } from '../../../lib/operators/deframe.js';
import { createPyramidDevice } from '../../../lib/protocols/pyramid/device.js';
import type { PyramidDeviceOptions } from '../../../lib/protocols/pyramid/device-types.js';
import { createPyramidParser } from '../../../lib/protocols/pyramid/parser.js';
import { encodeDeviceReply, type PyramidStatusInit } from '../../../lib/protocols/pyramid/status.js';
import { createMemoryPair } from '../../../lib/transport/memory.js';
import { createTestScheduler } from '../../helpers/marbles.js';
import { credits, rawNames, runScenario } from './device-harness.js';

const IDLE: PyramidStatusInit = { idling: true, cassettePresent: true };

/**
 * A scripted acceptor: each host message with a new ack gets the next status
 * of the script (the last one repeats); a repeated ack gets the previous reply
 * verbatim, as the simulator does.
 */
function runScripted(
  script: readonly PyramidStatusInit[],
  untilMs: number,
  options: PyramidDeviceOptions = {},
): { events: DeviceEvent[]; raw: RawEvent[]; written: readonly Uint8Array[] } {
  const ts = createTestScheduler();
  const events: DeviceEvent[] = [];
  let written: readonly Uint8Array[] = [];
  ts.run(() => {
    const [host, line] = createMemoryPair();
    written = host.written;
    let next = 0;
    let lastAck: number | undefined;
    let last: Uint8Array = new Uint8Array(0);
    line.data$
      .pipe(
        deframe(createPyramidParser),
        filter((o) => o.type === 'frame'),
        map((o) => o.frame),
      )
      .subscribe((frame) => {
        if (frame.ack !== lastAck) {
          last = encodeDeviceReply(script[Math.min(next++, script.length - 1)]!, frame.ack);
          lastAck = frame.ack;
        }
        line.write(last).subscribe();
      });
    const device = createPyramidDevice(host, { scheduler: ts, ...options });
    device.events$.subscribe((e) => events.push(e));
    ts.schedule(() => device.dispose(), untilMs);
  });
  return { events, raw: events.filter((e): e is RawEvent => e.type === 'raw'), written };
}

const creditsOf = (events: readonly DeviceEvent[]) => events.filter((e) => e.type === 'credit');

describe('Pyramid device: credit exactly once', () => {
  it('credits once although several fresh replies keep the Stacked bit and the index lingers', () => {
    const { events } = runScripted(
      [
        IDLE,
        { ...IDLE, idling: false, accepting: true },
        { ...IDLE, idling: false, stacking: true, noteIndex: 3 },
        { ...IDLE, stacked: true, noteIndex: 3 },
        { ...IDLE, stacked: true, noteIndex: 3 },
        { ...IDLE, stacked: true, noteIndex: 3 },
        { ...IDLE, noteIndex: 3 },
      ],
      1500,
    );
    const c = creditsOf(events);
    expect(c).to.have.length(1);
    expect(c[0]).to.deep.include({ money: { amount: 500, currency: 'USD' }, kind: 'bill', channel: 3 });
  });

  it('index bits without the Stacked bit are never a credit', () => {
    const { events } = runScripted(
      [IDLE, { ...IDLE, noteIndex: 5 }, { ...IDLE, escrowed: true, idling: false, noteIndex: 5 }, IDLE],
      800,
    );
    expect(creditsOf(events)).to.have.length(0);
  });

  it('two notes stacked one after the other are two credits', () => {
    const { events } = runScripted(
      [
        IDLE,
        { ...IDLE, stacked: true, noteIndex: 1 },
        { ...IDLE, idling: false, accepting: true },
        { ...IDLE, stacked: true, noteIndex: 7 },
        IDLE,
      ],
      800,
    );
    expect(creditsOf(events).map((c) => (c.type === 'credit' ? c.money.amount : 0))).to.deep.equal([
      100, 10000,
    ]);
  });

  it('a Stacked reply with index 0 uses the index captured in escrow, flagged as inferred', () => {
    const { events, raw } = runScripted(
      [
        IDLE,
        { ...IDLE, idling: false, escrowed: true, noteIndex: 4 },
        { ...IDLE, idling: false, stacking: true },
        { ...IDLE, stacked: true },
        IDLE,
      ],
      800,
      { escrow: true, onEscrow: () => 'stack' },
    );
    expect(creditsOf(events)).to.have.length(1);
    expect(creditsOf(events)[0]).to.deep.include({ channel: 4, money: { amount: 1000, currency: 'USD' } });
    expect(raw.find((e) => e.name === 'stacked')?.data).to.deep.equal({ index: 4, inferred: true });
  });

  it('a Stacked bit in the first reply (possibly replayed from before a host restart) is not credited', () => {
    const { events, raw } = runScripted([{ ...IDLE, stacked: true, noteIndex: 3 }, IDLE], 500);
    expect(creditsOf(events)).to.have.length(0);
    expect(raw.map((e) => e.name)).to.include('unconfirmed-stack');
  });

  it('a note index outside the bill table is reported raw, not as money', () => {
    const { events, raw } = runScripted([IDLE, { ...IDLE, stacked: true, noteIndex: 6 }, IDLE], 500, {
      bills: { currency: 'CAD', notes: { 1: 500, 2: 1000 } },
    });
    expect(creditsOf(events)).to.have.length(0);
    expect(raw.map((e) => e.name)).to.include('stacked-unknown-bill');
  });

  it('simulator: one note, one credit, matching what the unit stacked', () => {
    const run = runScenario({ untilMs: 3000 }, (r) => r.at(500, () => r.sim.insertBill(4)));
    expect(credits(run)).to.have.length(1);
    expect(run.sim.stats).to.deep.include({ inserted: 1, accepted: 1 });
  });

  it('simulator: the reply carrying Stacked is lost; the replayed copy credits once', () => {
    const run = runScenario({ untilMs: 4000 }, (r) => {
      r.at(500, () => r.sim.insertBill(7));
      let dropped = false;
      r.sim.override(({ reply, replay }) => {
        if (!dropped && !replay && reply.length === 11 && (reply[3]! & 0x10) !== 0) {
          dropped = true;
          return 'silent';
        }
        return undefined;
      });
    });
    expect(run.sim.stats.replays).to.be.greaterThan(0);
    expect(credits(run)).to.have.length(1);
    expect(credits(run)[0]!.money).to.deep.equal({ amount: 10000, currency: 'USD' });
  });

  it('simulator: every reply lost twice in a row while stacking still credits once', () => {
    const run = runScenario({ untilMs: 6000 }, (r) => {
      r.at(500, () => r.sim.insertBill(2));
      r.at(1400, () => r.sim.dropReplies(2));
    });
    expect(credits(run)).to.have.length(1);
    expect(run.sim.stats.accepted).to.equal(1);
  });

  it('simulator: many notes, one credit each, whatever replies are lost', () => {
    const run = runScenario({ untilMs: 30_000 }, (r) => {
      for (let i = 0; i < 10; i++) {
        r.at(1000 + i * 2500, () => r.sim.insertBill((i % 7) + 1));
        r.at(1000 + i * 2500 + 700 + i * 100, () => r.sim.dropReplies(1 + (i % 3)));
      }
    });
    expect(run.sim.stats.accepted).to.equal(10);
    expect(credits(run)).to.have.length(10);
  });

  it('property: whatever replies are lost or corrupted, credits equal the bills the unit stacked', function () {
    this.timeout(20_000);
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('ok', 'ok', 'ok', 'drop', 'corrupt'), { minLength: 20, maxLength: 200 }),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        (faults, bills, escrow) => {
          // Faults until the last bill has had its 3 s, then a clean line for 5 s: a Stacked
          // reply waits for a second, confirming read, which a run of faults can delay past
          // any fixed end (the property is about what is credited, not how fast).
          const faultyUntil = 4000 + bills.length * 3000;
          const run = runScenario(
            { untilMs: faultyUntil + 5000, device: { escrow, onEscrow: () => 'stack' } },
            (r) => {
              let n = 0;
              r.sim.override(({ reply }) => {
                if (r.ts.now() >= faultyUntil) return undefined;
                const f = faults[n++ % faults.length];
                if (f === 'drop') return 'silent';
                if (f === 'corrupt') {
                  const bad = reply.slice();
                  bad[3] = bad[3]! ^ 0x10; // flips Stacked; the checksum no longer matches
                  return bad;
                }
                return undefined;
              });
              bills.forEach((b, i) => r.at(1000 + i * 3000, () => r.sim.insertBill(b)));
            },
          );
          const stacked = run.sim.stats.accepted;
          expect(credits(run)).to.have.length(stacked);
          expect(stacked).to.be.at.most(bills.length);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('simulator: busy silence while reading and stacking is tolerated without a link-down', () => {
    const run = runScenario(
      { untilMs: 5000, sim: { timing: { busyMs: 1200, readMs: 1500, stackMs: 1500 } } },
      (r) => r.at(1000, () => r.sim.insertBill(1)),
    );
    expect(credits(run)).to.have.length(1);
    expect(rawNames(run)).to.not.include('link-down');
  });
});
