/**
 * Money-out commands of payout units (SMART Payout, SMART Hopper, NV11, and
 * recyclers): thin, typed wrappers over the command table that take Money.
 * Every command that moves money is 'encryption required' in the table, so
 * without a key the session refuses it locally with EncryptionRequiredError
 * and nothing reaches the wire.
 */
import { type Observable, ignoreElements, map } from 'rxjs';
import type { Money } from '../../../core/money.js';
import type { EsspSession } from '../session.js';
import type { EsspDevice, EsspLevel, EsspRoute } from './types.js';

type PayoutCommands = Pick<
  EsspDevice,
  'payout' | 'payoutByDenomination' | 'float' | 'empty' | 'smartEmpty' | 'setRoute' | 'levels'
>;

export function payoutCommands(session: EsspSession): PayoutCommands {
  const done = <T>(o: Observable<T>): Observable<void> => o.pipe(ignoreElements());
  return {
    payout: (amount: Money) =>
      done(
        session.send('PAYOUT_AMOUNT', { amount: amount.amount, country_code: amount.currency, test: false }),
      ),
    payoutByDenomination: (items) =>
      done(
        session.send('PAYOUT_BY_DENOMINATION', {
          value: items.map((i) => ({
            number: i.count,
            denomination: i.value.amount,
            country_code: i.value.currency,
          })),
          test: false,
        }),
      ),
    float: (amount: Money, minPayout: Money) =>
      done(
        session.send('FLOAT_AMOUNT', {
          amount: amount.amount,
          min_possible_payout: minPayout.amount,
          country_code: amount.currency,
          test: false,
        }),
      ),
    empty: () => done(session.send('EMPTY_ALL')),
    smartEmpty: () => done(session.send('SMART_EMPTY')),
    setRoute: (value: Money, route: EsspRoute) =>
      done(
        session.send('SET_DENOMINATION_ROUTE', { route, value: value.amount, country_code: value.currency }),
      ),
    levels: () =>
      session
        .send('GET_ALL_LEVELS')
        .pipe(
          map((r): readonly EsspLevel[] => r.info.levels.map((l) => ({ value: l.value, level: l.level }))),
        ),
  };
}
