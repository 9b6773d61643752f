/**
 * The request queue's reply deadlines.
 *
 * All deadlines share one scheduled check instead of a timer set and cleared
 * per attempt: a poll is answered long before its deadline, and setting and
 * clearing a timer is one of the costliest steps of a poll when the process
 * runs cold. The queue's check re-arms the clock when it comes early, so an
 * attempt still times out exactly at its deadline; a check that finds nothing
 * waiting just ends (so it outlives the last request by at most one timeout).
 * The queue cancels it when it is disposed.
 */
import type { SchedulerLike, Subscription } from 'rxjs';

export class DeadlineClock {
  #scheduled: Subscription | undefined = undefined;
  #due = 0;
  readonly #scheduler: SchedulerLike;
  readonly #check: () => void;
  /** Marks the clock unarmed before the check runs, so the check may arm it again. */
  readonly #fire = (): void => {
    this.#scheduled = undefined;
    this.#check();
  };

  constructor(scheduler: SchedulerLike, check: () => void) {
    this.#scheduler = scheduler;
    this.#check = check;
  }

  /** Make sure the check runs no later than `due` (scheduler time); an earlier check already armed stays. */
  arm(due: number): void {
    if (this.#scheduled !== undefined && this.#due <= due) return;
    this.#scheduled?.unsubscribe();
    this.#due = due;
    this.#scheduled = this.#scheduler.schedule(this.#fire, Math.max(0, due - this.#scheduler.now()));
  }

  cancel(): void {
    const scheduled = this.#scheduled;
    this.#scheduled = undefined;
    scheduled?.unsubscribe();
  }
}
