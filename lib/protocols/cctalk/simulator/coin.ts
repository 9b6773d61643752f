/**
 * A simulated coin acceptor: 16 coin positions (the euro set by default),
 * inhibit masks, master inhibit, sorter paths, the 229 ring, and the poll
 * watchdog: without a 229 read for about a second it stops accepting.
 */
import { fromAscii } from '../../../core/bytes.js';
import {
  ACK,
  type HandlerTable,
  type SimContext,
  type SimDevice,
  coreHandlers,
  data,
  leBytes,
  maskBit,
  readLe,
  simIdentity,
  tableDevice,
} from './device.js';
import { createSimRing, pushRing, ringBytes } from './ring.js';
import type { SimCoinConfig } from './types.js';

export const EURO_COINS: readonly string[] = [
  'EU001A', 'EU002A', 'EU005A', 'EU010A', 'EU020A', 'EU050A', 'EU100A', 'EU200A',
]; // prettier-ignore

export const COIN_EVENT = { reject: 1, inhibited: 2, creditSensorBlocked: 14 } as const;

export interface SimCoin extends SimDevice {
  insert(slot: number): void;
  reject(): void;
  jam(): void;
  setCounter(counter: number): void;
}

export function createSimCoin(config: SimCoinConfig, ctx: SimContext): SimCoin {
  const address = config.address ?? 2;
  const coins = Array.from({ length: 16 }, (_, i) => (config.coins ?? EURO_COINS)[i] ?? '......');
  const watchdogMs = config.pollWatchdogMs ?? 1000;
  const priority = config.pollingPriority ?? [2, 20];
  let ring = createSimRing();
  let inhibitMask = 0;
  let accepting = false;
  let lastPoll = Number.NEGATIVE_INFINITY;
  const paths = Array.from({ length: 16 }, () => 1);
  let defaultPath = 1;

  const restart = (): void => {
    ring = createSimRing();
    inhibitMask = 0;
    accepting = false;
    lastPoll = Number.NEGATIVE_INFINITY;
    ctx.log(`coin@${address}: restarted (counter 0, all coins inhibited, master inhibit on)`);
  };
  const event = (a: number, b: number): void => pushRing(ring, a, b);

  const handlers: HandlerTable = {
    ...coreHandlers(simIdentity(config, 'Coin Acceptor', 'SIM-COIN', 0x010203), restart, ctx),
    249: () => data(...priority),
    248: () => data(0),
    213: () => data(0),
    232: () => data(0),
    184: (d) => {
      const id = coins[(d[0] ?? 0) - 1];
      return id ? { kind: 'data', data: fromAscii(id) } : { kind: 'silent' };
    },
    231: (d) => {
      inhibitMask = readLe(d);
      return ACK;
    },
    230: () => data(...leBytes(inhibitMask, 2)),
    228: (d) => {
      accepting = ((d[0] ?? 0) & 1) === 1;
      return ACK;
    },
    227: () => data(accepting ? 1 : 0),
    229: () => {
      lastPoll = ctx.scheduler.now();
      return { kind: 'data', data: ringBytes(ring) };
    },
    209: (d) => data(paths[(d[0] ?? 1) - 1] ?? 0),
    210: (d) => {
      if (d[0] && d[0] <= 16) paths[d[0] - 1] = d[1] ?? 0;
      return ACK;
    },
    188: () => data(defaultPath),
    189: (d) => {
      defaultPath = d[0] ?? 1;
      return ACK;
    },
  };

  return {
    ...tableDevice(address, config.checksum, 'Coin Acceptor', handlers),
    powerCycle: restart,
    dispose: () => undefined,
    insert: (slot) => {
      ctx.stats.inserted++;
      const polled = ctx.scheduler.now() - lastPoll <= watchdogMs;
      if (!polled || !accepting) {
        // Self-inhibited (no recent poll) or master inhibit: the coin falls through, no event.
        ctx.stats.rejected++;
        ctx.log(`coin@${address}: coin ${slot} returned (${polled ? 'master inhibit' : 'not polled'})`);
        return;
      }
      const id = coins[slot - 1];
      if (!id || id === '......') {
        ctx.stats.rejected++;
        event(0, COIN_EVENT.reject);
        ctx.log(`coin@${address}: unknown coin in slot ${slot} rejected`);
      } else if (!maskBit(inhibitMask, slot)) {
        ctx.stats.rejected++;
        event(0, COIN_EVENT.inhibited);
        ctx.log(`coin@${address}: inhibited coin ${id} rejected`);
      } else {
        ctx.stats.accepted++;
        event(slot, paths[slot - 1] ?? defaultPath);
        ctx.log(`coin@${address}: ${id} accepted (event ${ring.counter})`);
      }
    },
    reject: () => {
      ctx.stats.inserted++;
      ctx.stats.rejected++;
      event(0, COIN_EVENT.reject);
      ctx.log(`coin@${address}: coin rejected`);
    },
    jam: () => {
      event(0, COIN_EVENT.creditSensorBlocked);
      ctx.log(`coin@${address}: credit sensor blocked`);
    },
    setCounter: (counter) => {
      // As a unit that has really counted this far: its buffer holds past
      // events, never the blank (0,0) slots of a fresh power-up (drivers tell
      // a restart from a wrap by those). Past results here: coins rejected.
      ring.counter = counter;
      for (let k = 0; k < ring.pairs.length; k++) ring.pairs[k] = k < counter ? [0, 1] : [0, 0];
    },
  };
}
