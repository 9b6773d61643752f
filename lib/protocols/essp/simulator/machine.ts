/**
 * The note and payout state machine of a simulated unit. All time goes
 * through the injected RxJS scheduler, so a TestScheduler or a virtual-time
 * scheduler drives the whole cycle deterministically.
 *
 * Events are reported the way a unit does: one-shot events (CREDIT NOTE,
 * NOTE STACKED, ...) are queued and drained by the next POLL; conditions
 * (READ NOTE while a note is read or held, NOTE STACKING, NOTE REJECTING,
 * DISPENSING, jams, CASHBOX REMOVED, DISABLED) are reported by every poll
 * while they last. One poll reply = queued events, then current conditions.
 */
import type { SchedulerLike, Subscription } from 'rxjs';
import { EVENTS_BY_NAME } from '../events/table.js';
import { EVENT_CODES, type EsspEvent, type EsspEventName } from '../events/types.js';
import { channelMoney, type NoteInTransit, type PayoutJob, type SimState } from './state.js';

export interface EsspTiming {
  /** From insertion to READ NOTE with the channel (note in escrow). */
  readonly readMs: number;
  /** From acceptance to CREDIT NOTE. */
  readonly creditMs: number;
  /** From acceptance to NOTE STACKED / NOTE STORED IN PAYOUT. */
  readonly stackMs: number;
  /** NOTE REJECTING lasts this long before NOTE REJECTED. */
  readonly rejectMs: number;
  /** Escrow held without any command this long → returned with reject code 0x13 (GA138: ~10 s). */
  readonly escrowTimeoutMs: number;
  /** Time per note moved by a payout, float or empty. */
  readonly noteItemMs: number;
  /** Time per coin moved by a hopper. */
  readonly coinItemMs: number;
}

export const DEFAULT_TIMING: EsspTiming = {
  readMs: 400,
  creditMs: 300,
  stackMs: 1000,
  rejectMs: 800,
  escrowTimeoutMs: 10_000,
  noteItemMs: 600,
  coinItemMs: 100,
};

/** Reject codes (fact sheet §15) the machine sets itself. */
export const REJECT = {
  HOST: 0x08,
  INHIBITED: 0x0c,
  FRAUD: 0x0e,
  ESCROW_TIMEOUT: 0x13,
  UNABLE_TO_STACK: 0x1d,
} as const;

export interface MachineOptions {
  readonly scheduler: SchedulerLike;
  readonly timing: EsspTiming;
  readonly log: (line: string) => void;
  /** Called at the end of every power cycle (the link forgets its flag and cached reply). */
  readonly onPowerCycle?: () => void;
}

/** Build an event object; fields depend on the event (see events/types.ts). */
export function event(name: EsspEventName, fields: Record<string, unknown> = {}): EsspEvent {
  return { event: name, code: EVENT_CODES[name], ...fields } as EsspEvent;
}

const amounts = (state: SimState, value: number) => ({
  amounts: [{ amount: value, currency: state.profile.currency }],
});

const JOB_EVENTS: Readonly<Record<PayoutJob['kind'], readonly [EsspEventName, EsspEventName, boolean]>> = {
  payout: ['DISPENSING', 'DISPENSED', true],
  'note-payout': ['DISPENSING', 'DISPENSED', true],
  float: ['FLOATING', 'FLOATED', true],
  empty: ['EMPTYING', 'EMPTIED', false],
  'smart-empty': ['SMART_EMPTYING', 'SMART_EMPTIED', true],
};

export class EsspMachine {
  readonly state: SimState;
  readonly #scheduler: SchedulerLike;
  readonly #timing: EsspTiming;
  readonly #log: (line: string) => void;
  readonly #onPowerCycle: (() => void) | undefined;
  /** Timers of the note path (frozen by a jam) and of payout jobs; a power cycle cancels both. */
  #timers = { note: new Set<Subscription>(), job: new Set<Subscription>() };
  #watchdog: Subscription | undefined;
  #escrowTimer: Subscription | undefined;

  constructor(state: SimState, options: MachineOptions) {
    this.state = state;
    this.#scheduler = options.scheduler;
    this.#timing = options.timing;
    this.#log = options.log;
    this.#onPowerCycle = options.onPowerCycle;
  }

  get timing(): EsspTiming {
    return this.#timing;
  }

  log(line: string): void {
    this.#log(line);
  }

  emit(e: EsspEvent): void {
    this.state.queue.push(e);
  }

  after(delay: number, fn: () => void, group: 'note' | 'job' = 'note'): void {
    const set = this.#timers[group];
    const sub = this.#scheduler.schedule(() => {
      set.delete(sub);
      fn();
    }, delay);
    set.add(sub);
  }

  #cancel(group: 'note' | 'job'): void {
    for (const t of this.#timers[group]) t.unsubscribe();
    this.#timers[group].clear();
  }

  // ------------------------------------------------------------------ commands

  /** Any command addressed to the unit: restarts the watchdog, and (not for polls) the escrow timer. */
  commandReceived(isPoll: boolean): void {
    this.#watchdog?.unsubscribe();
    this.#watchdog = this.#scheduler.schedule(() => {
      this.#watchdog = undefined;
      if (!this.state.enabled) return;
      this.state.enabled = false;
      this.#log(`no command for ${this.state.profile.watchdogMs} ms: disabled itself`);
    }, this.state.profile.watchdogMs);
    if (!isPoll && this.state.note?.phase === 'escrow') this.#armEscrow();
  }

  /** The events of one poll reply; `withAck` keeps ack-type events until EVENT ACK. */
  poll(withAck: boolean): EsspEvent[] {
    const s = this.state;
    const note = s.note;
    if (note?.phase === 'escrow' && note.reported && s.jam === undefined) this.#accept(note);
    const fresh = s.queue;
    s.queue = [];
    const events = [...s.unacked, ...fresh];
    s.unacked = withAck ? events.filter((e) => EVENTS_BY_NAME.get(e.event)?.needsAck === true) : [];
    events.push(...this.#conditions());
    if (s.note?.phase === 'escrow' && s.jam === undefined) s.note.reported = true;
    return events;
  }

  /** EVENT ACK: false when nothing waits for an acknowledgement. */
  eventAck(): boolean {
    if (this.state.unacked.length === 0) return false;
    this.state.unacked = [];
    return true;
  }

  hold(): boolean {
    const note = this.state.note;
    if (note?.phase !== 'escrow') return false;
    // The next poll reports the note again instead of accepting it.
    note.reported = false;
    return true;
  }

  rejectEscrow(): boolean {
    const note = this.state.note;
    if (note?.phase !== 'escrow') return false;
    this.#log(`host rejected the note on channel ${note.channel}`);
    this.#startReject(note, REJECT.HOST, true);
    return true;
  }

  // ------------------------------------------------------------------ note path

  /** Put a note into the bezel. False when the unit cannot take it now. */
  insert(channel: number, rejectCode?: number): boolean {
    const s = this.state;
    if (!s.enabled || s.stackerFull || !s.cashboxPresent || s.jam !== undefined) {
      this.#log(`note on channel ${channel} not taken: unit ${s.enabled ? 'unable to accept' : 'disabled'}`);
      return false;
    }
    const forced = rejectCode ?? s.forcedRejects.shift();
    if (s.note !== undefined) {
      s.pendingInserts.push(forced === undefined ? { channel } : { channel, rejectCode: forced });
      return true;
    }
    this.#read(channel, forced);
    return true;
  }

  #read(channel: number, rejectCode: number | undefined): void {
    const s = this.state;
    s.stats.inserted++;
    const note: NoteInTransit = { phase: 'reading', channel, credited: false, reported: false };
    if (rejectCode !== undefined) note.rejectCode = rejectCode;
    s.note = note;
    this.#log(`reading a note (channel ${channel})`);
    this.after(this.#timing.readMs, () => {
      const valid = channel >= 1 && channel <= s.profile.channels.length;
      const inhibited = valid && (s.inhibits & (1 << (channel - 1))) === 0;
      const code = note.rejectCode ?? (!valid ? 0x02 : inhibited ? REJECT.INHIBITED : undefined);
      if (code !== undefined) return this.#startReject(note, code, false);
      note.phase = 'escrow';
      this.#log(`note on channel ${channel} held in escrow`);
      this.#armEscrow();
    });
  }

  #armEscrow(): void {
    this.#escrowTimer?.unsubscribe();
    this.#escrowTimer = this.#scheduler.schedule(() => {
      this.#escrowTimer = undefined;
      const note = this.state.note;
      if (note?.phase !== 'escrow') return;
      this.#log(`escrow timeout: returning the note on channel ${note.channel}`);
      this.#startReject(note, REJECT.ESCROW_TIMEOUT, true);
    }, this.#timing.escrowTimeoutMs);
  }

  #startReject(note: NoteInTransit, code: number, fromEscrow: boolean): void {
    this.#escrowTimer?.unsubscribe();
    note.phase = 'rejecting';
    note.fromEscrow = fromEscrow;
    this.after(this.#timing.rejectMs, () => {
      const s = this.state;
      s.lastRejectCode = code;
      if (fromEscrow) s.stats.returned++;
      else s.stats.rejected++;
      s.counters.rejected++;
      this.emit(event('NOTE_REJECTED'));
      this.#log(`note returned to the customer (reject code 0x${code.toString(16).padStart(2, '0')})`);
      this.#next();
    });
  }

  #accept(note: NoteInTransit): void {
    const s = this.state;
    this.#escrowTimer?.unsubscribe();
    note.phase = 'stacking';
    const index = note.channel - 1;
    const spec = s.profile.payout;
    const store =
      spec !== undefined &&
      spec.kind !== 'hopper' &&
      s.payoutEnabled &&
      s.routes[index] !== 1 &&
      s.levels.reduce((a, b) => a + b, 0) < spec.capacity;
    this.#log(`note on channel ${note.channel} accepted`);
    this.after(this.#timing.creditMs, () => {
      note.credited = true;
      this.emit(event('CREDIT_NOTE', { channel: note.channel }));
      this.after(Math.max(0, this.#timing.stackMs - this.#timing.creditMs), () => {
        this.#finishNote(note, store);
        this.emit(
          store
            ? event('NOTE_STORED_IN_PAYOUT', { value: channelMoney(s, note.channel) })
            : event('NOTE_STACKED'),
        );
        this.#next();
      });
    });
  }

  /** Count a credited note where it ended up. */
  #finishNote(note: NoteInTransit, store: boolean): void {
    const s = this.state;
    const value = channelMoney(s, note.channel).amount;
    s.stats.creditedValue += value;
    if (store) {
      s.levels[note.channel - 1]!++;
      if (s.profile.payout?.kind === 'note-float') s.floatNotes.push(note.channel - 1);
      s.stats.stored++;
      s.counters.stored++;
    } else {
      s.stats.accepted++;
      s.counters.stacked++;
    }
    this.#log(`note on channel ${note.channel} ${store ? 'stored for payout' : 'stacked'}`);
  }

  #next(): void {
    const s = this.state;
    s.note = undefined;
    const pending = s.pendingInserts.shift();
    if (pending !== undefined) this.#read(pending.channel, pending.rejectCode);
  }

  // ------------------------------------------------------------------ faults

  /** A note jams in the path (a note in transit freezes where it is). */
  jam(safe: boolean): void {
    this.state.jam = safe ? 'safe' : 'unsafe';
    this.#cancel('note');
    this.#escrowTimer?.unsubscribe();
    this.#log(`${safe ? 'safe' : 'unsafe'} note jam`);
  }

  /** The jam is cleared: a credited note ends in the stacker, any other goes back to the customer. */
  clearJam(): void {
    const s = this.state;
    if (s.jam === undefined) return;
    s.jam = undefined;
    const note = s.note;
    this.#log('jam cleared');
    if (note === undefined) return;
    if (note.credited) {
      this.#finishNote(note, false);
      this.emit(event('NOTE_STACKED'));
      return this.#next();
    }
    this.#startReject(note, REJECT.UNABLE_TO_STACK, note.phase !== 'reading');
  }

  /** A fraud attempt on the note in the path (or at the bezel): it is not credited. */
  fraud(): void {
    const s = this.state;
    const note = s.note;
    if (s.profile.family === 'hopper') {
      this.emit(event('FRAUD_ATTEMPT', amounts(s, s.job?.moved ?? 0)));
      if (s.job !== undefined) this.halt();
      return;
    }
    this.emit(event('FRAUD_ATTEMPT', { channel: note?.credited === false ? note.channel : 0 }));
    this.#log('fraud attempt detected');
    if (note === undefined || note.credited) return;
    this.#cancel('note');
    this.#escrowTimer?.unsubscribe();
    s.lastRejectCode = REJECT.FRAUD;
    s.stats.rejected++;
    s.counters.rejected++;
    this.#next();
  }

  // ------------------------------------------------------------------ conditions

  #conditions(): EsspEvent[] {
    const s = this.state;
    const out: EsspEvent[] = [];
    const note = s.note;
    if (s.jam !== undefined) {
      out.push(event(s.jam === 'safe' ? 'SAFE_NOTE_JAM' : 'UNSAFE_NOTE_JAM'));
    } else if (note !== undefined) {
      if (note.phase === 'reading') out.push(event('READ_NOTE', { channel: 0 }));
      if (note.phase === 'escrow') out.push(event('READ_NOTE', { channel: note.channel }));
      if (note.phase === 'stacking' && s.profile.reportsStacking) out.push(event('NOTE_STACKING'));
      if (note.phase === 'rejecting') out.push(event('NOTE_REJECTING'));
    }
    const job = s.job;
    if (job !== undefined) {
      const [running, , valued] = JOB_EVENTS[job.kind];
      out.push(event(running, valued ? amounts(s, job.moved) : {}));
    }
    if (!s.cashboxPresent) out.push(event('CASHBOX_REMOVED'));
    if (!s.enabled) out.push(event('DISABLED'));
    return out;
  }

  // ------------------------------------------------------------------ payouts

  /** Start moving items; the caller checked levels and state. */
  startJob(job: PayoutJob): void {
    const s = this.state;
    s.job = job;
    if (job.kind === 'float' || job.kind === 'smart-empty') s.lastCashboxOperation.fill(0);
    const itemMs = s.profile.payout?.kind === 'hopper' ? this.#timing.coinItemMs : this.#timing.noteItemMs;
    this.#log(`${job.kind} started: ${job.items.length} item(s), ${job.requested} requested`);
    const step = (): void => {
      if (s.job !== job) return;
      const i = job.items.shift();
      if (i === undefined) return this.#endJob(job);
      const value = s.profile.channels[i] ?? 0;
      s.levels[i] = Math.max(0, s.levels[i]! - 1);
      job.moved += value;
      if (job.kind === 'payout' || job.kind === 'note-payout') {
        s.stats.paidOut += value;
        s.counters.dispensed++;
      } else {
        s.lastCashboxOperation[i]!++;
      }
      this.after(itemMs, step, 'job');
    };
    this.after(itemMs, step, 'job');
  }

  #endJob(job: PayoutJob): void {
    const s = this.state;
    s.job = undefined;
    const [, done, valued] = JOB_EVENTS[job.kind];
    this.emit(event(done, valued ? amounts(s, job.moved) : {}));
    this.#log(`${job.kind} finished: ${job.moved} moved`);
  }

  /** HALT PAYOUT: false when nothing is being paid. */
  halt(): boolean {
    const job = this.state.job;
    if (job === undefined) return false;
    this.state.job = undefined;
    this.emit(event('HALTED', amounts(this.state, job.moved)));
    this.#log(`${job.kind} halted after ${job.moved}`);
    return true;
  }

  // ------------------------------------------------------------------ power

  /** Drop everything volatile; what a unit reports at power-up follows in the queue. */
  powerCycle(): void {
    const s = this.state;
    this.#cancel('note');
    this.#cancel('job');
    this.#escrowTimer?.unsubscribe();
    this.#watchdog?.unsubscribe();
    s.stats.resets++;
    const queue: EsspEvent[] = [event('SLAVE_RESET')];
    const note = s.note;
    if (note !== undefined) {
      if (note.credited) this.#finishNote(note, false);
      else if (note.phase === 'escrow' || note.phase === 'stacking') {
        // The note had passed validation: the unit clears it into the cashbox and says so.
        this.#finishNote(note, false);
        queue.push(event('NOTE_CLEARED_TO_CASHBOX', { channel: note.channel }));
      } else {
        if (note.fromEscrow === true) s.stats.returned++;
        else s.stats.rejected++;
        queue.push(event('NOTE_CLEARED_FROM_FRONT', { channel: 0 }));
      }
    }
    const job = s.job;
    if (job?.kind === 'payout' || job?.kind === 'float') {
      const pair = {
        completed: { amount: job.moved, currency: s.profile.currency },
        requested: { amount: job.requested, currency: s.profile.currency },
      };
      queue.push(
        event(job.kind === 'payout' ? 'INCOMPLETE_PAYOUT' : 'INCOMPLETE_FLOAT', { amounts: [pair] }),
      );
    }
    s.note = undefined;
    s.job = undefined;
    s.jam = undefined;
    s.pendingInserts.length = 0;
    s.queue = queue;
    s.unacked = [];
    s.enabled = false;
    s.inhibits = 0;
    s.payoutEnabled = false;
    s.protocolVersion = s.profile.defaultProtocolVersion;
    s.keys.session?.dispose();
    delete s.keys.session;
    delete s.keys.generator;
    delete s.keys.modulus;
    this.#onPowerCycle?.();
    this.#log('power cycle: unit restarted');
  }

  dispose(): void {
    this.#cancel('note');
    this.#cancel('job');
    this.#escrowTimer?.unsubscribe();
    this.#watchdog?.unsubscribe();
    this.state.keys.session?.dispose();
  }
}
