/**
 * The port of a monitor command: opened once at the start, so a wrong path
 * fails the command at once with the open error, then handed to a driver as
 * an opener that reopens it by path after a pulled cable or a USB adapter
 * that came back under the same name.
 */
import { type Observable, defer, firstValueFrom, of } from 'rxjs';
import type { Transport } from '../transport/transport.js';

/** Opens a serial port by path (the real one, or a test's). */
export type OpenTransport = (path: string) => Observable<Transport>;

export interface ReopeningPort {
  /** For the driver: the port opened at the start the first time, a fresh open of the path after that. */
  readonly opener: Observable<Transport>;
  /** Close the port opened at the start if no driver took it (the command stopped first). */
  closeUnused(): Promise<void>;
}

/** Open `path` now (rejects with the open error) and return it as a reopening port. */
export async function openReopeningPort(open: OpenTransport, path: string): Promise<ReopeningPort> {
  let first: Transport | undefined = await firstValueFrom(open(path));
  const take = (): Transport | undefined => {
    const t = first;
    first = undefined;
    return t;
  };
  return {
    opener: defer(() => {
      const t = take();
      return t === undefined ? open(path) : of(t);
    }),
    async closeUnused() {
      const t = take();
      if (t !== undefined) await firstValueFrom(t.close(), { defaultValue: undefined });
    },
  };
}
