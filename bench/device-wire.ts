/**
 * Driver overhead per poll against the wire: the real device on the real
 * asyncScheduler, the simulator behind a line that paces bytes at 9600 baud
 * with 11 bits a byte, every POLL exchange timed from the moment the poll's
 * timer fires to the moment the driver has finished handling the reply.
 *
 *   fire ── host send ──▶ write ── request on the wire ──▶ simulator ──
 *        ── reply on the wire ──▶ driver receive path ──▶ handled
 *
 * The theoretical time is (request bytes + reply bytes) × 11 / 9600 s. The
 * bench's own lateness in delivering bytes (its timers are not exact) and the
 * simulator's time are measured too, so the driver's part can be told apart.
 */
import {
  Observable,
  asyncScheduler,
  type SchedulerAction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import type { Transport } from '../lib/transport/transport.js';
import { ESSP_BITS_PER_BYTE, createPacedPair, realClock, type Delivery } from './device-line.js';
import { createRig } from './device-rig.js';

const BAUD = 9600;

/** One POLL exchange, times in ms. */
export interface Exchange {
  readonly bytes: number;
  /** Theoretical wire time of request + reply. */
  readonly wireMs: number;
  /** From the poll timer firing to the end of the reply's handling. */
  readonly elapsedMs: number;
  /** Driver: timer fired → request handed to the line. */
  readonly sendMs: number;
  /** Driver: reply delivered → handling done (deframe, CRC, decrypt, decode, events). */
  readonly receiveMs: number;
  /** CPU time (process.cpuUsage) of the send and receive parts: less than their wall time when the OS ran something else. */
  readonly sendCpuMs: number;
  readonly receiveCpuMs: number;
  /**
   * Simulator: request delivered → its reply handed to the line (the reply's
   * wire time starts there). What the simulator does after handing the reply
   * over, and the bench line's own bookkeeping of the write, overlap the
   * reply's wire time and do not lengthen the exchange.
   */
  readonly simMs: number;
  /** The driver's write call → the request's first byte on the line (the subscription to the write, and the line taking it). */
  readonly handoverMs: number;
  /** The bench's lateness in delivering request and reply after their last byte. */
  readonly lateMs: number;
}

export interface WireRun {
  /** How long after the device was enabled the window started, ms. */
  readonly afterMs: number;
  readonly exchanges: readonly Exchange[];
  /** How late the 200 ms pause timers fired (Node timers, ms). */
  readonly timerLateMs: readonly number[];
}

/** asyncScheduler, noting when each action starts running and how late timers fire. */
function markingScheduler(): {
  scheduler: SchedulerLike;
  running: () => { at: number; cpu: NodeJS.CpuUsage } | undefined;
  late: number[];
} {
  let current: { at: number; cpu: NodeJS.CpuUsage } | undefined;
  const late: number[] = [];
  const schedule = <T>(
    work: (this: SchedulerAction<T>, state?: T) => void,
    delay = 0,
    state?: T,
  ): Subscription => {
    const due = performance.now() + delay;
    return asyncScheduler.schedule(
      function (this: SchedulerAction<T>, s?: T) {
        const cpu = process.cpuUsage();
        const start = performance.now();
        if (delay >= 100) late.push(start - due);
        const outer = current;
        current = { at: start, cpu };
        try {
          work.call(this, s);
        } finally {
          current = outer;
        }
      },
      delay,
      state,
    );
  };
  return {
    scheduler: { now: () => asyncScheduler.now(), schedule },
    running: () => current,
    late,
  };
}

/**
 * Connect, then time `polls` POLL exchanges at 9600 baud on the real clock in
 * each window: the first starts `windowsMs[0]` after the device is enabled,
 * the next ones that long after it, the device polling on in between. A
 * device in its first seconds runs its code as bytecode; one that has polled
 * for minutes runs it optimized, as it does for the rest of its life.
 */
export async function pollsOnTheWire(
  encrypted: boolean,
  polls: number,
  windowsMs: readonly number[] = [1500],
  seed = 21,
): Promise<WireRun[]> {
  const marks = markingScheduler();
  const exchanges: Exchange[] = [];
  let recording = false;
  let request:
    { fire: number; sent: number; sendCpuMs: number; handedOver: number; delivery?: Delivery } | undefined;
  /** The driver's handling of the last reply: wall-clock start and end, and its CPU time. */
  let handling = { start: 0, end: 0, cpuMs: 0 };
  const cpuMs = (since: NodeJS.CpuUsage): number => {
    const d = process.cpuUsage(since);
    return (d.user + d.system) / 1000;
  };

  const onDelivery = (d: Delivery): void => {
    if (!recording) return;
    if (d.toDevice) {
      if (request !== undefined) request = { ...request, delivery: d };
      return;
    }
    const req = request?.delivery;
    if (request === undefined || req === undefined) return;
    const bytes = req.bytes + d.bytes;
    exchanges.push({
      bytes,
      wireMs: (bytes * ESSP_BITS_PER_BYTE * 1000) / BAUD,
      elapsedMs: handling.end - request.fire,
      sendMs: request.sent - request.fire,
      receiveMs: handling.end - handling.start,
      sendCpuMs: request.sendCpuMs,
      receiveCpuMs: handling.cpuMs,
      simMs: d.writtenAt - req.deliveredAt,
      handoverMs: req.writtenAt - request.handedOver,
      lateMs: req.deliveredAt - req.dueAt + (d.deliveredAt - d.dueAt),
    });
    request = undefined;
  };
  const [host, sim] = createPacedPair(realClock(), { baud: BAUD, onDelivery });
  // The start of an exchange: the scheduler action (the poll timer) during which the POLL is written.
  // The wall-clock marks sit inside the bench's own process.cpuUsage() calls: a
  // system call that costs tens of microseconds when the process wakes up cold
  // must not be charged to the driver.
  const timedHost: Transport = {
    ...host,
    data$: new Observable<Uint8Array>((subscriber) =>
      host.data$.subscribe({
        next: (chunk) => {
          const cpu = process.cpuUsage();
          const start = performance.now();
          subscriber.next(chunk);
          const end = performance.now();
          handling = { start, end, cpuMs: cpuMs(cpu) };
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => subscriber.complete(),
      }),
    ),
    write: (bytes) => {
      const sent = performance.now();
      const action = marks.running();
      if (recording) {
        const sendCpuMs = action === undefined ? 0 : cpuMs(action.cpu);
        // The handover starts after the bench's own CPU read: that system
        // call is the bench's, not the driver's.
        const handedOver = performance.now();
        request = { fire: action?.at ?? sent, sent, sendCpuMs, handedOver };
      }
      return host.write(bytes);
    },
  };
  const rig = createRig({ scheduler: marks.scheduler, encrypted, seed, line: [timedHost, sim] });
  const runs: WireRun[] = [];
  try {
    await rig.whenEnabled();
    const enabledAt = performance.now();
    for (const startMs of windowsMs) {
      await until(enabledAt + startMs, rig);
      exchanges.length = 0;
      marks.late.length = 0;
      request = undefined;
      recording = true;
      await new Promise<void>((resolve, reject) => {
        const check = setInterval(() => {
          if (rig.errors > 0) {
            clearInterval(check);
            reject(new Error(`${rig.errors} device errors during the run`));
          } else if (exchanges.length >= polls) {
            clearInterval(check);
            resolve();
          }
        }, 50);
      });
      recording = false;
      runs.push({ afterMs: startMs, exchanges: exchanges.slice(0, polls), timerLateMs: [...marks.late] });
    }
    return runs;
  } finally {
    rig.dispose();
  }
}

/** Wait until `performance.now()` reaches `at`, failing early if the device reports errors. */
async function until(at: number, rig: { readonly errors: number }): Promise<void> {
  while (performance.now() < at) {
    if (rig.errors > 0) throw new Error(`${rig.errors} device errors during the run`);
    await new Promise((r) => setTimeout(r, Math.min(1000, at - performance.now())));
  }
}
