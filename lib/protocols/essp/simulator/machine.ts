/**
 * The state machine of a simulated unit: the note path, payout jobs, the
 * command watchdog and power cycles. All time goes through the injected RxJS
 * scheduler, so a TestScheduler or a virtual-time scheduler drives the whole
 * cycle deterministically.
 *
 * Events are reported the way a unit does: one-shot events (CREDIT NOTE,
 * NOTE STACKED, ...) are queued and drained by the next POLL; conditions
 * (READ NOTE while a note is read or held, NOTE STACKING, NOTE REJECTING,
 * jams, DISPENSING, CASHBOX REMOVED, DISABLED) are reported by every poll
 * while they last. One poll reply = queued events, then current conditions.
 */
import type { SchedulerLike, Subscription } from 'rxjs';
import { EVENTS_BY_NAME } from '../events/table.js';
import type { EsspEvent } from '../events/types.js';
import { haltJob, interruptedJob, jobCondition, startJob, type JobHost } from './jobs.js';
import { NotePath } from './notes.js';
import { amountsOf, event, type PayoutJob, type SimState } from './state.js';
import type { EsspTiming } from './timing.js';

export { DEFAULT_TIMING, REJECT, type EsspTiming } from './timing.js';

export interface MachineOptions {
  readonly scheduler: SchedulerLike;
  readonly timing: EsspTiming;
  readonly log: (line: string) => void;
  /** Called at the end of every power cycle (the link forgets its flag and cached reply). */
  readonly onPowerCycle?: () => void;
}

export class EsspMachine {
  readonly state: SimState;
  readonly notes: NotePath;
  readonly #scheduler: SchedulerLike;
  readonly #timing: EsspTiming;
  readonly #log: (line: string) => void;
  readonly #onPowerCycle: (() => void) | undefined;
  /** Timers of payout jobs. */
  readonly #jobTimers = new Set<Subscription>();
  /** Pending watchdog timer; undefined once it fired or was stopped. */
  #watchdog: Subscription | undefined;
  /** The pending watchdog timer was set by the timer itself, not at a command. */
  #watchdogRearmed = false;
  /** Scheduler time of the last command addressed to the unit. */
  #lastCommand = 0;

  constructor(state: SimState, options: MachineOptions) {
    this.state = state;
    this.#scheduler = options.scheduler;
    this.#timing = options.timing;
    this.#log = options.log;
    this.#onPowerCycle = options.onPowerCycle;
    this.notes = new NotePath(state, { ...options, emit: (e) => this.emit(e) });
  }

  get timing(): EsspTiming {
    return this.#timing;
  }

  emit(e: EsspEvent): void {
    this.state.queue.push(e);
  }

  // ------------------------------------------------------------------ commands

  /**
   * Any command addressed to the unit: restarts the watchdog, and (not for
   * polls) the escrow timer. A poll to an idle unit only notes the time: the
   * pending watchdog timer, when it fires, re-arms itself for what is left,
   * so a host polling five times a second costs one timer per watchdog
   * period instead of one per poll. While a note or a payout is in motion
   * its timers may fall due at the very instant the watchdog does; re-arming
   * at every command then keeps the watchdog ahead of the timers set after it.
   */
  commandReceived(isPoll: boolean): void {
    const s = this.state;
    this.#lastCommand = this.#scheduler.now();
    const idle = s.note === undefined && s.job === undefined;
    if (isPoll && idle && this.#watchdog !== undefined) return;
    this.#watchdog?.unsubscribe();
    this.#armWatchdog(s.profile.watchdogMs, false);
    if (!isPoll) this.notes.commandReceived();
  }

  /**
   * Bytes arrive from the line. A watchdog timer that re-armed itself was set
   * later than one set at the last command: if its deadline is this very
   * instant, it fires now, ahead of what the line brings, as the timer set at
   * the last command would have.
   */
  lineActivity(): void {
    if (this.#watchdog === undefined || !this.#watchdogRearmed) return;
    if (this.#scheduler.now() - this.#lastCommand < this.state.profile.watchdogMs) return;
    this.#watchdog.unsubscribe();
    this.#watchdog = undefined;
    this.#watchdogExpired();
  }

  #armWatchdog(delay: number, rearmed: boolean): void {
    this.#watchdogRearmed = rearmed;
    this.#watchdog = this.#scheduler.schedule(() => {
      this.#watchdog = undefined;
      const left = this.#lastCommand + this.state.profile.watchdogMs - this.#scheduler.now();
      if (left > 0) this.#armWatchdog(left, true);
      else this.#watchdogExpired();
    }, delay);
  }

  #watchdogExpired(): void {
    if (!this.state.enabled) return;
    this.state.enabled = false;
    this.#log(`no command for ${this.state.profile.watchdogMs} ms: disabled itself`);
  }

  /**
   * The events of one poll reply; `withAck` keeps ack-type events until
   * EVENT ACK. `fits` says whether a list still fits one reply: queued events
   * that do not fit stay queued for the next poll, as a unit's event buffer would.
   */
  poll(withAck: boolean, fits: (events: readonly EsspEvent[]) => boolean = () => true): EsspEvent[] {
    const s = this.state;
    const conditions: EsspEvent[] = [];
    const note = this.notes.poll();
    if (note !== undefined) conditions.push(note);
    const running = jobCondition(s);
    if (running !== undefined) conditions.push(running);
    if (!s.cashboxPresent) conditions.push(event('CASHBOX_REMOVED'));
    if (!s.enabled) conditions.push(event('DISABLED'));
    // Most polls find nothing queued: the reply is the current conditions alone.
    if (s.unacked.length === 0 && s.queue.length === 0) return conditions;
    const pending = [...s.unacked, ...s.queue];
    let n = pending.length;
    while (n > 0 && !fits([...pending.slice(0, n), ...conditions])) n--;
    const sent = pending.slice(0, n);
    const unackedLeft = s.unacked.slice(Math.min(n, s.unacked.length));
    s.queue = s.queue.slice(Math.max(0, n - s.unacked.length));
    const needsAck = (e: EsspEvent): boolean => EVENTS_BY_NAME.get(e.event)?.needsAck === true;
    s.unacked = [...(withAck ? sent.filter(needsAck) : []), ...unackedLeft];
    return [...sent, ...conditions];
  }

  /** EVENT ACK: false when nothing waits for an acknowledgement. */
  eventAck(): boolean {
    if (this.state.unacked.length === 0) return false;
    this.state.unacked = [];
    return true;
  }

  // ------------------------------------------------------------------ faults

  /** Hoppers report the value paid so far and stop; validators lose the note in the path. */
  fraud(): void {
    const s = this.state;
    if (s.profile.family !== 'hopper') return this.notes.fraud();
    this.emit(event('FRAUD_ATTEMPT', amountsOf(s, s.job?.moved ?? 0)));
    this.#log('fraud attempt detected');
    if (s.job !== undefined) this.halt();
  }

  // ------------------------------------------------------------------ payouts

  #jobHost(): JobHost {
    const { payout } = this.state.profile;
    return {
      state: this.state,
      after: (delay, fn) => {
        const sub = this.#scheduler.schedule(() => {
          this.#jobTimers.delete(sub);
          fn();
        }, delay);
        this.#jobTimers.add(sub);
      },
      emit: (e) => this.emit(e),
      log: this.#log,
      itemMs: payout?.kind === 'hopper' ? this.#timing.coinItemMs : this.#timing.noteItemMs,
    };
  }

  /** Run `fn` after `delay` ms (a job timer: cancelled by a power cycle, not by a jam). */
  after(delay: number, fn: () => void): void {
    this.#jobHost().after(delay, fn);
  }

  startJob(job: PayoutJob): void {
    startJob(this.#jobHost(), job);
  }

  /** HALT PAYOUT: false when nothing is being paid. */
  halt(): boolean {
    return haltJob(this.#jobHost());
  }

  // ------------------------------------------------------------------ power

  #stopTimers(): void {
    this.notes.cancel();
    for (const t of this.#jobTimers) t.unsubscribe();
    this.#jobTimers.clear();
    this.#watchdog?.unsubscribe();
    this.#watchdog = undefined;
  }

  /** Drop everything volatile; what a unit reports at power-up follows in the queue. */
  powerCycle(): void {
    const s = this.state;
    this.#stopTimers();
    s.stats.resets++;
    // Credits the host has not polled yet would vanish with the volatile event
    // queue; the unit sees those notes in the cashbox at power-up and reports
    // them as cleared into it, so no accepted note goes unreported.
    const unreported = s.queue.flatMap((e) =>
      e.event === 'CREDIT_NOTE' && e.channel > 0
        ? [event('NOTE_CLEARED_TO_CASHBOX', { channel: e.channel })]
        : [],
    );
    const queue: EsspEvent[] = [event('SLAVE_RESET'), ...unreported, ...this.notes.powerCycle()];
    const interrupted = interruptedJob(s);
    if (interrupted !== undefined) queue.push(interrupted);
    s.job = undefined;
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
    this.#stopTimers();
    this.state.keys.session?.dispose();
  }
}
