/**
 * Spec helpers for the Pyramid driver: a status built from its fields, and
 * the device against the simulator with the host's side of the line
 * scripted (a host message damaged into the other ack).
 */
import type { Diagnostic } from '../../../lib/core/diagnostics.js';
import type { CashwireError } from '../../../lib/core/errors.js';
import type { DeviceEvent } from '../../../lib/core/events.js';
import { createPyramidDevice } from '../../../lib/protocols/pyramid/device.js';
import { createPyramidSimulator } from '../../../lib/protocols/pyramid/simulator/simulator.js';
import type { PyramidSimulator } from '../../../lib/protocols/pyramid/simulator/types.js';
import {
  decodeStatusBytes,
  encodeStatusBytes,
  type PyramidStatus,
  type PyramidStatusInit,
} from '../../../lib/protocols/pyramid/status.js';
import { createMemoryPair } from '../../../lib/transport/memory.js';
import type { Transport } from '../../../lib/transport/transport.js';
import { createTestScheduler } from '../../helpers/marbles.js';

/** A status as the unit would send it (cassette in unless said otherwise). */
export function status(init: PyramidStatusInit): PyramidStatus {
  const s = decodeStatusBytes(encodeStatusBytes({ cassettePresent: true, ...init }));
  if (s._tag === 'Left') throw s.left;
  return s.right;
}

export interface HostLine {
  readonly sim: PyramidSimulator;
  /** Virtual time now. */
  readonly now: () => number;
  readonly at: (ms: number, work: () => void) => void;
  /** The next host message arrives with the other ack (and a checksum that still holds). */
  readonly damageNextWrite: () => void;
}

export interface HostLineOutcome {
  readonly events: DeviceEvent[];
  readonly errors: (Diagnostic | CashwireError)[];
  /** Notes the unit stacked. */
  readonly accepted: number;
}

/** The device against the simulator until `untilMs`, with the host side of the line scripted. */
export function runWithHostLine(untilMs: number, script: (line: HostLine) => void): HostLineOutcome {
  const ts = createTestScheduler();
  const events: DeviceEvent[] = [];
  const errors: (Diagnostic | CashwireError)[] = [];
  let accepted = 0;
  ts.run(() => {
    const [host, end] = createMemoryPair();
    let damageNext = false;
    const damaged: Transport = {
      data$: host.data$,
      description: host.description,
      close: () => host.close(),
      write: (bytes) => {
        if (!damageNext) return host.write(bytes);
        damageNext = false;
        // CTL bit 0 (the ack) and checksum bit 0 flipped: a valid poll with the other ack.
        const out = bytes.slice();
        out[2] = out[2]! ^ 1;
        out[out.length - 1] = out[out.length - 1]! ^ 1;
        return host.write(out);
      },
    };
    const sim = createPyramidSimulator(end, { scheduler: ts });
    const device = createPyramidDevice(damaged, { scheduler: ts });
    device.events$.subscribe((e) => events.push(e));
    device.errors$.subscribe((e) => errors.push(e));
    const at = (ms: number, work: () => void): void => void ts.schedule(work, Math.max(0, ms - ts.now()));
    script({ sim, now: () => ts.now(), at, damageNextWrite: () => (damageNext = true) });
    at(untilMs, () => {
      accepted = sim.stats.accepted;
      device.dispose();
      sim.dispose();
    });
  });
  return { events, errors, accepted };
}
