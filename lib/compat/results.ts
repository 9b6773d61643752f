/**
 * Shapes the compatibility class hands to application code: command results
 * as the old library's users read them (`result.status`, `result.info.…`)
 * and poll events with its names (`name`, plus cashwire's decoded fields).
 */
import type { DeviceError } from '../core/errors.js';
import type { EsspCommandName, ReplyOf } from '../protocols/essp/commands/table.js';
import type { GenericName } from '../protocols/essp/generic.js';
import type { EsspEvent, EsspEventName, EventOf } from '../protocols/essp/events/types.js';
import type { EsspCommandReply } from '../protocols/essp/session-types.js';

/** `info` of a command whose reply carries no data: an object without fields. */
export interface EmptyInfo {
  readonly [field: string]: never;
}

/** Decoded payload of an OK reply; `{}` for commands that return nothing. */
export type SspInfo<N extends EsspCommandName> = [NonNullable<ReplyOf<N>>] extends [never]
  ? EmptyInfo
  : NonNullable<ReplyOf<N>>;

/** The device executed the command. */
export interface SspOk<N extends EsspCommandName = EsspCommandName> {
  readonly status: 'OK';
  readonly command: N;
  readonly info: SspInfo<N>;
}

/** Why the device refused, with what to do about it. */
export interface RefusalInfo {
  /** The generic response byte (0xF2..0xFA). */
  readonly generic: number;
  /** Name of the error byte after COMMAND_CANNOT_BE_PROCESSED, when the command documents one. */
  readonly error?: string;
  readonly errorCode?: number;
  /** What usually causes this answer and how to proceed. */
  readonly advice: string;
}

/**
 * The device answered with a generic failure (FAIL, KEY_NOT_SET,
 * COMMAND_CANNOT_BE_PROCESSED …). The payload fields of an OK reply are
 * typed as optional so `result.info.serial_number` still compiles: they are
 * absent here.
 */
export interface SspRefused<N extends EsspCommandName = EsspCommandName> {
  readonly status: Exclude<GenericName, 'OK'>;
  readonly command: N;
  readonly info: RefusalInfo & Partial<SspInfo<N>>;
}

/** What `command()`, `enable()` and `disable()` resolve with. */
export type SspResult<N extends EsspCommandName = EsspCommandName> = SspOk<N> | SspRefused<N>;

export function okResult<N extends EsspCommandName>(reply: EsspCommandReply<N>): SspOk<N> {
  const info = (reply.info ?? {}) as SspInfo<N>;
  return { status: 'OK', command: reply.command, info };
}

export function refusedResult<N extends EsspCommandName>(command: N, e: DeviceError): SspRefused<N> {
  const i = e.info;
  const info: RefusalInfo = {
    generic: i['generic'] as number,
    advice: i['advice'] as string,
    ...(typeof i['error'] === 'string' && { error: i['error'] }),
    ...(typeof i['errorCode'] === 'number' && { errorCode: i['errorCode'] }),
  };
  return {
    status: e.response as Exclude<GenericName, 'OK'>,
    command,
    info: info as SspRefused<N>['info'],
  };
}

/** A poll event as emitted: the old library's `name` plus cashwire's decoded fields (`channel`, `value` …). */
export type SspEventPayload<N extends EsspEventName = EsspEventName> = EventOf<N> & { readonly name: N };

/** Listener signatures of every event the class emits. */
export type SspEvents = { [N in EsspEventName]: [payload: SspEventPayload<N>] } & {
  /** The port is open; commands may be sent. */
  OPEN: [];
  /** The port was closed by close() or lost. */
  CLOSE: [];
  /** A background POLL failed (timeout, undecodable reply); polling goes on. Not in the old library. */
  POLL_ERROR: [error: Error];
};

export function eventPayload(e: EsspEvent): SspEventPayload {
  return { name: e.event, ...e };
}
