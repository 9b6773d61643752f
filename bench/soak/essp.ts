/**
 * eSSP soak rig: a simulated NV200 with SMART Payout that insists on
 * encryption, a faulty line on its side, the unit's encryption counter put
 * out of step now and then (`desync`), and the eSSP driver with a key
 * negotiated at every (re)connect. Notes are routed to the cashbox (the
 * simulator's default), values rotate through the dataset's channels.
 */
import { createEsspDevice } from '../../lib/protocols/essp/device/device.js';
import type { RandomSource } from '../../lib/protocols/essp/crypto/index.js';
import { createEsspSimulator } from '../../lib/protocols/essp/simulator/index.js';
import { type FaultPlan, createEsspDesync } from '../../lib/testing/faults/index.js';
import { createRandom } from '../../lib/testing/random.js';
import { createMemoryPair } from '../../lib/transport/memory.js';
import type { LedgerItem } from './ledger.js';
import { createSoakLine } from './line.js';
import type { Rig, RigOptions } from './types.js';

/** A seeded byte source: key exchange and packing replay exactly for one seed. */
export const seededSource = (seed: number): RandomSource => {
  const r = createRandom(seed);
  return (out) => out.set(r.bytes(out.length));
};

/** The line faults of every soak, plus a counter desync about once in 2 000 encrypted commands. */
export const ESSP_SOAK_DESYNC = 0.0005;

const STACKED = / note on channel (\d+) (?:stacked|stored for payout)$/;

export function createEsspRig(options: RigOptions): Rig {
  const { scheduler, seed } = options;
  const [host, end] = createMemoryPair();
  // The line power-cycles the simulator created on it below (called only once both exist).
  const { line, powerCycles$ } = createSoakLine(end, options, 'essp', () => unit.powerCycle());
  const unit = createEsspSimulator(line, {
    profile: 'NV200_SMART_PAYOUT',
    requireEncryption: true,
    scheduler,
    random: seededSource(seed ^ 0x5eed),
  });
  // Inside the unit, from its own fork of the seed: adding it moves none of the line faults.
  const desync = createEsspDesync(unit, options.plan, { seed, scheduler });
  const accepted: LedgerItem[] = [];
  let serial = -1;
  unit.log$.subscribe((text) => {
    const m = STACKED.exec(text);
    if (m === null) return;
    // One note at a time (below): the note stacked is the last one inserted.
    const value = unit.profile.channels[Number(m[1]) - 1] ?? 0;
    accepted.push({ value, at: scheduler.now(), serial });
  });
  const device = createEsspDevice(host, {
    scheduler,
    encryption: 'required',
    random: seededSource(seed ^ 0xd1ce),
  });
  const channels = unit.profile.channels.length;
  // One note at a time: the simulator would queue a note inserted behind another, and a power
  // cycle forgets such a queued note (it never entered the unit), which would blur the count.
  let taken = 0;
  let resetsSeen = 0;
  const idle = (): boolean => {
    const s = unit.stats;
    if (s.resets !== resetsSeen) {
      resetsSeen = s.resets;
      taken = s.inserted;
    }
    return s.inserted === taken && s.accepted + s.stored + s.rejected + s.returned === s.inserted;
  };
  return {
    protocol: 'essp',
    label: 'NV200 SMART Payout, encrypted',
    gapMs: 2000,
    device,
    powerCycles$,
    // CREDIT NOTE goes out while the note is still being stacked (counted accepted once stacked).
    creditLeadMs: 1000,
    // The note in the path, and the CREDIT NOTE of the one before it if no reply carried it yet.
    heldAtPowerCycle: 2,
    insert: (i) => {
      if (!idle() || !unit.insertNote(1 + (i % channels))) return false;
      taken += 1;
      serial = i;
      return true;
    },
    truth: () => {
      const s = unit.stats;
      return {
        inserted: s.inserted,
        accepted: s.accepted + s.stored,
        acceptedValue: s.creditedValue,
        resets: s.resets,
      };
    },
    acceptedItems: () => accepted,
    faults: () => ({ ...line.stats, desync: desync.stats.desync }),
    dispose: () => {
      device.dispose();
      desync.dispose();
      unit.dispose();
    },
  };
}

/** The eSSP soak's default plan: the common line faults and the counter desync. */
export const esspSoakPlan = (common: FaultPlan): FaultPlan => ({ ...common, desync: ESSP_SOAK_DESYNC });
