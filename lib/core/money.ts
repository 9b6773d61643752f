/**
 * Money is an integer amount of minor units plus an ISO 4217 currency code.
 * No floats anywhere money flows: 5.00 EUR is `{ amount: 500, currency: 'EUR' }`.
 */

import { InvalidArgumentError } from './errors.js';

export interface Money {
  /** Integer amount in minor units (cents, pence, kopeks ...). */
  readonly amount: number;
  /** ISO 4217 alphabetic code, three upper-case letters. */
  readonly currency: string;
}

const CURRENCY = /^[A-Z]{3}$/;

export function isCurrencyCode(code: string): boolean {
  return CURRENCY.test(code);
}

/** Build a validated {@link Money}. Throws {@link InvalidArgumentError} on a float or a bad code. */
export function money(amount: number, currency: string): Money {
  if (!Number.isSafeInteger(amount) || amount < 0) {
    throw new InvalidArgumentError(
      `Money amounts are non-negative integers of minor units (e.g. 500 for 5.00), got ${amount}.`,
      { amount, currency },
    );
  }
  if (!isCurrencyCode(currency)) {
    throw new InvalidArgumentError(
      `Currency must be a three-letter ISO 4217 code such as 'EUR', got '${currency}'.`,
      {
        amount,
        currency,
      },
    );
  }
  return { amount, currency };
}

/** Sum amounts of one currency. Throws when currencies are mixed. */
export function addMoney(a: Money, b: Money): Money {
  if (a.currency !== b.currency) {
    throw new InvalidArgumentError(`Cannot add ${a.currency} to ${b.currency}.`, { a, b });
  }
  return { amount: a.amount + b.amount, currency: a.currency };
}

/** Human form with the usual number of decimals (display only; never parse this back). */
export function formatMoney(m: Money, decimals = minorUnitDigits(m.currency)): string {
  if (decimals === 0) return `${m.amount} ${m.currency}`;
  const base = 10 ** decimals;
  const whole = Math.floor(m.amount / base);
  const frac = String(m.amount % base).padStart(decimals, '0');
  return `${whole}.${frac} ${m.currency}`;
}

const ZERO_DECIMALS = new Set(['JPY', 'KRW', 'CLP', 'ISK', 'VND', 'XAF', 'XOF']);

export function minorUnitDigits(currency: string): number {
  return ZERO_DECIMALS.has(currency) ? 0 : 2;
}
