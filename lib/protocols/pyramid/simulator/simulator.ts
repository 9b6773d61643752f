/**
 * An Apex-like bill acceptor on a transport, for tests and demos without
 * hardware. It follows the acceptor side of the link:
 *
 * - a host message with a new ack bit applies D0-D2 (mask, escrow, stack /
 *   return), clears the one-shot events the previous reply delivered, and gets
 *   a fresh reply;
 * - a message repeating the ack gets the previous reply again, byte for byte,
 *   so a host that lost a reply sees the same events once more;
 * - while it draws in or stacks a note it answers nothing for a while;
 * - after power-on it answers with no state bit and the power-up flag.
 *
 *   const [host, line] = createMemoryPair();
 *   const sim = createPyramidSimulator(line, { scheduler });
 *   sim.insertBill(3);
 */
import { Subject, asyncScheduler, filter, map, type Subscription } from 'rxjs';
import { InvalidArgumentError } from '../../../core/errors.js';
import { toHex } from '../../../core/bytes.js';
import type { Transport } from '../../../transport/transport.js';
import { deframe } from '../../../operators/deframe.js';
import { encodeBarcodeReply, ExtendedSubtype } from '../extended.js';
import { decodeOmnibus, PyramidMessageType, type AckBit, type PyramidFrame } from '../framing.js';
import { PYRAMID_INTER_BYTE_GAP_MS, createPyramidParser } from '../parser.js';
import { createReplyFaults } from './faults.js';
import { encodeDeviceReply, type PyramidStatusInit } from '../status.js';
import {
  PYRAMID_SIMULATOR_TIMING,
  type PyramidSimulator,
  type PyramidSimulatorOptions,
  type PyramidSimulatorStats,
  type PyramidSimulatorPhase,
} from './types.js';

type OneShot = 'stacked' | 'returned' | 'rejected' | 'cheated' | 'invalidCommand';

/** S0 state bit per phase; power-up has none. */
const PHASE_BIT: Readonly<
  Record<PyramidSimulatorPhase, 'idling' | 'accepting' | 'escrowed' | 'stacking' | 'returning' | undefined>
> = {
  'power-up': undefined,
  idle: 'idling',
  accepting: 'accepting',
  escrowed: 'escrowed',
  stacking: 'stacking',
  returning: 'returning',
};

export function createPyramidSimulator(
  transport: Transport,
  options: PyramidSimulatorOptions = {},
): PyramidSimulator {
  const scheduler = options.scheduler ?? asyncScheduler;
  const timing = { ...PYRAMID_SIMULATOR_TIMING, ...options.timing };
  const capacity = options.stackerCapacity ?? 1000;
  const model = options.model ?? 16;
  const revision = options.revision ?? 17;
  const log = new Subject<string>();
  const stats = { inserted: 0, accepted: 0, tickets: 0, rejected: 0, returned: 0, resets: 0, replays: 0 };
  const faults = createReplyFaults();

  let phase: PyramidSimulatorPhase = 'power-up';
  let noteIndex = 0;
  /** Text of the ticket in the transport; undefined for a bill. */
  let ticket: string | undefined;
  let lastBarcode = '';
  let busyUntil = -Infinity;
  const pending = new Set<OneShot>();
  let delivered = new Set<OneShot>();
  let jammed = false;
  let cassette = true;
  let stackedSinceEmpty = 0;
  let host = { mask: 0, escrow: false, barcode: false };
  let lastAck: AckBit | undefined;
  let lastReply: Uint8Array | undefined;
  let step: Subscription | undefined;
  let watchdog: Subscription | undefined;
  let powerTimer: Subscription | undefined;

  const say = (line: string): void => log.next(line);
  const now = (): number => scheduler.now();
  const after = (ms: number, work: () => void): Subscription => scheduler.schedule(work, ms);

  const goIdle = (): void => {
    step?.unsubscribe();
    step = undefined;
    phase = 'idle';
  };

  const powerUp = (): void => {
    step?.unsubscribe();
    powerTimer?.unsubscribe();
    phase = 'power-up';
    noteIndex = 0;
    ticket = undefined;
    lastBarcode = '';
    pending.clear();
    delivered = new Set();
    lastAck = undefined;
    lastReply = undefined;
    host = { mask: 0, escrow: false, barcode: false };
    powerTimer = after(timing.powerUpMs, () => {
      if (phase === 'power-up') goIdle();
    });
  };

  const finishStack = (): void => {
    goIdle();
    pending.add('stacked');
    if (ticket === undefined) stats.accepted += 1;
    else stats.tickets += 1;
    stackedSinceEmpty += 1;
    say(ticket === undefined ? `stacked note ${noteIndex}` : `stacked ticket ${ticket}`);
  };

  const startStacking = (): void => {
    phase = 'stacking';
    busyUntil = now() + timing.busyMs;
    step = after(timing.stackMs, finishStack);
  };

  const startReturning = (why: string): void => {
    phase = 'returning';
    say(`returning (${why})`);
    step = after(timing.returnMs, () => {
      goIdle();
      pending.add('returned');
      stats.returned += 1;
      noteIndex = 0;
      ticket = undefined;
    });
  };

  const reject = (why: string): void => {
    goIdle();
    pending.add('rejected');
    stats.rejected += 1;
    noteIndex = 0;
    ticket = undefined;
    say(`rejected (${why})`);
  };

  const full = (): boolean => stackedSinceEmpty >= capacity;

  const finishRead = (index: number): void => {
    step = undefined;
    const enabled = ticket === undefined ? (host.mask & (1 << (index - 1))) !== 0 : host.barcode;
    if (!enabled) return reject(ticket === undefined ? `note ${index} disabled` : 'barcodes disabled');
    if (!cassette || full()) return reject(cassette ? 'stacker full' : 'no cashbox');
    noteIndex = index;
    if (host.escrow) {
      phase = 'escrowed';
      say(`escrowed ${ticket === undefined ? `note ${index}` : `ticket ${ticket}`}`);
    } else startStacking();
  };

  /** The outcome of the previous item (Stacked, Returned, Rejected) has not reached the host yet. */
  const outcomePending = (): boolean =>
    pending.has('stacked') || pending.has('returned') || pending.has('rejected');

  const insert = (index: number, text: string | undefined): boolean => {
    // One outcome at a time: a Stacked event and a new note in escrow would share one note-index field.
    if (phase !== 'idle' || jammed || outcomePending()) return false;
    stats.inserted += 1;
    ticket = text;
    if (text !== undefined) lastBarcode = text;
    phase = 'accepting';
    noteIndex = 0;
    busyUntil = now() + timing.busyMs;
    step = after(timing.readMs, () => finishRead(index));
    return true;
  };

  const status = (): PyramidStatusInit => {
    const bit = PHASE_BIT[phase];
    const s: { -readonly [K in keyof PyramidStatusInit]: PyramidStatusInit[K] } = {
      jammed,
      stackerFull: full(),
      cassettePresent: cassette,
      powerUp: phase === 'power-up',
      noteIndex,
      model,
      revision,
    };
    if (bit) s[bit] = true;
    for (const e of pending) s[e] = true;
    return s;
  };

  const build = (frame: PyramidFrame): Uint8Array => {
    delivered = new Set(pending);
    if (frame.messageType === PyramidMessageType.extended) {
      return encodeBarcodeReply(frame.ack, status(), lastBarcode);
    }
    // A ticket in the transport is reported through the extended barcode reply.
    if (ticket !== undefined && host.barcode && phase !== 'accepting') {
      return encodeBarcodeReply(frame.ack, status(), ticket);
    }
    return encodeDeviceReply(status(), frame.ack);
  };

  /** A host message with a new ack: act on it. */
  const apply = (frame: PyramidFrame): void => {
    for (const e of delivered) pending.delete(e);
    if (delivered.has('stacked') && phase === 'idle') {
      noteIndex = 0; // the stacked note's index goes with its event
      ticket = undefined;
    }
    delivered = new Set();
    if (frame.messageType === PyramidMessageType.hostPoll && frame.data.length === 3) {
      const o = decodeOmnibus(frame.data);
      host = { mask: o.enableMask, escrow: o.escrow, barcode: o.barcode };
      if (phase === 'escrowed' && o.stack) {
        say('stack requested');
        startStacking();
      } else if (phase === 'escrowed' && o.return) startReturning('host asked');
    } else if (!(
      frame.messageType === PyramidMessageType.extended && frame.data[0] === ExtendedSubtype.barcode
    )) {
      pending.add('invalidCommand');
    }
  };

  const send = (frame: PyramidFrame, reply: Uint8Array, replay: boolean): void => {
    const out = faults.apply({ frame, reply, replay });
    if (out === 'silent') {
      say(`reply lost: ${toHex(reply)}`);
      return;
    }
    const bytes = out;
    const write = (): void => void transport.write(bytes).subscribe({ error: () => undefined });
    if (timing.replyDelayMs > 0) after(timing.replyDelayMs, write);
    else write();
  };

  const isSoftReset = (f: PyramidFrame): boolean =>
    f.messageType === PyramidMessageType.auxiliary && f.data.length === 3 && f.data.every((b) => b === 0x7f);

  const receive = (frame: PyramidFrame): void => {
    if (now() < busyUntil) return; // busy: the frame goes unanswered and unseen
    if (isSoftReset(frame)) {
      stats.resets += 1;
      say('soft reset');
      watchdog?.unsubscribe();
      powerUp();
      busyUntil = now() + timing.resetMs;
      return;
    }
    watchdog?.unsubscribe();
    watchdog = after(timing.noPollReturnMs, () => {
      if (phase === 'escrowed') startReturning('no poll');
    });
    if (frame.ack === lastAck && lastReply !== undefined) {
      stats.replays += 1;
      send(frame, lastReply, true);
      return;
    }
    apply(frame);
    lastAck = frame.ack;
    lastReply = build(frame);
    send(frame, lastReply, false);
  };

  const input = transport.data$
    .pipe(
      deframe(createPyramidParser, { interByteGapMs: PYRAMID_INTER_BYTE_GAP_MS, scheduler }),
      filter((o) => o.type === 'frame'),
      map((o) => o.frame),
    )
    .subscribe({ next: receive, error: () => undefined });

  powerUp();

  return {
    get stats(): PyramidSimulatorStats {
      return { ...stats };
    },
    get phase() {
      return phase;
    },
    log$: log.asObservable(),
    insertBill: (index) => {
      if (!Number.isInteger(index) || index < 1 || index > 7) {
        throw new InvalidArgumentError(`Bill index must be 1..7, got ${index}.`, { index });
      }
      const ok = insert(index, undefined);
      say(ok ? `note ${index} inserted` : `note ${index} refused at the bezel (${phase})`);
      return ok;
    },
    insertBarcode: (text) => {
      if (text.length > 28 || !/^[\x20-\x7e]*$/.test(text)) {
        throw new InvalidArgumentError('Barcode must be at most 28 printable ASCII characters.', { text });
      }
      const ok = insert(0, text);
      say(ok ? `ticket ${text} inserted` : `ticket refused at the bezel (${phase})`);
      return ok;
    },
    jam: () => {
      jammed = true;
      step?.unsubscribe();
      step = undefined;
      say('jammed');
    },
    clearJam: () => {
      jammed = false;
      if (phase !== 'idle' && phase !== 'power-up') goIdle();
      noteIndex = 0;
      ticket = undefined;
      say('jam cleared');
    },
    cheat: () => {
      pending.add('cheated');
      if (phase === 'accepting') {
        goIdle();
        ticket = undefined;
      }
      say('cheat attempt');
    },
    removeCashbox: () => {
      cassette = false;
      say('cashbox removed');
    },
    replaceCashbox: () => {
      cassette = true;
      stackedSinceEmpty = 0;
      say('cashbox replaced (empty)');
    },
    powerCycle: () => {
      stats.resets += 1;
      // A note still in the path at power loss comes back out; one being stacked ends in the cashbox.
      if (phase === 'accepting' || phase === 'escrowed' || phase === 'returning') stats.returned += 1;
      if (phase === 'stacking') stats.accepted += 1;
      say('power cycle');
      powerUp();
    },
    override: (fn) => faults.override(fn),
    dropReplies: (count) => faults.dropReplies(count),
    dispose: () => {
      input.unsubscribe();
      for (const s of [step, watchdog, powerTimer]) s?.unsubscribe();
      log.complete();
    },
  };
}
