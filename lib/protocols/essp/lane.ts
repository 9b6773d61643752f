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

interface Turn {
  state: 'waiting' | 'running' | 'done';
  readonly start: () => void;
}

export function createLane(): Lane {
  let busy = false;
  const queue: Turn[] = [];

  const next = (): void => {
    const turn = queue.shift();
    if (turn === undefined) {
      busy = false;
      return;
    }
    turn.state = 'running';
    turn.start();
  };

  const release = (turn: Turn): void => {
    const was = turn.state;
    turn.state = 'done';
    if (was === 'waiting') {
      const i = queue.indexOf(turn);
      if (i >= 0) queue.splice(i, 1);
    } else if (was === 'running') next();
  };

  return {
    acquire(start) {
      const turn: Turn = { state: 'waiting', start };
      if (busy) queue.push(turn);
      else {
        busy = true;
        turn.state = 'running';
        start();
      }
      return () => release(turn);
    },
    get waiting() {
      return queue.length;
    },
  };
}
