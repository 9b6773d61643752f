/**
 * A one-at-a-time gate for the commands of one eSSP address.
 *
 * The bytes of an eSSP command can only be built when the previous command
 * to the same address has been answered: its sequence flag depends on that
 * answer, and so does its encryption count. The shared request queue wants
 * finished bytes, so each session lets at most one command into the queue at
 * a time and keeps the rest here, in order.
 */
export interface Lane {
  /**
   * Run `start` when the lane is free (now, if it is). Call the returned
   * function exactly when the work is over or abandoned: it frees the lane,
   * or removes the work if it never started.
   */
  acquire(start: () => void): () => void;
  /** Commands waiting (not counting the one running). */
  readonly waiting: number;
}

export function createLane(): Lane {
  let busy = false;
  const queue: (() => void)[] = [];

  const next = (): void => {
    const start = queue.shift();
    if (start === undefined) {
      busy = false;
      return;
    }
    start();
  };

  return {
    acquire(start) {
      let state: 'waiting' | 'running' | 'done' = 'waiting';
      const go = (): void => {
        state = 'running';
        start();
      };
      if (busy) queue.push(go);
      else {
        busy = true;
        go();
      }
      return () => {
        const was = state;
        state = 'done';
        if (was === 'waiting') {
          const i = queue.indexOf(go);
          if (i >= 0) queue.splice(i, 1);
        } else if (was === 'running') next();
      };
    },
    get waiting() {
      return queue.length;
    },
  };
}
