/**
 * ccTalk coin acceptor credit path: a credit result turned into money (by
 * position, or by value for CVF devices), or into a diagnostic when it has
 * none, never dropped silently.
 */
import { type Money, money } from '../../core/money.js';
import type { CoinTable } from './coin-table.js';
import type { DeviceCore } from './device-base.js';
import { type CoinEvent, decodeCvf } from './events.js';
import { reportUnvaluedCredit } from './unvalued-credit.js';

export interface CoinCreditDeps {
  readonly core: DeviceCore;
  readonly address: number;
  readonly coins: Pick<CoinTable, 'slots'>;
  /** Whether the unit reports values instead of positions (option flag bit 0). */
  readonly cvf: () => boolean;
  readonly cvfCurrency?: string | undefined;
}

/** Report one credit result (event `counter`) as a credit, or say why it is none. */
export function createCoinCredit(
  deps: CoinCreditDeps,
): (e: Extract<CoinEvent, { kind: 'credit' }>, counter: number) => void {
  const { core, address, coins } = deps;
  const { ref } = core;
  const credit = (e: Extract<CoinEvent, { kind: 'credit' }>, counter: number): void => {
    let value: Money | undefined;
    const slot = coins.slots()[e.position - 1];
    const cvf = deps.cvf();
    if (cvf) {
      const v = decodeCvf(e.position);
      const currency = deps.cvfCurrency ?? coins.slots().find((s) => s.money)?.money?.currency;
      if (typeof v === 'number' && currency) value = money(v, currency);
    } else {
      value = slot?.money;
    }
    if (value) {
      core.events.next({ type: 'credit', device: ref, money: value, kind: 'coin', channel: e.position });
    } else if (!cvf && slot?.unread) {
      reportUnvaluedCredit(core, {
        device: 'Coin acceptor',
        address,
        counter,
        taken: `a coin was accepted at position ${e.position}`,
        unread: "that position's coin id",
        item: 'coin',
        rawEvent: 'coin-credit',
        unit: 'acceptor',
        where: { position: e.position },
      });
    } else {
      // A token or an unprogrammed position: accepted, but no money value to count.
      core.errors.next({
        kind: 'decode',
        protocol: 'cctalk',
        message: `Coin accepted at position ${e.position} has no known value (id '${slot?.id ?? '?'}').`,
        info: { address, position: e.position },
      });
    }
  };

  return credit;
}
