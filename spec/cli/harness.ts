/**
 * Test doubles shared by the CLI specs: the in-memory terminal of
 * spec/helpers/cli-io.ts, and a clean stop for a spawned `cashwire simulate`.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';

/** A CliIo whose stdout and stderr lines land in `out` and `err` (stdin is there to type into, if wanted). */
export { interactiveIo as fakeIo } from '../helpers/cli-io.js';

/** Ends a spawned simulator: `quit` on its stdin, SIGTERM after 2 s should it not listen. */
export async function stopSimulator(sim: ChildProcessWithoutNullStreams): Promise<void> {
  const exited = new Promise((r) => sim.once('exit', r));
  const stop = setTimeout(() => sim.kill('SIGTERM'), 2000);
  sim.stdin.end('quit\n');
  await exited;
  clearTimeout(stop);
}
