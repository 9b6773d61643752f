/**
 * Suite `device`: the whole driver, not just its receive path. The real eSSP
 * device (request queue, timers, link state, session, event streams) polls
 * the eSSP simulator of a SMART Payout:
 *
 * 1. encrypted ÷ plain CPU per poll (virtual time), and the same poll after idle gaps;
 * 2. heap after GC before and after a million polls (virtual time);
 * 3. CPU share per device with many devices polled at 5 Hz (real time);
 * 4. time per POLL exchange against the wire time at 9600 baud (real time).
 */
import { mb, ms, thousands, type BenchRun, type Suite } from './report.js';
import { pollFleet, type FleetRun } from './device-fleet.js';
import { atMost, below, median, printTargets, quantile, range, type Target } from './device-targets.js';
import { heapOverPolls, pollAfterIdle, pollCost, type PollCost } from './device-virtual.js';
import { pollsOnTheWire, type Exchange, type WireRun } from './device-wire.js';

const pct = (share: number): string => `${(share * 100).toFixed(4)} %`;
const us = (msValue: number): string => (msValue * 1000).toFixed(0);

function encryptionCost(quick: boolean): { targets: Target[] } {
  const rounds = quick ? 1 : 5;
  const polls = quick ? 2000 : 20_000;
  // One unmeasured pair first: the code paths get compiled before either side is timed.
  pollCost(false, 1000, 500);
  pollCost(true, 1000, 500);
  const rows: { plain: PollCost; encrypted: PollCost }[] = [];
  for (let i = 0; i < rounds; i++)
    rows.push({ plain: pollCost(false, polls), encrypted: pollCost(true, polls) });
  console.log(
    `\n1 CPU per idle POLL exchange, plain and encrypted (virtual time, ${thousands(polls)} polls a run)`,
  );
  console.table(
    rows.map((r, i) => ({
      round: i + 1,
      'plain µs (driver+sim)': r.plain.totalUs.toFixed(1),
      'plain µs (driver)': r.plain.hostUs.toFixed(1),
      'enc µs (driver+sim)': r.encrypted.totalUs.toFixed(1),
      'enc µs (driver)': r.encrypted.hostUs.toFixed(1),
      'ratio (driver)': (r.encrypted.hostUs / r.plain.hostUs).toFixed(2),
      'ratio (driver+sim)': (r.encrypted.totalUs / r.plain.totalUs).toFixed(2),
    })),
  );
  const driver = rows.map((r) => r.encrypted.hostUs / r.plain.hostUs);
  const total = rows.map((r) => r.encrypted.totalUs / r.plain.totalUs);
  console.log(`driver ratio range ${range(driver)}; driver + simulator ratio range ${range(total)}`);
  return {
    targets: [
      {
        what: 'encrypted ÷ plain CPU per poll (driver, median of rounds)',
        ...atMost(1.5, '×', 2),
        measured: median(driver),
        note: 'simulator share subtracted',
      },
      {
        what: 'encrypted ÷ plain CPU per poll (driver + simulator)',
        ...atMost(1.5, '×', 2),
        measured: median(total),
        note: 'both ends encrypt and decrypt',
      },
    ],
  };
}

/** The same poll back to back and after real idle gaps: what a single, slowly polled device pays for running cold. */
async function idleGaps(quick: boolean): Promise<void> {
  const polls = quick ? 5 : 30;
  const rows = [];
  for (const sleepMs of [0, 5, 200]) {
    const t = await pollAfterIdle(sleepMs, polls);
    rows.push({
      'real sleep before each poll (ms)': sleepMs,
      polls: t.length,
      'µs per poll, median (driver+sim)': us(median(t)),
      'µs per poll, p95': us(quantile(t, 0.95)),
    });
  }
  console.log('\n1b wall time per plain poll in virtual time, back to back and after idle gaps');
  console.table(rows);
}

function heap(quick: boolean): { targets: Target[] } {
  const polls = quick ? 100_000 : 1_000_000;
  const r = heapOverPolls(polls);
  const heaps = r.checkpoints.map((c) => c.heap);
  console.log(`\n2 heap over ${thousands(r.polls)} polls (virtual time, plain, a note every 20 s)`);
  console.table([
    {
      polls: thousands(r.polls),
      notes: r.notes,
      credits: r.credits,
      'heap before (MB)': mb(r.before),
      'heap after (MB)': mb(r.after),
      'growth (kB)': ((r.after - r.before) / 1000).toFixed(1),
      'checkpoints (MB)': `${mb(Math.min(...heaps))} – ${mb(Math.max(...heaps))}`,
      'time (ms)': ms(r.ms),
    },
  ]);
  return {
    targets: [
      {
        what: `heap growth over ${thousands(r.polls)} polls`,
        ...below(1, 'MB', 3),
        measured: (r.after - r.before) / 1e6,
        note: 'heapUsed after full GC',
      },
    ],
  };
}

async function fleet(quick: boolean): Promise<{ targets: Target[] }> {
  const devices = quick ? 20 : 200;
  const windowMs = quick ? 2000 : 10_000;
  const runs: FleetRun[] = [
    await pollFleet(devices, false, windowMs),
    await pollFleet(devices, true, windowMs),
  ];
  console.log(
    `\n3 ${devices} devices polled every 200 ms in one process (real time, ${ms(windowMs)} ms window)`,
  );
  console.table(
    runs.map((r) => ({
      mode: r.encrypted ? 'encrypted' : 'plain',
      devices: r.devices,
      'polls/s per device': r.pollHz.toFixed(2),
      'CPU per device': pct(r.sharePerDevice),
      'of which simulator': pct(r.simSharePerDevice),
      'main thread': r.mainThreadSharePerDevice === undefined ? 'n/a' : pct(r.mainThreadSharePerDevice),
      'µs per poll': r.usPerPoll.toFixed(1),
      'devices per core': thousands(1 / r.sharePerDevice),
    })),
  );
  return {
    targets: runs.map((r) => ({
      what: `CPU share per device at 5 Hz, ${r.encrypted ? 'encrypted' : 'plain'}`,
      ...atMost(0.2, '%', 4),
      measured: r.sharePerDevice * 100,
      note: 'simulator, timers and GC included',
    })),
  };
}

/**
 * The POLL exchange against the wire, in each window of `windowsMs` (see
 * pollsOnTheWire). The targets are checked on the last window; earlier ones
 * are printed for information.
 */
async function wire(quick: boolean, windowsMs: readonly number[]): Promise<{ targets: Target[] }> {
  const polls = quick ? 10 : 50;
  const targets: Target[] = [];
  const rows = [];
  const last = windowsMs.length - 1;
  for (const encrypted of [false, true]) {
    for (const [w, r] of (await pollsOnTheWire(encrypted, polls, windowsMs)).entries()) {
      const { row, checked } = exchangeRow(encrypted, r);
      rows.push(row);
      if (w === last) targets.push(...checked);
    }
  }
  console.log(
    `\n4 POLL exchanges at 9600 baud, 11 bits a byte (real asyncScheduler, ${polls} polls per mode` +
      `${windowsMs.length > 1 ? ' and window' : ''})`,
  );
  console.table(rows);
  return { targets };
}

/** One table row and the two targets of a window of exchanges. */
function exchangeRow(encrypted: boolean, r: WireRun): { row: Record<string, unknown>; checked: Target[] } {
  const x = r.exchanges;
  const of = (f: (e: Exchange) => number) => x.map(f);
  const ratio = of((e) => e.elapsedMs / e.wireMs);
  // The driver's part ends when the transport has the bytes: the handover
  // (the driver subscribing to the write) is counted with it.
  const driver = of((e) => (e.wireMs + e.sendMs + e.handoverMs + e.receiveMs) / e.wireMs);
  const row = {
    mode: encrypted ? 'encrypted' : 'plain',
    'after s': (r.afterMs / 1000).toFixed(1),
    polls: x.length,
    'bytes/exchange': median(of((e) => e.bytes)),
    'wire ms': median(of((e) => e.wireMs)).toFixed(2),
    'elapsed ms (median)': median(of((e) => e.elapsedMs)).toFixed(2),
    'elapsed ms (p95)': quantile(
      of((e) => e.elapsedMs),
      0.95,
    ).toFixed(2),
    'driver send µs': us(median(of((e) => e.sendMs))),
    'driver receive µs': us(median(of((e) => e.receiveMs))),
    'driver CPU µs (send + receive)': us(median(of((e) => e.sendCpuMs + e.receiveCpuMs))),
    'handover µs': us(median(of((e) => e.handoverMs))),
    'simulator µs': us(median(of((e) => e.simMs))),
    'bench lateness µs': us(median(of((e) => e.lateMs))),
    'elapsed ÷ wire': median(ratio).toFixed(4),
    '(wire + driver) ÷ wire': median(driver).toFixed(4),
    'pause timer late ms': median(r.timerLateMs).toFixed(2),
  };
  const mode = encrypted ? 'encrypted' : 'plain';
  const checked: Target[] = [
    {
      what: `POLL exchange ÷ wire time at 9600 baud, ${mode}: driver`,
      ...atMost(1.02, '×', 4),
      measured: median(driver),
      note: 'median; (wire + send + handover + receive) ÷ wire',
    },
    {
      what: `POLL exchange ÷ wire time at 9600 baud, ${mode}: end to end`,
      ...atMost(1.02, '×', 4),
      measured: median(ratio),
      note: 'median; simulator and bench pacing included',
    },
  ];
  return { row, checked };
}

async function run({ quick }: BenchRun): Promise<void> {
  const targets: Target[] = [];
  targets.push(...encryptionCost(quick).targets);
  await idleGaps(quick);
  targets.push(...heap(quick).targets);
  targets.push(...(await fleet(quick)).targets);
  targets.push(...(await wire(quick, [1500])).targets);
  printTargets('device targets', targets);
}

export const deviceSuite: Suite = {
  name: 'device',
  description:
    'whole driver against the simulator: encrypted ÷ plain poll cost, heap over 1 000 000 polls, ' +
    'devices per core at 5 Hz, POLL exchange ÷ wire time at 9600 baud',
  run,
};

/**
 * The exchange measurement on its own: a kiosk with one unit polled at 5 Hz,
 * in a fresh process (`npm run bench -- exchange`). It times the device twice:
 * in its first seconds, when V8 still runs the driver's code as bytecode, and
 * after it has polled for three minutes on its own, when V8 has optimized the
 * poll path as it stays for the rest of the device's life; the targets are
 * checked on the second. In the `device` suite the measurement comes after a
 * million polls in virtual time, with the code long optimized.
 */
export const EXCHANGE_SETTLE_MS = 180_000;

export const exchangeSuite: Suite = {
  name: 'exchange',
  description:
    'POLL exchange ÷ wire time at 9600 baud only: a lone device in a fresh process, ' +
    'in its first seconds and after 3 minutes of polling (about 7 minutes)',
  run: async ({ quick }) => {
    const windows = quick ? [1500, 5000] : [1500, EXCHANGE_SETTLE_MS];
    printTargets('exchange targets (device polled for 3 minutes)', (await wire(quick, windows)).targets);
  },
};
