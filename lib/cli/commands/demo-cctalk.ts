/**
 * The ccTalk part of `cashwire demo`: a coin acceptor (address 2) and a hopper (address 3) on one bus.
 */
import { EMPTY, concat, ignoreElements, tap, timeout, catchError } from 'rxjs';
import { type DeviceRef } from '../../core/events.js';
import { formatMoney, type Money } from '../../core/money.js';
import { createCcTalkBus } from '../../protocols/cctalk/bus.js';
import { createCcTalkCoinAcceptor } from '../../protocols/cctalk/coin-acceptor.js';
import { createCcTalkHopper } from '../../protocols/cctalk/hopper.js';
import { createCcTalkSimulator } from '../../protocols/cctalk/simulator/index.js';
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

export function ccTalkRig(gapMs: number): Rig {
  const [host, line] = createMemoryPair(['host', 'cctalk-bus']);
  const sim = createCcTalkSimulator(line, { coin: {}, hopper: {}, echo: false });
  const bus = createCcTalkBus(host, { echo: 'never' });
  const coins = createCcTalkCoinAcceptor(bus, { address: 2 });
  const hopper = createCcTalkHopper(bus, { address: 3 });
  const c: Watched = { ref: { protocol: 'cctalk', address: 2 }, ...coins };
  const h: Watched = { ref: { protocol: 'cctalk', address: 3 }, ...hopper };
  let coinValue: Money | undefined;
  const valueSub = hopper.coinValue$.subscribe((v) => (coinValue = v));
  let paying = false;
  const coin = (slot: number, label: string, act: (r: DeviceRef, t: string) => void) => () => {
    act(c.ref, `drop a ${label} coin`);
    return actThen(() => sim.insertCoin(slot), creditOf(c));
  };
  return {
    protocol: 'cctalk',
    title: 'ccTalk coin acceptor + hopper',
    watched: [c, h],
    script: (more, act) =>
      concat(
        enabled(c),
        enabled(h),
        steps(more, gapMs, [
          coin(8, '2.00 EUR', act),
          coin(5, '0.20 EUR', act),
          coin(7, '1.00 EUR', act),
          () => {
            act(h.ref, 'pay out 2 coins');
            paying = true;
            return hopper.dispense(2).pipe(
              ignoreElements(),
              timeout(STEP_TIMEOUT_MS),
              catchError(() => EMPTY),
              tap({ finalize: () => (paying = false) }),
            );
          },
        ]),
      ),
    check: (host) => {
      const s = sim.stats;
      const currency = coinValue?.currency ?? 'EUR';
      return {
        agree:
          host.credits === s.accepted &&
          sumOf(host.paidOut, currency) === s.paidOut * (coinValue?.amount ?? 0),
        busy: paying,
        simulator: { ...s, hopperCoin: coinValue },
        summary:
          `${s.accepted} coin(s) accepted, ${s.rejected} rejected; ${s.paidOut} coin(s) paid out` +
          (coinValue ? ` (${formatMoney({ amount: coinValue.amount * s.paidOut, currency })})` : ''),
      };
    },
    dispose: () => {
      valueSub.unsubscribe();
      coins.dispose();
      hopper.dispose();
      bus.dispose();
      sim.dispose();
      host.close().subscribe();
    },
  };
}
