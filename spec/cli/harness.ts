/**
 * Test doubles shared by the CLI specs: an in-memory CliIo that records
 * what a command prints, and a clean stop for a spawned `cashwire simulate`.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
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

/** Ends a spawned simulator: `quit` on its stdin, SIGTERM after 2 s should it not listen. */
export async function stopSimulator(sim: ChildProcessWithoutNullStreams): Promise<void> {
  const exited = new Promise((r) => sim.once('exit', r));
  const stop = setTimeout(() => sim.kill('SIGTERM'), 2000);
  sim.stdin.end('quit\n');
  await exited;
  clearTimeout(stop);
}
