/**
 * ccTalk soak rig: one bus with a coin acceptor (address 2) behind a faulty
 * single-wire line that echoes every host frame, and the coin acceptor
 * driver. The accepted value comes from the simulator's log (one line per
 * coin it took, with the coin id).
 */
import { createCcTalkBus } from '../../lib/protocols/cctalk/bus.js';
import { createCcTalkCoinAcceptor } from '../../lib/protocols/cctalk/coin-acceptor.js';
import { parseCoinId } from '../../lib/protocols/cctalk/coin-id.js';
import { createCcTalkSimulator } from '../../lib/protocols/cctalk/simulator/index.js';
import { createMemoryPair } from '../../lib/transport/memory.js';
import type { LedgerItem } from './ledger.js';
import { createSoakLine } from './line.js';
import type { Rig, RigOptions } from './types.js';

const ACCEPTED = /^coin@\d+: (\S+) accepted/;
const SLOTS = 8;

export function createCcTalkRig(options: RigOptions): Rig {
  const { scheduler } = options;
  const [host, end] = createMemoryPair();
  // The line power-cycles the simulator created on it below (called only once both exist).
  const { line, powerCycles$ } = createSoakLine(end, options, 'cctalk', () => unit.powerCycle());
  const unit = createCcTalkSimulator(line, { scheduler });
  let acceptedValue = 0;
  const accepted: LedgerItem[] = [];
  unit.log$.subscribe((text) => {
    const m = ACCEPTED.exec(text);
    if (m === null) return;
    const id = parseCoinId(m[1]!);
    if (id.kind !== 'coin') return;
    acceptedValue += id.amount;
    // Coins can be in flight together, so the rig cannot tell which insertion this is: no serial.
    accepted.push({ value: id.amount, at: scheduler.now() });
  });
  const bus = createCcTalkBus(host, { scheduler });
  const device = createCcTalkCoinAcceptor(bus, { scheduler });
  return {
    protocol: 'cctalk',
    label: 'coin acceptor, 8-bit checksum, echoing line',
    gapMs: 400,
    device,
    powerCycles$,
    creditLeadMs: 0,
    // Five events in the acceptor's buffer, plus the ones it already overwrote while no read got
    // through (a couple of seconds of line noise at this rate): all vanish with the power.
    heldAtPowerCycle: 10,
    insert: (i) => unit.insertCoin(1 + (i % SLOTS)),
    truth: () => {
      const s = unit.stats;
      return { inserted: s.inserted, accepted: s.accepted, acceptedValue, resets: s.resets };
    },
    acceptedItems: () => accepted,
    faults: () => line.stats,
    dispose: () => {
      device.dispose();
      bus.dispose();
      unit.dispose();
    },
  };
}
