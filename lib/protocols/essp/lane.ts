/**
 * A one-at-a-time gate for the commands of one eSSP address.
 *
 * The bytes of an eSSP command can only be built when the previous command
 * to the same address has been answered: its sequence flag depends on that
 * answer, and so does its encryption count. The shared request queue wants
 * finished bytes, so each session lets at most one command into the queue at
 * a time and keeps the rest here, in order.
 */

/** Work that waits in a lane: `start` runs when its turn comes. */
export interface LaneTurn {
  start(): void;
}

export interface Lane<T extends LaneTurn = LaneTurn> {
  /** Run `turn.start()` when the lane is free (now, if it is). */
  acquire(turn: T): void;
  /**
   * Call exactly when the work is over or abandoned: frees the lane if it
   * ran, removes it if it never started. Calling it again does nothing.
   */
  release(turn: T): void;
  /** Every turn not released yet, in order: the one running, then those waiting. A copy. */
  turns(): T[];
  /** Commands waiting (not counting the one running). */
  readonly waiting: number;
}

/**
 * The turns are the callers' own objects, compared by identity: a lane makes
 * no record and no closure per command (a poll passes through here several
 * times a second for the life of a device).
 */
export function createLane<T extends LaneTurn>(): Lane<T> {
  let running: T | undefined;
  const queue: T[] = [];

  return {
    acquire(turn) {
      if (running !== undefined) queue.push(turn);
      else {
        running = turn;
        turn.start();
      }
    },
    release(turn) {
      if (turn === running) {
        // The next turn, if any, starts now.
        const next = queue.shift();
        running = next;
        next?.start();
      } else {
        const i = queue.indexOf(turn);
        if (i >= 0) queue.splice(i, 1);
      }
    },
    turns() {
      return running === undefined ? queue.slice() : [running, ...queue];
    },
    get waiting() {
      return queue.length;
    },
  };
}
