/**
 * Behaviours every unit shares: link control, identity, protocol level,
 * enable/inhibit, polling with or without acknowledgement, escrow control,
 * reject code and counters.
 */
import { bytes, concatBytes, fromAscii, u32le } from '../../../../core/bytes.js';
import { MAX_ENCRYPTED_DATA } from '../../crypto/packet.js';
import { encodeEvents } from '../../events/encode.js';
import type { EsspEvent } from '../../events/types.js';
import {
  cannot,
  fail,
  ok,
  outOfRange,
  STATUS,
  wrongParams,
  type CommandHandler,
  type HandlerContext,
} from './types.js';

const noArgs =
  (run: (ctx: HandlerContext) => Uint8Array): CommandHandler =>
  (ctx, args) =>
    args.length === 0 ? run(ctx) : wrongParams();

function u32be(value: number): Uint8Array {
  return bytes((value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

/**
 * NOTE STORED IN PAYOUT carries the note value only in the alternate (NV11
 * report-by-value) framing; the encoder picks the framing from the fields
 * present, so the value is dropped unless that framing was asked for.
 */
function framed(ctx: HandlerContext, e: EsspEvent): EsspEvent {
  if (e.event !== 'NOTE_STORED_IN_PAYOUT') return e;
  const alt = ctx.eventOptions.alternateFraming;
  const wanted = alt === true || (Array.isArray(alt) && alt.includes(e.event));
  return wanted ? e : { event: e.event, code: e.code };
}

/** Largest event payload of one reply: DATA holds 255 bytes, an encrypted packet 233 (both with the status byte). */
const MAX_PLAIN_EVENTS = 254;
const MAX_ENCRYPTED_EVENTS = MAX_ENCRYPTED_DATA - 1;

function pollReply(ctx: HandlerContext, withAck: boolean): Uint8Array {
  const limit = ctx.encrypted ? MAX_ENCRYPTED_EVENTS : MAX_PLAIN_EVENTS;
  const events = ctx.machine.poll(withAck, (list) => encodePoll(ctx, list).length <= limit);
  // An idle unit (nothing queued, no condition) answers OK alone, the most common reply of all.
  return events.length === 0 ? Uint8Array.of(STATUS.OK) : ok(encodePoll(ctx, events));
}

/** Event bytes of a poll reply as this unit frames them. */
function encodePoll(ctx: HandlerContext, events: readonly EsspEvent[]): Uint8Array {
  const { state } = ctx;
  return encodeEvents(
    events.map((e) => framed(ctx, e)),
    {
      protocolVersion: state.protocolVersion,
      unitType: state.profile.unitType,
      currency: state.profile.currency,
    },
    ctx.eventOptions,
  );
}

export const CORE_HANDLERS: Readonly<Record<string, CommandHandler>> = {
  // SYNC's sequence-flag reset is done by the wire layer; the command itself just answers OK.
  SYNC: noArgs(() => ok()),
  RESET: noArgs((ctx) => {
    ctx.after(() => ctx.machine.powerCycle());
    return ok();
  }),
  HOST_PROTOCOL_VERSION: (ctx, args) => {
    if (args.length !== 1) return wrongParams();
    const version = args[0]!;
    if (!ctx.profile.protocolVersions.includes(version)) return fail(STATUS.FAIL);
    ctx.state.protocolVersion = version;
    ctx.log(`protocol version ${version}`);
    return ok();
  },
  POLL: noArgs((ctx) => pollReply(ctx, false)),
  POLL_WITH_ACK: noArgs((ctx) => pollReply(ctx, true)),
  EVENT_ACK: noArgs((ctx) => (ctx.machine.eventAck() ? ok() : cannot())),
  ENABLE: noArgs((ctx) => {
    if (!ctx.state.enabled) ctx.log('enabled');
    ctx.state.enabled = true;
    return ok();
  }),
  DISABLE: noArgs((ctx) => {
    if (ctx.state.enabled) ctx.log('disabled');
    ctx.state.enabled = false;
    return ok();
  }),
  SET_CHANNEL_INHIBITS: (ctx, args) => {
    if (args.length < 1 || args.length > 3) return wrongParams();
    let mask = 0;
    args.forEach((b, i) => (mask |= b << (8 * i)));
    ctx.state.inhibits = mask >>> 0;
    return ok();
  },
  DISPLAY_ON: noArgs((ctx) => {
    ctx.state.displayOn = true;
    return ok();
  }),
  DISPLAY_OFF: noArgs((ctx) => {
    ctx.state.displayOn = false;
    return ok();
  }),
  GET_SERIAL_NUMBER: (ctx, args) => {
    if (args.length > 1) return wrongParams();
    const module = args[0] ?? 0;
    if (module === 0) return ok(u32be(ctx.profile.serialNumber));
    const serial = ctx.profile.moduleSerials[module];
    return serial === undefined ? outOfRange() : ok(u32be(serial));
  },
  GET_FIRMWARE_VERSION: noArgs((ctx) => ok(fromAscii(ctx.profile.firmwareVersion))),
  GET_DATASET_VERSION: noArgs((ctx) => ok(fromAscii(ctx.profile.datasetVersion))),
  LAST_REJECT_CODE: noArgs((ctx) => ok([ctx.state.lastRejectCode])),
  HOLD: noArgs((ctx) => (ctx.machine.notes.hold() ? ok() : cannot())),
  REJECT_BANKNOTE: noArgs((ctx) => (ctx.machine.notes.rejectEscrow() ? ok() : cannot())),
  GET_COUNTERS: noArgs(({ state: { counters: c } }) =>
    ok(concatBytes(bytes(5), ...[c.stacked, c.stored, c.dispensed, c.transferred, c.rejected].map(u32le))),
  ),
  RESET_COUNTERS: noArgs(({ state: { counters } }) => {
    counters.stacked = counters.stored = counters.dispensed = counters.transferred = counters.rejected = 0;
    return ok();
  }),
};
