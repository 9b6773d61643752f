import { expect } from 'chai';
import { defer, of } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { bytes } from '../../../../lib/core/bytes.js';
import {
  DeviceError,
  DisposedError,
  EncryptionRequiredError,
  OptionRangeError,
  UnsupportedCommandError,
} from '../../../../lib/core/errors.js';
import type { DeviceEvent, DeviceState } from '../../../../lib/core/events.js';
import type { FrameTrace } from '../../../../lib/operators/trace.js';
import { createEsspDevice } from '../../../../lib/protocols/essp/device/device.js';
import type {
  EsspDevice,
  EsspDeviceOptions,
  EsspUnitInfo,
} from '../../../../lib/protocols/essp/device/types.js';
import { type MemoryTransport, createMemoryPair } from '../../../../lib/transport/memory.js';
import { createTestScheduler } from '../../../helpers/marbles.js';
import { type ScriptedUnit, scriptedUnit } from './fake-device.js';

interface Rig {
  readonly dev: EsspDevice;
  readonly unit: ScriptedUnit;
  readonly events: DeviceEvent[];
  readonly states: string[];
  readonly traces: FrameTrace[];
  readonly infos: EsspUnitInfo[];
  /** Times of tx frames by command name. */
  times(name: string): number[];
}

function rig(
  ts: TestScheduler,
  options: EsspDeviceOptions = {},
  unitOptions: Parameters<typeof scriptedUnit>[1] = {},
): Rig {
  const [host, port] = createMemoryPair();
  const unit = scriptedUnit(port, unitOptions);
  const dev = createEsspDevice(host, { scheduler: ts, timeoutMs: 100, attempts: 2, ...options });
  const events: DeviceEvent[] = [];
  const states: string[] = [];
  const traces: FrameTrace[] = [];
  const infos: EsspUnitInfo[] = [];
  dev.events$.subscribe((e) => events.push(e));
  dev.state$.subscribe((s: DeviceState) => states.push(s.status));
  dev.trace$.subscribe((t) => traces.push(t));
  dev.info$.subscribe((i) => infos.push(i));
  return {
    dev,
    unit,
    events,
    states,
    traces,
    infos,
    times: (name) => traces.filter((t) => t.direction === 'tx' && t.name === name).map((t) => t.time),
  };
}

const credits = (events: DeviceEvent[]) => events.filter((e) => e.type === 'credit');

describe('eSSP device', () => {
  it('connects: sync, key, protocol fallback, setup, serial, inhibits, poll, enable', () => {
    const ts = createTestScheduler();
    ts.run(() => {
      const r = rig(ts, { acceptChannels: [1, 2] }, { maxPv: 7 });
      ts.schedule(() => {
        const received = r.unit.device.received.slice(0, 11);
        expect(received.map((c) => c.data.slice(0, 2))).to.deep.equal([
          '11',
          '4A',
          '4B',
          '4C',
          '06',
          '06',
          '05',
          '0C',
          '02',
          '07',
          '0A',
        ]);
        // Offered 8, refused (FAIL), settled on 7; channels 1 and 2 accepted.
        expect([received[4]!.data, received[5]!.data, received[8]!.data]).to.deep.equal([
          '06 08',
          '06 07',
          '02 03',
        ]);
        expect(received.map((c) => c.encrypted)).to.deep.equal([
          false,
          false,
          false,
          false,
          true,
          true,
          true,
          true,
          true,
          true,
          true,
        ]);
        expect(r.states).to.deep.equal(['connecting', 'enabled']);
        const info = r.infos[0]!;
        expect(info).to.include({
          serialNumber: 0x004a78b4,
          encrypted: true,
          protocolVersion: 7,
          currency: 'EUR',
        });
        expect(info.channels.map((c) => c.value)).to.deep.equal([
          { amount: 500, currency: 'EUR' },
          { amount: 1000, currency: 'EUR' },
          { amount: 2000, currency: 'EUR' },
          { amount: 5000, currency: 'EUR' },
        ]);
        r.dev.dispose();
      }, 50);
    });
  });

  it('steps the protocol level down on PARAMETER_OUT_OF_RANGE too (as an NV9USB answers)', () => {
    const ts = createTestScheduler();
    ts.run(() => {
      const r = rig(ts, {}, { maxPv: 6, refusePv: 0xf4 });
      ts.schedule(() => {
        const offered = r.unit.device.received.filter((c) => c.data.startsWith('06 ')).map((c) => c.data);
        expect(offered).to.deep.equal(['06 08', '06 07', '06 06']);
        expect(r.infos[0]!.protocolVersion).to.equal(6);
        r.dev.dispose();
      }, 50);
    });
  });

  it('turns a credit into money from the channel table, with the raw event', () => {
    const ts = createTestScheduler();
    ts.run(() => {
      const r = rig(ts);
      ts.schedule(() => r.unit.polls.push(bytes(0xef, 0x03), bytes(0xcc, 0xee, 0x03, 0xeb)), 100);
      ts.schedule(() => {
        expect(r.events.filter((e) => e.type === 'escrow')).to.have.length(1);
        expect(credits(r.events)).to.deep.equal([
          {
            type: 'credit',
            device: { protocol: 'essp', address: 0 },
            kind: 'note',
            money: { amount: 2000, currency: 'EUR' },
            channel: 3,
          },
        ]);
        expect(
          r.events.filter((e) => e.type === 'raw').map((e) => (e as { name: string }).name),
        ).to.deep.equal(['READ_NOTE', 'NOTE_STACKING', 'CREDIT_NOTE', 'NOTE_STACKED']);
        r.dev.dispose();
      }, 1000);
    });
  });

  it('polls every 200 ms by default, measured from the end of the previous poll', () => {
    const ts = createTestScheduler();
    ts.run(() => {
      const r = rig(ts);
      ts.schedule(() => {
        const polls = r.times('POLL');
        const gaps = polls.slice(1).map((t, i) => t - polls[i]!);
        expect(polls.length).to.be.greaterThan(4);
        expect(new Set(gaps)).to.deep.equal(new Set([200]));
        r.dev.dispose();
      }, 1100);
    });
  });

  it('validates option ranges', () => {
    const [host] = createMemoryPair();
    expect(() => createEsspDevice(host, { pollIntervalMs: 150 })).to.throw(OptionRangeError);
    expect(() => createEsspDevice(host, { pollIntervalMs: 1001 })).to.throw(OptionRangeError);
    expect(() => createEsspDevice(host, { holdIntervalMs: 4000 })).to.throw(OptionRangeError);
    expect(() => createEsspDevice(host, { protocolVersion: 9 })).to.throw(OptionRangeError);
  });

  it('refuses a payout locally without encryption; nothing written', () => {
    const ts = createTestScheduler();
    ts.run(() => {
      const r = rig(ts, { encryption: 'off' }, { unitType: 6 });
      ts.schedule(() => {
        const before = r.traces.length;
        let error: unknown;
        r.dev.payout({ amount: 500, currency: 'EUR' }).subscribe({ error: (e: unknown) => (error = e) });
        expect(error).to.be.instanceOf(EncryptionRequiredError);
        expect(r.traces.slice(before).filter((t) => t.name === 'PAYOUT_AMOUNT')).to.have.length(0);
        r.dev.dispose();
      }, 50);
    });
  });

  it('escrow.hold() sends HOLD instead of POLL, every holdIntervalMs, until released', () => {
    const ts = createTestScheduler();
    ts.run(() => {
      const r = rig(ts, { holdIntervalMs: 2000 });
      let hold: { unsubscribe(): void } | undefined;
      ts.schedule(() => (hold = r.dev.escrow.hold().subscribe()), 500);
      ts.schedule(() => hold?.unsubscribe(), 5500);
      ts.schedule(() => {
        const holds = r.times('HOLD');
        expect(holds).to.have.length(3);
        expect(holds[1]! - holds[0]!).to.be.within(2000, 2200);
        expect(holds[2]! - holds[1]!).to.be.within(2000, 2200);
        const pollsDuring = r.times('POLL').filter((t) => t > holds[0]! && t < 5500);
        expect(pollsDuring).to.deep.equal([]);
        expect(r.times('POLL').filter((t) => t > 5500 && t < 6000)).to.not.be.empty;
        r.dev.dispose();
      }, 6000);
    });
  });

  it('escrow.hold() is refused on a unit without HOLD (SMART Payout), nothing sent', () => {
    const ts = createTestScheduler();
    ts.run(() => {
      const r = rig(ts, {}, { unitType: 6 });
      ts.schedule(() => {
        let error: unknown;
        r.dev.escrow.hold().subscribe({ error: (e: unknown) => (error = e) });
        expect(error).to.be.instanceOf(UnsupportedCommandError);
      }, 100);
      ts.schedule(() => {
        expect(r.times('HOLD')).to.deep.equal([]);
        r.dev.dispose();
      }, 1000);
    });
  });

  it('counts a credit exactly once when its poll reply is lost (cached reply on resend)', () => {
    const ts = createTestScheduler();
    ts.run(() => {
      const r = rig(ts);
      ts.schedule(() => {
        r.unit.polls.push(bytes(0xee, 0x01));
        r.unit.device.dropReplies(1);
      }, 300);
      ts.schedule(() => {
        expect(credits(r.events)).to.have.length(1);
        expect(r.unit.device.received.filter((c) => c.replayed)).to.have.length(1);
        r.dev.dispose();
      }, 1500);
    });
  });

  it('recovers from a lost device with back-off 1 s, 2 s, 4 s and resumes polling', () => {
    const ts = createTestScheduler();
    ts.run(() => {
      const r = rig(ts);
      ts.schedule(() => (r.unit.device.silent = true), 300);
      ts.schedule(() => (r.unit.device.silent = false), 5000);
      ts.schedule(() => {
        // Polls at 400 and 500 (resend) go unanswered: give-up at 600. Each SYNC attempt is
        // sent twice (100 ms timeout, 2 attempts) and gives up 200 ms after it started;
        // pauses before the next attempt: 1 s (→ 1600), 2 s (→ 3800), 4 s (→ 8000).
        expect(r.times('SYNC')).to.deep.equal([0, 1600, 1700, 3800, 3900, 8000]);
        expect(r.states).to.include('recovering');
        expect(r.states.at(-1)).to.equal('enabled');
        r.dev.dispose();
      }, 9000);
    });
  });

  it('re-runs the connect sequence after SLAVE_RESET and flags a swapped unit', () => {
    const ts = createTestScheduler();
    ts.run(() => {
      const r = rig(ts);
      ts.schedule(() => {
        r.unit.device.reset();
        r.unit.serial = 0x01020304;
        r.unit.polls.push(bytes(0xf1));
      }, 300);
      ts.schedule(() => r.unit.polls.push(bytes(0xee, 0x02)), 2500);
      ts.schedule(() => {
        expect(r.events.some((e) => e.type === 'device-reset')).to.equal(true);
        expect(r.states).to.include('recovering');
        expect(r.states.at(-1)).to.equal('enabled');
        expect(r.infos).to.have.length(2);
        expect(r.events.filter((e) => e.type === 'raw' && e.name === 'UNIT_SWAPPED')).to.have.length(1);
        expect(credits(r.events)).to.have.length(1);
        r.dev.dispose();
      }, 3000);
    });
  });

  it('dispose stops polling, errors pending commands and completes the streams', () => {
    const ts = createTestScheduler();
    ts.run(() => {
      const r = rig(ts);
      let completed = 0;
      r.dev.events$.subscribe({ complete: () => (completed += 1) });
      r.dev.state$.subscribe({ complete: () => (completed += 1) });
      let error: unknown;
      ts.schedule(() => {
        r.unit.device.silent = true;
        r.dev.send('GET_SERIAL_NUMBER').subscribe({ error: (e: unknown) => (error = e) });
        r.dev.dispose();
      }, 410);
      ts.schedule(() => {
        expect(error).to.be.instanceOf(DisposedError);
        expect(r.states.at(-1)).to.equal('disposed');
        expect(completed).to.equal(2);
        const count = r.traces.length;
        expect(r.traces.filter((t) => t.time > 410)).to.deep.equal([]);
        expect(count).to.be.greaterThan(0);
      }, 3000);
    });
  });

  describe('encryption modes', () => {
    it("'auto' carries on in clear when the device refuses the key exchange", () => {
      const ts = createTestScheduler();
      ts.run(() => {
        const r = rig(ts, { encryption: 'auto' }, { refuseKey: true });
        ts.schedule(() => {
          expect(r.infos[0]!.encrypted).to.equal(false);
          expect(r.states.at(-1)).to.equal('enabled');
          expect(r.unit.device.received.every((c) => !c.encrypted)).to.equal(true);
          r.dev.dispose();
        }, 50);
      });
    });

    it("'required' does not connect without a key and reports why", () => {
      const ts = createTestScheduler();
      ts.run(() => {
        const errors: unknown[] = [];
        const r = rig(ts, { encryption: 'required' }, { refuseKey: true });
        r.dev.errors$.subscribe((e) => errors.push(e));
        ts.schedule(() => {
          expect(r.infos).to.deep.equal([]);
          expect(r.states.every((s) => s === 'connecting')).to.equal(true);
          expect(errors.some((e) => e instanceof DeviceError)).to.equal(true);
          // Nothing beyond the key exchange was attempted.
          expect(r.unit.device.received.map((c) => c.data.slice(0, 2))).to.not.include('0A');
          r.dev.dispose();
        }, 2000);
      });
    });

    it('KEY_NOT_SET (device lost its key) re-runs the connect sequence', () => {
      const ts = createTestScheduler();
      ts.run(() => {
        const r = rig(ts);
        ts.schedule(() => r.unit.device.reset(), 300);
        ts.schedule(() => r.unit.polls.push(bytes(0xee, 0x01)), 2000);
        ts.schedule(() => {
          expect(r.states).to.include('recovering');
          expect(r.states.at(-1)).to.equal('enabled');
          expect(r.infos).to.have.length(2);
          expect(r.infos[1]!.encrypted).to.equal(true);
          expect(credits(r.events)).to.have.length(1);
          r.dev.dispose();
        }, 3000);
      });
    });
  });

  it('a reconnect restores what the user chose: no ENABLE after disable()', () => {
    const ts = createTestScheduler();
    ts.run(() => {
      const r = rig(ts);
      ts.schedule(() => r.dev.disable().subscribe(), 100);
      ts.schedule(() => {
        r.unit.device.reset();
        r.unit.polls.push(bytes(0xf1));
      }, 300);
      ts.schedule(() => {
        expect(r.times('ENABLE')).to.deep.equal([0]);
        expect(r.states.at(-1)).to.equal('disabled');
        expect(r.infos).to.have.length(2);
        r.dev.dispose();
      }, 2000);
    });
  });

  it('adds the LAST_REJECT_CODE reason to rejected events', () => {
    const ts = createTestScheduler();
    ts.run(() => {
      const r = rig(ts, {}, { extra: { 0x17: () => bytes(0xf0, 0x08) } });
      ts.schedule(() => r.unit.polls.push(bytes(0xed, 0xec)), 100);
      ts.schedule(() => {
        expect(r.events.filter((e) => e.type === 'rejected')).to.deep.equal([
          { type: 'rejected', device: { protocol: 'essp', address: 0 }, reason: 'REJECT_BY_HOST' },
        ]);
        r.dev.dispose();
      }, 1000);
    });
  });

  describe('line loss', () => {
    it('a lost Transport is final: state error, streams complete', () => {
      const ts = createTestScheduler();
      ts.run(() => {
        const [host, port] = createMemoryPair();
        scriptedUnit(port);
        const dev = createEsspDevice(host, { scheduler: ts, timeoutMs: 100, attempts: 2 });
        const states: string[] = [];
        let completed = false;
        dev.state$.subscribe((s) => states.push(s.status));
        dev.events$.subscribe({ complete: () => (completed = true) });
        ts.schedule(() => host.breakLine(), 300);
        ts.schedule(() => {
          expect(states.at(-1)).to.equal('error');
          expect(completed).to.equal(true);
          dev.dispose();
        }, 1000);
      });
    });

    it('with an opener, re-opens the line after a loss and carries on', () => {
      const ts = createTestScheduler();
      ts.run(() => {
        const lines: MemoryTransport[] = [];
        const units: ScriptedUnit[] = [];
        const opener = defer(() => {
          const [host, port] = createMemoryPair();
          lines.push(host);
          units.push(scriptedUnit(port));
          return of(host);
        });
        const dev = createEsspDevice(opener, { scheduler: ts, timeoutMs: 100, attempts: 2 });
        const states: string[] = [];
        const events: DeviceEvent[] = [];
        dev.state$.subscribe((s) => states.push(s.status));
        dev.events$.subscribe((e) => events.push(e));
        ts.schedule(() => lines[0]!.breakLine(), 300);
        ts.schedule(() => units[1]?.polls.push(bytes(0xee, 0x04)), 2000);
        ts.schedule(() => {
          expect(lines).to.have.length(2);
          expect(states).to.include('recovering');
          expect(states.at(-1)).to.equal('enabled');
          expect(credits(events).map((c) => c.money.amount)).to.deep.equal([5000]);
          dev.dispose();
        }, 3000);
      });
    });
  });
});
