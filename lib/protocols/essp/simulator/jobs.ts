/**
 * Payout-family operations in progress: payouts, floats and empties move one
 * item at a time (a note or a coin per step), report their running event with
 * the value moved so far on every poll (DISPENSING, FLOATING, SMART
 * EMPTYING...) and queue their final event when done. A power cycle turns a
 * running payout or float into INCOMPLETE PAYOUT / INCOMPLETE FLOAT.
 */
import type { EsspEvent, EsspEventName } from '../events/types.js';
import { amountsOf, event, type PayoutJob, type SimState } from './state.js';

/** Running event, final event, and whether both carry the value moved. */
const JOB_EVENTS: Readonly<Record<PayoutJob['kind'], readonly [EsspEventName, EsspEventName, boolean]>> = {
  payout: ['DISPENSING', 'DISPENSED', true],
  'note-payout': ['DISPENSING', 'DISPENSED', true],
  float: ['FLOATING', 'FLOATED', true],
  empty: ['EMPTYING', 'EMPTIED', false],
  'smart-empty': ['SMART_EMPTYING', 'SMART_EMPTIED', true],
};

export interface JobHost {
  readonly state: SimState;
  /** Schedule `fn` after `delay` ms in the job timer group. */
  after(delay: number, fn: () => void): void;
  emit(e: EsspEvent): void;
  log(line: string): void;
  /** Time per item (note or coin). */
  readonly itemMs: number;
}

/** Start moving items; the caller checked levels and state. */
export function startJob(host: JobHost, job: PayoutJob): void {
  const s = host.state;
  s.job = job;
  if (job.kind === 'float' || job.kind === 'smart-empty') s.lastCashboxOperation.fill(0);
  host.log(`${job.kind} started: ${job.items.length} item(s), ${job.requested} requested`);
  const step = (): void => {
    if (s.job !== job) return; // halted or power-cycled
    const i = job.items.shift();
    if (i === undefined) {
      s.job = undefined;
      const [, done, valued] = JOB_EVENTS[job.kind];
      host.emit(event(done, valued ? amountsOf(s, job.moved) : {}));
      host.log(`${job.kind} finished: ${job.moved} moved`);
      return;
    }
    const value = s.profile.channels[i] ?? 0;
    s.levels[i] = Math.max(0, s.levels[i]! - 1);
    job.moved += value;
    if (job.kind === 'payout' || job.kind === 'note-payout') {
      s.stats.paidOut += value;
      s.counters.dispensed++;
    } else {
      s.lastCashboxOperation[i]!++;
    }
    host.after(host.itemMs, step);
  };
  host.after(host.itemMs, step);
}

/** HALT PAYOUT: false when nothing is being moved. */
export function haltJob(host: JobHost): boolean {
  const job = host.state.job;
  if (job === undefined) return false;
  host.state.job = undefined;
  host.emit(event('HALTED', amountsOf(host.state, job.moved)));
  host.log(`${job.kind} halted after ${job.moved}`);
  return true;
}

/** The running event of the job in progress, if any. */
export function jobCondition(state: SimState): EsspEvent | undefined {
  const job = state.job;
  if (job === undefined) return undefined;
  const [running, , valued] = JOB_EVENTS[job.kind];
  return event(running, valued ? amountsOf(state, job.moved) : {});
}

/** What a power cycle reports about the job it interrupted. */
export function interruptedJob(state: SimState): EsspEvent | undefined {
  const job = state.job;
  if (job?.kind !== 'payout' && job?.kind !== 'float') return undefined;
  const pair = {
    completed: { amount: job.moved, currency: state.profile.currency },
    requested: { amount: job.requested, currency: state.profile.currency },
  };
  return event(job.kind === 'payout' ? 'INCOMPLETE_PAYOUT' : 'INCOMPLETE_FLOAT', { amounts: [pair] });
}
