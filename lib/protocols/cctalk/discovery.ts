/**
 * Bus discovery that never fails silently.
 *
 * 1. Address poll (253, broadcast) in each checksum mode: every device
 *    answers with its raw address byte after 4 × address ms.
 * 2. Simple poll (254) of every candidate (the answers of step 1 plus the
 *    standard default addresses) in each checksum mode; the first mode that
 *    gets an ACK is recorded on the bus for that address.
 * 3. Identification of each device found: category (245), manufacturer
 *    (246), product (244), serial (242), software (241), comms revision (4),
 *    build code (192). Each header that gets no answer is listed by name.
 *
 * The report lists what answered and what did not, including candidates
 * that stayed silent in every mode.
 */
import { type Observable, catchError, concat, concatMap, defer, from, map, of, reduce, toArray } from 'rxjs';
import type { CcTalkBus } from './bus.js';
import type { ChecksumMode } from './checksum.js';
import { type DeviceClass, deviceClassOf } from './headers.js';

/** Default addresses of a coin acceptor, the first hoppers and a bill validator. */
export const DEFAULT_DISCOVERY_ADDRESSES: readonly number[] = [2, 3, 4, 5, 40];

export interface DiscoveryOptions {
  /** Addresses to simple-poll besides those that answer the address poll. */
  readonly addresses?: readonly number[];
  /** Default ['simple', 'crc16']. */
  readonly modes?: readonly ChecksumMode[];
  /** Broadcast address polls first. Default true. Safe on a bus of ccTalk devices only. */
  readonly addressPoll?: boolean;
  /** How long to collect address-poll answers, ms (100..5000). Default 1500: devices stay deaf up to 1.2 s. */
  readonly addressPollWindowMs?: number;
  /** Per-probe reply timeout, ms. Default 100. */
  readonly probeTimeoutMs?: number;
}

export interface DeviceIdentity {
  readonly address: number;
  readonly checksum: ChecksumMode;
  readonly category?: string;
  readonly deviceClass?: DeviceClass;
  readonly manufacturer?: string;
  readonly product?: string;
  readonly serial?: number;
  readonly software?: string;
  readonly commsRevision?: string;
  readonly buildCode?: string;
  /** Identification headers that got no valid answer, with the reason. */
  readonly unanswered: readonly { readonly header: string; readonly reason: string }[];
}

export interface DiscoveryReport {
  /** Raw address bytes received per checksum mode. */
  readonly addressPoll: readonly { readonly mode: ChecksumMode; readonly answered: readonly number[] }[];
  readonly devices: readonly DeviceIdentity[];
  /** Candidates that did not answer a simple poll in any mode. */
  readonly silent: readonly { readonly address: number; readonly modes: readonly ChecksumMode[] }[];
}

const reasonOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

interface Acc {
  readonly fields: Readonly<Record<string, unknown>>;
  readonly unanswered: readonly { readonly header: string; readonly reason: string }[];
}

type Field = Exclude<keyof DeviceIdentity, 'address' | 'checksum' | 'deviceClass' | 'unanswered'>;

/** Identify one device; every header is tried, failures are collected. */
export function identifyDevice(bus: CcTalkBus, address: number): Observable<DeviceIdentity> {
  const ask = <T>(
    header: string,
    field: Field,
    reply$: Observable<T>,
    format: (v: T) => unknown = (v) => v,
  ) =>
    reply$.pipe(
      map((v) => ({ field, value: format(v) }) as const),
      catchError((e: unknown) => of({ field, header, reason: reasonOf(e) } as const)),
    );
  const items = [
    ask('REQUEST_EQUIPMENT_CATEGORY_ID', 'category', bus.request(address, 'REQUEST_EQUIPMENT_CATEGORY_ID')),
    ask('REQUEST_MANUFACTURER_ID', 'manufacturer', bus.request(address, 'REQUEST_MANUFACTURER_ID')),
    ask('REQUEST_PRODUCT_CODE', 'product', bus.request(address, 'REQUEST_PRODUCT_CODE')),
    ask('REQUEST_SERIAL_NUMBER', 'serial', bus.request(address, 'REQUEST_SERIAL_NUMBER')),
    ask('REQUEST_SOFTWARE_REVISION', 'software', bus.request(address, 'REQUEST_SOFTWARE_REVISION')),
    ask(
      'REQUEST_COMMS_REVISION',
      'commsRevision',
      bus.request(address, 'REQUEST_COMMS_REVISION'),
      (r) => `${r.release}.${r.major}.${r.minor}`,
    ),
    ask('REQUEST_BUILD_CODE', 'buildCode', bus.request(address, 'REQUEST_BUILD_CODE')),
  ] as const;
  type Item = typeof items extends readonly Observable<infer I>[] ? I : never;
  return concat(...items).pipe(
    reduce<Item, Acc>(
      (acc, item) =>
        'reason' in item
          ? { ...acc, unanswered: [...acc.unanswered, { header: item.header, reason: item.reason }] }
          : { ...acc, fields: { ...acc.fields, [item.field]: item.value } },
      { fields: {}, unanswered: [] },
    ),
    map(({ fields, unanswered }): DeviceIdentity => {
      const category = fields['category'] as string | undefined;
      const deviceClass = category === undefined ? undefined : deviceClassOf(category);
      return {
        address,
        checksum: bus.checksumOf(address),
        ...fields,
        ...(deviceClass && { deviceClass }),
        unanswered,
      };
    }),
  );
}

/** Find the checksum mode a device answers a simple poll in, or undefined. */
function probe(
  bus: CcTalkBus,
  address: number,
  modes: readonly ChecksumMode[],
  timeoutMs: number,
): Observable<ChecksumMode | undefined> {
  const original = bus.checksumOf(address);
  const tryMode = (i: number): Observable<ChecksumMode | undefined> =>
    defer(() => {
      const mode = modes[i];
      if (mode === undefined) {
        bus.setChecksum(address, original);
        return of(undefined);
      }
      bus.setChecksum(address, mode);
      return bus.requestRaw(address, 254, undefined, { timeoutMs, attempts: 2, label: 'SIMPLE_POLL' }).pipe(
        map(() => mode),
        catchError(() => tryMode(i + 1)),
      );
    });
  return tryMode(0);
}

export function discoverCcTalkDevices(
  bus: CcTalkBus,
  options: DiscoveryOptions = {},
): Observable<DiscoveryReport> {
  const modes = options.modes ?? ['simple', 'crc16'];
  const timeoutMs = options.probeTimeoutMs ?? 100;
  const polls$ =
    options.addressPoll === false
      ? of([])
      : from(modes).pipe(
          concatMap((mode) =>
            bus
              .addressPoll({
                mode,
                ...(options.addressPollWindowMs !== undefined && { windowMs: options.addressPollWindowMs }),
              })
              .pipe(
                map((answered) => ({ mode, answered })),
                catchError(() => of({ mode, answered: [] as number[] })),
              ),
          ),
          toArray(),
        );
  return polls$.pipe(
    concatMap((addressPoll) => {
      const candidates = [
        ...new Set([
          ...addressPoll.flatMap((p) => p.answered),
          ...(options.addresses ?? DEFAULT_DISCOVERY_ADDRESSES),
        ]),
      ].sort((a, b) => a - b);
      return from(candidates).pipe(
        concatMap((address) =>
          probe(bus, address, modes, timeoutMs).pipe(
            concatMap((mode) =>
              mode === undefined
                ? of({ silent: { address, modes } } as const)
                : identifyDevice(bus, address).pipe(map((device) => ({ device }) as const)),
            ),
          ),
        ),
        toArray(),
        map((results): DiscoveryReport => ({
          addressPoll,
          devices: results.flatMap((r) => ('device' in r ? [r.device] : [])),
          silent: results.flatMap((r) => ('silent' in r ? [r.silent] : [])),
        })),
      );
    }),
  );
}
