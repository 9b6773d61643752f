/**
 * Shapes shared by the soak runner, its protocol rigs and the report: what a
 * rig must offer (a simulator behind a faulty line, a driver in front of it)
 * and what one soak run measures.
 */
import type { Observable, SchedulerLike } from 'rxjs';
import type { DeviceEvent, DeviceState } from '../../lib/core/events.js';
import type { FaultPlan, FaultStats } from '../../lib/testing/faults/index.js';

export const SOAK_PROTOCOLS = ['essp', 'cctalk', 'pyramid'] as const;
export type SoakProtocol = (typeof SOAK_PROTOCOLS)[number];

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
  /**
   * When the money the power cycle destroyed can be counted: `ms` after it (every reply
   * built before it has arrived, no new item can have been accepted yet), or once the
   * driver is 'enabled' again (the unit accepts nothing before the driver enables it).
   */
  readonly countAfterReset: { readonly ms: number } | 'enabled';
  /** Put item number `i` into the unit; false when it cannot take one now (try again later). */
  insert(i: number): boolean;
  truth(): SimTruth;
  faults(): FaultStats;
  dispose(): void;
}

export type RigFactory = (options: RigOptions) => Rig;

export interface SoakOptions {
  readonly protocol: SoakProtocol;
  /** Items to insert. */
  readonly count: number;
  readonly seed: number;
  /** Fault plan on the simulator's side of the line; default {@link DEFAULT_SOAK_PLAN}. */
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
  /**
   * Items the unit had accepted but whose event it had not yet delivered when it lost
   * power: the unit forgot them, no reply can carry them any more. Counted by the runner
   * from the simulator's truth at each power cycle; the driver can only report the reset.
   */
  readonly lostAtPowerCycle: number;
  /** Power cycles that destroyed at least one such event. */
  readonly destructiveResets: number;
  /** accepted − credited − reportedLost − lostAtPowerCycle, when positive: money gone without a word. */
  readonly lost: number;
  /** credited − accepted, when positive: money counted twice. */
  readonly doubled: number;
  /** Power cycles of the unit, `device-reset` events and reconnects of the driver. */
  readonly resets: number;
  readonly deviceResets: number;
  readonly reconnects: number;
  readonly faults: FaultStats;
  readonly virtualMs: number;
  readonly wallMs: number;
  readonly pass: boolean;
  /** Why it failed, empty on a pass. */
  readonly problems: readonly string[];
}
