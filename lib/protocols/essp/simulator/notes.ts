/**
 * The note path of a simulated validator: a note is read (READ NOTE 0),
 * held in escrow (READ NOTE with its channel) until a poll accepts it, HOLD
 * keeps it, REJECT or the escrow timeout returns it; an accepted note is
 * credited (CREDIT NOTE) and ends in the stacker (NOTE STACKED) or the
 * payout store (NOTE STORED IN PAYOUT). Jams freeze the note where it is.
 * All time goes through the scheduler.
 */
import type { SchedulerLike, Subscription } from 'rxjs';
import type { EsspEvent } from '../events/types.js';
import { channelMoney, event, type NoteInTransit, type SimState } from './state.js';
import { REJECT, type EsspTiming } from './timing.js';

export interface NotePathOptions {
  readonly scheduler: SchedulerLike;
  readonly timing: EsspTiming;
  readonly log: (line: string) => void;
  readonly emit: (e: EsspEvent) => void;
}

export class NotePath {
  readonly state: SimState;
  readonly #scheduler: SchedulerLike;
  readonly #timing: EsspTiming;
  readonly #log: (line: string) => void;
  readonly #emit: (e: EsspEvent) => void;
  /** Timers of the note in the path (frozen by a jam, dropped by a power cycle). */
  readonly #timers = new Set<Subscription>();
  #escrowTimer: Subscription | undefined;

  constructor(state: SimState, options: NotePathOptions) {
    this.state = state;
    this.#scheduler = options.scheduler;
    this.#timing = options.timing;
    this.#log = options.log;
    this.#emit = options.emit;
  }

  after(delay: number, fn: () => void): void {
    const sub = this.#scheduler.schedule(() => {
      this.#timers.delete(sub);
      fn();
    }, delay);
    this.#timers.add(sub);
  }

  /** Stop every timer of the note path. */
  cancel(): void {
    for (const t of this.#timers) t.unsubscribe();
    this.#timers.clear();
    this.#escrowTimer?.unsubscribe();
  }

  /** A command other than POLL restarts the escrow timer. */
  commandReceived(): void {
    if (this.state.note?.phase === 'escrow') this.#armEscrow();
  }

  /** A poll: accept a note already reported in escrow; returns the note's condition event. */
  poll(): EsspEvent | undefined {
    const s = this.state;
    const note = s.note;
    if (s.jam !== undefined) return event(s.jam === 'safe' ? 'SAFE_NOTE_JAM' : 'UNSAFE_NOTE_JAM');
    if (note === undefined) return undefined;
    // Under POLL WITH ACK a unit takes no further note action until the host acknowledged (14.4).
    if (note.phase === 'escrow' && note.reported && s.unacked.length === 0) this.#accept(note);
    switch (note.phase) {
      case 'reading':
        return event('READ_NOTE', { channel: 0 });
      case 'escrow':
        note.reported = true;
        return event('READ_NOTE', { channel: note.channel });
      case 'stacking':
        return s.profile.reportsStacking ? event('NOTE_STACKING') : undefined;
      case 'rejecting':
        return event('NOTE_REJECTING');
    }
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
      this.#emit(event('NOTE_REJECTED'));
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
      this.#emit(event('CREDIT_NOTE', { channel: note.channel }));
      this.after(Math.max(0, this.#timing.stackMs - this.#timing.creditMs), () => {
        this.#finishNote(note, store);
        this.#emit(
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
    this.cancel();
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
      this.#emit(event('NOTE_STACKED'));
      return this.#next();
    }
    this.#startReject(note, REJECT.UNABLE_TO_STACK, note.phase !== 'reading');
  }

  /** A fraud attempt on the note in the path (or at the bezel): it is not credited. */
  fraud(): void {
    const s = this.state;
    const note = s.note;
    this.#emit(event('FRAUD_ATTEMPT', { channel: note?.credited === false ? note.channel : 0 }));
    this.#log('fraud attempt detected');
    if (note === undefined || note.credited) return;
    this.cancel();
    s.lastRejectCode = REJECT.FRAUD;
    s.stats.rejected++;
    s.counters.rejected++;
    this.#next();
  }

  /** What a power cycle does to the note in the path; returns the events the unit reports at power-up. */
  powerCycle(): EsspEvent[] {
    const s = this.state;
    this.cancel();
    const note = s.note;
    const out: EsspEvent[] = [];
    if (note !== undefined) {
      if (note.credited) this.#finishNote(note, false);
      else if (note.phase === 'escrow' || note.phase === 'stacking') {
        // The note had passed validation: the unit clears it into the cashbox and says so.
        this.#finishNote(note, false);
        out.push(event('NOTE_CLEARED_TO_CASHBOX', { channel: note.channel }));
      } else {
        if (note.fromEscrow === true) s.stats.returned++;
        else s.stats.rejected++;
        out.push(event('NOTE_CLEARED_FROM_FRONT', { channel: 0 }));
      }
    }
    s.note = undefined;
    s.jam = undefined;
    s.pendingInserts.length = 0;
    return out;
  }
}
