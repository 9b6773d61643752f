/**
 * Test doubles shared by the CLI specs: an in-memory CliIo that records
 * what a command prints.
 */
import { Subject } from 'rxjs';
import type { CliIo } from '../../lib/cli/io.js';

/** A CliIo whose stdout and stderr lines land in `out` and `err`; stdin never speaks. */
export function fakeIo(isTty = false): { io: CliIo; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      stdinLines$: new Subject<string>(),
      isTty,
    },
    out,
    err,
  };
}
