/**
 * Generates docs/events.md from the event tables, so the reference cannot
 * drift from what the drivers decode. `npm run docs:events` writes the file;
 * spec/docs/events.spec.ts renders it again in memory and fails when the
 * committed copy differs.
 *
 * Normalized events are described by a small table here (their fields are
 * TypeScript types, which do not exist at run time); which protocols emit
 * them is worked out from the drivers' own normalization tables wherever those
 * are data.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { money } from '../lib/core/money.js';
import type { CashEvent, DeviceRef, ProtocolName } from '../lib/core/events.js';
import { UNIT_TYPES } from '../lib/protocols/essp/context.js';
import { EVENT_TABLE, type PayloadRule } from '../lib/protocols/essp/events/table.js';
import type { CodeNames } from '../lib/protocols/essp/events/reject-codes.js';
import { NORMALIZE } from '../lib/protocols/essp/device/normalize.js';
import type { EsspEvent } from '../lib/protocols/essp/events/types.js';
import { decodeBillPair, decodeCoinPair } from '../lib/protocols/cctalk/events.js';
import { normalizeBillEvent, normalizeCoinEvent } from '../lib/protocols/cctalk/normalize.js';
import { STATUS_BITS, type StatusFlag } from '../lib/protocols/pyramid/status.js';

export const EVENTS_DOC_PATH = fileURLToPath(new URL('../docs/events.md', import.meta.url));

interface NormalizedRow {
  readonly type: CashEvent['type'] | 'raw';
  readonly fields: string;
  readonly guard: string;
  readonly meaning: string;
}

// prettier-ignore
const NORMALIZED: readonly NormalizedRow[] = [
  { type: 'credit', fields: '`money`, `kind` (note, coin, bill, ticket), `channel?`', guard: '`isCredit`', meaning: 'Value accepted past the point of recovery. Count it; emitted exactly once per item.' },
  { type: 'escrow', fields: '`money?`, `channel?`', guard: '`isEscrow`', meaning: 'An item is held in escrow waiting for accept or return. Not money yet.' },
  { type: 'rejected', fields: '`reason?`', guard: '`isRejected`', meaning: 'An item was refused and handed back.' },
  { type: 'jam', fields: '`safe?` (true: out of customer reach)', guard: '`isJam`', meaning: 'Something is stuck in the note, coin or payout path.' },
  { type: 'fraud', fields: '`channel?`', guard: '`isFraud`', meaning: 'The device saw tampering (string, pull-back, light attack ...).' },
  { type: 'cashbox-removed', fields: '-', guard: '-', meaning: 'The cashbox or stacker was taken out.' },
  { type: 'cashbox-replaced', fields: '-', guard: '-', meaning: 'The cashbox or stacker is back.' },
  { type: 'stacker-full', fields: '-', guard: '-', meaning: 'The stacker is full: empty it before more cash can be taken.' },
  { type: 'dispensing', fields: '`amounts`', guard: '`isPayoutProgress`', meaning: 'A payout is running; value paid so far.' },
  { type: 'dispensed', fields: '`amounts`', guard: '`isPayoutProgress`', meaning: 'A payout finished; value paid.' },
  { type: 'payout-incomplete', fields: '`amounts`', guard: '`isPayoutProgress`', meaning: 'A payout ended short (timeout, halt, power loss, error); value actually paid.' },
  { type: 'emptying', fields: '`amounts`', guard: '`isPayoutProgress`', meaning: 'An empty is running.' },
  { type: 'emptied', fields: '`amounts`', guard: '`isPayoutProgress`', meaning: 'An empty finished.' },
  { type: 'stored', fields: '`money?`', guard: '-', meaning: 'A note went into a recycler store instead of the cashbox (its credit is reported too).' },
  { type: 'device-reset', fields: '-', guard: '-', meaning: 'The device restarted; the driver re-applies its settings.' },
  { type: 'events-lost', fields: '`count`', guard: '`isEventsLost`', meaning: 'The device event buffer overran: `count` events could not be read.' },
  { type: 'disabled', fields: '-', guard: '-', meaning: 'The device reports itself disabled or all its channels inhibited.' },
  { type: 'raw', fields: '`name`, `data`', guard: '`isRaw`', meaning: "The protocol's own event, unchanged (see the per-protocol tables below)." },
];

const REF = (protocol: ProtocolName): DeviceRef => ({ protocol, address: 0 });

/** A decoded eSSP event with every field a normalization rule may read. */
function sampleEsspEvent(name: string, code: number): EsspEvent {
  const value = money(500, 'EUR');
  const sample = { event: name, code, channel: 1, value, amounts: [value], reason: 0 };
  return sample as unknown as EsspEvent;
}

/** Normalized type an eSSP event maps to (sampled through the driver's own rules). */
function esspNormalized(name: string, code: number): string | undefined {
  const rule = (NORMALIZE as Readonly<Record<string, unknown>>)[name];
  if (typeof rule !== 'function') return undefined;
  const out = (rule as (e: EsspEvent, d: DeviceRef) => CashEvent | undefined)(
    sampleEsspEvent(name, code),
    REF('essp'),
  );
  return out?.type;
}

const CCTALK_COIN_CODES = Array.from({ length: 256 }, (_, b) => b);
const CCTALK_BILL_CODES = Array.from({ length: 256 }, (_, b) => b);

/** Normalized types each protocol emits. ccTalk and eSSP are read from their rules; the rest are emitted by device code. */
function emitters(): ReadonlyMap<string, readonly ProtocolName[]> {
  const sets: Record<ProtocolName, Set<string>> = {
    essp: new Set(['raw']),
    cctalk: new Set([
      'raw',
      'credit',
      'escrow',
      'device-reset',
      'events-lost',
      'dispensing',
      'dispensed',
      'payout-incomplete',
    ]),
    pyramid: new Set([
      'raw',
      'credit',
      'escrow',
      'device-reset',
      'cashbox-removed',
      'cashbox-replaced',
      'stacker-full',
      'jam',
      'fraud',
      'rejected',
    ]),
  };
  for (const row of EVENT_TABLE) {
    const t = esspNormalized(row.name, row.code);
    if (t) sets.essp.add(t);
  }
  for (const b of CCTALK_COIN_CODES) {
    const t = normalizeCoinEvent(REF('cctalk'), decodeCoinPair(0, b))?.type;
    if (t) sets.cctalk.add(t);
  }
  for (const b of CCTALK_BILL_CODES) {
    const t = normalizeBillEvent(REF('cctalk'), decodeBillPair(0, b))?.type;
    if (t) sets.cctalk.add(t);
  }
  const out = new Map<string, ProtocolName[]>();
  for (const p of ['essp', 'cctalk', 'pyramid'] as const)
    for (const t of sets[p]) out.set(t, [...(out.get(t) ?? []), p]);
  return out;
}

const cell = (s: string): string => s.replaceAll('|', '\\|').replaceAll('\n', ' ');
const hex = (n: number): string => `0x${n.toString(16).toUpperCase().padStart(2, '0')}`;
const yesNo = (v: boolean | 'unknown'): string => (v === 'unknown' ? '?' : v ? 'yes' : 'no');

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (r: readonly string[]): string => `| ${r.map(cell).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

const unitName = (code: number): string =>
  (UNIT_TYPES as Readonly<Record<number, string | undefined>>)[code] ?? hex(code);

function ruleText(rule: PayloadRule): string {
  const when: string[] = [];
  if (rule.minPv !== undefined) when.push(`pv ≥ ${rule.minPv}`);
  if (rule.maxPv !== undefined) when.push(`pv ≤ ${rule.maxPv}`);
  if (rule.units) when.push(rule.units.map(unitName).join('/'));
  if (rule.smartCurrency) when.push('SMART Currency');
  const layout = rule.payload.alt ? `${rule.payload.kind} (or ${rule.payload.alt})` : rule.payload.kind;
  return when.length ? `${when.join(', ')}: ${layout}` : layout;
}

function reasonsText(reasons: CodeNames | undefined): string {
  if (!reasons) return '';
  return ` Reasons: ${Object.entries(reasons)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}.`;
}

function normalizedSection(): string {
  const by = emitters();
  const rows = NORMALIZED.map((r) => [
    `\`${r.type}\``,
    r.fields,
    (by.get(r.type) ?? []).join(', ') || '-',
    r.guard,
    r.meaning,
  ]);
  return [
    '## Normalized events',
    '',
    'Every event on `events$` has `type` and `device` (`{ protocol, address }`). Filter with the guards, for',
    'example `device.events$.pipe(filter(isCredit))`. Money is `{ amount, currency }` in integer minor units.',
    '',
    table(['type', 'fields', 'emitted by', 'guard', 'meaning'], rows),
  ].join('\n');
}

function esspSection(): string {
  const rows = EVENT_TABLE.map((r) => [
    hex(r.code),
    `\`${r.name}\``,
    r.payload.map(ruleText).join('; '),
    yesNo(r.repeats),
    yesNo(r.needsAck),
    r.units === 'all' ? 'all' : r.units.join(', '),
    esspNormalized(r.name, r.code) ?? '-',
    `${r.description}${r.minPv !== undefined ? ` From protocol ${r.minPv}.` : ''}${reasonsText(r.reasons)}${r.unsure ? ' (Sources disagree on the payload.)' : ''}`,
  ]);
  return [
    '## eSSP poll events',
    '',
    'Raw events carry the name below and the decoded fields (`channel`, `value`, `amounts`, `reason` ...).',
    'Payload layouts: `none`; `channel` and `reason` (1 byte); `u32` (value in the dataset currency); `u32-pair`',
    '(paid, requested); `VC` (count, then value + country per entry); `VVC` (paid, requested, country per entry);',
    '`V7`/`C7` (value + country); `VC1` (count 1, then value + country); `unsized` (no source gives the size:',
    'parsing stops after the code). The first rule that matches the protocol version (pv) and unit type applies.',
    '"repeats": reported on every poll while it lasts. "ack": must be cleared with EVENT ACK under POLL WITH ACK.',
    '',
    table(['code', 'name', 'payload', 'repeats', 'ack', 'unit types', 'normalized', 'description'], rows),
  ].join('\n');
}

function ccTalkSection(): string {
  const coinRows: string[][] = [
    ['A ≠ 0', '`coin-credit`', 'credit', '-', 'Coin accepted: A = position (or CVF value), B = sorter path.'],
  ];
  for (const b of CCTALK_COIN_CODES) {
    const e = decodeCoinPair(0, b);
    if (e.kind !== 'error' || e.name === undefined) continue;
    if (b > 128 && b <= 159) continue; // one row stands for the inhibited coin types
    const n = normalizeCoinEvent(REF('cctalk'), e)?.type ?? '-';
    const name = b === 128 ? 'inhibited coin type 1 .. 32 (codes 128 .. 159)' : e.name;
    coinRows.push([`0 / ${b}`, '`coin-event`', n, e.rejected ?? '?', name]);
  }
  const billRows: string[][] = [
    [
      'A ≠ 0 / 0',
      '`bill-stacked`',
      'credit',
      'credit',
      'Bill type A validated and stacked (255: coupon or ticket).',
    ],
    [
      'A ≠ 0 / 1',
      '`bill-escrow`',
      'escrow',
      'escrow',
      'Bill type A held in escrow: stack() or returnBill().',
    ],
  ];
  for (const b of CCTALK_BILL_CODES) {
    const e = decodeBillPair(0, b);
    if (e.kind !== 'status' || e.name === undefined) continue;
    const n = normalizeBillEvent(REF('cctalk'), e)?.type ?? '-';
    billRows.push([`0 / ${b}`, '`bill-event`', n, e.class, e.name]);
  }
  billRows.push([
    'A ≠ 0 / other',
    '`bill-unknown`',
    '-',
    'unknown',
    'Not defined by the specification; reported as is.',
  ]);
  return [
    '## ccTalk buffered events',
    '',
    'Coin acceptors (header 229) and bill validators (header 159) keep five [A][B] result pairs behind an event',
    'counter. The driver reports each new pair once, oldest first, as a raw event whose `data` holds `counter`',
    'and the decoded fields, plus a normalized event where there is one. Buffer bookkeeping adds the raw events',
    '`baseline` (first read: what is already buffered is history), `reset` (the counter went back to 0;',
    'normalized `device-reset`) and the normalized `events-lost` when the counter moved further than five.',
    'Hoppers report `dispensing`, `dispensed` and `payout-incomplete` (with a raw `payout-incomplete`).',
    '',
    '### Coin acceptor (229): A / B',
    '',
    'The "rejected" column says whether the coin went back to the customer (yes, no, possibly).',
    '',
    table(['A / B', 'raw name', 'normalized', 'rejected', 'description'], coinRows),
    '',
    '### Bill validator (159): A / B',
    '',
    table(['A / B', 'raw name', 'normalized', 'class', 'description'], billRows),
  ].join('\n');
}

// prettier-ignore
const PYRAMID_RAW: readonly (readonly [name: string, from: string, normalized: string, description: string])[] = [
  ['power-up', 'powerUp rises', 'device-reset', 'The acceptor powered up or reset.'],
  ['failure', 'failure rises', '-', 'The acceptor reports a failure.'],
  ['failure-cleared', 'failure falls', '-', 'The failure is gone.'],
  ['invalid-command', 'invalidCommand rises', '-', 'The acceptor refused the last command.'],
  ['cassette-removed', 'cassettePresent falls', 'cashbox-removed', 'The cashbox was taken out.'],
  ['cassette-replaced', 'cassettePresent rises', 'cashbox-replaced', 'The cashbox is back.'],
  ['stacker-full', 'stackerFull rises', 'stacker-full', 'The cashbox is full.'],
  ['stacker-emptied', 'stackerFull falls', '-', 'The cashbox is no longer full.'],
  ['jammed', 'jammed rises', 'jam', 'A bill is jammed.'],
  ['jam-cleared', 'jammed falls', '-', 'The jam is cleared.'],
  ['cheated', 'cheated rises', 'fraud', 'The acceptor saw a cheat attempt.'],
  ['rejected', 'rejected rises', 'rejected', 'A bill was refused.'],
  ['escrowed', 'escrowed rises', 'escrow', 'A bill is held in escrow (money when the index is known).'],
  ['returned', 'returned rises', '-', 'A bill was handed back.'],
  ['stacked', 'stacked rises (trusted reply, known index)', 'credit', 'A bill reached the cashbox; `data`: index, inferred.'],
  ['unconfirmed-stack', 'stacked in the first reply after start or soft reset', '-', 'Possibly already credited by an earlier host: not credited.'],
  ['ticket-stacked', 'stacked with a barcode', '-', 'A barcode ticket reached the cashbox; `data.barcode`.'],
  ['stacked-unknown-bill', 'stacked, index not in the bill table', '-', 'No value for that index: not credited.'],
  ['escrow-timeout', 'escrow held longer than escrowTimeoutMs', '-', 'The escrow hook did not decide in time.'],
  ['link-down', 'no fresh reply for a while', '-', 'The acceptor stopped answering; `data.silentMs`.'],
  ['soft-reset', 'reset() sent', '-', 'The host asked for a soft reset.'],
];

function pyramidSection(): string {
  const flags = (Object.entries(STATUS_BITS) as [StatusFlag, readonly [number, number]][]).map(
    ([f, [byte, bit]]) => [`\`${f}\``, `S${byte} bit ${bit}`],
  );
  return [
    '## Pyramid RS-232 events',
    '',
    'Pyramid acceptors have no event buffer: every reply carries the status bytes S0 .. S5, and the driver turns',
    'edges between successive fresh replies into events. The status flags and where they live:',
    '',
    table(['flag', 'byte / bit'], flags),
    '',
    'Raw events (name, the edge that raises it, the normalized event that comes with it):',
    '',
    table(
      ['raw name', 'raised by', 'normalized', 'description'],
      PYRAMID_RAW.map(([n, from, norm, d]) => [`\`${n}\``, from, norm, d]),
    ),
  ].join('\n');
}

/** The whole of docs/events.md, as the repository's Prettier settings format it. */
export async function renderEventsDoc(): Promise<string> {
  const text = `${[
    '# Events reference',
    '',
    '<!-- Generated by bench/gen-docs.ts from the event tables: run `npm run docs:events`, do not edit. -->',
    '',
    "A device's `events$` carries normalized cash events, which mean the same thing on every protocol, and `raw`",
    "events that keep the protocol's own name and payload. Count money from `credit` only.",
    '',
    normalizedSection(),
    '',
    esspSection(),
    '',
    ccTalkSection(),
    '',
    pyramidSection(),
  ].join('\n')}\n`;
  const config = (await prettier.resolveConfig(EVENTS_DOC_PATH)) ?? {};
  return prettier.format(text, { ...config, filepath: EVENTS_DOC_PATH });
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(EVENTS_DOC_PATH, await renderEventsDoc());
  console.log(`wrote ${EVENTS_DOC_PATH}`);
}
