/**
 * Pyramid RS-232 bill acceptor driver: polling, ack link, enable mask,
 * escrow, and exactly-once credit, composed from the pure layers.
 *
 *   const acceptor = createPyramidDevice(openSerialTransport(path, PYRAMID_LINE), { escrow: true });
 *   acceptor.events$.pipe(filter(isCredit)).subscribe(c => count(c.money));
 *
 * All traffic goes through one message slot: each cycle of the poll loop
 * sends either a waiting user command (barcode query, soft reset) or a poll,
 * and builds its bytes at that moment, so every message carries the ack bit
 * that is current when it goes out. Resends of one message are byte-identical
 * (the request queue writes the same bytes on timeout). A reply that says
 * something new is acted on only when a resend of the same message brings
 * the same bytes back (confirm.ts, device-read.ts): the checksum is too weak
 * to trust one reply with a credit edge or with moving the ack on.
 *
 * A lost line (opener targets only) is given up and another one opened after
 * a back-off (device-line.ts, device-run.ts, outage.ts). Nothing of the
 * exchange is reset: the ack bit, the unanswered message, the previous fresh
 * reply, the mask and the escrow decision carry over, which is what keeps
 * every credit single across the outage (docs/pyramid.md).
 */
import {
  BehaviorSubject,
  Observable,
  ReplaySubject,
  Subject,
  asyncScheduler,
  defer,
  filter,
  isObservable,
  map,
  switchMap,
  take,
  tap,
  throwError,
  throwIfEmpty,
  timer,
} from 'rxjs';
import type { Diagnostic } from '../../core/diagnostics.js';
import {
  CashwireError,
  CommandTimeoutError,
  DecodeError,
  DisposedError,
  TransportError,
} from '../../core/errors.js';
import type { DeviceEvent, DeviceRef, DeviceState } from '../../core/events.js';
import type { Money } from '../../core/money.js';
import type { ExchangeEvent, Request, RequestQueue } from '../../operators/exchange.js';
import { linkStats } from '../../operators/stats.js';
import type { FrameTrace } from '../../operators/trace.js';
import { billValue, maskFromIndexes, maskFromValues } from './bills.js';
import type { ReadResult } from './confirm.js';
import { INITIAL_TRACK, trackReply } from './credit.js';
import {
  EscrowStateError,
  checkMask,
  resolveOptions,
  type PyramidDevice,
  type PyramidDeviceOptions,
  type PyramidDeviceTarget,
  type PyramidSnapshot,
} from './device-types.js';
import {
  NO_ESCROW,
  checkEscrowTimeout,
  decide,
  escrowBits,
  followEscrow,
  type EscrowDecision,
} from './escrow.js';
import { createMessageSlot, lifeState, type Unanswered } from './device-slot.js';
import { lineAfterLine, type LineLoss } from './device-line.js';
import { type DriveDeps, driveLine, interruptCommand } from './device-run.js';
import { createReplyReader } from './device-read.js';
import type { Reply } from './device-wire.js';
import { encodeBarcodeQuery } from './extended.js';
import { encodeHostPoll, encodeSoftReset, type PyramidFrame } from './framing.js';
import { acceptReply, afterSoftReset, isTrusted, noteSilence, restartSilence, startLink } from './link.js';
import { NO_OUTAGE, noteAnswer, noteLoss } from './outage.js';
import { PYRAMID_PROTOCOL } from './parser.js';
import type { PyramidStatus } from './status.js';

const reasonOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Create a Pyramid device and start polling (on the scheduler, so subscribe
 * to the streams in the same tick). `target` is a Transport, or an opener
 * (`Observable<Transport>`) that is subscribed again after a lost line.
 *
 * @throws OptionRangeError / InvalidArgumentError for options out of range.
 */
export function createPyramidDevice(
  target: PyramidDeviceTarget,
  options: PyramidDeviceOptions = {},
): PyramidDevice {
  const opts = resolveOptions(options); // throws before anything touches the line
  const scheduler = options.scheduler ?? asyncScheduler;
  const reopens = isObservable(target);
  const ref: DeviceRef = { protocol: 'pyramid', address: opts.address };

  const events = new Subject<DeviceEvent>();
  const state = new BehaviorSubject<DeviceState>({ status: 'connecting', attempt: 1 });
  const acceptor = new ReplaySubject<PyramidSnapshot>(1);
  const errors = new Subject<Diagnostic | CashwireError>();
  const trace = new Subject<FrameTrace>();
  /** Ticks after every fresh reply has been processed. */
  const replied = new Subject<void>();
  /** Request-queue events of every line. */
  const exchanges = new Subject<ExchangeEvent>();
  /** The current line has been silent too long (ms of silence); opener targets only. */
  const silence = new Subject<number>();

  let link = startLink(scheduler.now());
  let track = INITIAL_TRACK;
  let escrow = NO_ESCROW;
  let mask = opts.enableMask;
  let maskGen = 0;
  let ackedMaskGen = 0;
  /** Mask of the last poll the acceptor answered. */
  let ackedMask = opts.enableMask;
  let lastEnabledMask = opts.enableMask === 0 ? 0x7f : opts.enableMask;
  let silentAttempts = 0;
  let ready = false;
  let ended = false;
  /** Request queue of the open line; undefined between lines. */
  let line: RequestQueue<PyramidFrame> | undefined;
  /** Lines lost or not opened since the last fresh reply: drives the back-off. */
  let outage = NO_OUTAGE;
  const slot = createMessageSlot();

  const diag = (kind: Diagnostic['kind'], message: string, hex?: string): void =>
    errors.next({ kind, protocol: PYRAMID_PROTOCOL, message, ...(hex !== undefined && { hex }) });
  const raw = (name: string, data: Record<string, unknown> = {}): void =>
    events.next({ type: 'raw', device: ref, name, data });
  const setState = (next: DeviceState): void => {
    const cur = state.value;
    if (cur.status === next.status && JSON.stringify(cur) === JSON.stringify(next)) return;
    state.next(next);
  };

  const send = <R>(request: Request<PyramidFrame, R>): Observable<R> =>
    defer(() =>
      line ? line.send(request) : throwError(() => new TransportError('The Pyramid line is not open.')),
    );

  const exchangeSub = exchanges.subscribe((e) => {
    if (e.type !== 'timeout') return;
    silentAttempts += 1;
    const r = noteSilence(link, scheduler.now(), opts.busyToleranceMs);
    link = r.state;
    if (r.verdict === 'busy') return;
    const silentMs = scheduler.now() - link.lastReplyAt;
    if (r.verdict === 'down') {
      errors.next(
        new CommandTimeoutError('poll', silentAttempts, silentMs, { busyToleranceMs: opts.busyToleranceMs }),
      );
      raw('link-down', { silentMs });
      setState({ status: 'recovering', reason: `no reply from the acceptor for ${silentMs} ms` });
    }
    // A USB adapter that re-enumerated leaves the old port silent without any error: open it again.
    if (reopens) silence.next(silentMs);
  });

  /** Matches replies to what was sent and confirms those that say something new (confirm.ts). */
  const reader = createReplyReader({
    scheduler,
    pollIntervalMs: opts.pollIntervalMs,
    diag,
    link: () => link,
    prevStacked: () => track.prev?.stacked ?? false,
    send,
  });

  const askHook = (s: PyramidStatus, barcode: string | undefined): void => {
    const hook = options.onEscrow;
    if (!hook || escrow.decision !== undefined) return;
    const value = barcode === undefined ? billValue(opts.bills, s.noteIndex) : undefined;
    try {
      const d = hook({
        index: s.noteIndex,
        ...(value !== undefined && { money: value }),
        ...(barcode !== undefined && { barcode }),
      });
      if (d !== undefined) applyDecision(d);
    } catch (e) {
      errors.next(
        new CashwireError(
          'ESCROW_HOOK_FAILED',
          'The onEscrow hook threw; the note stays undecided.',
          {},
          { cause: e },
        ),
      );
    }
  };

  const applyDecision = (d: EscrowDecision): void => {
    const r = decide(escrow, d);
    if (r.ok) escrow = r.state;
  };

  const onReply = (reply: Reply, message: Unanswered, seen: ReadResult): void => {
    const { sentMask, sentGen } = message;
    const now = scheduler.now();
    const trusted = isTrusted(link);
    // The unit may have lost power and come back unseen while nothing got through, or moved on
    // past a reply the host never accepted (credit.ts).
    const gap = link.down || outage.lostAt !== undefined || (seen.movedOn ?? false);
    link = acceptReply(link, now);
    silentAttempts = 0;
    const answered = noteAnswer(outage, now);
    outage = answered.outage;
    if (answered.back) raw('line-back', answered.back);
    // An extended reply to a poll means the item in the transport is a ticket. The answer to a
    // barcode query names the last ticket since power-up, which may not be the item now stacked.
    const barcode = message.label === 'poll' && reply.subtype === 1 ? reply.barcode : undefined;
    const r = trackReply(track, reply.status, {
      device: ref,
      table: opts.bills,
      trusted,
      gap,
      ...(seen.sawNote !== undefined && { sawNote: seen.sawNote }),
      ...(barcode !== undefined && { barcode }),
    });
    track = r.track;
    const wasHeld = escrow.held;
    escrow = followEscrow(escrow, reply.status.escrowed, now);
    ackedMaskGen = Math.max(ackedMaskGen, sentGen);
    ackedMask = sentMask;
    acceptor.next({ state: r.state, status: reply.status, enableMask: sentMask });
    const life = lifeState(r.state, reply.status, sentMask, ready);
    if (life.status === 'enabled' || life.status === 'disabled') ready = true;
    setState(life);
    for (const e of r.events) events.next(e);
    if (escrow.held && !wasHeld) askHook(reply.status, barcode);
    if (mask === 0 && escrow.held && escrow.decision === undefined) applyDecision('return');
    replied.next();
  };

  /**
   * Send a message that expects a reply. It stays `unanswered` until a fresh
   * reply is accepted; until then every send repeats exactly these bytes (mask
   * or escrow changes wait for the next message), as the ack rule requires. A
   * reply that says something new is only accepted when the same message sent
   * again brings the same bytes back (confirm.ts): up to CONFIRM_READS reads,
   * a poll interval apart, in this cycle, then the next cycle goes on reading.
   * Emits the accepted reply, or nothing when none was confirmed this cycle.
   */
  const exchange = (message: Unanswered): Observable<Reply> => {
    slot.unanswered = message;
    return reader.read(message.label, message.bytes, (reply, seen) => {
      slot.unanswered = undefined;
      onReply(reply, message, seen);
    });
  };

  const poll = (): Observable<unknown> =>
    defer(() => {
      const t = checkEscrowTimeout(escrow, scheduler.now(), opts.escrowTimeoutMs);
      escrow = t.state;
      if (t.expired) raw('escrow-timeout', { timeoutMs: opts.escrowTimeoutMs });
      const bits = escrowBits(escrow);
      const bytes = encodeHostPoll({
        ack: link.ack,
        enableMask: mask,
        escrow: opts.escrow,
        stack: bits.stack,
        return: bits.return,
        barcode: opts.barcode,
      });
      return exchange({ label: 'poll', bytes, sentMask: mask, sentGen: maskGen });
    });

  const cycle = (): Observable<unknown> => slot.next(exchange, poll);

  /** Completes after the first fresh reply for which `done()` holds. */
  const until = (done: () => boolean): Observable<void> =>
    replied.pipe(
      filter(done),
      take(1),
      map(() => undefined),
      throwIfEmpty(() => new DisposedError('Pyramid device')),
    );

  const setEnableMask = (m: number): Observable<void> =>
    defer(() => {
      checkMask(m);
      if (ended) return throwError(() => new DisposedError('Pyramid device'));
      mask = m;
      if (m !== 0) lastEnabledMask = m;
      maskGen += 1;
      const gen = maskGen;
      if (m === 0 && escrow.held && escrow.decision === undefined) applyDecision('return');
      return until(() => ackedMaskGen >= gen);
    });

  const escrowCommand = (name: string, d: EscrowDecision): Observable<void> =>
    defer(() => {
      const r = decide(escrow, d);
      if (!r.ok) return throwError(() => new EscrowStateError(name, r.reason));
      escrow = r.state;
      return until(() => !escrow.held);
    });

  const queryBarcode = (): Observable<string> =>
    slot.command(() =>
      exchange({
        label: 'barcode query',
        bytes: encodeBarcodeQuery(link.ack),
        sentMask: ackedMask,
        sentGen: ackedMaskGen,
      }).pipe(
        map((reply) => reply.barcode ?? ''),
        throwIfEmpty(() => new DecodeError('No two replies to the barcode query agreed.')),
      ),
    );

  const reset = (): Observable<void> =>
    slot.command(
      () =>
        send({
          label: 'soft reset',
          bytes: encodeSoftReset(link.ack),
          match: reader.match,
          expectReply: false,
        }).pipe(
          tap({
            complete: () => {
              slot.unanswered = undefined;
              link = afterSoftReset(link, scheduler.now());
              reader.reset();
              raw('soft-reset');
            },
          }),
          map(() => undefined),
        ),
      true,
    );

  /** The line is gone (opener targets): report it once, then wait before opening the next one. */
  const onLoss = ({ error, wasOpen }: LineLoss): Observable<unknown> => {
    if (ended) return throwError(() => error);
    const r = noteLoss(outage, { reason: reasonOf(error), wasOpen }, ready, scheduler.now(), opts.reconnect);
    outage = r.outage;
    if (error instanceof CashwireError) errors.next(error);
    if (r.lost) raw('line-lost', r.lost);
    setState(r.state);
    return timer(r.delayMs, scheduler);
  };

  const hooks = {
    scheduler,
    replyTimeoutMs: opts.replyTimeoutMs,
    diagnostic: (d: Diagnostic) => errors.next(d),
    trace: (t: FrameTrace) => trace.next(t),
    exchange: (e: ExchangeEvent) => exchanges.next(e),
    losing: (e: Error) => interruptCommand(slot, e),
  };
  const drive: DriveDeps = {
    scheduler,
    pollIntervalMs: opts.pollIntervalMs,
    slot,
    cycle,
    silence$: silence,
    use: (queue) => {
      line = queue;
      if (queue) link = restartSilence(link, scheduler.now());
    },
  };
  // Started on the scheduler: the caller subscribes to the streams right after creating the device.
  const life = timer(0, scheduler)
    .pipe(switchMap(() => lineAfterLine(target, hooks, (queue) => driveLine(queue, drive), onLoss)))
    .subscribe({ error: (e: unknown) => end(e instanceof Error ? e : new TransportError(String(e))) });

  function end(reason?: Error): void {
    if (ended) return;
    ended = true;
    // Commands first, so the one on the line fails with the reason, not with the line's teardown.
    slot.close(reason ?? new DisposedError('Pyramid device'));
    life.unsubscribe();
    exchangeSub.unsubscribe();
    state.next(reason ? { status: 'error', error: reason } : { status: 'disposed' });
    for (const s of [events, acceptor, errors, trace, replied, exchanges, silence, state]) s.complete();
  }

  return {
    events$: events.asObservable(),
    state$: state.asObservable(),
    acceptor$: acceptor.asObservable(),
    errors$: errors.asObservable(),
    trace$: trace.asObservable(),
    // errors$ carries the link diagnostics; linkStats ignores the other errors on it.
    stats$: linkStats(trace, exchanges, errors),
    get enableMask() {
      return mask;
    },
    setEnableMask,
    enableIndexes: (indexes) => defer(() => setEnableMask(maskFromIndexes(indexes))),
    enableValues: (values: readonly (number | Money)[]) =>
      defer(() => setEnableMask(maskFromValues(values, opts.bills))),
    enable: () => defer(() => setEnableMask(lastEnabledMask)),
    disable: () => setEnableMask(0),
    stack: () => escrowCommand('stack', 'stack'),
    returnBill: () => escrowCommand('returnBill', 'return'),
    queryBarcode,
    reset,
    dispose: () => end(),
  };
}
