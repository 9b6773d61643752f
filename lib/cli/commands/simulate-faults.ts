/**
 * `--faults <spec> --seed <n>` of `cashwire simulate <protocol>`: put a seeded
 * faulty line between a simulator and its port, and the `stats` line every
 * simulator answers with, so a person can run their own soak (simulate under
 * faults + monitor) and compare what the unit really did with what the host
 * credited.
 */
import { InvalidArgumentError as UsageError } from 'commander';
import { Subject, type Subscription } from 'rxjs';
import { isCashwireError } from '../../core/errors.js';
import type { Transport } from '../../transport/transport.js';
import {
  type FaultPlan,
  type FaultProtocol,
  type FaultStats,
  type ProtocolFaultKey,
  assertFaultsApply,
  createFaultyLine,
  formatFaultPlan,
  lineFaultPlan,
  parseFaultSpec,
} from '../../testing/faults/index.js';
import { jsonLine } from '../io.js';

/** What a simulator runner takes to inject faults on what it sends. */
export interface SimulatorFaultOptions {
  /** Fault plan (see `parseFaultSpec`); none = a clean line. */
  readonly faults?: FaultPlan;
  /** Seed of every fault decision; default: a random one, printed at start. */
  readonly seed?: number;
}

/** `--faults` as commander wants it: a bad spec is bad usage (exit 2) naming the key, before any port opens. */
export function parseFaultsOption(text: string): FaultPlan {
  try {
    return parseFaultSpec(text);
  } catch (e) {
    throw new UsageError(isCashwireError(e) ? e.message : String(e));
  }
}

export const FAULTS_HELP = `
Fault injection (on what the simulated unit sends; see docs/reliability.md):
  --faults drop=0.05,corrupt=0.01,reset=0.001 --seed 7
  keys: drop, dropbyte, corrupt, dup, delay, split, reset, pull (probabilities 0..1),
        delayms, reconnectms (milliseconds); eSSP only: desync (probability per encrypted
        command that the unit's packet counter steps out of line with the host's).
        The seed is printed at start: rerun with it to get the same faults.
        Type 'stats' for one JSON line of what the unit really did.`;

/** Faults the runner injects inside its unit (eSSP `desync`) rather than on the line. */
export interface UnitFaults {
  readonly protocol: FaultProtocol;
  /** What was injected so far, merged into the `faults` of the `stats` line. */
  readonly stats: () => Partial<Record<ProtocolFaultKey, number>>;
}

export interface FaultySide {
  /** The transport the simulator should use: the port itself, or the port behind the faulty line. */
  readonly transport: Transport;
  /** Seed of every fault decision (given or drawn); undefined without a plan. */
  readonly seed: number | undefined;
  /** The line printed at start (plan and seed), when faults are on. */
  readonly banner: string | undefined;
  /** The faults injected so far, for the `stats` line; null without a plan. */
  readonly report: () => FaultReport | null;
}

export type FaultReport = { readonly plan: string; readonly seed: number } & FaultStats &
  Partial<Record<ProtocolFaultKey, number>>;

/**
 * Wrap the simulator's side of the port. `powerCycle` is looked up when a
 * `reset` fault fires (the simulator is created after its transport). A
 * runner that injects faults inside its unit says which protocol it is in
 * `unit`; a plan asking for a unit fault the runner does not inject (desync
 * on ccTalk or Pyramid) is refused with an InvalidArgumentError (exit 2)
 * and the port is closed again.
 */
export function faultySide(
  transport: Transport,
  options: SimulatorFaultOptions,
  powerCycle: () => void,
  unit?: UnitFaults,
): FaultySide {
  const plan = options.faults;
  if (plan === undefined) return { transport, seed: undefined, banner: undefined, report: () => null };
  try {
    // Without `unit` the runner injects no unit fault at all: refuse every one.
    assertFaultsApply(plan, unit?.protocol);
  } catch (e) {
    transport.close().subscribe({ error: () => undefined });
    throw e;
  }
  // The seed only has to differ between runs; printing it is what makes a run reproducible.
  const seed = options.seed ?? Math.floor(Math.random() * 0x1_0000_0000);
  // A simulator reads its line once, as a unit reads its UART: after a `pull`
  // fault the relay listens again when the line is back (`reconnectms`), so the
  // unit stays powered and keeps its state across the outage.
  const input$ = new Subject<Uint8Array>();
  let reading: Subscription | undefined;
  const listen = (): void => {
    reading?.unsubscribe();
    reading = line.data$.subscribe({ next: (b) => input$.next(b), error: () => undefined });
  };
  const line = createFaultyLine(transport, lineFaultPlan(plan), {
    seed,
    onReset: powerCycle,
    onReconnect: listen,
  });
  listen();
  const relay: Transport = {
    data$: input$,
    write: (bytes) => line.write(bytes),
    close: () => {
      reading?.unsubscribe();
      return line.close();
    },
    description: line.description,
  };
  const text = formatFaultPlan(plan);
  const where = unit === undefined ? 'on what the unit sends' : 'on what the unit sends and inside it';
  return {
    transport: relay,
    seed,
    banner: `Faults ${where}: ${text === '' ? 'none' : text}; seed ${seed} (--seed ${seed} replays them).`,
    report: () => ({ plan: text, seed, ...line.stats, ...unit?.stats() }),
  };
}

/**
 * What a simulator really did, in the same shape for every protocol: the
 * common counters first (a counter a protocol has no concept of is left out),
 * then protocol-specific ones, then the faults injected (null without a plan).
 */
export interface SimulatorStatsLine {
  readonly protocol: 'essp' | 'cctalk' | 'pyramid';
  /** Notes, coins or tickets put in. */
  readonly inserted: number;
  /** Taken into the cashbox / stacker (and, for eSSP, `stored` for payout). */
  readonly accepted: number;
  readonly rejected: number;
  /** Handed back to the customer after being held (escrow return). */
  readonly returned?: number;
  readonly resets: number;
  readonly [extra: string]: unknown;
}

export function statsLine(stats: SimulatorStatsLine, faults: FaultReport | null): string {
  return jsonLine({ ...stats, faults });
}
