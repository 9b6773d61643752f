/**
 * Full sessions against the byte-exact simulator over a memory pair, in
 * virtual time: connect, notes → credits as money, payouts, NV4000 modules,
 * two units on one port, and recovery after a power cycle with every credit
 * counted exactly once (checked against the simulator's own accounting).
 */
import { expect } from 'chai';
import type { TestScheduler } from 'rxjs/testing';
import type { CreditEvent, DeviceEvent } from '../../../../lib/core/events.js';
import { createEsspDevice } from '../../../../lib/protocols/essp/device/device.js';
import type {
  EsspDevice,
  EsspDeviceOptions,
  EsspLevel,
  EsspUnitInfo,
} from '../../../../lib/protocols/essp/device/types.js';
import { createEsspBus } from '../../../../lib/protocols/essp/session.js';
import {
  type EsspProfileName,
  type EsspSimulator,
  createEsspSimulator,
} from '../../../../lib/protocols/essp/simulator/index.js';
import { createMemoryPair } from '../../../../lib/transport/memory.js';
import { createTestScheduler } from '../../../helpers/marbles.js';

interface Rig {
  readonly dev: EsspDevice;
  readonly sim: EsspSimulator;
  readonly events: DeviceEvent[];
  readonly states: string[];
  readonly infos: EsspUnitInfo[];
  readonly errors: unknown[];
}

function rig(ts: TestScheduler, profile: EsspProfileName, options: EsspDeviceOptions = {}): Rig {
  const [host, line] = createMemoryPair();
  const sim = createEsspSimulator(line, { profile, scheduler: ts });
  const dev = createEsspDevice(host, { scheduler: ts, address: sim.address, ...options });
  const events: DeviceEvent[] = [];
  const states: string[] = [];
  const infos: EsspUnitInfo[] = [];
  const errors: unknown[] = [];
  dev.events$.subscribe((e) => events.push(e));
  dev.state$.subscribe((s) => states.push(s.status));
  dev.info$.subscribe((i) => infos.push(i));
  dev.errors$.subscribe((e) => errors.push(e));
  return { dev, sim, events, states, infos, errors };
}

const credits = (events: DeviceEvent[]): CreditEvent[] =>
  events.filter((e): e is CreditEvent => e.type === 'credit');
const total = (events: DeviceEvent[]): number => credits(events).reduce((sum, c) => sum + c.money.amount, 0);

describe('eSSP device against the simulator', () => {
  for (const profile of ['NV9USB', 'BV100', 'NV200', 'NV11', 'NV200_SMART_PAYOUT', 'NV4000'] as const) {
    it(`${profile}: connects encrypted and credits inserted notes as money`, () => {
      const ts = createTestScheduler();
      ts.run(() => {
        const r = rig(ts, profile);
        ts.schedule(() => {
          expect(r.states.at(-1)).to.equal('enabled');
          expect(r.infos[0]!.encrypted).to.equal(true);
          expect(r.sim.insertNote(1)).to.equal(true);
        }, 500);
        ts.schedule(() => expect(r.sim.insertNote(2)).to.equal(true), 4000);
        ts.schedule(() => {
          const values = r.infos[0]!.channels.map((c) => c.value);
          expect(credits(r.events).map((c) => c.money)).to.deep.equal([values[0], values[1]]);
          expect(r.events.filter((e) => e.type === 'escrow')).to.have.length(2);
          expect(total(r.events)).to.equal(r.sim.stats.creditedValue);
          r.dev.dispose();
          r.sim.dispose();
        }, 9000);
      });
    });
  }

  it('SMART Payout: stores notes, reports levels, pays out with progress amounts', () => {
    const ts = createTestScheduler();
    ts.run(() => {
      const r = rig(ts, 'NV200_SMART_PAYOUT');
      let levels: readonly EsspLevel[] = [];
      let paid = false;
      ts.schedule(() => r.sim.setLevels([5, 5, 0, 0]), 500);
      ts.schedule(() => r.dev.levels().subscribe((l) => (levels = l)), 600);
      ts.schedule(() => {
        expect(levels.filter((l) => l.level > 0).map((l) => l.level)).to.deep.equal([5, 5]);
        const ten = levels[1]!.value;
        r.dev.payout(ten).subscribe({ complete: () => (paid = true) });
      }, 700);
      ts.schedule(() => {
        expect(paid).to.equal(true);
        const dispensed = r.events.filter((e) => e.type === 'dispensed');
        expect(dispensed).to.have.length(1);
        expect(r.sim.stats.paidOut).to.equal(levels[1]!.value.amount);
        r.dev.dispose();
        r.sim.dispose();
      }, 10_000);
    });
  });

  it('NV4000: reads the module serial numbers and sets routes', () => {
    const ts = createTestScheduler();
    ts.run(() => {
      const r = rig(ts, 'NV4000', { model: 'NV4000' });
      let routed = false;
      ts.schedule(() => {
        const modules = r.infos[0]!.moduleSerials ?? {};
        expect(Object.keys(modules).map(Number)).to.deep.equal([0x11, 0x12, 0x13, 0x14, 0x15]);
        r.dev
          .setRoute(r.infos[0]!.channels[0]!.value, 'cashbox')
          .subscribe({ complete: () => (routed = true) });
      }, 500);
      ts.schedule(() => {
        expect(routed).to.equal(true);
        r.dev.dispose();
        r.sim.dispose();
      }, 1000);
    });
  });

  it('validator at 0x00 and SMART Hopper at 0x10 share one port', () => {
    const ts = createTestScheduler();
    ts.run(() => {
      const [host, line] = createMemoryPair();
      const validatorSim = createEsspSimulator(line, { profile: 'NV9USB', scheduler: ts });
      const hopperSim = createEsspSimulator(line, { profile: 'SMART_HOPPER', scheduler: ts });
      const bus = createEsspBus(host, { scheduler: ts });
      const validator = createEsspDevice({ bus }, { scheduler: ts, address: 0x00 });
      const hopper = createEsspDevice({ bus }, { scheduler: ts, address: 0x10 });
      const events: DeviceEvent[] = [];
      validator.events$.subscribe((e) => events.push(e));
      hopper.events$.subscribe((e) => events.push(e));
      ts.schedule(() => {
        expect(validatorSim.insertNote(1)).to.equal(true);
        expect(hopperSim.insertNote(2)).to.equal(true);
      }, 1000);
      ts.schedule(() => {
        const byAddress = credits(events).map((c) => `${c.device.address}:${c.kind}`);
        expect(byAddress.sort()).to.deep.equal(['0:note', '16:coin']);
        validator.dispose();
        hopper.dispose();
        bus.dispose();
        validatorSim.dispose();
        hopperSim.dispose();
      }, 5000);
    });
  });

  it('recovers after a power cycle mid-session without losing or repeating a credit', () => {
    const ts = createTestScheduler();
    ts.run(() => {
      const r = rig(ts, 'NV9USB');
      ts.schedule(() => r.sim.insertNote(1), 500);
      ts.schedule(() => r.sim.powerCycle(), 3000);
      ts.schedule(() => r.sim.insertNote(3), 8000);
      ts.schedule(() => {
        expect(r.states).to.include('recovering');
        expect(r.states.at(-1)).to.equal('enabled');
        expect(r.events.some((e) => e.type === 'device-reset')).to.equal(true);
        expect(credits(r.events)).to.have.length(2);
        expect(total(r.events)).to.equal(r.sim.stats.creditedValue);
        r.dev.dispose();
        r.sim.dispose();
      }, 14_000);
    });
  });

  it('escrow: hold() keeps a note past the escrow timeout, accept() then credits it', () => {
    const ts = createTestScheduler();
    ts.run(() => {
      const r = rig(ts, 'NV9USB');
      let held = false;
      r.dev.events$.subscribe((e) => {
        if (e.type === 'escrow' && !held) {
          held = true;
          r.dev.escrow.hold().subscribe();
        }
      });
      ts.schedule(() => r.sim.insertNote(2), 500);
      ts.schedule(() => {
        // 15 s later, well past the 10 s escrow timeout: still in escrow, nothing credited.
        expect(credits(r.events)).to.deep.equal([]);
        expect(r.sim.stats.returned).to.equal(0);
        r.dev.escrow.accept().subscribe();
      }, 16_000);
      ts.schedule(() => {
        expect(credits(r.events).map((c) => c.money.amount)).to.deep.equal([
          r.infos[0]!.channels[1]!.value.amount,
        ]);
        expect(total(r.events)).to.equal(r.sim.stats.creditedValue);
        r.dev.dispose();
        r.sim.dispose();
      }, 20_000);
    });
  });

  it('escrow: reject() returns the note; nothing is credited', () => {
    const ts = createTestScheduler();
    ts.run(() => {
      const r = rig(ts, 'NV9USB');
      r.dev.events$.subscribe((e) => {
        if (e.type === 'escrow') r.dev.escrow.reject().subscribe();
      });
      ts.schedule(() => r.sim.insertNote(1), 500);
      ts.schedule(() => {
        expect(credits(r.events)).to.deep.equal([]);
        expect(r.sim.stats.returned).to.equal(1);
        expect(r.events.filter((e) => e.type === 'rejected')).to.have.length(1);
        r.dev.dispose();
        r.sim.dispose();
      }, 5000);
    });
  });
});
