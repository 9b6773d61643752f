/**
 * The CLI's contact with the outside world, behind one small interface so
 * subcommands can be tested without spawning a process.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Observable } from 'rxjs';
import { toHex } from '../core/bytes.js';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Lines typed on standard input (for simulators' line commands). */
  readonly stdinLines$: Observable<string>;
  readonly isTty: boolean;
}

export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  stdinLines$: new Observable<string>((subscriber) => {
    const rl = createInterface({ input: process.stdin });
    rl.on('line', (l) => subscriber.next(l));
    rl.on('close', () => subscriber.complete());
    return () => rl.close();
  }),
  isTty: process.stdout.isTTY,
};

/** Lines of a file, or of standard input when no file (or '-') is given. */
export async function* readLines(file?: string): AsyncIterable<string> {
  const input = file && file !== '-' ? createReadStream(file, 'utf8') : process.stdin;
  const rl = createInterface({ input, crlfDelay: Infinity });
  for await (const line of rl) yield line;
}

/** JSON for output lines: bigint as decimal strings, bytes as hex. */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Uint8Array) return toHex(v);
    return v;
  });
}

/**
 * Default way a command reports its exit code when run as a process. A zero
 * leaves process.exitCode alone, so it never masks a failure set earlier.
 */
export function setProcessExitCode(code: number): void {
  if (code !== 0) process.exitCode = code;
}
