/**
 * Glue between io-ts codecs and our typed errors: validate user arguments and
 * turn failures into an {@link InvalidArgumentError} that names the field.
 */
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { InvalidArgumentError } from './errors.js';

function describe(errors: t.Errors): { path: string; message: string } {
  const first = errors[0];
  if (!first) return { path: '', message: 'invalid value' };
  const path = first.context
    .map((c) => c.key)
    .filter((k) => k !== '')
    .join('.');
  const expected = first.context[first.context.length - 1]?.type.name ?? 'a valid value';
  const message = first.message ?? `expected ${expected}, got ${JSON.stringify(first.value)}`;
  return { path, message };
}

/** Validate `value` with `codec` or throw an {@link InvalidArgumentError} naming the field. */
export function validateOrThrow<A, O>(codec: t.Type<A, O>, value: unknown, what: string): A {
  const result = codec.decode(value);
  if (isLeft(result)) {
    const { path, message } = describe(result.left);
    const where = path ? ` field '${path}'` : '';
    throw new InvalidArgumentError(`Invalid arguments for ${what}:${where} ${message}.`, {
      command: what,
      field: path,
    });
  }
  return result.right;
}

/** An integer in [min, max]; the message names the range. */
export function intRange(min: number, max: number, name = `integer ${min}..${max}`): t.Type<number> {
  return new t.Type<number>(
    name,
    (u): u is number => typeof u === 'number' && Number.isInteger(u) && u >= min && u <= max,
    (u, c) =>
      typeof u === 'number' && Number.isInteger(u) && u >= min && u <= max
        ? t.success(u)
        : t.failure(u, c, `expected an integer from ${min} to ${max}, got ${JSON.stringify(u)}`),
    t.identity,
  );
}

/** Three upper-case letters (ISO 4217). */
export const CurrencyCode: t.Type<string> = new t.Type<string>(
  'CurrencyCode',
  (u): u is string => typeof u === 'string' && /^[A-Z]{3}$/.test(u),
  (u, c) =>
    typeof u === 'string' && /^[A-Z]{3}$/.test(u)
      ? t.success(u)
      : t.failure(u, c, `expected a three-letter currency code such as 'EUR', got ${JSON.stringify(u)}`),
  t.identity,
);
