/**
 * `createEsspDevice`: an eSSP unit with a life of its own. Creating it starts
 * the connect sequence and then polling; both belong to the device, not to
 * subscribers (a note in escrow must keep being polled whoever listens), and
 * both end only with dispose().
 *
 * Recovery. A SLAVE_RESET event, a KEY_NOT_SET reply or a poll that gets no
 * answer after every attempt moves the device to 'recovering' and reruns the
 * whole connect sequence (SYNC, key, protocol level, SETUP, inhibits, ENABLE)
 * with growing pauses (1 s, 2 s, 4 s ... 30 s by default) until it works.
 *
 * Credits are counted exactly once:
 * - a POLL reply is decoded only when the request queue accepts it, and the
 *   queue accepts one reply per request;
 * - a resend of the same POLL carries the same flag (and the same ciphertext),
 *   so a device that already answered replays its cached reply instead of
 *   reporting new events, and the first, lost, copy was never decoded;
 * - a late copy of an earlier reply carries the other flag and is ignored
 *   (with encryption its count is also wrong), so it cannot be decoded twice.
 * What no host can fix with plain POLL: a reply lost on every attempt (the
 *   device gone mid-poll) takes its events with it; the device is re-read
 *   after reconnecting, and its serial number is compared to catch a swap.
 */
import {
  BehaviorSubject,
  Observable,
  ReplaySubject,
  asyncScheduler,
  isObservable,
  Subject,
  Subscription,
  concat,
  defer,
  ignoreElements,
  map,
  retry,
  takeUntil,
  tap,
  throwError,
  timer,
} from 'rxjs';
import type { Diagnostic } from '../../../core/diagnostics.js';
import {
  type CashwireError,
  CommandTimeoutError,
  DeviceError,
  DisposedError,
  TransportError,
  isCashwireError,
} from '../../../core/errors.js';
import type { DeviceEvent, DeviceRef, DeviceState, RejectedEvent } from '../../../core/events.js';
import { type PollSink, startPollsWhileIdle } from '../../../operators/poller.js';
import { linkStats } from '../../../operators/stats.js';
import { isSupportedBy } from '../commands/table.js';
import { parsePollReply } from '../events/parse.js';
import { connectEssp } from './connect.js';
import { isUnvaluedCredit, normalizeEvent } from './normalize.js';
import { backoffDelay } from '../../../operators/backoff.js';
import { resolveOptions } from './options.js';
import { followTransit } from './transit.js';
import { createEscrowControl } from './escrow.js';
import { type EsspDeviceTarget, createDeviceLine } from './line.js';
import { payoutCommands } from './payout.js';
import type { EsspDevice, EsspDeviceOptions, EsspUnitInfo } from './types.js';
import type { EsspCommandReply } from '../session-types.js';

/** Why the device reconnects; carried as the error that ends one connection's life. */
class Recovery extends Error {
  override readonly name = 'Recovery';
}

/** Faults that a reconnect can cure. Anything else is reported and polling goes on. */
function needsRecovery(e: unknown): boolean {
  return (
    e instanceof Recovery ||
    e instanceof CommandTimeoutError ||
    (e instanceof DeviceError && e.response === 'KEY_NOT_SET')
  );
}

/** The line or the session is gone: this connection ends; the retry policy decides what next. */
function endsConnection(e: unknown): boolean {
  return e instanceof TransportError || e instanceof DisposedError;
}

const reasonOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Create an eSSP device and start it: connect, then poll until dispose().
 *
 * `target` is a Transport, an opener (`Observable<Transport>`, reopened after
 * the line is lost), or `{ bus }` to share one line between addresses (a
 * validator at 0x00 and a SMART Hopper at 0x10). Subscribe to `events$` in the
 * same tick: the device starts on its scheduler, not inside this call.
 *
 * @throws OptionRangeError / InvalidArgumentError for options out of range.
 */
export function createEsspDevice(target: EsspDeviceTarget, options: EsspDeviceOptions = {}): EsspDevice {
  const o = resolveOptions(options);
  const shared = !isObservable(target) && 'bus' in target ? target.bus : undefined;
  const scheduler = options.scheduler ?? shared?.scheduler ?? asyncScheduler;
  const device: DeviceRef = { protocol: 'essp', address: o.address };

  const state = new BehaviorSubject<DeviceState>({ status: 'connecting', attempt: 1 });
  const events = new Subject<DeviceEvent>();
  const errors = new Subject<CashwireError | Diagnostic>();
  const info = new ReplaySubject<EsspUnitInfo>(1);
  const recover = new Subject<Recovery>();
  const disposed$ = new Subject<void>();

  const line = createDeviceLine(
    target,
    o.address,
    {
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
      ...(options.attempts !== undefined && { attempts: options.attempts }),
      scheduler,
    },
    {
      ...(options.fixedKey !== undefined && { fixedKey: options.fixedKey }),
      ...(options.traceDecrypted !== undefined && { traceDecrypted: options.traceDecrypted }),
      ...(options.random !== undefined && { random: options.random }),
      onKeyNotSet: (command) => recover.next(new Recovery(`KEY_NOT_SET in reply to ${command}`)),
    },
  );
  const session = line.session;

  let current: EsspUnitInfo | undefined;
  let connected = false;
  /** Failed connects or connections since the last successful connect: drives the back-off. */
  let failures = 0;
  let disposed = false;
  /** What the user asked for last: a reconnect restores it (a reset device comes up disabled). */
  let wantEnabled = o.autoEnable;
  let userDisabled = false;

  const setState = (s: DeviceState): void => {
    if (!disposed) state.next(s);
  };

  /** Work started from event handling (reject reasons); cancelled by dispose. */
  const side = new Subscription();

  /** Publish `rejected` with the reason LAST_REJECT_CODE gives (without it if the query fails). */
  const explainReject = (event: RejectedEvent): void => {
    if (!isSupportedBy('LAST_REJECT_CODE', session.context.unitType)) {
      events.next(event);
      return;
    }
    side.add(
      session.send('LAST_REJECT_CODE').subscribe({
        next: (r) => events.next({ ...event, reason: r.info.name }),
        error: () => events.next(event),
      }),
    );
  };

  /** Channel of a note the host saw accepted and has no outcome for yet, 0 if none (see transit.ts). */
  let transitNote = 0;

  /** Decode one POLL payload (exactly once per accepted reply) and publish its events. */
  const handlePoll = (payload: Uint8Array, duringConnect: boolean): void => {
    // Most replies of an idle unit carry no event: an empty payload decodes to
    // nothing (no event, no diagnostic), so there is nothing to publish.
    if (payload.length === 0) return;
    const reply = parsePollReply(payload, session.context);
    if (reply.diagnostic) errors.next(reply.diagnostic);
    // No event: nothing to publish, no note to follow.
    if (reply.events.length === 0) return;
    let reset = false;
    for (const e of reply.events) {
      if (isUnvaluedCredit(e)) {
        // Never invented, never silent: the raw event carries it, errors$ says what to check.
        errors.next(
          new DeviceError(
            'POLL',
            'OK',
            `${e.event} reported a note whose value is unknown (not in the SETUP_REQUEST channel table); ` +
              'credit it by hand from the raw event and check the dataset.',
            { event: e },
          ),
        );
      }
      for (const out of normalizeEvent(e, device)) {
        if (out.type === 'rejected') explainReject(out);
        else events.next(out);
      }
      if (e.event === 'SLAVE_RESET' && !duringConnect) reset = true;
      if (e.event === 'DISABLED' && state.value.status === 'enabled') setState({ status: 'disabled' });
    }
    const lostChannel = transitNote;
    const transit = followTransit(transitNote, reply.events);
    transitNote = transit.transit;
    if (transit.lostAtReset) {
      events.next({ type: 'events-lost', device, count: 1 });
      errors.next({
        kind: 'events-lost',
        protocol: 'essp',
        message:
          'The unit restarted with a note in its path whose outcome was never reported (the reply ' +
          'carrying it was lost): it may have been credited. Check the cashbox.',
        info: { address: o.address, channel: lostChannel },
      });
    }
    // After the events of this reply are out: nothing decoded is lost by recovering.
    if (reset) recover.next(new Recovery('the device reported SLAVE_RESET'));
  };

  /** A POLL outside the poll loop (escrow accept): its reply is handled before the caller hears of it. */
  const pollNow = (): Observable<void> =>
    session.send('POLL').pipe(map((r) => handlePoll(r.info.data, false)));
  const escrow = createEscrowControl(session, scheduler, o.holdIntervalMs, pollNow);
  /**
   * One poll slot: HOLD while a note is held (it emits nothing), else POLL,
   * whose reply the loop hands to handlePoll as it is delivered. POLL is
   * started directly, not through an Observable: this runs several times a
   * second for the device's whole life, and a slowly polled device pays for
   * every layer (see operators/exchange.ts).
   */
  const startPollSlot = (sink: PollSink<EsspCommandReply<'POLL'>>): (() => void) => {
    const hold = escrow.holdSlot();
    if (hold === undefined) return session.start('POLL', undefined, undefined, sink);
    const sub = hold.subscribe(sink);
    return () => sub.unsubscribe();
  };

  // ---------------------------------------------------------------- life cycle
  // The connect sequence ended with a POLL: the loop starts with a pause.
  const pollLoop$ = new Observable<never>((subscriber) => {
    const onError = (e: unknown): void => {
      if (needsRecovery(e) || endsConnection(e)) subscriber.error(e);
      else if (isCashwireError(e)) errors.next(e);
    };
    const polls = startPollsWhileIdle(line.bus().queue, startPollSlot, {
      intervalMs: o.pollIntervalMs,
      pauseFirst: true,
      scheduler,
      onError,
    }).subscribe((reply) => {
      // Exactly once per accepted POLL reply, while the queue delivers it (HOLD slots emit nothing).
      // The reply of an idle unit is empty (see handlePoll): checked here, since
      // even a call into handlePoll that returns at once is one of the dearest
      // steps of a cold poll.
      const payload = reply.info.data;
      if (payload.length === 0) return;
      try {
        handlePoll(payload, false);
      } catch (e) {
        onError(e);
      }
    });
    const signals = recover.subscribe((r) => subscriber.error(r));
    // The queue ends when its transport errors or closes; an idle poller would not notice.
    const queue = line.bus().queue;
    signals.add(
      (queue.ended$ ?? queue.busy$).subscribe({
        complete: () => subscriber.error(new TransportError('The eSSP line was lost or closed.')),
      }),
    );
    return () => {
      polls.unsubscribe();
      signals.unsubscribe();
    };
  });

  const connectOnce$ = concat(
    line.ensure().pipe(ignoreElements()),
    defer(() =>
      connectEssp(session, {
        encryption: o.encryption,
        protocolVersion: o.protocolVersion,
        ...(options.acceptChannels !== undefined && { acceptChannels: options.acceptChannels }),
        serialModules: o.serialModules,
        autoEnable: wantEnabled,
        onPoll: (payload) => handlePoll(payload, true),
        onWarning: (e) => errors.next(e),
      }),
    ),
  ).pipe(
    tap((unit) => {
      if (current !== undefined && current.serialNumber !== unit.serialNumber) {
        // After a gap the manual advises re-reading the serial: a different unit answers now.
        events.next({
          type: 'raw',
          device,
          name: 'UNIT_SWAPPED',
          data: { previousSerial: current.serialNumber, serialNumber: unit.serialNumber },
        });
      }
      current = unit;
      connected = true;
      failures = 0;
      info.next(unit);
      setState({ status: wantEnabled ? 'enabled' : userDisabled ? 'disabled' : 'ready' });
    }),
  );

  const life$ = concat(connectOnce$, pollLoop$).pipe(
    retry({
      delay: (e: unknown) => {
        if (disposed || e instanceof DisposedError) return throwError(() => e);
        // A lost line is final unless the device can open it again (opener target).
        if (e instanceof TransportError && !line.lost()) return throwError(() => e);
        if (!(e instanceof Recovery) && isCashwireError(e)) errors.next(e);
        failures += 1;
        const delay = backoffDelay(failures, o.initialDelayMs, o.maxDelayMs);
        setState(
          connected
            ? { status: 'recovering', reason: reasonOf(e) }
            : { status: 'connecting', attempt: failures + 1 },
        );
        return timer(delay, scheduler);
      },
    }),
  );

  // Started on the scheduler, not inline: the caller subscribes to events$ right
  // after creating the device, and the first poll (which may carry credits from
  // before a power loss) must not be published before that.
  let lifeSub: Subscription | undefined;
  const starter = scheduler.schedule(() => {
    if (disposed) return;
    lifeSub = life$.subscribe({
      error: (e: unknown) => {
        if (disposed) return;
        if (isCashwireError(e)) errors.next(e);
        setState({ status: 'error', error: e instanceof Error ? e : new Error(String(e)) });
        finish();
      },
    });
  });

  function finish(): void {
    disposed$.next();
    disposed$.complete();
    events.complete();
    errors.complete();
    info.complete();
    state.complete();
    recover.complete();
  }

  // ---------------------------------------------------------------- commands
  const simple = (name: 'ENABLE' | 'DISABLE'): Observable<void> =>
    defer(() => {
      wantEnabled = name === 'ENABLE';
      userDisabled = !wantEnabled;
      return session.send(name).pipe(
        map(() => {
          if (connected) setState({ status: wantEnabled ? 'enabled' : 'disabled' });
        }),
      );
    });

  const diagnostics = session.diagnostics$.subscribe((d) => errors.next(d));

  return {
    events$: events.asObservable(),
    state$: state.asObservable(),
    errors$: errors.asObservable(),
    trace$: session.trace$.pipe(takeUntil(disposed$)),
    stats$: linkStats(session.trace$, line.exchange$, session.diagnostics$).pipe(takeUntil(disposed$)),
    info$: info.asObservable(),
    send: (name, args) => session.send(name, args),
    enable: () => simple('ENABLE'),
    disable: () => simple('DISABLE'),
    escrow: escrow.api,
    ...payoutCommands(session),
    dispose: () => {
      if (disposed) return;
      setState({ status: 'disposed' });
      disposed = true;
      escrow.endAll(new DisposedError('eSSP device'));
      side.unsubscribe();
      starter.unsubscribe();
      lifeSub?.unsubscribe();
      diagnostics.unsubscribe();
      line.dispose();
      finish();
    },
  };
}
