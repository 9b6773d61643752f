/**
 * ccTalk coin and bill identifiers → money.
 *
 * Coin id (184, 171, 131, 119): 6 characters `CC VVV I` — ISO 3166 country
 * (`EU` for the euro, `TK` for tokens), a 3-character value counted in the
 * currency's smallest unit (GB010B = 10 pence, US100B = 1 dollar) and an issue
 * letter. In the value a letter stands where a decimal point would be and
 * scales by its SI prefix: m = 10^-3, K = 10^3, M = 10^6, G = 10^9; `.` is a
 * plain decimal point (1K0 = 1000, 2K5 = 2500, M25 = 250 000, .50 = 0.5).
 *
 * Bill id (157): 7 characters `CC VVVV I`; the value code is multiplied by the
 * country scaling factor from header 156 to give minor units.
 *
 * Nothing here throws: every outcome is a tagged result.
 */

/** ISO 3166 country (ccTalk prefix) → ISO 4217 currency. Override per call for anything else. */
// prettier-ignore
export const COUNTRY_CURRENCIES: Readonly<Record<string, string>> = {
  EU: 'EUR', GB: 'GBP', US: 'USD', CA: 'CAD', AU: 'AUD', NZ: 'NZD', CH: 'CHF', SE: 'SEK', NO: 'NOK', DK: 'DKK',
  PL: 'PLN', CZ: 'CZK', HU: 'HUF', RO: 'RON', BG: 'BGN', RS: 'RSD', TR: 'TRY', RU: 'RUB', UA: 'UAH', IL: 'ILS',
  ZA: 'ZAR', MX: 'MXN', BR: 'BRL', AR: 'ARS', CL: 'CLP', CO: 'COP', IN: 'INR', CN: 'CNY', HK: 'HKD', JP: 'JPY',
  KR: 'KRW', SG: 'SGD', MY: 'MYR', TH: 'THB', PH: 'PHP', ID: 'IDR', AE: 'AED', SA: 'SAR', MA: 'MAD', EG: 'EGP',
  IS: 'ISK', AL: 'ALL', MK: 'MKD', BA: 'BAM', MD: 'MDL', GE: 'GEL', KZ: 'KZT', BY: 'BYN',
};

export interface IdOptions {
  /** Currency for a country prefix; consulted before {@link COUNTRY_CURRENCIES}. */
  readonly currencyOf?: (country: string) => string | undefined;
}

export type IdProblem =
  | 'format' // wrong length or characters
  | 'value' // value field not a valid number
  | 'fractional' // value is not a whole number of minor units
  | 'country' // country prefix with no known currency
  | 'scaling'; // bill id without a usable scaling factor

export type CoinIdResult =
  | {
      readonly kind: 'coin';
      readonly id: string;
      readonly country: string;
      readonly currency: string;
      /** Value in minor units. */
      readonly amount: number;
      /** Issue letter, undefined when padded with a dot. */
      readonly issue: string | undefined;
    }
  | {
      readonly kind: 'token';
      readonly id: string;
      readonly catalogue: string;
      readonly issue: string | undefined;
    }
  /** Erased or unprogrammed slot (all dots). */
  | { readonly kind: 'blank'; readonly id: string }
  | { readonly kind: 'unknown'; readonly id: string; readonly problem: IdProblem; readonly country?: string };

const PREFIX_EXPONENT: Readonly<Record<string, number>> = { m: -3, '.': 0, K: 3, M: 6, G: 9 };

/** An exact decimal: value = mantissa × 10^exponent. */
export interface Decimal {
  readonly mantissa: number;
  readonly exponent: number;
}

/**
 * Parse a ccTalk value field (`200`, `.50`, `2K5`, `M25`, `5m0`). At most one
 * separator (`.`, m, K, M, G); at least one digit. Undefined when malformed.
 */
export function parseValueCode(text: string): Decimal | undefined {
  if (!/^[0-9.mKMG]+$/.test(text)) return undefined;
  const seps = text.replace(/[0-9]/g, '');
  if (seps.length > 1 || seps.length === text.length) return undefined;
  const sep = seps[0];
  const [whole = '', fraction = ''] = sep === undefined ? [text] : text.split(sep);
  const exponent = (sep === undefined ? 0 : PREFIX_EXPONENT[sep]!) - fraction.length;
  return { mantissa: Number(whole + fraction), exponent };
}

/** `d × factor` as an integer, or undefined when it is not whole. */
function wholeValue(d: Decimal, factor = 1): number | undefined {
  let m = d.mantissa * factor;
  let e = d.exponent;
  while (e < 0 && m % 10 === 0 && m !== 0) {
    m /= 10;
    e++;
  }
  if (m === 0) return 0;
  if (e < 0) return undefined;
  const v = m * 10 ** e;
  return Number.isSafeInteger(v) ? v : undefined;
}

function currencyFor(country: string, options: IdOptions): string | undefined {
  return options.currencyOf?.(country) ?? COUNTRY_CURRENCIES[country];
}

const issueOf = (ch: string): string | undefined => (ch === '.' ? undefined : ch);

/** Parse a 6-character coin id such as `EU200A`, `GB010B`, `TK000A` or `......`. */
export function parseCoinId(id: string, options: IdOptions = {}): CoinIdResult {
  if (/^\.{6}$/.test(id)) return { kind: 'blank', id };
  const m = /^([A-Z]{2})([0-9.mKMG]{3})([A-Za-z.])$/.exec(id);
  if (!m) return { kind: 'unknown', id, problem: 'format' };
  const [, country = '', valueText = '', issueChar = ''] = m;
  if (country === 'TK') return { kind: 'token', id, catalogue: valueText, issue: issueOf(issueChar) };
  const value = parseValueCode(valueText);
  if (!value) return { kind: 'unknown', id, problem: 'value', country };
  const amount = wholeValue(value);
  if (amount === undefined) return { kind: 'unknown', id, problem: 'fractional', country };
  const currency = currencyFor(country, options);
  if (!currency) return { kind: 'unknown', id, problem: 'country', country };
  return { kind: 'coin', id, country, currency, amount, issue: issueOf(issueChar) };
}

/** Header 156 reply: value codes × factor = minor units; decimal places are for display. */
export interface ScalingFactor {
  readonly factor: number;
  readonly decimalPlaces: number;
}

export type BillIdResult =
  | {
      readonly kind: 'bill';
      readonly id: string;
      readonly country: string;
      readonly currency: string;
      /** Value in minor units (value code × scaling factor). */
      readonly amount: number;
      readonly valueCode: Decimal;
      readonly issue: string | undefined;
    }
  | { readonly kind: 'blank'; readonly id: string }
  | {
      readonly kind: 'unknown';
      readonly id: string;
      readonly problem: IdProblem;
      readonly country?: string;
      readonly valueCode?: Decimal;
    };

/**
 * Parse a 7-character bill id such as `EU0020A` with the country's scaling
 * factor (header 156). A factor of 0 (unknown country) gives `scaling`.
 */
export function parseBillId(id: string, scaling: ScalingFactor, options: IdOptions = {}): BillIdResult {
  if (/^\.{7}$/.test(id)) return { kind: 'blank', id };
  const m = /^([A-Z]{2})([0-9.]{4})([A-Za-z.])$/.exec(id);
  if (!m) return { kind: 'unknown', id, problem: 'format' };
  const [, country = '', valueText = '', issueChar = ''] = m;
  const valueCode = parseValueCode(valueText);
  if (!valueCode) return { kind: 'unknown', id, problem: 'value', country };
  if (!Number.isSafeInteger(scaling.factor) || scaling.factor <= 0) {
    return { kind: 'unknown', id, problem: 'scaling', country, valueCode };
  }
  const amount = wholeValue(valueCode, scaling.factor);
  if (amount === undefined) return { kind: 'unknown', id, problem: 'fractional', country, valueCode };
  const currency = currencyFor(country, options);
  if (!currency) return { kind: 'unknown', id, problem: 'country', country, valueCode };
  return { kind: 'bill', id, country, currency, amount, valueCode, issue: issueOf(issueChar) };
}
