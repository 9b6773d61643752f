/**
 * A Transport wrapper that injects seeded line faults: lost writes, lost and
 * corrupted bytes, duplicates, stalls, split chunks, device power cycles and
 * pulled cables. Put it between a simulator and its end of the line (faults
 * hit the replies) or between the host and the line (faults hit the commands);
 * `direction: 'inbound'` applies the plan to what the wrapped side receives.
 *
 * Same seed + same traffic = same faults: every fault kind draws from its own
 * forked random stream, so changing one probability never moves the others.
 * Time comes only from the scheduler, so a TestScheduler replays a soak exactly.
 */
import {
  EMPTY,
  Observable,
  Subject,
  asyncScheduler,
  concat,
  defer,
  endWith,
  ignoreElements,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import { InvalidArgumentError, TransportError } from '../../core/errors.js';
import type { Transport } from '../../transport/transport.js';
import { createRandom, type Random } from '../random.js';
import {
  DEFAULT_DELAY_MS,
  LINE_FAULT_KEYS,
  type FaultKind,
  type FaultPlan,
  type LineFaultKey,
  protocolFaultsOf,
  validateFaultPlan,
} from './plan.js';

export type FaultDirection = 'outbound' | 'inbound';

export interface FaultyLineOptions {
  /** Seed of every fault decision; log it so a failing run can be replayed. */
  readonly seed: number;
  readonly scheduler?: SchedulerLike;
  /** Which traffic the plan hits: what the wrapped side writes (default), what it receives, or both. */
  readonly direction?: FaultDirection | 'both';
  /** Power-cycles the device on a `reset` fault (e.g. `() => sim.powerCycle()`). Required when `reset` > 0. */
  readonly onReset?: () => void;
  /** Told after the cable is pulled (by a fault or `pullCable()`). */
  readonly onPull?: () => void;
  /** Told after the line is back (by `reconnectMs` or `reconnect()`). */
  readonly onReconnect?: () => void;
}

/** What was injected so far. `corrupt` counts flipped bits, `dropbyte` lost bytes, the rest events. */
export type FaultStats = { readonly [K in FaultKind]: number } & {
  /** Chunks that went through the fault plan. */
  readonly chunks: number;
  /** Bytes in those chunks, before faults. */
  readonly bytes: number;
};

/** One injected fault, for logs. */
export interface FaultInjection {
  readonly kind: FaultKind;
  readonly direction: FaultDirection;
  /** Scheduler time of the injection. */
  readonly time: number;
  /** Index of the chunk (per direction, from 0) the fault hit; -1 for a reconnect or a manual pull. */
  readonly chunk: number;
  /** Byte offset in the chunk (`corrupt`, `dropbyte`). */
  readonly offset?: number;
  /** Bit flipped (`corrupt`), 0 = least significant. */
  readonly bit?: number;
  /** Number of pieces (`split`). */
  readonly pieces?: number;
  /** Hold time (`delay`). */
  readonly delayMs?: number;
}

export interface FaultyLine extends Transport {
  /** Snapshot of what was injected. */
  readonly stats: FaultStats;
  readonly injections$: Observable<FaultInjection>;
  /** False between a pull and the reconnect. */
  readonly connected: boolean;
  /** Pull the cable now: `data$` errors with a TransportError, writes fail, bytes in flight are lost. */
  pullCable(): void;
  /** Plug the cable back: a new `data$` subscription works again. No-op while connected. */
  reconnect(): void;
}

interface Lane {
  readonly direction: FaultDirection;
  readonly streams: Readonly<Record<LineFaultKey | 'where', Random>>;
  chunk: number;
  /** Pieces waiting for the line, in order, each with its release time. */
  readonly queue: { at: number; bytes: Uint8Array }[];
  flush: Subscription | undefined;
}

const MAX_SPLIT_PIECES = 4;

export function createFaultyLine(
  transport: Transport,
  plan: FaultPlan,
  options: FaultyLineOptions,
): FaultyLine {
  validateFaultPlan(plan);
  const inside = protocolFaultsOf(plan);
  if (inside.length > 0) {
    // Silently ignoring it would pass a soak that never injected the fault.
    throw new InvalidArgumentError(
      `Fault '${inside[0]!}' happens inside the unit, not on the line: leave it out of the line's plan ` +
        '(lineFaultPlan(plan)) and inject it with the protocol simulator (createEsspDesync for desync).',
      { fault: inside[0] },
    );
  }
  if ((plan.reset ?? 0) > 0 && options.onReset === undefined) {
    throw new InvalidArgumentError(
      "Fault 'reset' needs an onReset callback that power-cycles the device (e.g. () => sim.powerCycle()).",
      { fault: 'reset' },
    );
  }
  const scheduler = options.scheduler ?? asyncScheduler;
  const direction = options.direction ?? 'outbound';
  const delayMs = plan.delayMs ?? DEFAULT_DELAY_MS;
  const root = createRandom(options.seed);
  const p = (k: LineFaultKey): number => plan[k] ?? 0;

  const counts: Record<string, number> = { chunks: 0, bytes: 0, reconnect: 0 };
  for (const k of LINE_FAULT_KEYS) counts[k] = 0;
  const injections$ = new Subject<FaultInjection>();

  const makeLane = (dir: FaultDirection): Lane => {
    const streams = {} as Record<LineFaultKey | 'where', Random>;
    for (const k of [...LINE_FAULT_KEYS, 'where'] as const) streams[k] = root.fork(`${dir}:${k}`);
    return { direction: dir, streams, chunk: 0, queue: [], flush: undefined };
  };
  const outLane = direction === 'inbound' ? undefined : makeLane('outbound');
  const inLane = direction === 'outbound' ? undefined : makeLane('inbound');

  let epoch = new Subject<Uint8Array>();
  let down = false;
  let ended: { error?: unknown } | undefined;
  let inner: Subscription | undefined;
  let reconnectTimer: Subscription | undefined;

  const inject = (
    kind: FaultKind,
    dir: FaultDirection,
    chunk: number,
    extra: Partial<FaultInjection> = {},
  ) => {
    counts[kind] = (counts[kind] ?? 0) + 1;
    injections$.next({ kind, direction: dir, time: scheduler.now(), chunk, ...extra });
  };

  const pulledError = (): TransportError =>
    new TransportError(`The line of ${transport.description} was pulled (fault injection).`, {
      transport: transport.description,
    });

  const deliverNow = (lane: Lane, bytes: Uint8Array): Observable<void> | undefined => {
    if (lane.direction === 'inbound') {
      epoch.next(bytes);
      return undefined;
    }
    return transport.write(bytes);
  };

  const runQueue = (lane: Lane): void => {
    lane.flush = undefined;
    const now = scheduler.now();
    while (lane.queue.length > 0 && lane.queue[0]!.at <= now) {
      const { bytes } = lane.queue.shift()!;
      // A late write has no caller left to tell; a failure means the line is gone anyway.
      deliverNow(lane, bytes)?.subscribe({ error: () => undefined });
    }
    armQueue(lane);
  };
  const armQueue = (lane: Lane): void => {
    const head = lane.queue[0];
    if (head === undefined || lane.flush !== undefined) return;
    lane.flush = scheduler.schedule(() => runQueue(lane), Math.max(0, head.at - scheduler.now()));
  };

  /**
   * Run one chunk through the plan. Returns the writes to perform now
   * (outbound) and, when a reset was drawn, the power cycle to run once the
   * chunk is on the line, so a reply is sent before the device restarts.
   */
  const applyPlan = (lane: Lane, chunk: Uint8Array): { writes: Observable<void>[]; reset?: () => void } => {
    const { streams: r, direction: dir } = lane;
    const index = lane.chunk++;
    counts['chunks']!++;
    counts['bytes']! += chunk.length;
    if (r.pull.chance(p('pull'))) {
      inject('pull', dir, index);
      pullCable(true);
      return { writes: [] };
    }
    const reset = r.reset.chance(p('reset'));
    const writes: Observable<void>[] = [];
    if (r.drop.chance(p('drop'))) {
      inject('drop', dir, index);
    } else {
      const bytes = perByteFaults(lane, index, chunk);
      const copies = r.dup.chance(p('dup')) ? 2 : 1;
      if (copies === 2) inject('dup', dir, index);
      let pieces = [bytes];
      if (bytes.length > 1 && r.split.chance(p('split'))) {
        pieces = splitAt(bytes, r.where);
        inject('split', dir, index, { pieces: pieces.length });
      }
      const now = scheduler.now();
      const last = lane.queue[lane.queue.length - 1];
      let at = Math.max(now, last?.at ?? now);
      if (r.delay.chance(p('delay'))) {
        at = Math.max(at, now + delayMs);
        inject('delay', dir, index, { delayMs });
      }
      for (let c = 0; c < copies; c++) {
        for (const piece of pieces) {
          if (piece.length === 0) continue;
          if (at > now || lane.queue.length > 0) lane.queue.push({ at, bytes: piece });
          else {
            const w = deliverNow(lane, piece);
            if (w) writes.push(w);
          }
        }
      }
      armQueue(lane);
    }
    if (!reset) return { writes };
    return {
      writes,
      reset: () => {
        inject('reset', dir, index);
        options.onReset?.();
      },
    };
  };

  const perByteFaults = (lane: Lane, index: number, chunk: Uint8Array): Uint8Array => {
    const { streams: r, direction: dir } = lane;
    const pDrop = p('dropbyte');
    const pFlip = p('corrupt');
    if (pDrop === 0 && pFlip === 0) return chunk.slice();
    const out: number[] = [];
    for (let i = 0; i < chunk.length; i++) {
      if (r.dropbyte.chance(pDrop)) {
        inject('dropbyte', dir, index, { offset: i });
        continue;
      }
      let b = chunk[i]!;
      if (r.corrupt.chance(pFlip)) {
        const bit = r.where.int(8);
        b ^= 1 << bit;
        inject('corrupt', dir, index, { offset: i, bit });
      }
      out.push(b);
    }
    return Uint8Array.from(out);
  };

  const pullCable = (byFault = false): void => {
    if (down || ended) return;
    down = true;
    if (!byFault) inject('pull', 'outbound', -1);
    for (const lane of [outLane, inLane]) {
      if (!lane) continue;
      lane.flush?.unsubscribe();
      lane.flush = undefined;
      lane.queue.length = 0;
    }
    epoch.error(pulledError());
    options.onPull?.();
    if (plan.reconnectMs !== undefined) {
      reconnectTimer = scheduler.schedule(() => reconnect(), plan.reconnectMs);
    }
  };

  const reconnect = (): void => {
    if (!down || ended) return;
    reconnectTimer?.unsubscribe();
    reconnectTimer = undefined;
    down = false;
    epoch = new Subject<Uint8Array>();
    inject('reconnect', 'outbound', -1);
    options.onReconnect?.();
  };

  const ensureInner = (): void => {
    if (inner) return;
    inner = transport.data$.subscribe({
      next: (chunk) => {
        if (down) return; // nothing arrives through a pulled cable
        if (inLane) applyPlan(inLane, chunk).reset?.();
        else epoch.next(chunk);
      },
      error: (error: unknown) => {
        ended = { error };
        epoch.error(error);
      },
      complete: () => {
        ended = {};
        epoch.complete();
      },
    });
  };

  const data$ = new Observable<Uint8Array>((subscriber) => {
    ensureInner();
    if (ended) {
      if ('error' in ended) subscriber.error(ended.error);
      else subscriber.complete();
      return undefined;
    }
    if (down) {
      subscriber.error(pulledError());
      return undefined;
    }
    return epoch.subscribe(subscriber);
  });

  return {
    description: `faulty:${transport.description}`,
    data$,
    injections$: injections$.asObservable(),
    get stats(): FaultStats {
      return { ...counts } as FaultStats;
    },
    get connected() {
      return !down;
    },
    write: (bytes) =>
      defer(() => {
        if (down) throw pulledError();
        if (!outLane) return transport.write(bytes);
        const { writes, reset } = applyPlan(outLane, bytes);
        if (down) throw pulledError();
        const after = defer(() => {
          reset?.();
          return EMPTY;
        });
        return concat(...writes, after).pipe(ignoreElements(), endWith(undefined));
      }),
    close: () =>
      defer(() => {
        reconnectTimer?.unsubscribe();
        for (const lane of [outLane, inLane]) lane?.flush?.unsubscribe();
        return transport.close();
      }),
    pullCable: () => pullCable(false),
    reconnect,
  };
}

/** Cut `bytes` at 1 to 3 distinct random points (never at the ends). */
function splitAt(bytes: Uint8Array, r: Random): Uint8Array[] {
  const cuts = new Set<number>();
  const wanted = Math.min(bytes.length - 1, r.range(1, MAX_SPLIT_PIECES - 1));
  while (cuts.size < wanted) cuts.add(r.range(1, bytes.length - 1));
  const sorted = [...cuts].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const c of [...sorted, bytes.length]) {
    pieces.push(bytes.slice(from, c));
    from = c;
  }
  return pieces;
}
