/**
 * Generic byte-stream → frame operator.
 *
 * Each protocol supplies a pure, synchronous {@link FrameParser} (a small state
 * machine fed with chunks). This operator owns the per-subscription parser,
 * and (optionally) the inter-byte gap rule: when no byte arrives for
 * `interByteGapMs` while a frame is partly collected, the parser is reset so
 * the next byte starts afresh. Time comes from the scheduler, so gaps are
 * marble-testable.
 *
 * Bad bytes never error the stream: they come out as `diagnostic` values.
 */
import {
  Observable,
  type OperatorFunction,
  type SchedulerLike,
  type Subscription,
  asyncScheduler,
} from 'rxjs';
import type { Diagnostic } from '../core/diagnostics.js';
import { logger, type Logger } from '../core/log.js';

const linkLoggers = new Map<string, Logger>();
/** Discarded bytes, bad checksums and resyncs under `cashwire:<protocol>:link`. */
function logDiagnostic(d: Diagnostic): void {
  let log = linkLoggers.get(d.protocol);
  if (log === undefined) {
    log = logger(`${d.protocol}:link`);
    linkLoggers.set(d.protocol, log);
  }
  if (log.enabled) log('%s: %s%s', d.kind, d.message, d.hex === undefined ? '' : ` [${d.hex}]`);
}

export type DeframeOutput<F> =
  | { readonly type: 'frame'; readonly frame: F; readonly raw: Uint8Array }
  | { readonly type: 'diagnostic'; readonly diagnostic: Diagnostic };

export interface FrameParser<F> {
  /** Feed a chunk; returns every frame and diagnostic it completes, in order. */
  push(chunk: Uint8Array): DeframeOutput<F>[];
  /** Abandon any partial frame (after an inter-byte gap); returns a diagnostic if bytes were dropped. */
  reset(): DeframeOutput<F>[];
  /** True while part of a frame is held. */
  readonly pending: boolean;
}

export interface DeframeOptions {
  /** Reset a partial frame when no byte arrives for this long. Off when undefined. */
  readonly interByteGapMs?: number;
  readonly scheduler?: SchedulerLike;
}

export function deframe<F>(
  createParser: () => FrameParser<F>,
  options: DeframeOptions = {},
): OperatorFunction<Uint8Array, DeframeOutput<F>> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const gap = options.interByteGapMs;
  return (source) =>
    new Observable<DeframeOutput<F>>((subscriber) => {
      const parser = createParser();
      let gapTimer: Subscription | undefined;
      const emitAll = (outs: readonly DeframeOutput<F>[]): void => {
        for (const o of outs) {
          if (o.type === 'diagnostic') logDiagnostic(o.diagnostic);
          subscriber.next(o);
        }
      };
      const armGap = (): void => {
        gapTimer?.unsubscribe();
        gapTimer = undefined;
        if (gap !== undefined && parser.pending) {
          gapTimer = scheduler.schedule(() => {
            gapTimer = undefined;
            emitAll(parser.reset());
          }, gap);
        }
      };
      const sub = source.subscribe({
        // The same as emitAll then armGap, written out: this runs for every
        // chunk of a polled line, where each call layer costs.
        next: (chunk) => {
          const outs = parser.push(chunk);
          for (let i = 0; i < outs.length; i++) {
            const o = outs[i]!;
            if (o.type === 'diagnostic') logDiagnostic(o.diagnostic);
            subscriber.next(o);
          }
          if (gap !== undefined) armGap();
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
      return () => {
        gapTimer?.unsubscribe();
        sub.unsubscribe();
      };
    });
}

/** Split a deframed stream's values: keep the frames only. */
export function framesOnly<F>(outputs: readonly DeframeOutput<F>[]): F[] {
  const out: F[] = [];
  for (const o of outputs) if (o.type === 'frame') out.push(o.frame);
  return out;
}
