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
  first,
  lastValueFrom,
  ignoreElements,
  merge,
  takeUntil,
  tap,
  timeout,
  timer,
  catchError,
} from 'rxjs';
import { type DeviceRef, type ProtocolName } from '../../core/events.js';
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
import { type Check, type HostTally, SETTLE_MS } from './demo-rig.js';
import { esspRig } from './demo-essp.js';
import { ccTalkRig } from './demo-cctalk.js';
import { pyramidRig } from './demo-pyramid.js';
import { add, printTally } from './demo-tally.js';
import { type CliContext, catchStopSignals } from './simulate.js';

export interface DemoOptions {
  /** Seconds during which new steps start. Default 8. */
  readonly durationS?: number;
  readonly json?: boolean;
  /** Emits to end the demo early (Ctrl-C). */
  readonly stop$?: Observable<unknown>;
}

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
