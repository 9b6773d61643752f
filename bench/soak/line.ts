/**
 * The damaged line every soak rig puts between its simulator and its driver:
 * faults in both directions, and the plan's power cycles applied to the unit
 * and announced on `powerCycles$` so the runner can audit what they destroyed.
 * A fault inside the unit (eSSP `desync`) is the rig's to inject; asking a
 * protocol for one it does not have is refused here, by name.
 */
import { type Observable, Subject } from 'rxjs';
import {
  type FaultProtocol,
  type FaultyLine,
  assertFaultsApply,
  createFaultyLine,
  lineFaultPlan,
} from '../../lib/testing/faults/index.js';
import type { Transport } from '../../lib/transport/transport.js';
import type { RigOptions } from './types.js';

export function createSoakLine(
  end: Transport,
  { scheduler, seed, plan }: RigOptions,
  protocol: FaultProtocol,
  powerCycle: () => void,
): { readonly line: FaultyLine; readonly powerCycles$: Observable<void> } {
  assertFaultsApply(plan, protocol);
  const powerCycles = new Subject<void>();
  const line = createFaultyLine(end, lineFaultPlan(plan), {
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
