/**
 * ccTalk devices across a lost line, against the simulator, in virtual time.
 *
 * The simulated units sit behind a "cable": the host opens it through an
 * opener (a fresh memory pair per open); pulling it cuts the host's transport
 * and makes opens fail until it is plugged back. The units keep running (and
 * keep their event rings) while the cable is out, unless power-cycled.
 */
import { expect } from 'chai';
import { type Observable, Subject, VirtualAction, VirtualTimeScheduler, defer, of, throwError } from 'rxjs';
import type { Diagnostic } from '../../../lib/core/diagnostics.js';
import { type CashwireError, TransportError } from '../../../lib/core/errors.js';
import { type CreditEvent, type DeviceEvent, type DeviceState, isCredit } from '../../../lib/core/events.js';
import { createCcTalkBillValidator } from '../../../lib/protocols/cctalk/bill-validator.js';
import { type CcTalkBus, createCcTalkBus } from '../../../lib/protocols/cctalk/bus.js';
import { createCcTalkCoinAcceptor } from '../../../lib/protocols/cctalk/coin-acceptor.js';
import { createCcTalkHopper } from '../../../lib/protocols/cctalk/hopper.js';
import {
  type CcTalkSimulator,
  type CcTalkSimulatorOptions,
  createCcTalkSimulator,
} from '../../../lib/protocols/cctalk/simulator/index.js';
import { type MemoryTransport, createMemoryPair } from '../../../lib/transport/memory.js';
import type { Transport } from '../../../lib/transport/transport.js';
import { virtualClock } from './harness.js';

interface Rig {
  readonly scheduler: VirtualTimeScheduler;
  readonly bus: CcTalkBus;
  readonly sim: CcTalkSimulator;
  /** Every frame header the host wrote, in order, across all opened lines. */
  readonly sent: number[];
  opens(): number;
  pull(): void;
  plug(): void;
  at(ms: number, work: () => void): void;
  runUntil(ms: number): void;
  collect(d: {
    events$: Observable<DeviceEvent>;
    errors$: Observable<Diagnostic | CashwireError>;
    state$: Observable<DeviceState>;
  }): {
    events: DeviceEvent[];
    errors: (Diagnostic | CashwireError)[];
    states: DeviceState[];
  };
}

/**
 * An item at 1 s, the cable out at 2 s, the unit power-cycled at 2.5 s, the
 * cable back at 3 s, another item at 5 s. Returns where the frames sent after
 * the replug start.
 */
function outageWithPowerLoss(r: Rig, insert: (first: boolean) => void): () => number {
  let from = 0;
  r.at(1000, () => insert(true));
  r.at(2000, () => r.pull());
  r.at(2500, () => r.sim.powerCycle());
  r.at(3000, () => {
    from = r.sent.length;
    r.plug();
  });
  r.at(5000, () => insert(false));
  return () => from;
}

function createRig(simOptions: Omit<CcTalkSimulatorOptions, 'scheduler'> = {}): Rig {
  const scheduler = new VirtualTimeScheduler(VirtualAction, 0);
  const toUnit = new Subject<Uint8Array>();
  let host: MemoryTransport | undefined;
  let unitEnd: MemoryTransport | undefined;
  let plugged = true;
  let opens = 0;
  const sent: number[] = [];
  // The unit's side of the cable: the simulator stays bound to it across opens.
  const unit: Transport = {
    description: 'unit side',
    data$: toUnit.asObservable(),
    write: (bytes) =>
      defer(() => {
        unitEnd?.write(bytes).subscribe({ error: () => undefined });
        return of(undefined);
      }),
    close: () => of(undefined),
  };
  const opener = defer(() => {
    opens += 1;
    if (!plugged) return throwError(() => new TransportError('Port /dev/ttyUSB0 does not exist.'));
    const [h, u] = createMemoryPair(['host', 'unit']);
    host = h;
    unitEnd = u;
    u.data$.subscribe({
      next: (bytes) => {
        if (bytes[3] !== undefined) sent.push(bytes[3]);
        toUnit.next(bytes);
      },
      error: () => undefined,
    });
    return of<Transport>(h);
  });
  const sim = createCcTalkSimulator(unit, { scheduler, echo: false, ...simOptions });
  const bus = createCcTalkBus(opener, { scheduler, reconnect: { initialDelayMs: 200, maxDelayMs: 1000 } });
  return {
    scheduler,
    bus,
    sim,
    sent,
    opens: () => opens,
    pull: () => {
      plugged = false;
      unitEnd = undefined;
      host?.breakLine();
    },
    plug: () => {
      plugged = true;
    },
    ...virtualClock(scheduler),
    collect: (d) => {
      const out = {
        events: [] as DeviceEvent[],
        errors: [] as (Diagnostic | CashwireError)[],
        states: [] as DeviceState[],
      };
      d.events$.subscribe((e) => out.events.push(e));
      d.errors$.subscribe((e) => out.errors.push(e));
      d.state$.subscribe((s) => out.states.push(s));
      return out;
    },
  };
}

const amounts = (events: DeviceEvent[]): number[] =>
  events.filter(isCredit).map((c: CreditEvent) => c.money.amount);
const raw = (events: DeviceEvent[], name: string): DeviceEvent[] =>
  events.filter((e) => e.type === 'raw' && e.name === name);

describe('ccTalk coin acceptor across a lost line', () => {
  it('credits coins taken while the line was down exactly once, after the line is back', () => {
    const r = createRig();
    const acceptor = createCcTalkCoinAcceptor(r.bus, { scheduler: r.scheduler });
    const seen = r.collect(acceptor);
    r.at(1000, () => r.sim.insertCoin(3)); // 5 cents, before the outage
    r.at(2000, () => r.pull());
    // Still inside the acceptor's ~1 s poll watchdog: taken and buffered by the unit.
    r.at(2300, () => r.sim.insertCoin(5)); // 20 cents
    r.at(2600, () => r.sim.insertCoin(6)); // 50 cents
    // Long unpolled: the acceptor has inhibited itself and returns the coin.
    r.at(4000, () => r.sim.insertCoin(8));
    r.at(5000, () => r.plug());
    r.at(7000, () => r.sim.insertCoin(4)); // 10 cents, after the reconnect
    r.runUntil(8000);

    expect(amounts(seen.events)).to.deep.equal([5, 20, 50, 10]);
    expect(r.sim.stats).to.include({ inserted: 5, accepted: 4, rejected: 1 });
    // One baseline, at the first connect: the reconnect read the ring against the known counter.
    expect(raw(seen.events, 'baseline')).to.have.length(1);
    expect(seen.events.some((e) => e.type === 'events-lost' || e.type === 'device-reset')).to.equal(false);
    expect(seen.states).to.deep.equal([
      { status: 'connecting', attempt: 1 },
      { status: 'enabled' },
      { status: 'recovering', reason: 'line lost: The line of memory:host was cut.' },
      { status: 'recovering', reason: 'reopening the line failed: Port /dev/ttyUSB0 does not exist.' },
      { status: 'enabled' },
    ]);
    // The loss, then the failed reopen (a different message), each reported once as a TransportError.
    const transport = seen.errors.filter((e) => e instanceof TransportError);
    expect(transport.map((e) => e.message)).to.deep.equal([
      'The line of memory:host was cut.',
      'Port /dev/ttyUSB0 does not exist.',
    ]);
    // Reopen attempts at 2200, 2600, 3400, 4400 (failed), 5400 (the cable is back).
    expect(r.opens()).to.equal(6);
    // The re-sync re-applied inhibits (231) and master inhibit (228) once more.
    expect(r.sent.filter((h) => h === 231)).to.have.length(2);
    expect(r.sent.filter((h) => h === 228)).to.have.length(2);
    acceptor.dispose();
    r.bus.dispose();
    r.sim.dispose();
  });

  it('reports the events that fell out of the 5-deep ring during a long outage, and credits the 5 it holds', () => {
    // An acceptor that does not self-inhibit during this outage (a long watchdog).
    const r = createRig({ coin: { pollWatchdogMs: 60_000 } });
    const acceptor = createCcTalkCoinAcceptor(r.bus, { scheduler: r.scheduler });
    const seen = r.collect(acceptor);
    r.at(1000, () => r.pull());
    for (let i = 0; i < 7; i++) r.at(1100 + 100 * i, () => r.sim.insertCoin(1 + (i % 8)));
    r.at(2500, () => r.plug());
    r.runUntil(5000);

    // Coins of positions 1..7 were taken; the ring holds the last five (positions 3..7).
    expect(amounts(seen.events)).to.deep.equal([5, 10, 20, 50, 100]);
    expect(seen.events.filter((e) => e.type === 'events-lost')).to.deep.equal([
      { type: 'events-lost', device: { protocol: 'cctalk', address: 2 }, count: 2 },
    ]);
    expect(seen.errors.filter((e) => 'kind' in e && e.kind === 'events-lost')).to.have.length(1);
    acceptor.dispose();
    r.bus.dispose();
    r.sim.dispose();
  });

  it('handles a unit that lost power during the outage as a restart: nothing credited again, settings re-applied', () => {
    const r = createRig();
    const acceptor = createCcTalkCoinAcceptor(r.bus, { scheduler: r.scheduler });
    const seen = r.collect(acceptor);
    r.at(1000, () => r.sim.insertCoin(7)); // 1 euro
    r.at(1500, () => r.sim.insertCoin(7));
    r.at(2000, () => r.pull());
    r.at(2500, () => r.sim.powerCycle()); // counter back to 0, everything inhibited
    r.at(3000, () => r.plug());
    r.at(5000, () => r.sim.insertCoin(8)); // 2 euro, after the reconnect: accepted again
    r.runUntil(6000);

    expect(amounts(seen.events)).to.deep.equal([100, 100, 200]);
    expect(seen.events.filter((e) => e.type === 'device-reset')).to.have.length(1);
    expect(raw(seen.events, 'reset')[0]).to.deep.include({ data: { previous: 2 } });
    expect(seen.events.some((e) => e.type === 'events-lost')).to.equal(false);
    expect(seen.states[seen.states.length - 1]).to.deep.equal({ status: 'enabled' });
    acceptor.dispose();
    r.bus.dispose();
    r.sim.dispose();
  });

  it('sends the settings once, not twice, when the unit lost power during the outage', () => {
    const r = createRig();
    const acceptor = createCcTalkCoinAcceptor(r.bus, { scheduler: r.scheduler });
    const seen = r.collect(acceptor);
    const from = outageWithPowerLoss(r, (first) => r.sim.insertCoin(first ? 7 : 8));
    r.runUntil(6000);

    // The connect's read shows the restart; acting on it re-applies mask and master inhibit once.
    const settings = r.sent.slice(from()).filter((h) => h === 231 || h === 228);
    expect(settings).to.deep.equal([231, 228]);
    expect(amounts(seen.events)).to.deep.equal([100, 200]);
    expect(seen.states[seen.states.length - 1]).to.deep.equal({ status: 'enabled' });
    acceptor.dispose();
    r.bus.dispose();
    r.sim.dispose();
  });

  it('keeps every device on the bus going: a coin acceptor and a bill validator both re-sync', () => {
    const r = createRig({ bill: {} });
    const acceptor = createCcTalkCoinAcceptor(r.bus, { scheduler: r.scheduler });
    const validator = createCcTalkBillValidator(r.bus, { scheduler: r.scheduler });
    const coins = r.collect(acceptor);
    const bills = r.collect(validator);
    r.at(1500, () => r.pull());
    // The validator's watchdog is ~5 s: a bill fed during a short outage is stacked and buffered.
    r.at(1800, () => r.sim.insertBill(2)); // 10 euro
    r.at(2500, () => r.plug());
    r.at(4500, () => r.sim.insertBill(1)); // 5 euro, after the reconnect
    r.at(4600, () => r.sim.insertCoin(7));
    r.runUntil(7000);

    expect(amounts(bills.events)).to.deep.equal([1000, 500]);
    expect(amounts(coins.events)).to.deep.equal([100]);
    for (const states of [coins.states, bills.states]) {
      const statuses = states.map((s) => s.status).filter((s, i, all) => s !== all[i - 1]);
      expect(statuses).to.deep.equal(['connecting', 'enabled', 'recovering', 'enabled']);
    }
    // The first open; failed reopens at 1700 and 2100; back at 2900 (the cable was plugged at 2500).
    expect(r.opens()).to.equal(4);
    // Each device reports the outage itself, once per message, and nothing else.
    for (const errors of [coins.errors, bills.errors]) {
      expect(errors.map((e) => e.message)).to.deep.equal([
        'The line of memory:host was cut.',
        'Port /dev/ttyUSB0 does not exist.',
      ]);
    }
    acceptor.dispose();
    validator.dispose();
    r.bus.dispose();
    r.sim.dispose();
  });
});

describe('ccTalk bill validator across a lost line', () => {
  it('keeps holding a bill in escrow through an outage, and stacks it when told to afterwards', () => {
    // The unit would hold the bill for a minute; the driver still asks it every second to wait longer.
    const r = createRig({ coin: false, bill: { escrowTimeoutMs: 60_000 } });
    const validator = createCcTalkBillValidator(r.bus, {
      scheduler: r.scheduler,
      escrow: true,
      escrowTimeoutMs: 2000,
    });
    const seen = r.collect(validator);
    let sentBefore = 0;
    r.at(1000, () => r.sim.insertBill(3)); // 20 euro, held
    r.at(2500, () => r.pull());
    r.at(3500, () => r.plug());
    r.at(4000, () => (sentBefore = r.sent.length));
    let extensionsAfter = 0;
    r.at(6000, () => {
      extensionsAfter = r.sent.slice(sentBefore).filter((h) => h === 154).length;
      validator.stack().subscribe({ error: () => undefined });
    });
    r.runUntil(7000);

    expect(extensionsAfter).to.be.at.least(1);
    expect(amounts(seen.events)).to.deep.equal([2000]);
    expect(seen.events.filter((e) => e.type === 'escrow')).to.have.length(1);
    expect(seen.errors.filter((e) => e instanceof TransportError)).to.have.length(2);
    validator.dispose();
    r.bus.dispose();
    r.sim.dispose();
  });
  it('sends the settings once, not twice, when the unit lost power during the outage', () => {
    const r = createRig({ coin: false, bill: {} });
    const validator = createCcTalkBillValidator(r.bus, { scheduler: r.scheduler });
    const seen = r.collect(validator);
    const from = outageWithPowerLoss(r, (first) => r.sim.insertBill(first ? 1 : 2));
    r.runUntil(6500);

    // The connect's read shows the restart; acting on it re-applies mode, mask and master inhibit once.
    const settings = r.sent.slice(from()).filter((h) => h === 153 || h === 231 || h === 228);
    expect(settings).to.deep.equal([153, 231, 228]);
    expect(amounts(seen.events)).to.deep.equal([500, 1000]);
    expect(seen.states[seen.states.length - 1]).to.deep.equal({ status: 'enabled' });
    validator.dispose();
    r.bus.dispose();
    r.sim.dispose();
  });
});

describe('ccTalk hopper across a lost line', () => {
  it('re-reads a payout that was under way when the line dropped, never dispensing again', () => {
    const r = createRig({ coin: false, hopper: { coinIntervalMs: 200 } });
    const hopper = createCcTalkHopper(r.bus, { scheduler: r.scheduler });
    const seen = r.collect(hopper);
    const progress: string[] = [];
    let done = false;
    r.at(500, () =>
      hopper.dispense(6).subscribe({
        next: (p) => progress.push(`${p.type}:${p.amounts[0]!.amount}`),
        complete: () => (done = true),
      }),
    );
    r.at(800, () => r.pull());
    r.at(1500, () => r.plug());
    r.runUntil(4000);

    expect(done).to.equal(true);
    expect(progress[progress.length - 1]).to.equal('dispensed:600');
    expect(r.sim.stats.paidOut).to.equal(6);
    expect(r.sent.filter((h) => h === 167)).to.have.length(1);
    expect(raw(seen.events, 'payout-interrupted')).to.have.length(1);
    // Progress only ever grows.
    const paid = progress.map((p) => Number(p.split(':')[1]));
    expect(paid).to.deep.equal([...paid].sort((a, b) => a - b));
    hopper.dispose();
    r.bus.dispose();
    r.sim.dispose();
  });

  it('follows a payout whose dispense reply went with the line, once the counter shows it started', () => {
    const r = createRig({ coin: false, hopper: { coinIntervalMs: 100 } });
    // The hopper starts paying, but its reply is never seen: the line drops while it is awaited.
    r.sim.override((ctx) => (ctx.header === 167 ? { kind: 'silent' } : undefined));
    const hopper = createCcTalkHopper(r.bus, { scheduler: r.scheduler });
    const progress: string[] = [];
    const failures: unknown[] = [];
    r.at(500, () =>
      hopper.dispense(3).subscribe({
        next: (p) => progress.push(`${p.type}:${p.amounts[0]!.amount}`),
        error: (e: unknown) => failures.push(e),
      }),
    );
    r.at(520, () => r.pull());
    r.at(800, () => r.plug());
    r.runUntil(3000);
    expect(failures).to.deep.equal([]);
    expect(progress[progress.length - 1]).to.equal('dispensed:300');
    expect(r.sent.filter((h) => h === 167)).to.have.length(1);
    expect(r.sim.stats.paidOut).to.equal(3);
    hopper.dispose();
    r.bus.dispose();
    r.sim.dispose();
  });

  it('fails a payout with RESTARTED when the hopper lost power before its dispense reply was seen', () => {
    const r = createRig({ coin: false, hopper: { coinIntervalMs: 100 } });
    r.sim.override((ctx) => (ctx.header === 167 ? { kind: 'silent' } : undefined));
    const hopper = createCcTalkHopper(r.bus, { scheduler: r.scheduler });
    // A first payout moves the counter off 0, so a restart is told apart.
    r.at(300, () => hopper.dispense(1).subscribe({ error: () => undefined }));
    const failures: unknown[] = [];
    r.at(2000, () => hopper.dispense(3).subscribe({ error: (e: unknown) => failures.push(e) }));
    r.at(2020, () => r.pull());
    r.at(2100, () => r.sim.powerCycle());
    r.at(2300, () => r.plug());
    r.runUntil(5000);
    expect(failures).to.have.length(1);
    expect(failures[0]).to.deep.include({ code: 'DEVICE_ERROR' });
    expect((failures[0] as CashwireError).info).to.include({ response: 'RESTARTED' });
    expect(r.sent.filter((h) => h === 167)).to.have.length(2);
    hopper.dispose();
    r.bus.dispose();
    r.sim.dispose();
  });

  it('ends a payout as incomplete, with what was seen paid, when the hopper lost power during the outage', () => {
    const r = createRig({ coin: false, hopper: { coinIntervalMs: 200 } });
    const hopper = createCcTalkHopper(r.bus, { scheduler: r.scheduler });
    const seen = r.collect(hopper);
    const progress: string[] = [];
    r.at(500, () => hopper.dispense(8).subscribe((p) => progress.push(`${p.type}:${p.amounts[0]!.amount}`)));
    r.at(1200, () => r.pull());
    r.at(1300, () => r.sim.powerCycle());
    r.at(1600, () => r.plug());
    r.runUntil(4000);

    const last = progress[progress.length - 1]!;
    expect(last).to.match(/^payout-incomplete:/);
    const seenPaid = Number(last.split(':')[1]);
    expect(seenPaid)
      .to.be.greaterThan(0)
      .and.at.most(r.sim.stats.paidOut * 100);
    expect(r.sent.filter((h) => h === 167)).to.have.length(1);
    const lost = seen.errors.filter((e) => 'kind' in e && e.kind === 'events-lost');
    expect(lost).to.have.length(1);
    expect(lost[0]!.message).to.match(/restarted/);
    // The hopper came back disabled; the re-sync switched it on again.
    expect(seen.states[seen.states.length - 1]).to.deep.equal({ status: 'enabled' });
    hopper.dispose();
    r.bus.dispose();
    r.sim.dispose();
  });
});
