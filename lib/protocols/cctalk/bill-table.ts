/**
 * A bill validator's bill table: the ids of types 1..16 (157) and each
 * country's scaling factor (156), which together turn a bill type into money.
 *
 * As for coins (coin-table.ts), a read that failed is never taken for an
 * unprogrammed type: `.......` is an answer, no reply or a NAK is not. A type
 * whose id, or whose country's scaling factor, could not be read is `unread`:
 * its value is unknown, and the driver reads it again when a bill of that
 * type arrives. Each read follows id-read.ts.
 */
import { type Observable, concat, concatMap, defer, map, range, toArray } from 'rxjs';
import { type Money, money } from '../../core/money.js';
import type { CcTalkBus } from './bus.js';
import { type IdOptions, type ScalingFactor, parseBillId } from './coin-id.js';
import { type TrustedRead, readTrusted } from './id-read.js';

/** Bill types a 157 table has. */
const TYPES = 16;

export interface BillType {
  readonly billType: number;
  /** The id as the device sent it; '' when it could not be read. */
  readonly id: string;
  readonly money?: Money;
  /**
   * The id, or its country's scaling factor, could not be read: the value of
   * this type is unknown, not empty. Read again when a bill of this type arrives.
   */
  readonly unread?: true;
}

/** A type the table could not read, and why. */
export interface UnreadBillType {
  readonly billType: number;
  readonly reason: string;
}

/** `.......`, or the NULs or spaces some devices send for an empty type. */
const BLANK_ID = /^[.\0 ]{7}$/;
/** `CC VVVV I`: what a unit sends for a programmed type (the value is checked once scaled). */
const BILL_ID = /^[A-Z]{2}[0-9.]{4}[A-Za-z.]$/;
const countryOf = (id: string): string | undefined => (BILL_ID.test(id) ? id.slice(0, 2) : undefined);

function readBillId(bus: CcTalkBus, address: number, billType: number): Observable<TrustedRead<string>> {
  return readTrusted(() => bus.request(address, 'REQUEST_BILL_ID', { billType }), {
    wellFormed: (id) => BLANK_ID.test(id) || BILL_ID.test(id),
    show: (id) => `'${id}'`,
  });
}

/** Any decoded 156 reply is an answer (factor 0 is the unit's "country not known"). */
function readScaling(
  bus: CcTalkBus,
  address: number,
  country: string,
): Observable<TrustedRead<ScalingFactor>> {
  return readTrusted(() => bus.request(address, 'REQUEST_COUNTRY_SCALING_FACTOR', { country }), {
    wellFormed: () => true,
    show: (s) => `${s.factor}/${s.decimalPlaces}`,
  });
}

function billTypeOf(
  billType: number,
  id: TrustedRead<string>,
  scaling: ReadonlyMap<string, TrustedRead<ScalingFactor>>,
  options: IdOptions,
): { readonly type: BillType; readonly reason?: string } {
  if (id.kind === 'unread') return { type: { billType, id: '', unread: true }, reason: id.reason };
  const text = id.value;
  const country = countryOf(text);
  const factor = country === undefined ? undefined : scaling.get(country);
  if (factor?.kind === 'unread') {
    return {
      type: { billType, id: text, unread: true },
      reason: `scaling factor of ${country ?? '?'}: ${factor.reason}`,
    };
  }
  const parsed = parseBillId(text, factor?.value ?? { factor: 0, decimalPlaces: 0 }, options);
  return {
    type:
      parsed.kind === 'bill'
        ? { billType, id: text, money: money(parsed.amount, parsed.currency) }
        : { billType, id: text },
  };
}

/** Read the ids, then one scaling factor per country seen in them. */
function readTypes(
  bus: CcTalkBus,
  address: number,
  billTypes: readonly number[],
  options: IdOptions,
): Observable<{ readonly types: readonly BillType[]; readonly unread: readonly UnreadBillType[] }> {
  return concat(...billTypes.map((t) => readBillId(bus, address, t))).pipe(
    toArray(),
    concatMap((ids) => {
      const countries = [
        ...new Set(
          ids.flatMap((r) => (r.kind === 'read' ? [countryOf(r.value)] : [])).filter((c) => c !== undefined),
        ),
      ];
      return concat(...countries.map((c) => readScaling(bus, address, c))).pipe(
        toArray(),
        map((factors) => {
          const scaling = new Map(countries.map((c, i) => [c, factors[i]!] as const));
          const built = ids.map((id, i) => billTypeOf(billTypes[i]!, id, scaling, options));
          return {
            types: built.map((b) => b.type),
            unread: built.flatMap((b) =>
              b.reason === undefined ? [] : [{ billType: b.type.billType, reason: b.reason }],
            ),
          };
        }),
      );
    }),
  );
}

/** The whole table (at connect). Errors only when the line is lost or the bus disposed. */
export function readBillTable(
  bus: CcTalkBus,
  address: number,
  options: IdOptions = {},
): Observable<{ readonly types: readonly BillType[]; readonly unread: readonly UnreadBillType[] }> {
  return defer(() =>
    range(1, TYPES).pipe(
      toArray(),
      concatMap((all) => readTypes(bus, address, all, options)),
    ),
  );
}

/** One type again (a bill of an unread type arrived): its id and its country's scaling factor. */
export function readBillType(
  bus: CcTalkBus,
  address: number,
  billType: number,
  options: IdOptions = {},
): Observable<BillType> {
  return readTypes(bus, address, [billType], options).pipe(map((r) => r.types[0]!));
}
