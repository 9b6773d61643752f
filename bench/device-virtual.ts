/**
 * Device-level measurements in virtual time: the real device and simulator
 * on a VirtualTimeScheduler, joined by a line paced at 9600 baud in virtual
 * time, so a day of polling runs as fast as the CPU allows and every figure
 * is CPU work, never waiting.
 *
 * - `pollCost`: CPU per POLL exchange, and the simulator's share of it.
 * - `pollAfterIdle`: the same poll when the process sleeps between polls.
 * - `heapOverPolls`: heap after a full GC before and after a long run.
 */
import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { gc } from './report.js';
import { createCpuSplit, createPacedPair, schedulerClock, type CpuSplit } from './device-line.js';
import { createRig, type Rig } from './device-rig.js';

/** 200 ms pause + a plain exchange at 9600 baud is about 214 ms; this is only a step size. */
const CYCLE_MS = 214;

interface VirtualRig {
  readonly rig: Rig;
  readonly split: CpuSplit;
  /** Run virtual time forward by `ms`. */
  advance(ms: number): void;
}

function virtualRig(encrypted: boolean, seed: number, callTimes = false): VirtualRig {
  const scheduler = new VirtualTimeScheduler(VirtualAction, 0);
  const split = createCpuSplit({ callTimes });
  const [host, sim] = createPacedPair(schedulerClock(scheduler), { baud: 9600 });
  const rig = createRig({ scheduler, encrypted, seed, line: [split.host(host), split.device(sim)] });
  const advance = (ms: number): void => {
    scheduler.maxFrames = scheduler.now() + ms;
    scheduler.flush();
  };
  advance(5000);
  if (!rig.enabled) throw new Error(`${encrypted ? 'encrypted' : 'plain'} device did not connect`);
  return { rig, split, advance };
}

export interface PollCost {
  readonly polls: number;
  /** Process CPU (user + system) per poll, µs: driver and simulator. */
  readonly totalUs: number;
  /** The simulator's share of the CPU time of the run (0..1). */
  readonly simShare: number;
  /** Driver CPU per poll, µs: the total less the simulator's time (median call × calls). */
  readonly hostUs: number;
}

/** CPU per idle POLL exchange (empty replies) after `warmup` polls, over about `polls` polls. */
export function pollCost(encrypted: boolean, polls: number, warmup = 2000, seed = 11): PollCost {
  const v = virtualRig(encrypted, seed, true);
  try {
    v.advance(warmup * CYCLE_MS);
    v.split.reset();
    const writes0 = v.rig.hostWrites;
    const cpu0 = process.cpuUsage();
    v.advance(polls * CYCLE_MS);
    const cpu = process.cpuUsage(cpu0);
    const n = v.rig.hostWrites - writes0;
    if (v.rig.errors > 0) throw new Error(`${v.rig.errors} device errors during the run`);
    const cpuUs = cpu.user + cpu.system;
    const simShare = Math.min(1, (v.split.simMedianMs * 1000) / cpuUs);
    const totalUs = cpuUs / n;
    return { polls: n, totalUs, simShare, hostUs: totalUs * (1 - simShare) };
  } finally {
    v.rig.dispose();
  }
}

/**
 * Wall time per poll (driver and simulator) when the process sleeps for
 * `sleepMs` of real time before each poll, as it does between the polls of a
 * single device. The code and the scheduler are the same as in `pollCost`;
 * only the idle gaps differ, so any difference is the cost of running it cold.
 */
export async function pollAfterIdle(sleepMs: number, polls: number, seed = 17): Promise<number[]> {
  const v = virtualRig(false, seed);
  try {
    v.advance(2000 * CYCLE_MS);
    const perPoll: number[] = [];
    for (let i = 0; i < polls; i++) {
      if (sleepMs > 0) await new Promise((r) => setTimeout(r, sleepMs));
      const writes0 = v.rig.hostWrites;
      const t0 = performance.now();
      v.advance(CYCLE_MS);
      const n = v.rig.hostWrites - writes0;
      if (n > 0) perPoll.push((performance.now() - t0) / n);
    }
    return perPoll;
  } finally {
    v.rig.dispose();
  }
}

export interface HeapRun {
  readonly polls: number;
  readonly notes: number;
  readonly credits: number;
  readonly before: number;
  /** heapUsed after a full GC at every checkpoint (about every tenth of the run). */
  readonly checkpoints: readonly { polls: number; heap: number }[];
  readonly after: number;
  readonly ms: number;
}

/**
 * `polls` polls of a plain device, a note inserted every 20 s of virtual time
 * (escrow, credit, stacking: the event path runs too), heap measured after a
 * full GC once the device is warm, at checkpoints, and at the end.
 */
export function heapOverPolls(polls: number, warmup = 10_000, seed = 13): HeapRun {
  const v = virtualRig(false, seed);
  try {
    v.advance(warmup * CYCLE_MS);
    let notes = 0;
    const stepMs = 20_000;
    const run = (until: number): void => {
      while (v.rig.hostWrites < until) {
        if (v.rig.sim.insertNote(1 + (notes % 6))) notes++;
        v.advance(stepMs);
      }
    };
    gc();
    const before = process.memoryUsage().heapUsed;
    const start = v.rig.hostWrites;
    const credits0 = v.rig.credits;
    const checkpoints: { polls: number; heap: number }[] = [];
    const t0 = performance.now();
    for (let k = 1; k <= 10; k++) {
      run(start + Math.round((polls * k) / 10));
      gc();
      checkpoints.push({ polls: v.rig.hostWrites - start, heap: process.memoryUsage().heapUsed });
    }
    const ms = performance.now() - t0;
    if (v.rig.errors > 0) throw new Error(`${v.rig.errors} device errors during the run`);
    return {
      polls: v.rig.hostWrites - start,
      notes,
      credits: v.rig.credits - credits0,
      before,
      checkpoints,
      after: checkpoints.at(-1)!.heap,
      ms,
    };
  } finally {
    v.rig.dispose();
  }
}
