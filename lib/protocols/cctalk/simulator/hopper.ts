/**
 * A simulated single-coin hopper: starts disabled after power-up, pays with
 * 167 (security bytes are not checked, as on unencrypted units), keeps the
 * 166 event counter / remaining / paid / unpaid registers, 168 total count,
 * 163 test registers, 172 emergency stop, and runs dry when empty.
 */
import { type Subscription } from 'rxjs';
import { fromAscii } from '../../../core/bytes.js';
import {
  ACK,
  type HandlerTable,
  NAK,
  type SimContext,
  type SimDevice,
  cancel,
  coreHandlers,
  data,
  leBytes,
  readLe,
  simIdentity,
  tableDevice,
} from './device.js';
import type { SimHopperConfig, SimReply } from './types.js';

/** 163 register 1 bits. */
const REG1 = { payoutTimeout: 1 << 1, powerUp: 1 << 6, disabled: 1 << 7 } as const;

export interface SimHopper extends SimDevice {
  setLevel(coins: number): void;
}

export function createSimHopper(config: SimHopperConfig, ctx: SimContext): SimHopper {
  const address = config.address ?? 3;
  const coinIntervalMs = config.coinIntervalMs ?? 100;
  const coinId = config.coin ?? 'EU100A';
  // Minor units per coin, for the value-based headers (134/133).
  const coinValue = Math.max(1, Number(/^[A-Z]{2}(\d{3})/.exec(coinId)?.[1] ?? 1));
  let level = config.level ?? 100;
  let enabled = false;
  let powerUp = true;
  let counter = 0;
  let remaining = 0;
  let paid = 0;
  let unpaid = 0;
  let total = 0;
  let ranDry = false;
  let job: Subscription | undefined;

  /** A power cycle sets the power-up flag; a soft reset (header 1) clears it. */
  const restart = (power: boolean): void => {
    job = cancel(job);
    enabled = false;
    powerUp = power;
    counter = 0;
    remaining = paid = unpaid = 0;
    ctx.log(`hopper@${address}: restarted (disabled)`);
  };
  const finish = (): void => {
    job = cancel(job);
    ctx.log(`hopper@${address}: payout ended, paid ${paid}, unpaid ${unpaid}`);
  };
  const payOne = (): void => {
    if (remaining === 0) return finish();
    if (level === 0) {
      ranDry = true;
      unpaid += remaining;
      remaining = 0;
      return finish();
    }
    level--;
    remaining--;
    paid++;
    total++;
    ctx.stats.paidOut++;
    if (remaining === 0) finish();
  };

  const start = (count: number): SimReply => {
    if (!enabled || remaining > 0 || count < 1 || count > 255) return NAK;
    counter = counter >= 255 ? 1 : counter + 1;
    remaining = count;
    paid = unpaid = 0;
    ranDry = false;
    job = ctx.scheduler.schedule(function tick() {
      payOne();
      if (remaining > 0) this.schedule(undefined, coinIntervalMs);
    }, coinIntervalMs);
    ctx.log(`hopper@${address}: paying ${count} coin(s) (event ${counter})`);
    return data(counter);
  };

  const handlers: HandlerTable = {
    ...coreHandlers(simIdentity(config, 'Payout', 'SIM-HOPPER', 0x070809), () => restart(false), ctx),
    164: (d) => {
      enabled = d[0] === 0xa5;
      return ACK;
    },
    // Security bytes (8-byte cipher or the 3-byte serial) are not checked; the count is last.
    167: (d) => {
      if (d.length !== 9 && d.length !== 4) return NAK;
      return start(d[d.length - 1] ?? 0);
    },
    166: () => data(counter, remaining, paid, unpaid),
    // Value-based form: 8 security bytes + value (minor units, LSB first), paid in whole coins.
    134: (d) => {
      const value = readLe(d.subarray(d.length - 2));
      if (d.length !== 10 || value % coinValue !== 0) return NAK;
      return start(value / coinValue);
    },
    133: () =>
      data(
        counter,
        ...leBytes(remaining * coinValue, 2),
        ...leBytes(paid * coinValue, 2),
        ...leBytes(unpaid * coinValue, 2),
      ),
    168: () => data(...leBytes(total, 3)),
    163: () =>
      data(
        (enabled ? 0 : REG1.disabled) | (powerUp ? REG1.powerUp : 0) | (ranDry ? REG1.payoutTimeout : 0),
        0,
      ),
    172: () => {
      const left = remaining;
      unpaid += remaining;
      remaining = 0;
      finish();
      return data(left);
    },
    171: () => ({ kind: 'data', data: fromAscii(coinId) }),
    160: () => data(1, 2, 3, 4, 5, 6, 7, 8),
    217: () => data(level < 10 ? 1 : 0),
  };

  return {
    ...tableDevice(address, config.checksum, 'Payout', handlers),
    powerCycle: () => restart(true),
    dispose: () => {
      job = cancel(job);
    },
    setLevel: (coins) => {
      level = coins;
    },
  };
}
