/**
 * How many devices one core can poll at 5 Hz: N real eSSP devices, each with
 * its simulator on an in-memory line, all in this process on the real
 * asyncScheduler, polling every 200 ms. Over a fixed wall-clock window the
 * process's CPU time (user + system, process.cpuUsage) is divided by the
 * window and by N: the share of one core each device costs. Simulators,
 * timers and GC are all inside that figure, so it overstates the driver.
 */
import { existsSync, readFileSync } from 'node:fs';
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
  /**
   * The main (JavaScript) thread's part of the share, from /proc (Linux only,
   * 10 ms ticks); the rest ran on V8's helper threads (GC, compilation).
   */
  readonly mainThreadSharePerDevice: number | undefined;
}

/** CPU ms of this process's main thread so far, or undefined off Linux. */
function mainThreadCpuMs(): number | undefined {
  const path = `/proc/self/task/${process.pid}/stat`;
  if (!existsSync(path)) return undefined;
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime, fields 14 and 15 of stat(5), in clock ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) * 10;
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
    const main0 = mainThreadCpuMs();
    const cpu0 = process.cpuUsage();
    await sleep(windowMs);
    const cpu = process.cpuUsage(cpu0);
    const main1 = mainThreadCpuMs();
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
      mainThreadSharePerDevice:
        main0 === undefined || main1 === undefined ? undefined : (main1 - main0) / wall / devices,
    };
  } finally {
    for (const r of rigs) r.dispose();
  }
}
