/**
 * Pyramid soak rig: a simulated Apex acceptor behind a faulty RS-232 line and
 * the Pyramid driver stacking every note (no escrow hold). The simulator
 * counts stacked notes but not their value: the rig takes one note at a time,
 * so each stacked note is the last one it inserted, whose value it knows.
 */
import { USD_BILLS, billValue } from '../../lib/protocols/pyramid/bills.js';
import { createPyramidDevice } from '../../lib/protocols/pyramid/device.js';
import { createPyramidSimulator } from '../../lib/protocols/pyramid/simulator/simulator.js';
import { createMemoryPair } from '../../lib/transport/memory.js';
import type { LedgerItem } from './ledger.js';
import { createSoakLine } from './line.js';
import type { Rig, RigOptions } from './types.js';

const NOTES = 7;

export function createPyramidRig(options: RigOptions): Rig {
  const { scheduler } = options;
  const [host, end] = createMemoryPair();
  // The line power-cycles the simulator created on it below (called only once both exist).
  const { line, powerCycles$ } = createSoakLine(end, options, 'pyramid', () => unit.powerCycle());
  const unit = createPyramidSimulator(line, { scheduler, stackerCapacity: Number.MAX_SAFE_INTEGER });
  const device = createPyramidDevice(host, { scheduler });
  // The unit takes a note only when its path is empty, so the note stacked is the last one inserted.
  const accepted: LedgerItem[] = [];
  let last: { serial: number; value: number } | undefined;
  let seen = 0;
  unit.log$.subscribe(() => {
    // Stacked normally or cleared into the cashbox by a power cycle: the count tells either way.
    for (; seen < unit.stats.accepted; seen++) {
      if (last !== undefined) accepted.push({ value: last.value, at: scheduler.now(), serial: last.serial });
    }
  });
  return {
    protocol: 'pyramid',
    label: 'Apex 7200, no escrow hold',
    gapMs: 1000,
    device,
    powerCycles$,
    // A reply damaged on the line can pass the checksum with Stacked set while the note is
    // still being stacked (600 ms): the right note, credited a little early.
    creditLeadMs: 600,
    heldAtPowerCycle: 2,
    insert: (i) => {
      const index = 1 + (i % NOTES);
      if (!unit.insertBill(index)) return false;
      last = { serial: i, value: billValue(USD_BILLS, index)?.amount ?? 0 };
      return true;
    },
    truth: () => {
      const s = unit.stats;
      return { inserted: s.inserted, accepted: s.accepted, acceptedValue: undefined, resets: s.resets };
    },
    acceptedItems: () => accepted,
    faults: () => line.stats,
    dispose: () => {
      device.dispose();
      unit.dispose();
    },
  };
}
