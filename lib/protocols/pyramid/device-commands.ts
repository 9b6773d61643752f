/**
 * The device's commands: the enable mask, stack or return of the note in
 * escrow, the barcode query and the soft reset. Mask and escrow changes ride
 * on the next poll and complete on the fresh reply that shows them taken; the
 * barcode query and the soft reset wait for their turn in the message slot.
 */
import {
  Observable,
  type SchedulerLike,
  defer,
  filter,
  map,
  take,
  tap,
  throwError,
  throwIfEmpty,
} from 'rxjs';
import { DecodeError, DisposedError } from '../../core/errors.js';
import type { Money } from '../../core/money.js';
import type { Request } from '../../operators/exchange.js';
import { maskFromIndexes, maskFromValues } from './bills.js';
import { applyDecision, type DeviceOutputs, type DeviceVars } from './device-core.js';
import type { ReplyReader } from './device-read.js';
import type { MessageSlot, Unanswered } from './device-slot.js';
import { EscrowStateError, checkMask, type PyramidDevice, type ResolvedOptions } from './device-types.js';
import type { Reply } from './device-wire.js';
import { decide, type EscrowDecision } from './escrow.js';
import { encodeBarcodeQuery } from './extended.js';
import { encodeSoftReset, type PyramidFrame } from './framing.js';
import { afterSoftReset } from './link.js';

export interface CommandDeps {
  readonly scheduler: SchedulerLike;
  readonly opts: ResolvedOptions;
  readonly vars: DeviceVars;
  readonly out: DeviceOutputs;
  readonly slot: MessageSlot;
  readonly reader: ReplyReader;
  /** Send a message that expects a reply, until a confirmed one (see device.ts). */
  readonly exchange: (message: Unanswered) => Observable<Reply>;
  /** Send one copy of a message through the open line's request queue. */
  readonly send: <R>(request: Request<PyramidFrame, R>) => Observable<R>;
}

export type PyramidCommands = Pick<
  PyramidDevice,
  | 'setEnableMask'
  | 'enableIndexes'
  | 'enableValues'
  | 'enable'
  | 'disable'
  | 'stack'
  | 'returnBill'
  | 'queryBarcode'
  | 'reset'
>;

export function createCommands(deps: CommandDeps): PyramidCommands {
  const { scheduler, opts, vars, out, slot, reader, exchange, send } = deps;

  /** Completes after the first fresh reply for which `done()` holds. */
  const until = (done: () => boolean): Observable<void> =>
    out.replied.pipe(
      filter(done),
      take(1),
      map(() => undefined),
      throwIfEmpty(() => new DisposedError('Pyramid device')),
    );

  const setEnableMask = (m: number): Observable<void> =>
    defer(() => {
      checkMask(m);
      if (vars.ended) return throwError(() => new DisposedError('Pyramid device'));
      vars.mask = m;
      if (m !== 0) vars.lastEnabledMask = m;
      vars.maskGen += 1;
      const gen = vars.maskGen;
      if (m === 0 && vars.escrow.held && vars.escrow.decision === undefined) applyDecision(vars, 'return');
      return until(() => vars.ackedMaskGen >= gen);
    });

  const escrowCommand = (name: string, d: EscrowDecision): Observable<void> =>
    defer(() => {
      const r = decide(vars.escrow, d);
      if (!r.ok) return throwError(() => new EscrowStateError(name, r.reason));
      vars.escrow = r.state;
      return until(() => !vars.escrow.held);
    });

  const queryBarcode = (): Observable<string> =>
    slot.command(() =>
      exchange({
        label: 'barcode query',
        bytes: encodeBarcodeQuery(vars.link.ack),
        sentMask: vars.ackedMask,
        sentGen: vars.ackedMaskGen,
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
          bytes: encodeSoftReset(vars.link.ack),
          match: reader.match,
          expectReply: false,
        }).pipe(
          tap({
            complete: () => {
              slot.unanswered = undefined;
              vars.link = afterSoftReset(vars.link, scheduler.now());
              reader.reset();
              out.raw('soft-reset');
            },
          }),
          map(() => undefined),
        ),
      true,
    );

  return {
    setEnableMask,
    enableIndexes: (indexes) => defer(() => setEnableMask(maskFromIndexes(indexes))),
    enableValues: (values: readonly (number | Money)[]) =>
      defer(() => setEnableMask(maskFromValues(values, opts.bills))),
    enable: () => defer(() => setEnableMask(vars.lastEnabledMask)),
    disable: () => setEnableMask(0),
    stack: () => escrowCommand('stack', 'stack'),
    returnBill: () => escrowCommand('returnBill', 'return'),
    queryBarcode,
    reset,
  };
}
