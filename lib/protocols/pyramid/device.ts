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
 *
 * This file wires the parts together: the shared state and streams live in
 * device-core.ts, what a reply or a timeout changes in device-reply.ts, and
 * the commands in device-commands.ts.
 */
import { Observable, asyncScheduler, defer, isObservable, switchMap, throwError, timer } from 'rxjs';
import type { Diagnostic } from '../../core/diagnostics.js';
import { CashwireError, DisposedError, TransportError } from '../../core/errors.js';
import type { DeviceRef } from '../../core/events.js';
import type { ExchangeEvent, Request } from '../../operators/exchange.js';
import { linkStats } from '../../operators/stats.js';
import type { FrameTrace } from '../../operators/trace.js';
import { createCommands } from './device-commands.js';
import { createOutputs, initialVars } from './device-core.js';
import { lineAfterLine, type LineLoss } from './device-line.js';
import { createReplyReader } from './device-read.js';
import { createReplyHandling } from './device-reply.js';
import { type DriveDeps, driveLine, interruptCommand } from './device-run.js';
import { createMessageSlot, type Unanswered } from './device-slot.js';
import {
  resolveOptions,
  type PyramidDevice,
  type PyramidDeviceOptions,
  type PyramidDeviceTarget,
} from './device-types.js';
import type { Reply } from './device-wire.js';
import { checkEscrowTimeout, escrowBits } from './escrow.js';
import { encodeHostPoll, type PyramidFrame } from './framing.js';
import { restartSilence } from './link.js';
import { noteLoss } from './outage.js';

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

  const out = createOutputs(ref);
  const { events, state, acceptor, errors, trace, exchanges, silence } = out;
  const vars = initialVars(opts, scheduler.now());
  const slot = createMessageSlot();

  const send = <R>(request: Request<PyramidFrame, R>): Observable<R> =>
    defer(() =>
      vars.line
        ? vars.line.send(request)
        : throwError(() => new TransportError('The Pyramid line is not open.')),
    );

  const replies = createReplyHandling({ scheduler, opts, options, ref, reopens, vars, out });
  const exchangeSub = exchanges.subscribe(replies.onExchange);

  /** Matches replies to what was sent and confirms those that say something new (confirm.ts). */
  const reader = createReplyReader({
    scheduler,
    pollIntervalMs: opts.pollIntervalMs,
    diag: out.diag,
    link: () => vars.link,
    prevStacked: () => vars.track.prev?.stacked ?? false,
    send,
  });

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
      replies.onReply(reply, message, seen);
    });
  };

  const poll = (): Observable<unknown> =>
    defer(() => {
      const t = checkEscrowTimeout(vars.escrow, scheduler.now(), opts.escrowTimeoutMs);
      vars.escrow = t.state;
      if (t.expired) out.raw('escrow-timeout', { timeoutMs: opts.escrowTimeoutMs });
      const bits = escrowBits(vars.escrow);
      const bytes = encodeHostPoll({
        ack: vars.link.ack,
        enableMask: vars.mask,
        escrow: opts.escrow,
        stack: bits.stack,
        return: bits.return,
        barcode: opts.barcode,
      });
      return exchange({ label: 'poll', bytes, sentMask: vars.mask, sentGen: vars.maskGen });
    });

  const cycle = (): Observable<unknown> => slot.next(exchange, poll);

  const commands = createCommands({ scheduler, opts, vars, out, slot, reader, exchange, send });

  /** The line is gone (opener targets): report it once, then wait before opening the next one. */
  const onLoss = ({ error, wasOpen }: LineLoss): Observable<unknown> => {
    if (vars.ended) return throwError(() => error);
    const r = noteLoss(
      vars.outage,
      { reason: reasonOf(error), wasOpen },
      vars.ready,
      scheduler.now(),
      opts.reconnect,
    );
    vars.outage = r.outage;
    if (error instanceof CashwireError) errors.next(error);
    if (r.lost) out.raw('line-lost', r.lost);
    out.setState(r.state);
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
      vars.line = queue;
      if (queue) vars.link = restartSilence(vars.link, scheduler.now());
    },
  };
  // Started on the scheduler: the caller subscribes to the streams right after creating the device.
  const life = timer(0, scheduler)
    .pipe(switchMap(() => lineAfterLine(target, hooks, (queue) => driveLine(queue, drive), onLoss)))
    .subscribe({ error: (e: unknown) => end(e instanceof Error ? e : new TransportError(String(e))) });

  function end(reason?: Error): void {
    if (vars.ended) return;
    vars.ended = true;
    // Commands first, so the one on the line fails with the reason, not with the line's teardown.
    slot.close(reason ?? new DisposedError('Pyramid device'));
    life.unsubscribe();
    exchangeSub.unsubscribe();
    state.next(reason ? { status: 'error', error: reason } : { status: 'disposed' });
    out.complete();
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
      return vars.mask;
    },
    ...commands,
    dispose: () => end(),
  };
}
