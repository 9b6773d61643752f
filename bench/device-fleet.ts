/**
 * How many devices one core can poll at 5 Hz: N real eSSP devices, each with
 * its simulator on an in-memory line, all in this process on the real
 * asyncScheduler, polling every 200 ms. Over a fixed wall-clock window the
 * process's CPU time (user + system, process.cpuUsage) is divided by the
 * window and by N: the share of one core each device costs. Simulators,
 * timers and GC are all inside that figure, so it overstates the driver.
 */
import { asyncScheduler } from 'rxjs';
import { createMemoryPair } from '../lib/transport/memory.js';
import { createCpuSplit } from './device-line.js';
import { createRig, type Rig } from './device-rig.js';

export interface FleetRun {
  readonly devices: number;
  readonly encrypted: boolean;
  readonly windowMs: number;
  /** Polls per device per second over the window. */
  readonly pollHz: number;
  /** CPU time / wall time / devices: share of one core per device (0..1), simulators included. */
  readonly sharePerDevice: number;
  /** The simulators' part of that share, measured inside their calls (wall clock, so approximate). */
  readonly simSharePerDevice: number;
  /** CPU µs per poll, simulator included. */
  readonly usPerPoll: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function pollFleet(
  devices: number,
  encrypted: boolean,
  windowMs: number,
  seed = 31,
): Promise<FleetRun> {
  const split = createCpuSplit();
  const rigs: Rig[] = [];
  try {
    for (let i = 0; i < devices; i++) {
      const [host, sim] = createMemoryPair();
      rigs.push(
        createRig({
          scheduler: asyncScheduler,
          encrypted,
          seed: seed + 2 * i,
          line: [split.host(host), split.device(sim)],
        }),
      );
    }
    await Promise.all(rigs.map((r) => r.whenEnabled()));
    await sleep(1000);
    const writes = () => rigs.reduce((n, r) => n + r.hostWrites, 0);
    split.reset();
    const polls0 = writes();
    const wall0 = performance.now();
    const cpu0 = process.cpuUsage();
    await sleep(windowMs);
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - wall0;
    const polls = writes() - polls0;
    const errors = rigs.reduce((n, r) => n + r.errors, 0);
    if (errors > 0) throw new Error(`${errors} device errors during the run`);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    return {
      devices,
      encrypted,
      windowMs: wall,
      pollHz: (polls / devices / wall) * 1000,
      sharePerDevice: cpuMs / wall / devices,
      simSharePerDevice: split.simMs / wall / devices,
      usPerPoll: (cpuMs * 1000) / polls,
    };
  } finally {
    for (const r of rigs) r.dispose();
  }
}
