/**
 * The soak runner: inserts N items into one protocol's simulator on a fixed
 * schedule while a fault plan damages the line, then compares, item by item
 * (ledger.ts), what the simulator really accepted with what the driver
 * credited.
 *
 * Everything runs in virtual time on one `VirtualTimeScheduler`, advanced in
 * steps, so days of device time take minutes of CPU; faults, key exchange and
 * insertions all derive from the seed, so a failing run replays exactly.
 */
import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { type FaultPlan, formatFaultPlan } from '../../lib/testing/faults/index.js';
import { createCcTalkRig } from './cctalk.js';
import { createEsspRig, esspSoakPlan } from './essp.js';
import { type LedgerItem, type LossReport, type PowerCycleMark, reconcile } from './ledger.js';
import { createPyramidRig } from './pyramid.js';
import type { RigFactory, SoakOptions, SoakProtocol, SoakResult } from './types.js';

/** 5 % lost chunks, 1 % corrupted bytes, a power cycle every 2 000 chunks or so, in both directions. */
export const DEFAULT_SOAK_PLAN: FaultPlan = { drop: 0.05, corrupt: 0.01, reset: 0.0005 };

/** Each protocol's default plan: the line faults above, and for eSSP the counter desync too. */
export function defaultSoakPlan(protocol: SoakProtocol): FaultPlan {
  return protocol === 'essp' ? esspSoakPlan(DEFAULT_SOAK_PLAN) : DEFAULT_SOAK_PLAN;
}

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
  const plan = options.plan ?? defaultSoakPlan(protocol);
  const started = performance.now();
  const scheduler = new VirtualTimeScheduler(VirtualAction, 0);
  const rig = (options.rig ?? RIGS[protocol])({ scheduler, seed, plan });

  const credits: LedgerItem[] = [];
  let creditedValue = 0;
  const reports: LossReport[] = [];
  let deviceResets = 0;
  let reconnects = 0;
  let wasUp = false;
  rig.device.events$.subscribe((e) => {
    if (e.type === 'credit') {
      credits.push({ value: e.money.amount, at: scheduler.now() });
      creditedValue += e.money.amount;
    } else if (e.type === 'events-lost') reports.push({ at: scheduler.now(), count: e.count });
    else if (e.type === 'device-reset') deviceResets += 1;
  });
  rig.device.state$.subscribe((s) => {
    if (s.status === 'enabled' || s.status === 'ready') wasUp = true;
    else if (wasUp && (s.status === 'recovering' || s.status === 'connecting')) {
      reconnects += 1;
      wasUp = false;
    }
  });

  // Each power cycle, at its instant: the items accepted by then whose events it may have destroyed.
  const powerCycles: PowerCycleMark[] = [];
  rig.powerCycles$.subscribe(() => {
    powerCycles.push({ at: scheduler.now(), held: rig.heldAtPowerCycle });
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
  const ledger = reconcile({
    accepted: rig.acceptedItems(),
    credited: credits,
    reports,
    powerCycles,
    leadMs: rig.creditLeadMs,
  });
  rig.dispose();

  const credited = credits.length;
  const reportedLost = reports.reduce((sum, r) => sum + r.count, 0);
  const lost = ledger.lost.length;
  const doubled = ledger.doubled.length;
  const problems: string[] = [];
  if (lost > 0)
    problems.push(`${lost} accepted item(s) neither credited nor reported lost: ${listed(ledger.lost)}`);
  if (doubled > 0)
    problems.push(`${doubled} credit(s) with no accepted item to pair with: ${listed(ledger.doubled)}`);
  if (ledger.destructiveResets > deviceResets + reconnects) {
    problems.push(
      `${ledger.destructiveResets} power cycles destroyed events but the driver signalled fewer resets`,
    );
  }
  if (rig.acceptedItems().length !== truth.accepted) {
    problems.push(
      `the rig listed ${rig.acceptedItems().length} accepted items but the simulator counts ${truth.accepted}`,
    );
  }
  if (
    reportedLost === 0 &&
    ledger.lostAtPowerCycle.length === 0 &&
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
    plan: formatFaultPlan(plan),
    seed,
    count,
    inserted: truth.inserted,
    accepted: truth.accepted,
    acceptedValue: truth.acceptedValue,
    credited,
    creditedValue,
    reportedLost,
    unusedReports: ledger.unusedReports,
    lostAtPowerCycle: ledger.lostAtPowerCycle.length,
    destructiveResets: ledger.destructiveResets,
    lost,
    doubled,
    lostItems: ledger.lost,
    doubledItems: ledger.doubled,
    byValue: ledger.byValue,
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

/** The first few items of a list for a failure message: value, time and serial where known. */
function listed(items: readonly LedgerItem[]): string {
  const shown = items.slice(0, 5).map((i) => {
    const at = Number.isNaN(i.at) ? '' : ` at ${Math.round(i.at)} ms`;
    return `${i.value}${at}${i.serial === undefined ? '' : ` (item #${i.serial})`}`;
  });
  return shown.join(', ') + (items.length > 5 ? ` and ${items.length - 5} more` : '');
}
