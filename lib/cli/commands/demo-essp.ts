/**
 * The eSSP part of `cashwire demo`: an encrypted NV200 with SMART Payout, notes in and one payout.
 */
import { EMPTY, concat, first, ignoreElements, merge, tap, timeout, catchError } from 'rxjs';
import { type DeviceRef } from '../../core/events.js';
import { formatMoney, money } from '../../core/money.js';
import { createEsspDevice } from '../../protocols/essp/device/device.js';
import { createEsspSimulator } from '../../protocols/essp/simulator/index.js';
import { createMemoryPair } from '../../transport/memory.js';
import {
  type Rig,
  type Watched,
  actThen,
  creditOf,
  enabled,
  steps,
  sumOf,
  STEP_TIMEOUT_MS,
} from './demo-rig.js';

export function esspRig(gapMs: number): Rig {
  const [host, line] = createMemoryPair(['host', 'nv200']);
  const sim = createEsspSimulator(line, {
    profile: 'NV200_SMART_PAYOUT',
    timing: { readMs: 300, creditMs: 200, stackMs: 400, noteItemMs: 300 },
  });
  sim.setLevels({ 500: 4, 1000: 4 }); // a float to pay change from
  const device = createEsspDevice(host, { encryption: 'required' });
  const w: Watched = { ref: { protocol: 'essp', address: 0 }, ...device };
  const currency = sim.profile.currency;
  let paying = false;
  const note = (channel: number, act: (r: DeviceRef, t: string) => void) => () => {
    const value = sim.profile.channels[channel - 1] ?? 0;
    act(w.ref, `insert a ${formatMoney({ amount: value, currency })} note`);
    return actThen(() => sim.insertNote(channel), creditOf(w));
  };
  return {
    protocol: 'essp',
    title: 'eSSP NV200 + SMART Payout (encrypted)',
    watched: [w],
    script: (more, act) =>
      concat(
        enabled(w),
        steps(more, gapMs, [
          note(2, act),
          note(1, act),
          () => {
            const amount = money(1500, currency);
            act(w.ref, `pay out ${formatMoney(amount)}`);
            paying = true;
            const done$ = w.events$.pipe(
              first((e) => e.type === 'dispensed' || e.type === 'payout-incomplete'),
              tap(() => (paying = false)),
            );
            return merge(done$, device.payout(amount)).pipe(
              ignoreElements(),
              timeout(STEP_TIMEOUT_MS),
              catchError((e: unknown) => {
                paying = false;
                act(w.ref, `payout failed: ${e instanceof Error ? e.message : String(e)}`);
                return EMPTY;
              }),
            );
          },
          note(3, act),
        ]),
      ),
    check: (h) => {
      const s = sim.stats;
      const inFlight = s.inserted - s.accepted - s.stored - s.rejected - s.returned;
      return {
        agree:
          h.credits === s.accepted + s.stored &&
          sumOf(h.credited, currency) === s.creditedValue &&
          sumOf(h.paidOut, currency) === s.paidOut,
        busy: paying || inFlight > 0,
        simulator: { ...s, currency },
        summary:
          `${s.accepted + s.stored} note(s) taken (${s.accepted} stacked, ${s.stored} stored), ` +
          `${formatMoney({ amount: s.creditedValue, currency })} in; ` +
          `${formatMoney({ amount: s.paidOut, currency })} paid out`,
      };
    },
    dispose: () => {
      device.dispose();
      sim.dispose();
      host.close().subscribe();
    },
  };
}
