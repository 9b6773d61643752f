/**
 * The money rule across a lost line, against the simulator in virtual time.
 *
 * The simulated acceptor sits on a stable "unit side" that survives the
 * outage (it keeps its state, its last ack and its last reply, as a powered
 * unit does); the host side is a memory pair opened through an opener, and a
 * pulled cable both cuts that pair and makes the port vanish until it is
 * plugged back (a USB adapter dropping off the bus). Each scenario must end in
 * exactly one credit per stacked note, or in an explicit `events-lost`.
 */
import { expect } from 'chai';
import { Subject, type Subscription, defer, of, throwError } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { TransportError } from '../../../lib/core/errors.js';
import { type CreditEvent, type DeviceEvent, type DeviceState, isCredit } from '../../../lib/core/events.js';
import { createPyramidDevice } from '../../../lib/protocols/pyramid/device.js';
import {
  EscrowStateError,
  type PyramidDevice,
  type PyramidDeviceOptions,
} from '../../../lib/protocols/pyramid/device-types.js';
import { createPyramidSimulator } from '../../../lib/protocols/pyramid/simulator/simulator.js';
import type { PyramidSimulator } from '../../../lib/protocols/pyramid/simulator/types.js';
import { type MemoryTransport, createMemoryPair } from '../../../lib/transport/memory.js';
import type { Transport } from '../../../lib/transport/transport.js';
import { createTestScheduler } from '../../helpers/marbles.js';

interface Cable {
  readonly ts: TestScheduler;
  readonly sim: PyramidSimulator;
  readonly device: PyramidDevice;
  readonly events: DeviceEvent[];
  readonly states: DeviceState[];
  /** Scheduler time of every try to open the port. */
  readonly opens: number[];
  at(ms: number, work: () => void): void;
  /** Cable out: the open line dies and the port vanishes. */
  pull(): void;
  /** Cable back in: the next try to open the port succeeds. */
  plug(): void;
}

/** The unit's end of the cable: the simulator stays bound to it while host lines come and go. */
function unitSide(): { transport: Transport; connect(far: MemoryTransport): void; disconnect(): void } {
  const data$ = new Subject<Uint8Array>();
  let far: MemoryTransport | undefined;
  let sub: Subscription | undefined;
  return {
    transport: {
      data$,
      write: (bytes) => defer(() => (far === undefined ? of(undefined) : far.write(bytes))),
      close: () => of(undefined),
      description: 'unit side',
    },
    connect(f) {
      far = f;
      sub = f.data$.subscribe({ next: (b) => data$.next(b), error: () => undefined });
    },
    disconnect() {
      sub?.unsubscribe();
      far = undefined;
    },
  };
}

const DEVICE: PyramidDeviceOptions = { reconnect: { initialDelayMs: 100, maxDelayMs: 400 } };

function runCable(untilMs: number, device: PyramidDeviceOptions, script: (c: Cable) => void): Cable {
  const ts = createTestScheduler();
  let result: Cable | undefined;
  ts.run(() => {
    const unit = unitSide();
    const sim = createPyramidSimulator(unit.transport, { scheduler: ts });
    let present = true;
    let line: MemoryTransport | undefined;
    const opens: number[] = [];
    const opener = defer(() => {
      opens.push(ts.now());
      if (!present) return throwError(() => new TransportError('Port /dev/ttyUSB0 does not exist.'));
      const [host, far] = createMemoryPair();
      unit.connect(far);
      line = host;
      return of(host);
    });
    const dev = createPyramidDevice(opener, { scheduler: ts, ...DEVICE, ...device });
    const cable: Cable = {
      ts,
      sim,
      device: dev,
      events: [],
      states: [],
      opens,
      at: (ms, work) => void ts.schedule(work, Math.max(0, ms - ts.now())),
      pull: () => {
        present = false;
        unit.disconnect();
        line?.breakLine();
      },
      plug: () => {
        present = true;
      },
    };
    dev.events$.subscribe((e) => cable.events.push(e));
    dev.state$.subscribe((s) => cable.states.push(s));
    script(cable);
    cable.at(untilMs, () => {
      dev.dispose();
      sim.dispose();
    });
    result = cable;
  });
  return result!;
}

const credits = (c: Cable): CreditEvent[] => c.events.filter(isCredit);
const amounts = (c: Cable): number[] => credits(c).map((e) => e.money.amount);
const lost = (c: Cable): number[] => c.events.flatMap((e) => (e.type === 'events-lost' ? [e.count] : []));
const rawNames = (c: Cable): string[] => c.events.flatMap((e) => (e.type === 'raw' ? [e.name] : []));
const lastStatus = (c: Cable): string => c.states[c.states.length - 2]!.status; // before 'disposed'

/**
 * The first reply carrying Stacked (S0 bit 4) never reaches the host: the
 * cable comes out as it is sent. Returns how many replies were swallowed.
 */
function pullOnFirstStacked(r: Cable): () => number {
  let dropped = 0;
  r.sim.override((ctx) => {
    if (dropped > 0 || (ctx.reply[3]! & 0x10) === 0) return undefined;
    dropped += 1;
    r.at(r.ts.now(), () => r.pull());
    return 'silent';
  });
  return () => dropped;
}

describe('Pyramid device: no credit lost or doubled across a lost line (simulator)', () => {
  it('a note stacked while the cable is out is credited exactly once after the reconnect', () => {
    const c = runCable(6000, {}, (r) => {
      r.at(1000, () => r.sim.insertBill(3));
      r.at(1700, () => r.pull()); // the unit is stacking; it finishes alone at 2200
      r.at(3000, () => r.plug());
    });
    expect(c.sim.stats).to.include({ inserted: 1, accepted: 1 });
    expect(amounts(c)).to.deep.equal([500]);
    expect(lost(c)).to.deep.equal([]);
    expect(rawNames(c).filter((n) => n === 'line-lost' || n === 'line-back')).to.deep.equal([
      'line-lost',
      'line-back',
    ]);
    expect(c.opens[c.opens.length - 1]).to.be.within(3000, 3400);
    expect(lastStatus(c)).to.equal('enabled');
  });

  it('the Stacked reply lost on the line as the cable comes out: replayed after the reconnect, credited once', () => {
    let dropped = (): number => 0;
    const c = runCable(6000, {}, (r) => {
      dropped = pullOnFirstStacked(r);
      r.at(1000, () => r.sim.insertBill(5));
      r.at(3500, () => r.plug());
    });
    expect(dropped()).to.equal(1);
    expect(c.sim.stats).to.include({ accepted: 1 });
    expect(c.sim.stats.replays).to.be.greaterThan(0); // the host repeated its ack and got the reply again
    expect(amounts(c)).to.deep.equal([2000]);
    expect(lost(c)).to.deep.equal([]);
  });

  it('a note in escrow before the drop: stack() called during the outage goes out after the reconnect', () => {
    let stacked = false;
    const c = runCable(7000, { escrow: true }, (r) => {
      r.at(1000, () => r.sim.insertBill(4));
      r.at(2000, () => r.pull());
      r.at(2500, () => r.device.stack().subscribe({ complete: () => (stacked = true) }));
      r.at(3000, () => r.plug());
    });
    expect(c.events.filter((e) => e.type === 'escrow')).to.have.length(1);
    expect(stacked).to.equal(true);
    expect(c.sim.stats).to.include({ accepted: 1, returned: 0 });
    expect(amounts(c)).to.deep.equal([1000]);
  });

  it('a note in escrow before the drop: the decision made after the reconnect still works', () => {
    let returned = false;
    const c = runCable(7000, { escrow: true }, (r) => {
      r.at(1000, () => r.sim.insertBill(4));
      r.at(2000, () => r.pull());
      r.at(3000, () => r.plug());
      r.at(4000, () => r.device.returnBill().subscribe({ complete: () => (returned = true) }));
    });
    expect(returned).to.equal(true);
    expect(c.sim.stats).to.include({ accepted: 0, returned: 1 });
    expect(amounts(c)).to.deep.equal([]);
    expect(rawNames(c)).to.include('returned');
  });

  it('an outage longer than the unit waits for polls: it hands the escrowed note back, no credit', () => {
    let refused: unknown;
    const c = runCable(12_000, { escrow: true }, (r) => {
      r.at(1000, () => r.sim.insertBill(4));
      r.at(2000, () => r.pull()); // no poll for 5 s: the unit returns the note by itself
      r.at(8000, () => r.plug());
      r.at(11_000, () => r.device.stack().subscribe({ error: (e: unknown) => (refused = e) }));
    });
    expect(c.sim.stats).to.include({ accepted: 0, returned: 1 });
    expect(amounts(c)).to.deep.equal([]);
    expect(rawNames(c)).to.include('returned');
    expect(refused).to.be.instanceOf(EscrowStateError); // nothing left in escrow to stack
  });

  describe('the acceptor loses power during the outage', () => {
    // Power-up lasts 400 ms on the simulator. Cable out at 1700 (stacking) or 2000 (escrow); the port is
    // tried at +100, +300, +700, +1100 ms. Plugged back early, the first reply still shows the power-up
    // flag; plugged back late, the unit is Idle again and only the vanished note tells.
    const cases = [
      { note: 'being stacked', escrow: false, pullAt: 1700, powerAt: 1850, plugAt: 1850, seen: true },
      { note: 'being stacked', escrow: false, pullAt: 1700, powerAt: 2000, plugAt: 3000, seen: false },
      { note: 'in escrow', escrow: true, pullAt: 2000, powerAt: 2150, plugAt: 2150, seen: true },
      { note: 'in escrow', escrow: true, pullAt: 2000, powerAt: 2500, plugAt: 3500, seen: false },
    ] as const;
    for (const k of cases) {
      const how = k.seen ? 'power-up seen after the reconnect' : 'power-up over before the reconnect';
      it(`with the note ${k.note}, ${how}: events-lost 1, no credit`, () => {
        const c = runCable(7000, { escrow: k.escrow }, (r) => {
          r.at(1000, () => r.sim.insertBill(3));
          r.at(k.pullAt, () => r.pull());
          r.at(k.powerAt, () => r.sim.powerCycle());
          r.at(k.plugAt, () => r.plug());
        });
        expect(c.sim.stats).to.include({ inserted: 1, resets: 1 });
        expect(c.sim.stats.accepted + c.sim.stats.returned).to.equal(1);
        expect(amounts(c)).to.deep.equal([]);
        expect(lost(c)).to.deep.equal([1]);
        expect(c.events.some((e) => e.type === 'device-reset')).to.equal(k.seen);
        expect(lastStatus(c)).to.equal('enabled');
      });
    }

    it('after it sent the Stacked reply the host never got: events-lost 1, never silence', () => {
      let dropped = (): number => 0;
      const c = runCable(7000, {}, (r) => {
        dropped = pullOnFirstStacked(r);
        r.at(1000, () => r.sim.insertBill(5));
        r.at(3000, () => r.sim.powerCycle()); // the unit forgets the Stacked event
        r.at(3500, () => r.plug());
      });
      expect(dropped()).to.equal(1);
      expect(c.sim.stats).to.include({ accepted: 1, resets: 1 });
      expect(amounts(c)).to.deep.equal([]);
      expect(lost(c)).to.deep.equal([1]);
    });

    it('while idle: a reset and nothing lost; the mask goes to the unit again, so the next note is credited', () => {
      const c = runCable(9000, { enableMask: 0x04 }, (r) => {
        r.at(1000, () => r.pull()); // tries at 1100, 1300, 1700 fail; 2100 opens
        r.at(1900, () => r.sim.powerCycle()); // the unit forgets the mask (0 until a new message)
        r.at(2000, () => r.plug());
        r.at(4000, () => r.sim.insertBill(3));
        r.at(6000, () => r.sim.insertBill(4)); // not in the mask: refused by the unit
      });
      expect(c.events.map((e) => e.type)).to.include('device-reset');
      expect(lost(c)).to.deep.equal([]);
      expect(amounts(c)).to.deep.equal([500]);
      expect(c.sim.stats).to.include({ accepted: 1, rejected: 1 });
      const states = c.states.map((s) => (s.status === 'recovering' ? s.reason.split(':')[0] : s.status));
      expect(states).to.include('acceptor initialising');
    });

    it('a note the unit still holds after a long outage is not reported lost', () => {
      const c = runCable(9000, { escrow: true }, (r) => {
        r.at(1000, () => r.sim.insertBill(6));
        r.at(2000, () => r.pull());
        r.at(3000, () => r.plug());
        r.at(5000, () => r.device.stack().subscribe());
      });
      expect(lost(c)).to.deep.equal([]);
      expect(amounts(c)).to.deep.equal([5000]);
    });
  });
});
