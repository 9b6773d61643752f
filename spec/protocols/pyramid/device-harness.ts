/**
 * Runs a Pyramid device against the simulator over an in-memory line in
 * virtual time, records everything both sides did, and disposes both at the
 * end so the scheduler can drain.
 */
import type { TestScheduler } from 'rxjs/testing';
import { toHex } from '../../../lib/core/bytes.js';
import type { Diagnostic } from '../../../lib/core/diagnostics.js';
import type { CashwireError } from '../../../lib/core/errors.js';
import { isCredit, type CreditEvent, type DeviceEvent, type DeviceState } from '../../../lib/core/events.js';
import type { FrameTrace } from '../../../lib/operators/trace.js';
import { createPyramidDevice } from '../../../lib/protocols/pyramid/device.js';
import type { PyramidDevice, PyramidDeviceOptions } from '../../../lib/protocols/pyramid/device-types.js';
import { createPyramidSimulator } from '../../../lib/protocols/pyramid/simulator/simulator.js';
import type {
  PyramidSimulator,
  PyramidSimulatorOptions,
} from '../../../lib/protocols/pyramid/simulator/types.js';
import { createMemoryPair, type MemoryTransport } from '../../../lib/transport/memory.js';
import { createTestScheduler } from '../../helpers/marbles.js';

export interface Run {
  readonly ts: TestScheduler;
  readonly host: MemoryTransport;
  readonly sim: PyramidSimulator;
  readonly device: PyramidDevice;
  readonly events: DeviceEvent[];
  readonly states: DeviceState[];
  readonly errors: (Diagnostic | CashwireError)[];
  readonly trace: FrameTrace[];
  readonly simLog: string[];
  /** Run `work` at virtual time `ms`. */
  at(ms: number, work: () => void): void;
}

export interface Scenario {
  readonly device?: PyramidDeviceOptions;
  readonly sim?: PyramidSimulatorOptions;
  /** Virtual time at which both sides are disposed. */
  readonly untilMs: number;
}

export function runScenario(scenario: Scenario, script: (run: Run) => void): Run {
  const ts = createTestScheduler();
  let result: Run | undefined;
  ts.run(() => {
    const [host, line] = createMemoryPair();
    const sim = createPyramidSimulator(line, { scheduler: ts, ...scenario.sim });
    const device = createPyramidDevice(host, { scheduler: ts, ...scenario.device });
    const run: Run = {
      ts,
      host,
      sim,
      device,
      events: [],
      states: [],
      errors: [],
      trace: [],
      simLog: [],
      at: (ms, work) => void ts.schedule(work, Math.max(0, ms - ts.now())),
    };
    device.events$.subscribe((e) => run.events.push(e));
    device.state$.subscribe((s) => run.states.push(s));
    device.errors$.subscribe((e) => run.errors.push(e));
    device.trace$.subscribe((t) => run.trace.push(t));
    sim.log$.subscribe((l) => run.simLog.push(l));
    script(run);
    run.at(scenario.untilMs, () => {
      device.dispose();
      sim.dispose();
    });
    result = run;
  });
  return result!;
}

export const credits = (run: Run): CreditEvent[] => run.events.filter(isCredit);
export const rawNames = (run: Run): string[] => run.events.flatMap((e) => (e.type === 'raw' ? [e.name] : []));
export const txHex = (run: Run): string[] => run.host.written.map((b) => toHex(b));
export const txTimes = (run: Run): number[] =>
  run.trace.filter((t) => t.direction === 'tx').map((t) => t.time);
