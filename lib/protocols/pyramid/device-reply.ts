/**
 * What the device makes of the acceptor's answers and of its silence: a
 * confirmed fresh reply moves the link, the credit track, the escrow and the
 * acknowledged mask on and publishes the resulting events and state; a reply
 * timeout counts towards the link going down.
 */
import type { SchedulerLike } from 'rxjs';
import { CashwireError, CommandTimeoutError } from '../../core/errors.js';
import type { DeviceRef } from '../../core/events.js';
import type { ExchangeEvent } from '../../operators/exchange.js';
import { billValue } from './bills.js';
import type { ReadResult } from './confirm.js';
import { trackReply } from './credit.js';
import { applyDecision, type DeviceOutputs, type DeviceVars } from './device-core.js';
import { lifeState, type Unanswered } from './device-slot.js';
import type { PyramidDeviceOptions, ResolvedOptions } from './device-types.js';
import type { Reply } from './device-wire.js';
import { followEscrow } from './escrow.js';
import { acceptReply, isTrusted, noteSilence } from './link.js';
import { noteAnswer } from './outage.js';
import type { PyramidStatus } from './status.js';

export interface ReplyDeps {
  readonly scheduler: SchedulerLike;
  readonly opts: ResolvedOptions;
  /** The options as given: the escrow hook is read from them when a note is held. */
  readonly options: PyramidDeviceOptions;
  readonly ref: DeviceRef;
  /** The target is an opener: a silent line is reported so that another one is opened. */
  readonly reopens: boolean;
  readonly vars: DeviceVars;
  readonly out: DeviceOutputs;
}

export interface ReplyHandling {
  /** A fresh reply to `message` passed the confirm gate. */
  readonly onReply: (reply: Reply, message: Unanswered, seen: ReadResult) => void;
  /** An event of the request queue of any line. */
  readonly onExchange: (e: ExchangeEvent) => void;
}

export function createReplyHandling(deps: ReplyDeps): ReplyHandling {
  const { scheduler, opts, options, ref, reopens, vars, out } = deps;
  const { events, errors } = out;
  let silentAttempts = 0;

  const onExchange = (e: ExchangeEvent): void => {
    if (e.type !== 'timeout') return;
    silentAttempts += 1;
    const r = noteSilence(vars.link, scheduler.now(), opts.busyToleranceMs);
    vars.link = r.state;
    if (r.verdict === 'busy') return;
    const silentMs = scheduler.now() - vars.link.lastReplyAt;
    if (r.verdict === 'down') {
      errors.next(
        new CommandTimeoutError('poll', silentAttempts, silentMs, { busyToleranceMs: opts.busyToleranceMs }),
      );
      out.raw('link-down', { silentMs });
      out.setState({ status: 'recovering', reason: `no reply from the acceptor for ${silentMs} ms` });
    }
    // A USB adapter that re-enumerated leaves the old port silent without any error: open it again.
    if (reopens) out.silence.next(silentMs);
  };

  const askHook = (s: PyramidStatus, barcode: string | undefined): void => {
    const hook = options.onEscrow;
    if (!hook || vars.escrow.decision !== undefined) return;
    const value = barcode === undefined ? billValue(opts.bills, s.noteIndex) : undefined;
    try {
      const d = hook({
        index: s.noteIndex,
        ...(value !== undefined && { money: value }),
        ...(barcode !== undefined && { barcode }),
      });
      if (d !== undefined) applyDecision(vars, d);
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

  const onReply = (reply: Reply, message: Unanswered, seen: ReadResult): void => {
    const { sentMask, sentGen } = message;
    const now = scheduler.now();
    const trusted = isTrusted(vars.link);
    // The unit may have lost power and come back unseen while nothing got through, or moved on
    // past a reply the host never accepted (credit.ts).
    const gap = vars.link.down || vars.outage.lostAt !== undefined || (seen.movedOn ?? false);
    vars.link = acceptReply(vars.link, now);
    silentAttempts = 0;
    const answered = noteAnswer(vars.outage, now);
    vars.outage = answered.outage;
    if (answered.back) out.raw('line-back', answered.back);
    // An extended reply to a poll means the item in the transport is a ticket. The answer to a
    // barcode query names the last ticket since power-up, which may not be the item now stacked.
    const barcode = message.label === 'poll' && reply.subtype === 1 ? reply.barcode : undefined;
    const r = trackReply(vars.track, reply.status, {
      device: ref,
      table: opts.bills,
      trusted,
      gap,
      ...(seen.sawNote !== undefined && { sawNote: seen.sawNote }),
      ...(barcode !== undefined && { barcode }),
    });
    vars.track = r.track;
    const wasHeld = vars.escrow.held;
    vars.escrow = followEscrow(vars.escrow, reply.status.escrowed, now);
    vars.ackedMaskGen = Math.max(vars.ackedMaskGen, sentGen);
    vars.ackedMask = sentMask;
    out.acceptor.next({ state: r.state, status: reply.status, enableMask: sentMask });
    const life = lifeState(r.state, reply.status, sentMask, vars.ready);
    if (life.status === 'enabled' || life.status === 'disabled') vars.ready = true;
    out.setState(life);
    for (const e of r.events) events.next(e);
    if (vars.escrow.held && !wasHeld) askHook(reply.status, barcode);
    if (vars.mask === 0 && vars.escrow.held && vars.escrow.decision === undefined)
      applyDecision(vars, 'return');
    out.replied.next();
  };

  return { onReply, onExchange };
}
