/**
 * ccTalk address poll (253): answers are raw single bytes, not frames; they
 * are collected from the line during the poll window, and a byte-identical
 * echo of the poll is dropped from them.
 */
import { type Observable, catchError, defer, finalize, map, of, throwError } from 'rxjs';
import { bytesEqual } from '../../core/bytes.js';
import { CommandTimeoutError } from '../../core/errors.js';
import type { CcTalkBus, Wire } from './bus-types.js';
import type { LinkState } from './bus-exchange.js';
import type { ChecksumMode } from './checksum.js';
import { BROADCAST_ADDRESS, HOST_ADDRESS, encodeFrame } from './framing.js';
import type { CcTalkLine } from './line.js';
import { checkLimit } from './link-policy.js';

export function createAddressPoll(
  line: CcTalkLine<Wire>,
  link: LinkState,
  defaultMode: ChecksumMode,
): CcTalkBus['addressPoll'] {
  const addressPoll = (
    opts: { readonly mode?: ChecksumMode; readonly windowMs?: number } = {},
  ): Observable<number[]> =>
    defer(() => {
      const windowMs = checkLimit('addressPollWindowMs', opts.windowMs);
      const mode = opts.mode ?? defaultMode;
      const bytes = encodeFrame({ destination: BROADCAST_ADDRESS, header: 253 }, mode);
      const seen: number[] = [];
      const done = (): number[] => {
        // Drop a byte-identical echo of the poll wherever it sits in the capture.
        let rest = seen;
        for (let i = 0; i + bytes.length <= rest.length; i++) {
          if (bytesEqual(Uint8Array.from(rest.slice(i, i + bytes.length)), bytes)) {
            rest = [...rest.slice(0, i), ...rest.slice(i + bytes.length)];
            break;
          }
        }
        return [...new Set(rest.filter((a) => a > HOST_ADDRESS))].sort((a, b) => a - b);
      };
      return line.use((wire) => {
        const rawSub = wire.data$.subscribe({ next: (chunk) => seen.push(...chunk), error: () => undefined });
        link.rawWindow = true;
        return wire.queue
          .send<never>({
            label: 'ADDRESS_POLL',
            bytes,
            match: () => ({ kind: 'ignore' }),
            timeoutMs: windowMs,
            attempts: 1,
          })
          .pipe(
            map(() => done()),
            catchError((e: unknown) => (e instanceof CommandTimeoutError ? of(done()) : throwError(() => e))),
            finalize(() => {
              rawSub.unsubscribe();
              link.rawWindow = false;
              link.echo = { ...link.echo, awaiting: undefined };
            }),
          );
      });
    });
  return addressPoll;
}
