/**
 * Line commands typed on standard input (simulators, monitors): the reading
 * loop and the dispatch of one line against a table of commands, shared by
 * every protocol's runner.
 */
import type { Observable, Subscription } from 'rxjs';
import type { CliIo } from './io.js';

export interface LineCommand<S> {
  /** One help line: the command, its arguments, what it does. */
  readonly usage: string;
  readonly run: (target: S, args: string, io: CliIo) => void;
}

export type LineCommands<S> = Readonly<Record<string, LineCommand<S>>>;

/** Feed stdin lines to `handle` until it returns false, stdin ends, or `stop$` completes. */
export function eachLine(
  io: CliIo,
  handle: (line: string) => boolean,
  stop$?: Observable<unknown>,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let sub: Subscription | undefined = undefined;
    let stopSub: Subscription | undefined = undefined;
    let done = false;
    const finish = (): void => {
      done = true;
      sub?.unsubscribe();
      stopSub?.unsubscribe();
      resolve();
    };
    stopSub = stop$?.subscribe({ complete: finish, error: finish });
    sub = io.stdinLines$.subscribe({
      next: (line) => {
        if (!done && !handle(line)) finish();
      },
      error: (e: unknown) => reject(e instanceof Error ? e : new Error(String(e))),
      complete: finish,
    });
    if (done) sub.unsubscribe();
  });
}

/**
 * Run one typed line against `table`. An unknown name, or a command that
 * throws, becomes one line on stderr: a typo never ends a simulator.
 */
export function runLineCommand<S>(table: LineCommands<S>, target: S, line: string, io: CliIo): void {
  const [name = '', ...rest] = line.trim().split(/\s+/);
  if (name === '') return;
  const cmd = table[name];
  if (!cmd) {
    io.err(`unknown command '${name}'; type 'help'`);
    return;
  }
  try {
    cmd.run(target, rest.join(' '), io);
  } catch (e) {
    io.err(e instanceof Error ? e.message : String(e));
  }
}

/** A `help` entry listing every usage line of the table it is added to. */
export function helpCommand<S>(
  table: () => LineCommands<S>,
  usage = 'help                this list',
): LineCommand<S> {
  return {
    usage,
    run: (_t, _a, io) => {
      for (const c of Object.values(table())) io.out(c.usage);
    },
  };
}

/** Run every stdin line against `table` until stdin ends (or a `quit` handled by the caller's io). */
export function serveLineCommands<S>(io: CliIo, table: LineCommands<S>, target: S): Promise<void> {
  return eachLine(io, (line) => {
    runLineCommand(table, target, line, io);
    return true;
  });
}
