/**
 * A simulated bill validator: bill ids with the country scaling factor, the
 * 159 ring, escrow held until routed with 154 (or returned by the unit's own
 * escrow timeout), inhibits, master inhibit and the 5 s poll watchdog that
 * self-inhibits and posts "master inhibit active".
 */
import { type Subscription } from 'rxjs';
import { fromAscii } from '../../../core/bytes.js';
import {
  ACK,
  type HandlerTable,
  type SimContext,
  type SimDevice,
  cancel,
  coreHandlers,
  data,
  leBytes,
  maskBit,
  readLe,
  simIdentity,
  tableDevice,
} from './device.js';
import { createSimRing, pushRing, ringBytes } from './ring.js';
import type { SimBillConfig } from './types.js';

export const EURO_BILLS: readonly string[] = [
  'EU0005A', 'EU0010A', 'EU0020A', 'EU0050A', 'EU0100A', 'EU0200A', 'EU0500A',
]; // prettier-ignore

export const BILL_EVENT = {
  masterInhibit: 0,
  returned: 1,
  invalid: 2,
  inhibited: 4,
  jamUnsafe: 6,
} as const;

export interface SimBill extends SimDevice {
  insert(channel: number): void;
  reject(): void;
  jam(): void;
}

export function createSimBill(config: SimBillConfig, ctx: SimContext): SimBill {
  const address = config.address ?? 40;
  const bills = Array.from({ length: 16 }, (_, i) => (config.bills ?? EURO_BILLS)[i] ?? '.......');
  const scaling = config.scaling ?? { factor: 100, decimalPlaces: 2 };
  const escrowTimeoutMs = config.escrowTimeoutMs ?? 10_000;
  const watchdogMs = config.pollWatchdogMs ?? 5000;
  let ring = createSimRing();
  let inhibitMask = 0;
  let accepting = false;
  let modeBits = 0b01; // stacker on, escrow off
  let lastPoll = Number.NEGATIVE_INFINITY;
  let escrowed: number | undefined;
  let escrowTimer: Subscription | undefined;

  const event = (a: number, b: number): void => pushRing(ring, a, b);
  const restart = (): void => {
    escrowTimer = cancel(escrowTimer);
    ring = createSimRing();
    inhibitMask = 0;
    accepting = false;
    modeBits = 0b01;
    escrowed = undefined;
    lastPoll = Number.NEGATIVE_INFINITY;
    ctx.log(`bill@${address}: restarted (counter 0, inhibited)`);
  };
  const returnEscrow = (why: string): void => {
    escrowTimer = cancel(escrowTimer);
    escrowed = undefined;
    ctx.stats.rejected++;
    event(0, BILL_EVENT.returned);
    ctx.log(`bill@${address}: bill returned from escrow (${why})`);
  };
  const stack = (channel: number): void => {
    ctx.stats.accepted++;
    event(channel, 0);
    ctx.log(`bill@${address}: ${bills[channel - 1]!} stacked (event ${ring.counter})`);
  };
  /** Watchdog: a validator not polled for ~5 s inhibits itself and says so. */
  const checkWatchdog = (): boolean => {
    if (accepting && ctx.scheduler.now() - lastPoll > watchdogMs) {
      accepting = false;
      event(0, BILL_EVENT.masterInhibit);
      ctx.log(`bill@${address}: not polled for ${watchdogMs} ms, master inhibit active`);
    }
    return accepting;
  };

  const handlers: HandlerTable = {
    ...coreHandlers(simIdentity(config, 'Bill Validator', 'SIM-BILL', 0x040506), restart, ctx),
    249: () => data(2, 20),
    213: () => data(0b11),
    232: () => data(0),
    157: (d) => {
      const id = bills[(d[0] ?? 0) - 1];
      return id ? { kind: 'data', data: fromAscii(id) } : { kind: 'silent' };
    },
    156: () => data(...leBytes(scaling.factor, 2), scaling.decimalPlaces),
    155: () => data(...leBytes(2 ** bills.filter((b) => b !== '.......').length - 1, 2)),
    154: (d) => {
      if (escrowed === undefined) return data(254);
      const action = d[0];
      if (action === 1) {
        const channel = escrowed;
        escrowTimer = cancel(escrowTimer);
        escrowed = undefined;
        stack(channel);
      } else if (action === 0) {
        returnEscrow('host');
      } else if (action === 255) {
        escrowTimer = cancel(escrowTimer);
        escrowTimer = ctx.scheduler.schedule(() => returnEscrow('escrow timeout'), escrowTimeoutMs);
      } else {
        return data(255);
      }
      return ACK;
    },
    153: (d) => {
      modeBits = (d[0] ?? 0) & 0b11;
      return ACK;
    },
    152: () => data(modeBits),
    231: (d) => {
      inhibitMask = readLe(d);
      return ACK;
    },
    230: () => data(...leBytes(inhibitMask, 2)),
    228: (d) => {
      accepting = ((d[0] ?? 0) & 1) === 1;
      if (accepting) lastPoll = ctx.scheduler.now();
      return ACK;
    },
    227: () => data(accepting ? 1 : 0),
    159: () => {
      checkWatchdog();
      lastPoll = ctx.scheduler.now();
      return { kind: 'data', data: ringBytes(ring) };
    },
  };

  return {
    ...tableDevice(address, config.checksum, 'Bill Validator', handlers),
    powerCycle: restart,
    dispose: () => {
      escrowTimer = cancel(escrowTimer);
    },
    insert: (channel) => {
      ctx.stats.inserted++;
      const id = bills[channel - 1];
      if (!checkWatchdog() || escrowed !== undefined) {
        ctx.stats.rejected++;
        ctx.log(`bill@${address}: bill ${channel} refused (not accepting)`);
        return;
      }
      if (!id || id === '.......') {
        ctx.stats.rejected++;
        event(0, BILL_EVENT.invalid);
        ctx.log(`bill@${address}: unknown bill rejected`);
      } else if (!maskBit(inhibitMask, channel)) {
        ctx.stats.rejected++;
        event(0, BILL_EVENT.inhibited);
        ctx.log(`bill@${address}: inhibited bill ${id} returned`);
      } else if (modeBits & 0b10) {
        escrowed = channel;
        event(channel, 1);
        escrowTimer = ctx.scheduler.schedule(() => returnEscrow('escrow timeout'), escrowTimeoutMs);
        ctx.log(`bill@${address}: ${id} held in escrow (event ${ring.counter})`);
      } else {
        stack(channel);
      }
    },
    reject: () => {
      ctx.stats.inserted++;
      ctx.stats.rejected++;
      event(0, BILL_EVENT.invalid);
      ctx.log(`bill@${address}: bill failed validation`);
    },
    jam: () => {
      event(0, BILL_EVENT.jamUnsafe);
      ctx.log(`bill@${address}: bill jammed in transport`);
    },
  };
}
