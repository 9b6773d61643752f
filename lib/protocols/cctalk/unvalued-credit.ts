/**
 * A coin or bill the unit took whose value cannot be known (its id could not
 * be read, even when read again for it): counted as one lost event, with a
 * diagnostic saying how to count it by hand, never dropped silently. Shared by
 * the coin acceptor and the bill validator so both say it the same way.
 */
import type { DeviceCore } from './device-base.js';

export interface UnvaluedCredit {
  /** 'Coin acceptor' or 'Bill validator', as the device names itself in diagnostics. */
  readonly device: string;
  readonly address: number;
  /** The event counter of the result. */
  readonly counter: number;
  /** What the unit did, e.g. 'a coin was accepted at position 3'. */
  readonly taken: string;
  /** The id that could not be read, e.g. "that position's coin id". */
  readonly unread: string;
  /** 'coin' or 'bill'. */
  readonly item: string;
  /** The raw event that records it. */
  readonly rawEvent: string;
  /** 'acceptor' or 'validator'. */
  readonly unit: string;
  /** Where it was taken: `{ position }` or `{ billType }`. */
  readonly where: Readonly<Record<string, number>>;
}

export function reportUnvaluedCredit(
  core: Pick<DeviceCore, 'events' | 'errors' | 'ref'>,
  u: UnvaluedCredit,
): void {
  core.events.next({ type: 'events-lost', device: core.ref, count: 1 });
  core.errors.next({
    kind: 'events-lost',
    protocol: 'cctalk',
    message:
      `${u.device} at address ${u.address}: ${u.taken} (event ${u.counter}) but ${u.unread} could not be read, ` +
      `even when read again for this ${u.item}: its value is unknown and it is not credited. ` +
      `Count it by hand (raw '${u.rawEvent}' event) and check the ${u.unit}.`,
    info: { address: u.address, ...u.where, counter: u.counter },
  });
}
