/**
 * A connected pair of pseudo-terminals made by socat, for tests that must go
 * through the operating system's serial path and serialport's native binding.
 * Bytes written to one end come out of the other.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface PtyPair {
  readonly a: string;
  readonly b: string;
  /** Stops socat; both paths disappear. */
  close(): Promise<void>;
}

const INSTALL_HINT =
  'The serial-port integration tests need socat to create a pty pair. ' +
  'Install it (`apt-get install -y socat` on Debian/Ubuntu, `brew install socat` on macOS) and run the tests again.';

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Start `socat -d -d pty,raw,echo=0 pty,raw,echo=0` and wait for both pty paths. */
export function createPtyPair(timeoutMs = 5000): Promise<PtyPair> {
  return new Promise((resolve, reject) => {
    const child = spawn('socat', ['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let settled = false;
    const fail = (message: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop(child).then(() => reject(new Error(message)));
    };
    const timer = setTimeout(() => {
      fail(`socat did not report two pty paths within ${timeoutMs} ms. Its output:\n${stderr}`);
    }, timeoutMs);

    child.once('error', (e: NodeJS.ErrnoException) => {
      fail(
        e.code === 'ENOENT'
          ? `socat was not found on PATH. ${INSTALL_HINT}`
          : `Could not start socat: ${e.message}`,
      );
    });
    child.once('exit', (code, signal) => {
      fail(`socat exited early (code ${String(code)}, signal ${String(signal)}). Its output:\n${stderr}`);
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      stderr += text;
      // Parse the whole output so far: a line may be split across chunks.
      const paths = [...stderr.matchAll(/PTY is (\/dev\/\S+)/g)].map((m) => m[1]!);
      // socat prints the data-transfer line once both ends exist.
      if (!settled && paths.length >= 2 && /starting data transfer loop/.test(stderr)) {
        settled = true;
        clearTimeout(timer);
        resolve({ a: paths[0]!, b: paths[1]!, close: () => stop(child) });
      }
    });
  });
}
