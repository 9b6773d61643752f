/**
 * ccTalk buffered events → the normalized cash events every driver shares.
 * Declarative: code sets per normalized type, looked up in a fixed order
 * (jam before fraud before rejected), so one buffered result gives at most
 * one normalized event. Every result also goes out as a `raw` event.
 */
import type { CashEvent, DeviceRef } from '../../core/events.js';
import type { BillEvent, CoinEvent } from './events.js';

/** 229 codes (A = 0) that mean something is stuck in the coin path. */
export const COIN_JAM_CODES: ReadonlySet<number> = new Set([14, 15, 26, 32]);
/** 229 codes that point at a fraud attempt. */
export const COIN_FRAUD_CODES: ReadonlySet<number> = new Set([17, 20, 40]);

/** The normalized event for a 229 error/status result, if any. Credits are handled by the device (money). */
export function normalizeCoinEvent(device: DeviceRef, e: CoinEvent): CashEvent | undefined {
  if (e.kind === 'credit') return undefined;
  const reason = e.name ?? `event code ${e.code}`;
  if (COIN_JAM_CODES.has(e.code)) return { type: 'jam', device };
  if (COIN_FRAUD_CODES.has(e.code)) return { type: 'fraud', device };
  if (e.rejected === 'yes') return { type: 'rejected', device, reason };
  return undefined;
}

/** 159 status codes with a normalized meaning beyond their class. */
const BILL_STATUS_EVENTS: Readonly<Record<number, (device: DeviceRef) => CashEvent>> = {
  0: (device) => ({ type: 'disabled', device }),
  1: (device) => ({ type: 'rejected', device, reason: 'bill returned from escrow' }),
  6: (device) => ({ type: 'jam', device, safe: false }),
  7: (device) => ({ type: 'jam', device, safe: true }),
  11: (device) => ({ type: 'cashbox-removed', device }),
  12: (device) => ({ type: 'cashbox-replaced', device }),
  14: (device) => ({ type: 'stacker-full', device }),
  15: (device) => ({ type: 'jam', device, safe: true }),
  16: (device) => ({ type: 'jam', device, safe: true }),
};

/** The normalized event for a 159 status result, if any. Credits and escrow are handled by the device (money). */
export function normalizeBillEvent(device: DeviceRef, e: BillEvent): CashEvent | undefined {
  if (e.kind !== 'status') return undefined;
  const special = BILL_STATUS_EVENTS[e.code];
  if (special) return special(device);
  if (e.class === 'reject') return { type: 'rejected', device, reason: e.name ?? `event code ${e.code}` };
  if (e.class === 'fraud') return { type: 'fraud', device };
  return undefined;
}

/** Raw event name and payload for a 229 result. */
export function rawCoinEvent(e: CoinEvent, counter: number): { name: string; data: Record<string, unknown> } {
  return e.kind === 'credit'
    ? { name: 'coin-credit', data: { counter, position: e.position, sorterPath: e.sorterPath } }
    : { name: 'coin-event', data: { counter, ...e } };
}

/** Raw event name and payload for a 159 result. */
export function rawBillEvent(e: BillEvent, counter: number): { name: string; data: Record<string, unknown> } {
  switch (e.kind) {
    case 'credit':
      return { name: 'bill-stacked', data: { counter, billType: e.billType } };
    case 'escrow':
      return { name: 'bill-escrow', data: { counter, billType: e.billType } };
    case 'status':
      return { name: 'bill-event', data: { counter, ...e } };
    case 'unknown':
      return { name: 'bill-unknown', data: { counter, a: e.a, b: e.b } };
  }
}
