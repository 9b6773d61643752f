/**
 * The damaged line every soak rig puts between its simulator and its driver:
 * faults in both directions, and the plan's power cycles applied to the unit
 * and announced on `powerCycles$` so the runner can audit what they destroyed.
 */
import { type Observable, Subject } from 'rxjs';
import { createFaultyLine, type FaultyLine } from '../../lib/testing/faults/index.js';
import type { Transport } from '../../lib/transport/transport.js';
import type { RigOptions } from './types.js';

export function createSoakLine(
  end: Transport,
  { scheduler, seed, plan }: RigOptions,
  powerCycle: () => void,
): { readonly line: FaultyLine; readonly powerCycles$: Observable<void> } {
  const powerCycles = new Subject<void>();
  const line = createFaultyLine(end, plan, {
    seed,
    scheduler,
    direction: 'both',
    onReset: () => {
      powerCycle();
      powerCycles.next();
    },
  });
  return { line, powerCycles$: powerCycles.asObservable() };
}
