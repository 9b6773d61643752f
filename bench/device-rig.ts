/**
 * One benchmarked unit: the real eSSP device (`createEsspDevice`) talking to
 * the eSSP simulator of a SMART Payout over a line, with counters kept outside
 * the library so nothing is measured that an application would not run.
 */
import { filter, take, type SchedulerLike } from 'rxjs';
import { createEsspDevice } from '../lib/protocols/essp/device/device.js';
import type { EsspDevice } from '../lib/protocols/essp/device/types.js';
import { createEsspSimulator, type EsspSimulator } from '../lib/protocols/essp/simulator/index.js';
import type { Transport } from '../lib/transport/transport.js';
import { seededBytes } from './streams.js';

export interface RigOptions {
  readonly scheduler: SchedulerLike;
  /** 'required' negotiates a key and encrypts every poll; 'off' polls in clear. */
  readonly encrypted: boolean;
  /** The host's and the simulator's ends of a line. */
  readonly line: readonly [Transport, Transport];
  readonly seed: number;
  /** Pause between polls, ms (the device's default and the fastest GA973 allows: 200). */
  readonly pollIntervalMs?: number;
}

export interface Rig {
  readonly device: EsspDevice;
  readonly sim: EsspSimulator;
  /** Frames the host has written (after connect, every one is a POLL). */
  readonly hostWrites: number;
  /** Bytes the host has written and the simulator has written. */
  readonly hostBytes: number;
  readonly simBytes: number;
  /** Credit events published by the device. */
  readonly credits: number;
  /** Errors and diagnostics published once enabled (none expected on a clean line). */
  readonly errors: number;
  readonly enabled: boolean;
  /** Resolves once the device has connected and enabled the unit. */
  whenEnabled(): Promise<void>;
  dispose(): void;
}

function counting(t: Transport, count: (bytes: number) => void): Transport {
  return {
    description: t.description,
    data$: t.data$,
    close: () => t.close(),
    write: (bytes) => {
      count(bytes.length);
      return t.write(bytes);
    },
  };
}

export function createRig(options: RigOptions): Rig {
  let hostWrites = 0;
  let hostBytes = 0;
  let simBytes = 0;
  let credits = 0;
  let errors = 0;
  let enabled = false;
  const [hostEnd, simEnd] = options.line;
  const sim = createEsspSimulator(
    counting(simEnd, (n) => (simBytes += n)),
    { profile: 'NV200_SMART_PAYOUT', scheduler: options.scheduler, random: seededBytes(options.seed + 1) },
  );
  const device = createEsspDevice(
    counting(hostEnd, (n) => {
      hostWrites++;
      hostBytes += n;
    }),
    {
      address: sim.address,
      scheduler: options.scheduler,
      encryption: options.encrypted ? 'required' : 'off',
      pollIntervalMs: options.pollIntervalMs ?? 200,
      random: seededBytes(options.seed),
    },
  );
  const subs = [
    device.events$.subscribe((e) => {
      if (e.type === 'credit') credits++;
    }),
    // Connect warnings (a plain connect cannot enable a payout module) are not counted.
    device.errors$.subscribe(() => {
      if (enabled) errors++;
    }),
    device.state$.subscribe((s) => (enabled = s.status === 'enabled')),
  ];
  return {
    device,
    sim,
    get hostWrites() {
      return hostWrites;
    },
    get hostBytes() {
      return hostBytes;
    },
    get simBytes() {
      return simBytes;
    },
    get credits() {
      return credits;
    },
    get errors() {
      return errors;
    },
    get enabled() {
      return enabled;
    },
    whenEnabled: () =>
      new Promise<void>((resolve, reject) => {
        device.state$
          .pipe(
            filter((s) => s.status === 'enabled' || s.status === 'error'),
            take(1),
          )
          .subscribe((s) =>
            s.status === 'enabled' ? resolve() : reject(new Error('device failed to connect')),
          );
      }),
    dispose: () => {
      for (const s of subs) s.unsubscribe();
      device.dispose();
      sim.dispose();
    },
  };
}
