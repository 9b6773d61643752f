/**
 * Pyramid soak rig: a simulated Apex acceptor behind a faulty RS-232 line and
 * the Pyramid driver stacking every note (no escrow hold). The simulator
 * counts stacked notes but not their value, so the value is not compared.
 */
import { Subject } from 'rxjs';
import { createPyramidDevice } from '../../lib/protocols/pyramid/device.js';
import { createPyramidSimulator } from '../../lib/protocols/pyramid/simulator/simulator.js';
import { createFaultyLine } from '../../lib/testing/faults/index.js';
import { createMemoryPair } from '../../lib/transport/memory.js';
import type { Rig, RigOptions } from './types.js';

const NOTES = 7;

export function createPyramidRig({ scheduler, seed, plan }: RigOptions): Rig {
  const [host, end] = createMemoryPair();
  const powerCycles = new Subject<void>();
  // The line power-cycles the simulator created on it below (called only once both exist).
  const line = createFaultyLine(end, plan, {
    seed,
    scheduler,
    direction: 'both',
    onReset: () => {
      unit.powerCycle();
      powerCycles.next();
    },
  });
  const unit = createPyramidSimulator(line, { scheduler, stackerCapacity: Number.MAX_SAFE_INTEGER });
  const device = createPyramidDevice(host, { scheduler });
  return {
    protocol: 'pyramid',
    label: 'Apex 7200, no escrow hold',
    gapMs: 1000,
    device,
    powerCycles$: powerCycles.asObservable(),
    countAfterReset: { ms: 50 },
    insert: (i) => unit.insertBill(1 + (i % NOTES)),
    truth: () => {
      const s = unit.stats;
      return { inserted: s.inserted, accepted: s.accepted, acceptedValue: undefined, resets: s.resets };
    },
    faults: () => line.stats,
    dispose: () => {
      device.dispose();
      unit.dispose();
    },
  };
}
