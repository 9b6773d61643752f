/**
 * Pyramid soak rig: a simulated Apex acceptor behind a faulty RS-232 line and
 * the Pyramid driver stacking every note (no escrow hold). The simulator
 * counts stacked notes but not their value, so the value is not compared.
 */
import { createPyramidDevice } from '../../lib/protocols/pyramid/device.js';
import { createPyramidSimulator } from '../../lib/protocols/pyramid/simulator/simulator.js';
import { createMemoryPair } from '../../lib/transport/memory.js';
import { createSoakLine } from './line.js';
import type { Rig, RigOptions } from './types.js';

const NOTES = 7;

export function createPyramidRig(options: RigOptions): Rig {
  const { scheduler } = options;
  const [host, end] = createMemoryPair();
  // The line power-cycles the simulator created on it below (called only once both exist).
  const { line, powerCycles$ } = createSoakLine(end, options, () => unit.powerCycle());
  const unit = createPyramidSimulator(line, { scheduler, stackerCapacity: Number.MAX_SAFE_INTEGER });
  const device = createPyramidDevice(host, { scheduler });
  return {
    protocol: 'pyramid',
    label: 'Apex 7200, no escrow hold',
    gapMs: 1000,
    device,
    powerCycles$,
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
