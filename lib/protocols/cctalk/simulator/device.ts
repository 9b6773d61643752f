/**
 * What every simulated ccTalk device shares: an address and checksum mode,
 * identity answers (245, 246, 244, 242, 241, 4, 192), simple poll and reset,
 * and a declarative header → handler table.
 */
import type { SchedulerLike, Subscription } from 'rxjs';
import { fromAscii } from '../../../core/bytes.js';
import type { ChecksumMode } from '../checksum.js';
import type { SimReply } from './types.js';

export interface SimStats {
  inserted: number;
  accepted: number;
  rejected: number;
  paidOut: number;
  resets: number;
}

export interface SimContext {
  readonly scheduler: SchedulerLike;
  readonly stats: SimStats;
  log(line: string): void;
}

export type Handler = (data: Uint8Array) => SimReply;
export type HandlerTable = Readonly<Record<number, Handler>>;

export interface SimDevice {
  readonly address: number;
  readonly mode: ChecksumMode;
  readonly category: string;
  /** Undefined: the header is not implemented (real devices stay silent). */
  handle(header: number, data: Uint8Array): SimReply | undefined;
  powerCycle(): void;
  dispose(): void;
}

export const ACK: SimReply = { kind: 'ack' };
export const NAK: SimReply = { kind: 'nak' };
export const data = (...bytes: readonly number[]): SimReply => ({
  kind: 'data',
  data: Uint8Array.from(bytes),
});
export const text = (s: string): SimReply => ({ kind: 'data', data: fromAscii(s) });

export interface Identity {
  readonly category: string;
  readonly manufacturer: string;
  readonly product: string;
  readonly serial: number;
}

/** Identity fields a device's config may set; the rest are the simulator's defaults. */
export interface IdentityConfig {
  readonly manufacturer?: string;
  readonly product?: string;
  readonly serial?: number;
}

/** A device's identity: what its config sets, else manufacturer CWS and the given product and serial. */
export function simIdentity(
  config: IdentityConfig,
  category: string,
  product: string,
  serial: number,
): Identity {
  return {
    category,
    manufacturer: config.manufacturer ?? 'CWS',
    product: config.product ?? product,
    serial: config.serial ?? serial,
  };
}

/** Handlers every device answers. `reset` runs after the ACK has gone out. */
export function coreHandlers(id: Identity, reset: () => void, ctx: SimContext): HandlerTable {
  return {
    254: () => ACK,
    245: () => text(id.category),
    246: () => text(id.manufacturer),
    244: () => text(id.product),
    242: () => data(id.serial & 0xff, (id.serial >> 8) & 0xff, (id.serial >> 16) & 0xff),
    241: () => text('SIM-1.0'),
    4: () => data(1, 4, 7),
    192: () => text('CW000001'),
    170: () => text('2026'),
    1: () => {
      ctx.stats.resets++;
      // The ACK goes out first, then the unit restarts.
      ctx.scheduler.schedule(reset, 1);
      return ACK;
    },
  };
}

/** The part of a device that answers from its header table, in its checksum mode ('simple' unless set). */
export function tableDevice(
  address: number,
  checksum: ChecksumMode | undefined,
  category: string,
  handlers: HandlerTable,
): Pick<SimDevice, 'address' | 'mode' | 'category' | 'handle'> {
  return { address, mode: checksum ?? 'simple', category, handle: (header, d) => handlers[header]?.(d) };
}

/** Bit n-1 of a little-endian mask of `bytes`. */
export function maskBit(mask: number, position: number): boolean {
  return Math.floor(mask / 2 ** (position - 1)) % 2 === 1;
}

export function leBytes(value: number, width: number): number[] {
  return Array.from({ length: width }, (_, i) => Math.floor(value / 256 ** i) & 0xff);
}

export function readLe(d: Uint8Array): number {
  let v = 0;
  for (let i = d.length - 1; i >= 0; i--) v = v * 256 + d[i]!;
  return v;
}

/** Cancel a pending scheduled action. */
export function cancel(sub: Subscription | undefined): undefined {
  sub?.unsubscribe();
  return undefined;
}
