/**
 * ccTalk coin acceptor settings check: the master inhibit and the inhibit
 * mask read back now and then while polling, and re-applied when the unit
 * lost them.
 *
 * A restart shows as the event counter going back to 0, except when it already was 0 (no
 * coin since power-up): then the acceptor silently comes back inhibited. While the counter
 * is 0 the master inhibit is read every few polls and re-applied when it was lost.
 * Settings can also change without a restart: a damaged host frame can pass the 8-bit
 * checksum as another command (a 229 read turned into a 228 or 231 without data switches
 * the unit, or its positions, off, and coins are returned with no event or as "inhibited").
 * So both are read every SETTINGS_CHECK_EVERY polls, and the mask at once after an
 * "inhibited coin" result.
 */
import { EMPTY, type Observable, concat, concatMap, defer, ignoreElements, tap } from 'rxjs';
import type { CcTalkBus } from './bus.js';
import type { DeviceCore } from './device-base.js';
import type { CoinEvent, EventBuffer } from './events.js';
import type { RingReader } from './ring-reader.js';
import { sendWish, switchOnAfterRead } from './switch-on.js';

/** Polls between two master inhibit checks while the event counter is 0. */
export const ZERO_COUNTER_CHECK_EVERY = 10;

/** Polls between two reads of the master inhibit and the inhibit mask while the counter is not 0. */
export const SETTINGS_CHECK_EVERY = 50;

export interface CoinSettingsCheckDeps {
  readonly bus: CcTalkBus;
  readonly address: number;
  readonly core: DeviceCore;
  readonly reader: RingReader<CoinEvent>;
  readonly read$: () => Observable<EventBuffer<CoinEvent>>;
  readonly ingest$: (buffer: EventBuffer<CoinEvent>) => Observable<never>;
  /** Inhibits and master inhibit as the application wants them. */
  readonly apply$: Observable<never>;
  /** What the application asked for last. */
  readonly accepting: () => boolean;
  /** The inhibit mask the unit last acknowledged; undefined until connect has applied one. */
  readonly applied: () => number | undefined;
  readonly setApplied: (mask: number) => void;
  /** The mask the unit should have now. */
  readonly unitMask: () => number;
}

export interface CoinSettingsCheck {
  /** The checks due after this poll's buffer (updates the poll counts). */
  settingsFor(buffer: EventBuffer<CoinEvent>): Observable<unknown>;
  /** Reads the mask when an "inhibited coin" result made it suspect. */
  readonly suspectMask$: Observable<never>;
  /** An "inhibited coin" result: read the mask after this poll. */
  markMaskSuspect(): void;
  /** The unit's master inhibit may not be what the application wants (a 228 failed): read it next poll. */
  markMasterSuspect(): void;
}

export function createCoinSettingsCheck(deps: CoinSettingsCheckDeps): CoinSettingsCheck {
  const { bus, address, core, reader, read$, ingest$ } = deps;
  let zeroPolls = 0;
  let settingsPolls = 0;
  const state = { maskSuspect: false, masterSuspect: false };
  // A unit found inhibited may have restarted since the last buffer read: its counter is then 0
  // and stays 0 only while it is inhibited. Switching it on before the buffer is read again
  // would let new coins move the counter past 0 unseen; the ring reader would then measure them
  // against the old counter (83 → 1 reads as 173 events, 168 of them "lost"; 1 → 1 hides a coin).
  // So the buffer is read and acted on first (switch-on.ts): a restart is then seen as one, and
  // re-applies the settings itself; otherwise the settings are applied again here.
  const checkMaster$ = (counter: number): Observable<unknown> =>
    bus.request(address, 'REQUEST_MASTER_INHIBIT_STATUS').pipe(
      concatMap((status) => {
        state.masterSuspect = false;
        if (!deps.accepting()) {
          if (!status.accepting) return EMPTY;
          // On although the application switched it off (a disable() that failed
          // before it reached the unit, or a damaged frame): off again, and
          // checked again next poll if that fails too.
          core.raw('accepting-unexpectedly', { counter });
          return sendWish(bus, address, deps.accepting).pipe(
            ignoreElements(),
            tap({
              error: () => {
                state.masterSuspect = true;
              },
            }),
          );
        }
        if (status.accepting) {
          // On as wished (e.g. an enable() whose reply was lost took effect): say so.
          if (core.state.value.status === 'disabled') core.setState({ status: 'enabled' });
          return EMPTY;
        }
        core.raw('inhibited-unexpectedly', { counter });
        return switchOnAfterRead({ reader, read$, switchOn$: deps.apply$, ingest$ }).pipe(
          // Without a trusted read the unit stays off, and the next poll checks again.
          tap((outcome) => {
            if (outcome === 'untrusted') state.masterSuspect = true;
          }),
          ignoreElements(),
        );
      }),
    );
  const checkMask$ = defer(() =>
    deps.applied() === undefined
      ? EMPTY
      : bus.request(address, 'REQUEST_INHIBIT_STATUS').pipe(
          concatMap((found) => {
            const applied = deps.applied();
            if (found === applied) return EMPTY;
            core.raw('inhibits-changed', { expected: applied, found });
            const m = deps.unitMask();
            return bus
              .request(address, 'MODIFY_INHIBIT_STATUS', { mask: m })
              .pipe(tap(() => deps.setApplied(m)));
          }),
          ignoreElements(),
        ),
  );
  const suspectMask$ = defer(() => {
    if (!state.maskSuspect) return EMPTY;
    state.maskSuspect = false;
    return checkMask$;
  });

  return {
    settingsFor: (buffer) => {
      const accepting = deps.accepting();
      let settings: Observable<unknown> = EMPTY;
      if (buffer.counter !== 0 || !accepting) zeroPolls = 0;
      else if (++zeroPolls % ZERO_COUNTER_CHECK_EVERY === 0) settings = checkMaster$(0);
      if (buffer.counter === 0) settingsPolls = 0;
      else if (++settingsPolls % SETTINGS_CHECK_EVERY === 0) {
        settings = concat(checkMaster$(buffer.counter), checkMask$);
      }
      if (state.masterSuspect && settings === EMPTY) settings = checkMaster$(buffer.counter);
      return settings;
    },
    suspectMask$,
    markMaskSuspect: () => {
      state.maskSuspect = true;
    },
    markMasterSuspect: () => {
      state.masterSuspect = true;
    },
  };
}
