/**
 * An encrypted (or plain) eSSP device against the simulator, in virtual time,
 * recording everything the host side puts out: events, errors, traces and
 * the wire bytes in both directions.
 */
import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import type { Diagnostic } from '../../lib/core/diagnostics.js';
import type { CashwireError } from '../../lib/core/errors.js';
import type { DeviceEvent, DeviceState } from '../../lib/core/events.js';
import type { FrameTrace } from '../../lib/operators/trace.js';
import { createEsspDevice } from '../../lib/protocols/essp/device/device.js';
import type { EsspDevice, EsspDeviceOptions } from '../../lib/protocols/essp/device/types.js';
import {
  createEsspSimulator,
  type EsspSimulator,
  type EsspSimulatorOptions,
} from '../../lib/protocols/essp/simulator/index.js';
import { seededSource } from '../../bench/soak/essp.js';
import { readU64le } from '../../lib/core/bytes.js';
import { randomExponent, sharedSecret } from '../../lib/protocols/essp/crypto/dh.js';
import { createFaultyLine, type FaultPlan } from '../../lib/testing/faults/index.js';
import { createMemoryPair, type MemoryTransport } from '../../lib/transport/memory.js';

export interface EsspRun {
  readonly scheduler: VirtualTimeScheduler;
  readonly host: MemoryTransport;
  readonly line: MemoryTransport;
  readonly sim: EsspSimulator;
  readonly device: EsspDevice;
  readonly events: DeviceEvent[];
  readonly states: DeviceState[];
  readonly errors: (CashwireError | Diagnostic)[];
  readonly traces: FrameTrace[];
  at(ms: number, work: () => void): void;
  runUntil(ms: number): void;
  credits(): number[];
}

export function startEssp(
  sim: Partial<EsspSimulatorOptions> = {},
  device: EsspDeviceOptions = {},
  seed = 1,
  plan?: FaultPlan,
): EsspRun {
  const scheduler = new VirtualTimeScheduler(VirtualAction, 0);
  const [host, line] = createMemoryPair();
  // With a fault plan the simulator talks through a faulty line that can also power-cycle it.
  const simEnd =
    plan === undefined
      ? line
      : createFaultyLine(line, plan, {
          seed,
          scheduler,
          direction: 'both',
          onReset: () => unit.powerCycle(),
        });
  const unit = createEsspSimulator(simEnd, {
    profile: 'NV200_SMART_PAYOUT',
    requireEncryption: true,
    scheduler,
    random: seededSource(seed + 100),
    ...sim,
  });
  const dev = createEsspDevice(host, {
    scheduler,
    encryption: 'required',
    random: seededSource(seed),
    ...device,
  });
  const run: EsspRun = {
    scheduler,
    host,
    line,
    sim: unit,
    device: dev,
    events: [],
    states: [],
    errors: [],
    traces: [],
    at: (ms, work) => void scheduler.schedule(work, Math.max(0, ms - scheduler.now())),
    runUntil: (ms) => {
      scheduler.maxFrames = ms;
      scheduler.flush();
    },
    credits: () => run.events.flatMap((e) => (e.type === 'credit' ? [e.money.amount] : [])),
  };
  dev.events$.subscribe((e) => run.events.push(e));
  dev.state$.subscribe((s) => run.states.push(s));
  dev.errors$.subscribe((e) => run.errors.push(e));
  dev.trace$.subscribe((t) => run.traces.push(t));
  return run;
}

/** Every session key the simulated unit agreed on, computed from its own exponent and the host's half. */
export interface KeyLog {
  /** Negotiated halves, in order. */
  readonly negotiated: bigint[];
  /** Simulator options that make it record them. */
  readonly simOptions: Pick<EsspSimulatorOptions, 'exponent'>;
  /** Call once with the simulator, to see the host's intermediate keys. */
  attach(sim: EsspSimulator): void;
}

export function recordKeys(seed = 7): KeyLog {
  const source = seededSource(seed);
  const negotiated: bigint[] = [];
  let hostInter: bigint | undefined;
  return {
    negotiated,
    simOptions: {
      exponent: (modulus) => {
        const e = randomExponent(modulus, source);
        if (hostInter !== undefined) negotiated.push(sharedSecret(hostInter, e, modulus));
        return e;
      },
    },
    attach: (sim) => {
      sim.intercept({
        inbound: (frame) => {
          // REQUEST_KEY_EXCHANGE travels in clear: 0x4C and the host's intermediate key (u64 LE).
          if (frame.data.length === 9 && frame.data[0] === 0x4c) hostInter = readU64le(frame.data, 1);
          return frame;
        },
      });
    },
  };
}
