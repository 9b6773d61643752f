/**
 * ccTalk bill validator event ingestion: turns confirmed 159 buffers into
 * device events through the ring reader (credits, escrow, status), reading
 * a bill type again first when a new bill of an unread type arrives.
 */
import { type Observable, concat, ignoreElements, tap } from 'rxjs';
import type { BillEscrow } from './bill-escrow.js';
import { type BillType, readBillType } from './bill-table.js';
import type { CcTalkBus } from './bus.js';
import type { IdOptions } from './coin-id.js';
import type { DeviceCore } from './device-base.js';
import type { BillEvent, EventBuffer } from './events.js';
import { normalizeBillEvent, rawBillEvent } from './normalize.js';
import { type RingReader, createRingReader, readPrepared } from './ring-reader.js';
import { reportUnvaluedCredit } from './unvalued-credit.js';

export interface BillIngestDeps {
  readonly bus: CcTalkBus;
  readonly address: number;
  readonly core: DeviceCore;
  readonly idOptions: IdOptions;
  readonly escrow: Pick<BillEscrow, 'held' | 'clearHold' | 'onEscrow'>;
  /** The bill types as last read. */
  readonly table: () => readonly BillType[];
  readonly publish: (types: readonly BillType[]) => void;
  /** What the application asked for last. */
  readonly accepting: () => boolean;
  /** The unit inhibited itself: the next poll switches it on after a buffer read. */
  readonly markSwitchOnDue: () => void;
  /** The buffer showed a restart (after the device-reset event). */
  readonly onReset: () => void;
}

export interface BillIngest {
  readonly reader: RingReader<BillEvent>;
  /** Act on a confirmed buffer. */
  readonly ingest$: (buffer: EventBuffer<BillEvent>) => Observable<never>;
}

export function createBillIngest(deps: BillIngestDeps): BillIngest {
  const { bus, address, core, idOptions, escrow, table, publish } = deps;
  const { ref } = core;

  /**
   * Act on a confirmed buffer. A new bill (stacked or in escrow) of a type whose value is unread
   * has that type read again first, so it carries its value, in order with the rest.
   */
  const ingest$ = (buffer: EventBuffer<BillEvent>): Observable<never> =>
    readPrepared(reader, buffer, (pending) => {
      const types = new Set<number>();
      for (const e of pending) {
        if ((e.kind === 'credit' || e.kind === 'escrow') && table()[e.billType - 1]?.unread)
          types.add(e.billType);
      }
      return concat(
        ...[...types].map((t) =>
          readBillType(bus, address, t, idOptions).pipe(
            tap((type) => {
              if (type.unread) return;
              publish(table().map((b) => (b.billType === t ? type : b)));
              core.raw('bill-id', { billType: t, id: type.id });
            }),
            ignoreElements(),
          ),
        ),
      );
    });

  const reader = createRingReader<BillEvent>(
    core,
    'Bill validator',
    (e, counter) => {
      const raw = rawBillEvent(e, counter);
      core.raw(raw.name, raw.data);
      if (e.kind === 'escrow') return escrow.onEscrow(e.billType);
      if (e.kind === 'credit') {
        if (escrow.held()?.billType === e.billType) escrow.clearHold();
        const type = table()[e.billType - 1];
        if (type?.money) {
          core.events.next({
            type: 'credit',
            device: ref,
            money: type.money,
            kind: 'bill',
            channel: e.billType,
          });
        } else if (type?.unread) {
          // Stacked, value unknown even after reading the type again: counted, never silent.
          reportUnvaluedCredit(core, {
            device: 'Bill validator',
            address,
            counter,
            taken: `a bill of type ${e.billType} was stacked`,
            unread: 'that type',
            item: 'bill',
            rawEvent: 'bill-stacked',
            unit: 'validator',
            where: { billType: e.billType },
          });
        } else {
          core.errors.next({
            kind: 'decode',
            protocol: 'cctalk',
            message: `Bill type ${e.billType} stacked with no known value.`,
            info: { address, billType: e.billType },
          });
        }
        return;
      }
      if (e.kind === 'status' && e.code === 1) escrow.clearHold();
      const normalized = normalizeBillEvent(ref, e);
      if (normalized) core.events.next(normalized);
      // Self-inhibited (a poll gap, a full stacker): switched back on by this poll, after one
      // more buffer read, if the application wants it on. The unit may restart in between.
      if (e.kind === 'status' && e.code === 0 && deps.accepting()) deps.markSwitchOnDue();
    },
    deps.onReset,
  );

  return { reader, ingest$ };
}
