/**
 * Note index ↔ value tables and enable-mask helpers.
 *
 * The acceptor only knows note indexes 1..7; which note sits at which index
 * belongs to the loaded firmware (a Canadian Apex starts at $5, some non-US
 * firmware has no $2 slot). So the table is configuration, USD the default,
 * and should be checked by feeding real notes.
 */
import { CashwireError, InvalidArgumentError } from '../../core/errors.js';
import { formatMoney, money, type Money } from '../../core/money.js';

export const MIN_BILL_INDEX = 1;
export const MAX_BILL_INDEX = 7;
/** Mask enabling every note index. */
export const ALL_BILLS_MASK = 0x7f;

export interface BillTable {
  /** ISO 4217 code of every note in the table. */
  readonly currency: string;
  /** Note index (1..7) → value in minor units. Indexes with no note are absent. */
  readonly notes: Readonly<Partial<Record<number, number>>>;
}

/** A value asked for in a mask is not a note of the table. Nothing was encoded. */
export class UnknownBillValueError extends CashwireError {
  override readonly name = 'UnknownBillValueError';
  constructor(value: Money, table: BillTable) {
    const known = Object.values(table.notes)
      .map((amount) => formatMoney({ amount: amount!, currency: table.currency }))
      .join(', ');
    super(
      'UNKNOWN_BILL_VALUE',
      `${formatMoney(value)} is not a note of this acceptor's table (${known}). ` +
        'Check the bill table configured for the firmware.',
      { amount: value.amount, currency: value.currency, tableCurrency: table.currency },
    );
  }
}

function checkIndex(index: number): void {
  if (!Number.isInteger(index) || index < MIN_BILL_INDEX || index > MAX_BILL_INDEX) {
    throw new InvalidArgumentError(`Note index must be an integer 1..7, got ${index}.`, { index });
  }
}

/**
 * Validated table. `notes` maps index → minor units, e.g. `{ 1: 500, 2: 1000 }`.
 * Throws {@link InvalidArgumentError} on a bad currency, index or amount.
 */
export function createBillTable(currency: string, notes: Readonly<Record<number, number>>): BillTable {
  money(0, currency); // validates the currency code even for an empty table
  const out: Record<number, number> = {};
  for (const [key, amount] of Object.entries(notes)) {
    const index = Number(key);
    checkIndex(index);
    if (money(amount, currency).amount === 0) {
      throw new InvalidArgumentError(`Note index ${index} has a zero value.`, { index });
    }
    out[index] = amount;
  }
  return { currency, notes: Object.freeze(out) };
}

/** Typical US table: 1=$1, 2=$2, 3=$5, 4=$10, 5=$20, 6=$50, 7=$100. */
export const USD_BILLS: BillTable = createBillTable('USD', {
  1: 100,
  2: 200,
  3: 500,
  4: 1000,
  5: 2000,
  6: 5000,
  7: 10000,
});

/** Value of a note index, or undefined for index 0 (none) or an index the table does not hold. */
export function billValue(table: BillTable, index: number): Money | undefined {
  const amount = table.notes[index];
  return amount === undefined ? undefined : { amount, currency: table.currency };
}

function toMoney(value: number | Money, table: BillTable): Money {
  return typeof value === 'number' ? money(value, table.currency) : value;
}

/** Every index holding `value` (a table may list one value twice, e.g. two series). */
export function billIndexesOf(table: BillTable, value: number | Money): number[] {
  const m = toMoney(value, table);
  if (m.currency !== table.currency) return [];
  const out: number[] = [];
  for (let i = MIN_BILL_INDEX; i <= MAX_BILL_INDEX; i++) if (table.notes[i] === m.amount) out.push(i);
  return out;
}

/** Mask enabling exactly `indexes` (1..7). Throws {@link InvalidArgumentError} on any other index. */
export function maskFromIndexes(indexes: readonly number[]): number {
  let mask = 0;
  for (const i of indexes) {
    checkIndex(i);
    mask |= 1 << (i - 1);
  }
  return mask;
}

/** Indexes a mask enables, ascending. Bits above 0x7F are ignored. */
export function indexesFromMask(mask: number): number[] {
  const out: number[] = [];
  for (let i = MIN_BILL_INDEX; i <= MAX_BILL_INDEX; i++) if (mask & (1 << (i - 1))) out.push(i);
  return out;
}

/**
 * Mask enabling exactly the notes of the given values (minor units of the
 * table's currency, or Money). Throws {@link UnknownBillValueError} if any
 * value is not in the table, so a typo never silently disables a note.
 */
export function maskFromValues(values: readonly (number | Money)[], table: BillTable = USD_BILLS): number {
  const indexes: number[] = [];
  for (const v of values) {
    const m = toMoney(v, table);
    const found = billIndexesOf(table, m);
    if (found.length === 0) throw new UnknownBillValueError(m, table);
    indexes.push(...found);
  }
  return maskFromIndexes(indexes);
}

/** Mask enabling every note worth at most `max` (e.g. "nothing over $20" → `maskUpTo(USD_BILLS, 2000)`). */
export function maskUpTo(table: BillTable, max: number | Money): number {
  const m = toMoney(max, table);
  if (m.currency !== table.currency) {
    throw new InvalidArgumentError(`Limit is in ${m.currency} but the bill table is ${table.currency}.`, {
      currency: m.currency,
      tableCurrency: table.currency,
    });
  }
  const indexes: number[] = [];
  for (let i = MIN_BILL_INDEX; i <= MAX_BILL_INDEX; i++) {
    const amount = table.notes[i];
    if (amount !== undefined && amount <= m.amount) indexes.push(i);
  }
  return maskFromIndexes(indexes);
}
