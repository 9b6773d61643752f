/**
 * The request queue's `busy$`: replays its latest value like a
 * BehaviorSubject, but a change costs nothing while nobody listens (a poller
 * reads the queue's `state` instead of listening to every request).
 */
import { Observable, Subject } from 'rxjs';

export class BusyState {
  /** The latest value busy$ has (or would have) emitted. Read-only outside this class. */
  now = false;
  /** busy$ has completed. Read-only outside this class. */
  ended = false;
  readonly #changes = new Subject<boolean>();
  #emitting = false;
  #dirty = false;
  /** Whether the queue has work now (in flight or waiting); read on every update. */
  readonly #isBusy: () => boolean;

  readonly busy$ = new Observable<boolean>((subscriber) => {
    if (this.ended) {
      subscriber.complete();
      return undefined;
    }
    // Listen first: a subscriber reacting to the replayed value may change it.
    const sub = this.#changes.subscribe(subscriber);
    if (!sub.closed) subscriber.next(this.now);
    return sub;
  });

  constructor(isBusy: () => boolean) {
    this.#isBusy = isBusy;
  }

  /**
   * Re-read the queue and emit a change. Emissions are trampolined: a
   * subscriber reacting to `false` by sending a request must not let other
   * subscribers see `false` after `true`.
   */
  update(): void {
    if (this.#emitting) {
      this.#dirty = true;
      return;
    }
    this.#emitting = true;
    try {
      do {
        this.#dirty = false;
        const now = this.#isBusy();
        if (now !== this.now) {
          this.now = now;
          if (this.#changes.observed) this.#changes.next(now);
        }
      } while (this.#dirty);
    } finally {
      this.#emitting = false;
    }
  }

  /**
   * Complete busy$ for current and future subscribers, after a last `false`
   * if it was busy. `ended` is already true when that `false` is heard, so a
   * listener can tell "idle" from "gone" (a waiting poller must not start one
   * more poll on a queue that was disposed).
   */
  end(): void {
    this.ended = true;
    if (this.now) {
      this.now = false;
      if (this.#changes.observed) this.#changes.next(false);
    }
    this.#changes.complete();
  }
}
