/**
 * The eSSP "counter desync" fault: the simulated unit's encryption packet
 * counter (eCOUNT) steps one ahead of the host's or falls one behind, as a
 * unit does that missed a packet the host believes it received, counted one
 * twice, or glitched.
 *
 * It happens between two packets, so the command that meets the shifted
 * counter fails the count check: the unit answers a plain KEY NOT SET and
 * does not execute it (fact sheet §7.3, §7.4). Nothing has happened to the
 * money yet; a host must notice, negotiate a new key (both counters back to
 * 0) and carry on. One step ahead heals if the host sends a fresh command
 * (its own counter moved past the refused one); one behind never heals
 * without a new key.
 *
 * Same seed + same traffic = same faults: the draws come from streams forked
 * from the seed under their own labels, independent of the line faults drawn
 * from the same seed.
 */
import { Subject, asyncScheduler, type Observable, type SchedulerLike } from 'rxjs';
import type { EsspSimulator } from '../../protocols/essp/simulator/index.js';
import { createRandom } from '../random.js';
import { type FaultPlan, validateFaultPlan } from './plan.js';

export interface EsspDesyncOptions {
  /** Seed of every desync decision; log it so a failing run can be replayed. */
  readonly seed: number;
  /** Clock of the injection records; the simulator's scheduler. */
  readonly scheduler?: SchedulerLike;
}

/** One counter step out of line. */
export interface EsspDesyncInjection {
  readonly kind: 'desync';
  /** +1: the unit's counter skipped a count; -1: it repeats one. */
  readonly shift: 1 | -1;
  /** The count the unit expected before the fault. */
  readonly expected: number;
  /** Index (from 0) of the encrypted command the fault hit. */
  readonly command: number;
  /** Scheduler time of the injection. */
  readonly time: number;
}

export interface EsspDesyncStats {
  /** Encrypted commands the unit checked (each one a draw). */
  readonly commands: number;
  /** Faults injected: `ahead` + `behind`. */
  readonly desync: number;
  readonly ahead: number;
  readonly behind: number;
}

export interface EsspDesync {
  readonly stats: EsspDesyncStats;
  readonly injections$: Observable<EsspDesyncInjection>;
  /** Stop injecting (the unit keeps whatever counter it has). */
  dispose(): void;
}

/**
 * Inject `plan.desync` (a probability per encrypted command) into a simulated
 * eSSP unit through its `intercept` API. A plan without `desync` injects
 * nothing. Throws InvalidArgumentError for an invalid plan.
 */
export function createEsspDesync(
  sim: Pick<EsspSimulator, 'intercept'>,
  plan: FaultPlan,
  options: EsspDesyncOptions,
): EsspDesync {
  validateFaultPlan(plan);
  const p = plan.desync ?? 0;
  const scheduler = options.scheduler ?? asyncScheduler;
  const root = createRandom(options.seed);
  const when = root.fork('essp:desync');
  const way = root.fork('essp:desync:shift');
  const injections$ = new Subject<EsspDesyncInjection>();
  const counts = { commands: 0, desync: 0, ahead: 0, behind: 0 };

  const remove = sim.intercept({
    counter: (counter) => {
      const command = counts.commands++;
      if (!when.chance(p)) return;
      const shift = way.chance(0.5) ? 1 : -1;
      const expected = counter.count;
      counter.shift(shift);
      counts.desync++;
      if (shift > 0) counts.ahead++;
      else counts.behind++;
      injections$.next({ kind: 'desync', shift, expected, command, time: scheduler.now() });
    },
  });

  return {
    get stats(): EsspDesyncStats {
      return { ...counts };
    },
    injections$: injections$.asObservable(),
    dispose: () => {
      remove();
      injections$.complete();
    },
  };
}
