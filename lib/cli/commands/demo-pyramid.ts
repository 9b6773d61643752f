/**
 * The Pyramid part of `cashwire demo`: an Apex-like bill acceptor taking notes.
 */
import { concat } from 'rxjs';
import { type DeviceRef } from '../../core/events.js';
import { createPyramidDevice } from '../../protocols/pyramid/device.js';
import { createPyramidSimulator } from '../../protocols/pyramid/simulator/index.js';
import { createMemoryPair } from '../../transport/memory.js';
import { type Rig, type Watched, actThen, creditOf, enabled, steps } from './demo-rig.js';

export function pyramidRig(gapMs: number): Rig {
  const [host, line] = createMemoryPair(['host', 'apex']);
  const sim = createPyramidSimulator(line, {
    timing: { powerUpMs: 300, readMs: 400, stackMs: 400, busyMs: 200 },
  });
  const device = createPyramidDevice(host, {});
  const w: Watched = { ref: { protocol: 'pyramid', address: 0 }, ...device };
  const bill = (index: number, label: string, act: (r: DeviceRef, t: string) => void) => () => {
    act(w.ref, `insert a ${label} bill`);
    return actThen(() => sim.insertBill(index), creditOf(w));
  };
  return {
    protocol: 'pyramid',
    title: 'Pyramid RS-232 bill acceptor',
    watched: [w],
    script: (more, act) =>
      concat(
        enabled(w),
        steps(more, gapMs, [bill(3, '5.00 USD', act), bill(1, '1.00 USD', act), bill(4, '10.00 USD', act)]),
      ),
    check: (h) => {
      const s = sim.stats;
      return {
        agree: h.credits === s.accepted,
        busy: sim.phase !== 'idle',
        simulator: s,
        summary: `${s.accepted} bill(s) stacked, ${s.rejected} rejected, ${s.returned} returned`,
      };
    },
    dispose: () => {
      device.dispose();
      sim.dispose();
      host.close().subscribe();
    },
  };
}
