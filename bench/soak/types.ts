/**
 * Shapes shared by the soak runner, its protocol rigs and the report: what a
 * rig must offer (a simulator behind a faulty line, a driver in front of it)
 * and what one soak run measures.
 */
import type { Observable, SchedulerLike } from 'rxjs';
import type { DeviceEvent, DeviceState } from '../../lib/core/events.js';
import type { FaultPlan, FaultStats } from '../../lib/testing/faults/index.js';
import type { LedgerItem, ValueTally } from './ledger.js';

export const SOAK_PROTOCOLS = ['essp', 'cctalk', 'pyramid'] as const;
export type SoakProtocol = (typeof SOAK_PROTOCOLS)[number];

/** Line faults, plus the faults injected inside the unit (eSSP counter desync). */
export type SoakFaults = FaultStats & { readonly desync?: number };

/** What the simulator really did with the money: the truth the driver is compared against. */
export interface SimTruth {
  /** Items that entered the unit (the scenario API took them). */
  readonly inserted: number;
  /** Items that ended in the cashbox, stacker or payout store. */
  readonly accepted: number;
  /** Their value in minor units, when the simulator tells it; undefined otherwise. */
  readonly acceptedValue: number | undefined;
  /** Power cycles the unit went through. */
  readonly resets: number;
}

export interface RigOptions {
  readonly scheduler: SchedulerLike;
  readonly seed: number;
  readonly plan: FaultPlan;
}

/** One protocol's simulator, faulty line and driver, wired together on one scheduler. */
export interface Rig {
  readonly protocol: SoakProtocol;
  /** Which unit and driver configuration runs, for the report. */
  readonly label: string;
  /** Pause between two insertions, ms of virtual time. */
  readonly gapMs: number;
  readonly device: {
    readonly events$: Observable<DeviceEvent>;
    readonly state$: Observable<DeviceState>;
  };
  /** Emits right after each power cycle of the unit (a `reset` fault). */
  readonly powerCycles$: Observable<void>;
  /** How long before the unit counts an item accepted its credit may already be out (a note reported while stacking). */
  readonly creditLeadMs: number;
  /** Most items the unit can hold without having reported them (what one power cycle can destroy). */
  readonly heldAtPowerCycle: number;
  /** Put item number `i` into the unit; false when it cannot take one now (try again later). */
  insert(i: number): boolean;
  truth(): SimTruth;
  /** Every item the unit took into the cashbox, stacker or payout store so far, in order. */
  acceptedItems(): readonly LedgerItem[];
  faults(): SoakFaults;
  dispose(): void;
}

export type RigFactory = (options: RigOptions) => Rig;

export interface SoakOptions {
  readonly protocol: SoakProtocol;
  /** Items to insert. */
  readonly count: number;
  readonly seed: number;
  /** Fault plan on the simulator's side of the line; default: the protocol's (see `defaultSoakPlan`). */
  readonly plan?: FaultPlan;
  /** Another rig for the protocol (tests of the runner's own verdicts wrap the real one). */
  readonly rig?: RigFactory;
  /** Called now and then with the items inserted so far (progress display). */
  readonly onProgress?: (inserted: number) => void;
}

/** The figures of one run. `lost` and `doubled` must both be 0 for a pass. */
export interface SoakResult {
  readonly protocol: SoakProtocol;
  readonly label: string;
  /** The fault plan of the run, in the `--faults` form. */
  readonly plan: string;
  readonly seed: number;
  readonly count: number;
  readonly inserted: number;
  readonly accepted: number;
  readonly acceptedValue: number | undefined;
  /** `credit` events the driver emitted, and their value. */
  readonly credited: number;
  readonly creditedValue: number;
  /** Sum of the counts of `events-lost` events. */
  readonly reportedLost: number;
  /** Of those, reports no missing item needed (the driver reported a loss that did not happen). */
  readonly unusedReports: number;
  /**
   * Items the unit had accepted but whose event it had not yet delivered when it lost
   * power: the unit forgot them, no reply can carry them any more. Found per item: the
   * unbroken run of uncredited items just before a power cycle (see ledger.ts); the
   * driver can only report the reset.
   */
  readonly lostAtPowerCycle: number;
  /** Power cycles that destroyed at least one such event. */
  readonly destructiveResets: number;
  /** Accepted items never credited and not explained by a report or a power cycle: money gone without a word. */
  readonly lost: number;
  /** Credits no accepted item pairs with: money counted twice (or a wrong value). */
  readonly doubled: number;
  /** The lost and doubled items themselves (value, time, serial where known). */
  readonly lostItems: readonly LedgerItem[];
  readonly doubledItems: readonly LedgerItem[];
  /** Accepted, credited, lost and doubled per denomination. */
  readonly byValue: ReadonlyMap<number, ValueTally>;
  /** Power cycles of the unit, `device-reset` events and reconnects of the driver. */
  readonly resets: number;
  readonly deviceResets: number;
  readonly reconnects: number;
  readonly faults: SoakFaults;
  readonly virtualMs: number;
  readonly wallMs: number;
  readonly pass: boolean;
  /** Why it failed, empty on a pass. */
  readonly problems: readonly string[];
}
