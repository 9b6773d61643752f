/**
 * An in-memory terminal for running interactive CLI commands in process: what
 * a command prints is collected per stream, and the test types into its stdin
 * line by line (`quit`, simulator commands, end of input). Not a TTY unless
 * asked, so commands print plain lines without cursor tricks.
 */
import { Subject } from 'rxjs';
import type { CliIo } from '../../lib/cli/io.js';

export interface InteractiveIo {
  readonly io: CliIo;
  /** Lines the command wrote to stdout, in order. */
  readonly out: string[];
  /** Lines the command wrote to stderr, in order. */
  readonly err: string[];
  /** The command's stdin: `next` types a line, `complete` is end of input. */
  readonly stdin: Subject<string>;
}

export function interactiveIo(isTty = false): InteractiveIo {
  const out: string[] = [];
  const err: string[] = [];
  const stdin = new Subject<string>();
  return {
    io: { out: (l) => out.push(l), err: (l) => err.push(l), stdinLines$: stdin, isTty },
    out,
    err,
    stdin,
  };
}
