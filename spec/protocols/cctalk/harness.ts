/**
 * A ccTalk bus and its simulator on an in-memory line, in virtual time:
 * `at(ms, fn)` schedules scenario steps, `runUntil(ms)` advances the clock.
 */
import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import type { Diagnostic } from '../../../lib/core/diagnostics.js';
import type { CashwireError } from '../../../lib/core/errors.js';
import type { DeviceEvent } from '../../../lib/core/events.js';
import { type CcTalkBus, type CcTalkBusOptions, createCcTalkBus } from '../../../lib/protocols/cctalk/bus.js';
import {
  type CcTalkSimulator,
  type CcTalkSimulatorOptions,
  type CcTalkReplyContext,
  createCcTalkSimulator,
} from '../../../lib/protocols/cctalk/simulator/index.js';
import { type MemoryTransport, createMemoryPair } from '../../../lib/transport/memory.js';
import type { Transport } from '../../../lib/transport/transport.js';

export interface Harness {
  readonly scheduler: VirtualTimeScheduler;
  readonly host: MemoryTransport;
  readonly bus: CcTalkBus;
  readonly sim: CcTalkSimulator;
  readonly diagnostics: Diagnostic[];
  at(ms: number, work: () => void): void;
  runUntil(ms: number): void;
  /** Collect a device's events and errors. */
  collect(device: {
    events$: import('rxjs').Observable<DeviceEvent>;
    errors$: import('rxjs').Observable<Diagnostic | CashwireError>;
  }): { events: DeviceEvent[]; errors: (Diagnostic | CashwireError)[] };
}

/** `at(ms, fn)`: a scenario step at virtual time `ms`; `runUntil(ms)`: run the clock up to `ms`. */
export function virtualClock(scheduler: VirtualTimeScheduler): Pick<Harness, 'at' | 'runUntil'> {
  return {
    at: (ms, work) => {
      scheduler.schedule(work, ms - scheduler.now());
    },
    runUntil: (ms) => {
      scheduler.maxFrames = ms;
      scheduler.flush();
    },
  };
}

/**
 * A bus and a simulator on one line in virtual time. `deviceLine` may stand
 * between the line and the simulator (to lose host frames on the way, say).
 */
export function createHarness(
  sim: Omit<CcTalkSimulatorOptions, 'scheduler'> = {},
  bus: Omit<CcTalkBusOptions, 'scheduler'> = {},
  deviceLine: (device: Transport) => Transport = (device) => device,
): Harness {
  const scheduler = new VirtualTimeScheduler(VirtualAction, 0);
  const [host, device] = createMemoryPair();
  const simulator = createCcTalkSimulator(deviceLine(device), { scheduler, ...sim });
  const b = createCcTalkBus(host, { scheduler, ...bus });
  const diagnostics: Diagnostic[] = [];
  b.diagnostics$.subscribe((d) => diagnostics.push(d));
  return {
    scheduler,
    host,
    bus: b,
    sim: simulator,
    diagnostics,
    ...virtualClock(scheduler),
    collect: (d) => {
      const events: DeviceEvent[] = [];
      const errors: (Diagnostic | CashwireError)[] = [];
      d.events$.subscribe((e) => events.push(e));
      d.errors$.subscribe((e) => errors.push(e));
      return { events, errors };
    },
  };
}

/** Amounts credited, in order (minor units). */
export const credits = (events: readonly DeviceEvent[]): number[] =>
  events.flatMap((e) => (e.type === 'credit' ? [e.money.amount] : []));

/** The counts of each events-lost report, in order. */
export const lost = (events: readonly DeviceEvent[]): number[] =>
  events.flatMap((e) => (e.type === 'events-lost' ? [e.count] : []));

/** A 228 that switches acceptance on (bit 0 set). */
export const switchesOn = (c: Pick<CcTalkReplyContext, 'header' | 'data'>): boolean =>
  c.header === 228 && ((c.data[0] ?? 0) & 1) === 1;

/**
 * Once `ready()` holds, the host's next switch-on is followed by a lost reply
 * to its next buffer read (`pollHeader`: 229 for a coin acceptor, 159 for a
 * bill validator), and `drop()` puts an item in before the host reads again.
 */
export function dropBehindLostPoll(
  h: Harness,
  pollHeader: number,
  ready: () => boolean,
  drop: () => void,
): void {
  let phase: 'wait' | 'on' | 'done' = 'wait';
  h.sim.override((c) => {
    if (phase === 'wait' && switchesOn(c) && ready()) phase = 'on';
    else if (phase === 'on' && c.header === pollHeader) {
      phase = 'done';
      drop();
      return { kind: 'silent' };
    }
    return undefined;
  });
}
