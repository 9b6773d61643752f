/**
 * The soak runner: inserts N items into one protocol's simulator on a fixed
 * schedule while a fault plan damages the line, then compares what the
 * simulator really accepted with what the driver credited.
 *
 * Everything runs in virtual time on one `VirtualTimeScheduler`, advanced in
 * steps, so days of device time take minutes of CPU; faults, key exchange and
 * insertions all derive from the seed, so a failing run replays exactly.
 */
import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import type { FaultPlan } from '../../lib/testing/faults/index.js';
import { createCcTalkRig } from './cctalk.js';
import { createEsspRig } from './essp.js';
import { createPyramidRig } from './pyramid.js';
import type { RigFactory, SoakOptions, SoakProtocol, SoakResult } from './types.js';

/** 5 % lost chunks, 1 % corrupted bytes, a power cycle every 2 000 chunks or so, in both directions. */
export const DEFAULT_SOAK_PLAN: FaultPlan = { drop: 0.05, corrupt: 0.01, reset: 0.0005 };

export const RIGS: Readonly<Record<SoakProtocol, RigFactory>> = {
  essp: createEsspRig,
  cctalk: createCcTalkRig,
  pyramid: createPyramidRig,
};

/** Virtual time advanced per step: short enough for progress, long enough to keep the loop cheap. */
const STEP_MS = 60_000;
/** After the last insertion: time for the last item to settle and the driver to recover from a late reset. */
const SETTLE_MS = 120_000;

export function runSoak(options: SoakOptions): SoakResult {
  const { protocol, count, seed } = options;
  const plan = options.plan ?? DEFAULT_SOAK_PLAN;
  const started = performance.now();
  const scheduler = new VirtualTimeScheduler(VirtualAction, 0);
  const rig = (options.rig ?? RIGS[protocol])({ scheduler, seed, plan });

  let credited = 0;
  let creditedValue = 0;
  let reportedLost = 0;
  let deviceResets = 0;
  let reconnects = 0;
  let wasUp = false;
  rig.device.events$.subscribe((e) => {
    if (e.type === 'credit') {
      credited += 1;
      creditedValue += e.money.amount;
    } else if (e.type === 'events-lost') reportedLost += e.count;
    else if (e.type === 'device-reset') deviceResets += 1;
  });
  rig.device.state$.subscribe((s) => {
    if (s.status === 'enabled' || s.status === 'ready') wasUp = true;
    else if (wasUp && (s.status === 'recovering' || s.status === 'connecting')) {
      reconnects += 1;
      wasUp = false;
    }
  });

  // What each power cycle destroyed: the gap between accepted and accounted for, once it can be counted.
  let lostAtPowerCycle = 0;
  let destructiveResets = 0;
  let awaitingEnabled = false;
  const countGap = (): void => {
    const gap = rig.truth().accepted - credited - reportedLost - lostAtPowerCycle;
    if (gap <= 0) return;
    lostAtPowerCycle += gap;
    destructiveResets += 1;
  };
  const after = rig.countAfterReset;
  rig.powerCycles$.subscribe(() => {
    if (after === 'enabled') awaitingEnabled = true;
    else scheduler.schedule(countGap, after.ms);
  });
  rig.device.state$.subscribe((s) => {
    if (awaitingEnabled && s.status === 'enabled') {
      awaitingEnabled = false;
      countGap();
    }
  });

  // The schedule: every gapMs one insertion attempt; a unit that cannot take an item now gets it later.
  let requested = 0;
  let finishedAt: number | undefined;
  const tick = (): void => {
    if (requested < count && rig.insert(requested)) requested += 1;
    if (requested < count) scheduler.schedule(tick, rig.gapMs);
    else finishedAt = scheduler.now();
  };
  scheduler.schedule(tick, 5_000);

  const giveUpAt = 600_000 + count * rig.gapMs * 20;
  let horizon = 0;
  let reported = 0;
  for (;;) {
    horizon += STEP_MS;
    scheduler.maxFrames = horizon;
    scheduler.flush();
    if (options.onProgress !== undefined && requested - reported >= count / 20) {
      reported = requested;
      options.onProgress(requested);
    }
    if (finishedAt !== undefined && horizon >= finishedAt + SETTLE_MS) break;
    // A unit that keeps refusing items would keep the schedule going for ever.
    if (horizon > giveUpAt) break;
  }
  const truth = rig.truth();
  const faults = rig.faults();
  rig.dispose();

  const lost = Math.max(0, truth.accepted - credited - reportedLost - lostAtPowerCycle);
  const doubled = Math.max(0, credited - truth.accepted);
  const problems: string[] = [];
  if (lost > 0) problems.push(`${lost} accepted item(s) neither credited nor reported lost`);
  if (doubled > 0) problems.push(`${doubled} item(s) credited more often than accepted`);
  if (destructiveResets > deviceResets + reconnects) {
    problems.push(`${destructiveResets} power cycles destroyed events but the driver signalled fewer resets`);
  }
  if (
    reportedLost === 0 &&
    lostAtPowerCycle === 0 &&
    truth.acceptedValue !== undefined &&
    truth.acceptedValue !== creditedValue
  ) {
    problems.push(`credited value ${creditedValue} differs from the accepted value ${truth.acceptedValue}`);
  }
  if (requested < count) problems.push(`only ${requested} of ${count} items could be inserted`);
  if (truth.inserted === 0) problems.push('nothing was inserted');
  // A driver that leaves the unit inhibited after a reset loses no money but takes none either.
  else if (truth.accepted < truth.inserted / 2) {
    problems.push(
      `only ${truth.accepted} of ${truth.inserted} inserted items accepted: the unit was left unable to take money`,
    );
  }
  return {
    protocol,
    label: rig.label,
    seed,
    count,
    inserted: truth.inserted,
    accepted: truth.accepted,
    acceptedValue: truth.acceptedValue,
    credited,
    creditedValue,
    reportedLost,
    lostAtPowerCycle,
    destructiveResets,
    lost,
    doubled,
    resets: truth.resets,
    deviceResets,
    reconnects,
    faults,
    virtualMs: horizon,
    wallMs: performance.now() - started,
    pass: problems.length === 0,
    problems,
  };
}
