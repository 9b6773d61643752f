/**
 * `cashwire demo` (what `npm start` runs): every simulator in this process,
 * each wired to the real driver over an in-memory line, a short scripted
 * session of money in and out, and a tally that sets what the drivers
 * reported beside what the simulators say really happened.
 *
 * - eSSP: an NV200 with SMART Payout, encrypted; notes in, one payout.
 * - ccTalk: a coin acceptor (address 2) and a hopper (address 3) on one bus.
 * - Pyramid: an Apex-like bill acceptor.
 *
 * Each protocol runs its own script at the same time, so money shows up in
 * the first second. New steps stop starting when the duration is over; steps
 * under way finish, then the demo waits (briefly) until every simulator and
 * driver agree, prints the tally and disposes everything.
 */
import { type Command, InvalidArgumentError as UsageError } from 'commander';
import {
  EMPTY,
  type Observable,
  concat,
  defer,
  filter,
  first,
  lastValueFrom,
  ignoreElements,
  map,
  merge,
  take,
  takeUntil,
  tap,
  timeout,
  timer,
  catchError,
} from 'rxjs';
import type { CashwireError } from '../../core/errors.js';
import type { Diagnostic } from '../../core/diagnostics.js';
import {
  type DeviceEvent,
  type DeviceRef,
  type DeviceState,
  type ProtocolName,
  isCredit,
} from '../../core/events.js';
import { formatMoney, money, type Money } from '../../core/money.js';
import { createCcTalkBus } from '../../protocols/cctalk/bus.js';
import { createCcTalkCoinAcceptor } from '../../protocols/cctalk/coin-acceptor.js';
import { createCcTalkHopper } from '../../protocols/cctalk/hopper.js';
import { createCcTalkSimulator } from '../../protocols/cctalk/simulator/index.js';
import { createEsspDevice } from '../../protocols/essp/device/device.js';
import { createEsspSimulator } from '../../protocols/essp/simulator/index.js';
import { createPyramidDevice } from '../../protocols/pyramid/device.js';
import { createPyramidSimulator } from '../../protocols/pyramid/simulator/index.js';
import { createMemoryPair } from '../../transport/memory.js';
import { jsonLine, type CliIo } from '../io.js';
import {
  type OutputStyle,
  eventLine,
  outputStyle,
  paint,
  problemLine,
  stateLine,
  deviceTag,
} from '../format.js';
import { type CliContext, catchStopSignals } from './simulate.js';

export interface DemoOptions {
  /** Seconds during which new steps start. Default 8. */
  readonly durationS?: number;
  readonly json?: boolean;
  /** Emits to end the demo early (Ctrl-C). */
  readonly stop$?: Observable<unknown>;
}

/** What one device family exposes to the demo. */
interface Watched {
  readonly ref: DeviceRef;
  readonly events$: Observable<DeviceEvent>;
  readonly state$: Observable<DeviceState>;
  readonly errors$: Observable<CashwireError | Diagnostic>;
}

/** Host-side totals, from the drivers' events only. */
interface HostTally {
  credits: number;
  credited: Map<string, number>;
  paidOut: Map<string, number>;
}

interface Check {
  readonly agree: boolean;
  readonly busy: boolean;
  /** The simulator's own counters (JSON tally) and the same in words (pretty tally). */
  readonly simulator: object;
  readonly summary: string;
}

interface Rig {
  readonly protocol: ProtocolName;
  readonly title: string;
  readonly watched: readonly Watched[];
  /** Cold: the scripted steps, one after another; `more()` is false once the duration is over. */
  script(more: () => boolean, act: (ref: DeviceRef, text: string) => void): Observable<unknown>;
  /** Does the simulator agree with the host, and is anything still under way? */
  check(host: HostTally): Check;
  dispose(): void;
}

const STEP_TIMEOUT_MS = 6000;
const SETTLE_MS = 4000;
const FIRST_GAP_MS = 100;

const enabled = (w: Watched): Observable<unknown> =>
  w.state$.pipe(
    first((s) => s.status === 'enabled' || s.status === 'error' || s.status === 'disposed', undefined),
  );

/** Subscribe to the outcome first, then act (retrying while the unit is busy), then wait for the outcome. */
function actThen(act: () => boolean, outcome$: Observable<unknown>): Observable<unknown> {
  const tries$ = timer(0, 200).pipe(
    map(() => act()),
    first(Boolean),
  );
  return merge(outcome$.pipe(take(1)), tries$.pipe(ignoreElements())).pipe(
    take(1),
    timeout(STEP_TIMEOUT_MS),
    catchError(() => EMPTY),
  );
}

/** Steps in order, a pause before each, none started once `more()` says the time is up. */
function steps(
  more: () => boolean,
  gapMs: number,
  list: readonly (() => Observable<unknown>)[],
): Observable<unknown> {
  // The first step starts almost at once: the demo should show money within its first seconds.
  const pause = (i: number): Observable<never> =>
    timer(i === 0 ? FIRST_GAP_MS : gapMs).pipe(ignoreElements());
  return concat(...list.map((s, i) => defer(() => (more() ? concat(pause(i), defer(s)) : EMPTY))));
}

const creditOf = (w: Watched): Observable<unknown> => w.events$.pipe(filter(isCredit));
const sumOf = (m: Map<string, number>, currency: string): number => m.get(currency) ?? 0;

function esspRig(gapMs: number): Rig {
  const [host, line] = createMemoryPair(['host', 'nv200']);
  const sim = createEsspSimulator(line, {
    profile: 'NV200_SMART_PAYOUT',
    timing: { readMs: 300, creditMs: 200, stackMs: 400, noteItemMs: 300 },
  });
  sim.setLevels({ 500: 4, 1000: 4 }); // a float to pay change from
  const device = createEsspDevice(host, { encryption: 'required' });
  const w: Watched = { ref: { protocol: 'essp', address: 0 }, ...device };
  const currency = sim.profile.currency;
  let paying = false;
  const note = (channel: number, act: (r: DeviceRef, t: string) => void) => () => {
    const value = sim.profile.channels[channel - 1] ?? 0;
    act(w.ref, `insert a ${formatMoney({ amount: value, currency })} note`);
    return actThen(() => sim.insertNote(channel), creditOf(w));
  };
  return {
    protocol: 'essp',
    title: 'eSSP NV200 + SMART Payout (encrypted)',
    watched: [w],
    script: (more, act) =>
      concat(
        enabled(w),
        steps(more, gapMs, [
          note(2, act),
          note(1, act),
          () => {
            const amount = money(1500, currency);
            act(w.ref, `pay out ${formatMoney(amount)}`);
            paying = true;
            const done$ = w.events$.pipe(
              first((e) => e.type === 'dispensed' || e.type === 'payout-incomplete'),
              tap(() => (paying = false)),
            );
            return merge(done$, device.payout(amount)).pipe(
              ignoreElements(),
              timeout(STEP_TIMEOUT_MS),
              catchError((e: unknown) => {
                paying = false;
                act(w.ref, `payout failed: ${e instanceof Error ? e.message : String(e)}`);
                return EMPTY;
              }),
            );
          },
          note(3, act),
        ]),
      ),
    check: (h) => {
      const s = sim.stats;
      const inFlight = s.inserted - s.accepted - s.stored - s.rejected - s.returned;
      return {
        agree:
          h.credits === s.accepted + s.stored &&
          sumOf(h.credited, currency) === s.creditedValue &&
          sumOf(h.paidOut, currency) === s.paidOut,
        busy: paying || inFlight > 0,
        simulator: { ...s, currency },
        summary:
          `${s.accepted + s.stored} note(s) taken (${s.accepted} stacked, ${s.stored} stored), ` +
          `${formatMoney({ amount: s.creditedValue, currency })} in; ` +
          `${formatMoney({ amount: s.paidOut, currency })} paid out`,
      };
    },
    dispose: () => {
      device.dispose();
      sim.dispose();
      host.close().subscribe();
    },
  };
}

function ccTalkRig(gapMs: number): Rig {
  const [host, line] = createMemoryPair(['host', 'cctalk-bus']);
  const sim = createCcTalkSimulator(line, { coin: {}, hopper: {}, echo: false });
  const bus = createCcTalkBus(host, { echo: 'never' });
  const coins = createCcTalkCoinAcceptor(bus, { address: 2 });
  const hopper = createCcTalkHopper(bus, { address: 3 });
  const c: Watched = { ref: { protocol: 'cctalk', address: 2 }, ...coins };
  const h: Watched = { ref: { protocol: 'cctalk', address: 3 }, ...hopper };
  let coinValue: Money | undefined;
  const valueSub = hopper.coinValue$.subscribe((v) => (coinValue = v));
  let paying = false;
  const coin = (slot: number, label: string, act: (r: DeviceRef, t: string) => void) => () => {
    act(c.ref, `drop a ${label} coin`);
    return actThen(() => sim.insertCoin(slot), creditOf(c));
  };
  return {
    protocol: 'cctalk',
    title: 'ccTalk coin acceptor + hopper',
    watched: [c, h],
    script: (more, act) =>
      concat(
        enabled(c),
        enabled(h),
        steps(more, gapMs, [
          coin(8, '2.00 EUR', act),
          coin(5, '0.20 EUR', act),
          coin(7, '1.00 EUR', act),
          () => {
            act(h.ref, 'pay out 2 coins');
            paying = true;
            return hopper.dispense(2).pipe(
              ignoreElements(),
              timeout(STEP_TIMEOUT_MS),
              catchError(() => EMPTY),
              tap({ finalize: () => (paying = false) }),
            );
          },
        ]),
      ),
    check: (host) => {
      const s = sim.stats;
      const currency = coinValue?.currency ?? 'EUR';
      return {
        agree:
          host.credits === s.accepted &&
          sumOf(host.paidOut, currency) === s.paidOut * (coinValue?.amount ?? 0),
        busy: paying,
        simulator: { ...s, hopperCoin: coinValue },
        summary:
          `${s.accepted} coin(s) accepted, ${s.rejected} rejected; ${s.paidOut} coin(s) paid out` +
          (coinValue ? ` (${formatMoney({ amount: coinValue.amount * s.paidOut, currency })})` : ''),
      };
    },
    dispose: () => {
      valueSub.unsubscribe();
      coins.dispose();
      hopper.dispose();
      bus.dispose();
      sim.dispose();
      host.close().subscribe();
    },
  };
}

function pyramidRig(gapMs: number): Rig {
  const [host, line] = createMemoryPair(['host', 'apex']);
  const sim = createPyramidSimulator(line, {
    timing: { powerUpMs: 300, readMs: 400, stackMs: 400, busyMs: 200 },
  });
  const device = createPyramidDevice(host, {});
  const w: Watched = { ref: { protocol: 'pyramid', address: 0 }, ...device };
  const bill = (index: number, label: string, act: (r: DeviceRef, t: string) => void) => () => {
    act(w.ref, `insert a ${label} bill`);
    return actThen(() => sim.insertBill(index), creditOf(w));
  };
  return {
    protocol: 'pyramid',
    title: 'Pyramid RS-232 bill acceptor',
    watched: [w],
    script: (more, act) =>
      concat(
        enabled(w),
        steps(more, gapMs, [bill(3, '5.00 USD', act), bill(1, '1.00 USD', act), bill(4, '10.00 USD', act)]),
      ),
    check: (h) => {
      const s = sim.stats;
      return {
        agree: h.credits === s.accepted,
        busy: sim.phase !== 'idle',
        simulator: s,
        summary: `${s.accepted} bill(s) stacked, ${s.rejected} rejected, ${s.returned} returned`,
      };
    },
    dispose: () => {
      device.dispose();
      sim.dispose();
      host.close().subscribe();
    },
  };
}

const add = (m: Map<string, number>, v: Money): void => {
  m.set(v.currency, (m.get(v.currency) ?? 0) + v.amount);
};
const moneyOf = (m: Map<string, number>): Money[] =>
  [...m].map(([currency, amount]) => ({ amount, currency }));
const show = (m: Map<string, number>): string =>
  m.size === 0
    ? '-'
    : moneyOf(m)
        .map((v) => formatMoney(v))
        .join(' + ');

/** Run the demo; resolves with the exit code (1 when driver and simulator disagree). */
export async function runDemo(options: DemoOptions, io: CliIo): Promise<number> {
  const durationMs = Math.round((options.durationS ?? 8) * 1000);
  const style: OutputStyle = outputStyle(options.json, io.isTty);
  const started = Date.now();
  const stamp = (): string => `+${((Date.now() - started) / 1000).toFixed(2)}s`;
  // Pauses between steps shrink with a shorter run, so a 3 s run still shows each protocol at work.
  const gapMs = Math.max(100, Math.min(900, Math.round(durationMs / 10)));
  const rigs = [esspRig(gapMs), ccTalkRig(gapMs), pyramidRig(gapMs)];
  const hosts = new Map<ProtocolName, HostTally>(
    rigs.map((r) => [r.protocol, { credits: 0, credited: new Map(), paidOut: new Map() }]),
  );

  if (!style.json) {
    io.out(
      paint(style, 'bold', `cashwire demo: ${rigs.map((r) => r.title).join(', ')}; simulated in-process.`),
    );
  }
  const act = (ref: DeviceRef, text: string): void =>
    io.out(
      style.json
        ? jsonLine({ type: 'action', device: ref, action: text })
        : `${paint(style, 'dim', stamp())}  ${paint(style, 'cyan', deviceTag(ref).padEnd(10))}  ${paint(style, 'bold', '>')} ${text}`,
    );

  const watching = rigs.flatMap((rig) =>
    rig.watched.flatMap((w) => {
      const tally = hosts.get(rig.protocol)!;
      return [
        w.events$.subscribe((e) => {
          if (e.type === 'credit') {
            tally.credits += 1;
            add(tally.credited, e.money);
          } else if (e.type === 'dispensed' || e.type === 'payout-incomplete') {
            for (const a of e.amounts) add(tally.paidOut, a);
          }
          const text = eventLine(style, e, stamp());
          if (text !== undefined) io.out(text);
        }),
        w.state$.subscribe((s) => {
          if (s.status !== 'disposed') io.out(stateLine(style, w.ref, s, stamp()));
        }),
        w.errors$.subscribe((p) => {
          const text = problemLine(style, w.ref, p, stamp());
          if (style.json) io.out(text);
          else io.err(text);
        }),
      ];
    }),
  );

  const stop$ = options.stop$ ?? EMPTY;
  let stopped = false;
  const more = (): boolean => !stopped && Date.now() - started < durationMs;
  const checks = (): Check[] => rigs.map((r) => r.check(hosts.get(r.protocol)!));

  const scripts$ = merge(...rigs.map((r) => r.script(more, act)));
  // Stay the whole duration even when the scripts are done early.
  const rest$ = defer(() => timer(Math.max(0, durationMs - (Date.now() - started))));
  // Then wait, briefly, until every driver and its simulator agree and nothing is under way.
  const settle$ = timer(0, 100).pipe(
    first(() => checks().every((c) => c.agree && !c.busy)),
    timeout(SETTLE_MS),
    catchError(() => EMPTY),
  );
  await lastValueFrom(
    concat(scripts$, rest$, settle$).pipe(
      ignoreElements(),
      takeUntil(stop$.pipe(tap(() => (stopped = true)))),
    ),
    { defaultValue: undefined },
  );

  if (stopped && !style.json) io.out('(stopped)');
  const results = checks();
  for (const s of watching) s.unsubscribe();
  for (const r of rigs) r.dispose();
  printTally(io, style, rigs, hosts, results);
  const agree = results.every((c) => c.agree);
  if (!agree && !stopped) io.err('cashwire: the drivers and the simulators disagree (see the tally above).');
  return agree || stopped ? 0 : 1;
}

function printTally(
  io: CliIo,
  style: OutputStyle,
  rigs: readonly Rig[],
  hosts: ReadonlyMap<ProtocolName, HostTally>,
  results: readonly Check[],
): void {
  const rows = rigs.map((rig, i) => {
    const h = hosts.get(rig.protocol)!;
    const r = results[i]!;
    return { rig, h, r };
  });
  if (style.json) {
    io.out(
      jsonLine({
        type: 'tally',
        agree: results.every((r) => r.agree),
        protocols: rows.map(({ rig, h, r }) => ({
          protocol: rig.protocol,
          title: rig.title,
          host: { credits: h.credits, credited: moneyOf(h.credited), paidOut: moneyOf(h.paidOut) },
          simulator: r.simulator,
          agree: r.agree,
        })),
      }),
    );
    return;
  }
  io.out('');
  io.out(paint(style, 'bold', 'Tally: what the drivers reported, and what the simulators say happened'));
  for (const { rig, h, r } of rows) {
    const mark = r.agree ? paint(style, 'green', 'agree') : paint(style, 'red', 'DISAGREE');
    io.out(`  ${paint(style, 'cyan', rig.title)}  ${mark}`);
    io.out(`    driver:    ${h.credits} credit(s), ${show(h.credited)} in; ${show(h.paidOut)} paid out`);
    io.out(`    simulator: ${r.summary}`);
  }
}

export function registerDemoCommand(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description(
      'Run every simulator in-process against the real drivers: notes, coins and bills in, a payout, a tally',
    )
    .option('--duration <seconds>', 'how long new steps keep starting, 1..120 s', secondsIn(1, 120), 8)
    .option('--json', 'one JSON object per line (events, raw events, actions, final tally)')
    .hook('preAction', () => catchStopSignals(ctx))
    .addHelpText(
      'after',
      `
Examples:
  cashwire demo                      (what npm start runs)
  cashwire demo --duration 20
  cashwire demo --json | jq -c 'select(.type == "credit")'`,
    )
    .action(async (opts: Record<string, unknown>) => {
      ctx.done(
        await runDemo(
          { durationS: opts['duration'] as number, json: opts['json'] === true, stop$: ctx.stop$ },
          ctx.io,
        ),
      );
    });
}

function secondsIn(min: number, max: number): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!/^\d+(\.\d+)?$/.test(text.trim()) || n < min || n > max) {
      throw new UsageError(`expected seconds between ${min} and ${max}, got '${text}'.`);
    }
    return n;
  };
}
