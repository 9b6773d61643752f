/**
 * What every protocol's part of `cashwire demo` shares: the rig each one builds
 * (simulator + driver on an in-memory line, a script, a check against the
 * simulator's counters) and the step helpers its script is written with.
 */
import {
  EMPTY,
  type Observable,
  concat,
  defer,
  filter,
  first,
  ignoreElements,
  map,
  merge,
  take,
  timeout,
  timer,
  catchError,
} from 'rxjs';
import type { CashwireError } from '../../core/errors.js';
import type { Diagnostic } from '../../core/diagnostics.js';
import {
  type DeviceEvent,
  type DeviceRef,
  type DeviceState,
  type ProtocolName,
  isCredit,
} from '../../core/events.js';

/** What one device family exposes to the demo. */
export interface Watched {
  readonly ref: DeviceRef;
  readonly events$: Observable<DeviceEvent>;
  readonly state$: Observable<DeviceState>;
  readonly errors$: Observable<CashwireError | Diagnostic>;
}

/** Host-side totals, from the drivers' events only. */
export interface HostTally {
  credits: number;
  credited: Map<string, number>;
  paidOut: Map<string, number>;
}

export interface Check {
  readonly agree: boolean;
  readonly busy: boolean;
  /** The simulator's own counters (JSON tally) and the same in words (pretty tally). */
  readonly simulator: object;
  readonly summary: string;
}

export interface Rig {
  readonly protocol: ProtocolName;
  readonly title: string;
  readonly watched: readonly Watched[];
  /** Cold: the scripted steps, one after another; `more()` is false once the duration is over. */
  script(more: () => boolean, act: (ref: DeviceRef, text: string) => void): Observable<unknown>;
  /** Does the simulator agree with the host, and is anything still under way? */
  check(host: HostTally): Check;
  dispose(): void;
}

export const STEP_TIMEOUT_MS = 6000;
export const SETTLE_MS = 4000;
export const FIRST_GAP_MS = 100;

export const enabled = (w: Watched): Observable<unknown> =>
  w.state$.pipe(
    first((s) => s.status === 'enabled' || s.status === 'error' || s.status === 'disposed', undefined),
  );

/** Subscribe to the outcome first, then act (retrying while the unit is busy), then wait for the outcome. */
export function actThen(act: () => boolean, outcome$: Observable<unknown>): Observable<unknown> {
  const tries$ = timer(0, 200).pipe(
    map(() => act()),
    first(Boolean),
  );
  return merge(outcome$.pipe(take(1)), tries$.pipe(ignoreElements())).pipe(
    take(1),
    timeout(STEP_TIMEOUT_MS),
    catchError(() => EMPTY),
  );
}

/** Steps in order, a pause before each, none started once `more()` says the time is up. */
export function steps(
  more: () => boolean,
  gapMs: number,
  list: readonly (() => Observable<unknown>)[],
): Observable<unknown> {
  // The first step starts almost at once: the demo should show money within its first seconds.
  const pause = (i: number): Observable<never> =>
    timer(i === 0 ? FIRST_GAP_MS : gapMs).pipe(ignoreElements());
  return concat(...list.map((s, i) => defer(() => (more() ? concat(pause(i), defer(s)) : EMPTY))));
}

export const creditOf = (w: Watched): Observable<unknown> => w.events$.pipe(filter(isCredit));
export const sumOf = (m: Map<string, number>, currency: string): number => m.get(currency) ?? 0;
