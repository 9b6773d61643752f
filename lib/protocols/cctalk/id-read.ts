/**
 * Reading an answer that values money (a coin or bill id, a country scaling
 * factor) so that a read that failed is never taken for an answer.
 *
 * A request that fails (no reply after the bus's resends, NAK, a reply that
 * does not decode) is asked again, up to {@link ID_READS} requests. A well-formed
 * answer is taken at once; one that is not is asked again until two agree:
 * the 8-bit checksum lets about one damaged reply in 256 through, and damage
 * mostly leaves an answer that no longer parses, while a unit that really
 * holds something this library cannot value answers it the same way twice.
 * A lost line or a disposed bus is not a failed read: the error goes through,
 * so the device's connect starts over instead of recording a blank.
 */
import { type Observable, catchError, concatMap, defer, map, of, throwError } from 'rxjs';
import { DisposedError, TransportError } from '../../core/errors.js';

/** Most requests for one answer before it counts as unreadable (each request has the bus's own resends). */
export const ID_READS = 3;

export type TrustedRead<T> =
  /** A well-formed answer, or two that agreed. */
  | { readonly kind: 'read'; readonly value: T }
  /** No usable answer within the reads allowed; `reason` says what went wrong last. */
  | { readonly kind: 'unread'; readonly reason: string };

export interface TrustedReadOptions<T> {
  /** An answer a unit would give, taken at once. */
  readonly wellFormed: (value: T) => boolean;
  /** Shown in `reason` when answers disagree. */
  readonly show: (value: T) => string;
  /** Give up at the first failed request (a background probe that must not hold up polling). */
  readonly stopOnFailure?: boolean;
}

const isLineError = (e: unknown): boolean => e instanceof TransportError || e instanceof DisposedError;
const reasonOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Emits one result; errors only when the line is lost or the bus disposed. */
export function readTrusted<T>(
  request: () => Observable<T>,
  options: TrustedReadOptions<T>,
): Observable<TrustedRead<T>> {
  type Outcome = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };
  const once = (): Observable<Outcome> =>
    request().pipe(
      map((value): Outcome => ({ ok: true, value })),
      catchError((e: unknown) =>
        isLineError(e) ? throwError(() => e) : of<Outcome>({ ok: false, reason: reasonOf(e) }),
      ),
    );
  const step = (n: number, answers: readonly T[]): Observable<TrustedRead<T>> =>
    once().pipe(
      concatMap((o): Observable<TrustedRead<T>> => {
        if (o.ok) {
          const shown = options.show(o.value);
          if (options.wellFormed(o.value) || answers.some((a) => options.show(a) === shown)) {
            return of({ kind: 'read', value: o.value });
          }
        }
        const seen = o.ok ? [...answers, o.value] : answers;
        const why = o.ok ? `malformed answers that disagree: ${seen.map(options.show).join(', ')}` : o.reason;
        if ((!o.ok && options.stopOnFailure) || n >= ID_READS) return of({ kind: 'unread', reason: why });
        return step(n + 1, seen);
      }),
    );
  return defer(() => step(1, []));
}
