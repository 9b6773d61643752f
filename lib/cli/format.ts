/**
 * How every monitor (and the demo) prints what devices do: one pretty line per
 * normalized event for people, or one JSON object per line for programs.
 *
 * Pretty lines leave out raw protocol events (they repeat what the normalized
 * event already says); JSON lines keep everything, raw events included, so a
 * script sees exactly what the driver saw. Colour is used only on a terminal,
 * never with `--json`, never when NO_COLOR is set (https://no-color.org).
 */
import type { CashwireError } from '../core/errors.js';
import type { Diagnostic } from '../core/diagnostics.js';
import type { DeviceEvent, DeviceRef, DeviceState } from '../core/events.js';
import { formatMoney, type Money } from '../core/money.js';
import { jsonLine } from './io.js';

export interface OutputStyle {
  readonly json: boolean;
  readonly color: boolean;
}

/** Decide the style once per command from its `--json` flag and where stdout goes. */
export function outputStyle(
  json: boolean | undefined,
  isTty: boolean | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): OutputStyle {
  const wantsJson = json === true;
  const noColor = env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '';
  return { json: wantsJson, color: !wantsJson && isTty === true && !noColor };
}

const ANSI = {
  bold: 1,
  dim: 2,
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
} as const;
export type Colour = keyof typeof ANSI;

export function paint(style: OutputStyle, colour: Colour, text: string): string {
  return style.color ? `\u001b[${ANSI[colour]}m${text}\u001b[0m` : text;
}

/** `essp:00`, `cctalk:02`, `pyramid:00`: which device on which link. */
export function deviceTag(ref: DeviceRef): string {
  return `${ref.protocol}:${ref.address.toString(16).padStart(2, '0')}`;
}

/** Wall-clock time of day for monitor lines, HH:MM:SS.mmm (local time). */
export function clockStamp(now: Date = new Date()): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(now.getHours())}:${two(now.getMinutes())}:${two(now.getSeconds())}.${String(now.getMilliseconds()).padStart(3, '0')}`;
}

type NormalType = Exclude<DeviceEvent['type'], 'raw'>;
type Detail<T extends NormalType> = (e: DeviceEvent & { readonly type: T }) => string;

const moneyList = (amounts: readonly Money[]): string =>
  amounts.length === 0 ? '' : amounts.map((m) => formatMoney(m)).join(' + ');

const channelOf = (label: string, channel: number | undefined): string =>
  channel === undefined ? '' : `${label}${channel}`;

/** Shorthand of the channel word per kind of item: notes have channels, coins positions, bills indexes. */
const CHANNEL_LABEL = { note: 'ch', coin: 'pos', bill: '#', ticket: '#' } as const;

/** What each normalized event says after its name; colour shows what it means for the money. */
const EVENT_TEXT: { readonly [T in NormalType]: { readonly colour: Colour; readonly detail: Detail<T> } } = {
  credit: {
    colour: 'green',
    detail: (e) =>
      [
        formatMoney(e.money),
        [e.kind, channelOf(CHANNEL_LABEL[e.kind], e.channel)].filter(Boolean).join(' '),
      ].join('  '),
  },
  escrow: {
    colour: 'yellow',
    detail: (e) =>
      [e.money ? formatMoney(e.money) : 'unknown value', channelOf('ch', e.channel)]
        .filter(Boolean)
        .join('  '),
  },
  rejected: { colour: 'red', detail: (e) => e.reason ?? '' },
  jam: { colour: 'red', detail: (e) => (e.safe === undefined ? '' : e.safe ? 'safe' : 'unsafe') },
  fraud: { colour: 'red', detail: (e) => channelOf('ch', e.channel) },
  'cashbox-removed': { colour: 'magenta', detail: () => '' },
  'cashbox-replaced': { colour: 'magenta', detail: () => '' },
  'stacker-full': { colour: 'magenta', detail: () => '' },
  dispensing: { colour: 'blue', detail: (e) => moneyList(e.amounts) },
  dispensed: { colour: 'blue', detail: (e) => moneyList(e.amounts) },
  'payout-incomplete': { colour: 'red', detail: (e) => moneyList(e.amounts) },
  emptying: { colour: 'blue', detail: (e) => moneyList(e.amounts) },
  emptied: { colour: 'blue', detail: (e) => moneyList(e.amounts) },
  stored: { colour: 'green', detail: (e) => (e.money ? formatMoney(e.money) : '') },
  'device-reset': { colour: 'magenta', detail: () => '' },
  'events-lost': { colour: 'red', detail: (e) => `${e.count} event(s) the device could not report` },
  disabled: { colour: 'dim', detail: () => '' },
};

/** `credit  10.00 EUR  note ch3`; undefined for raw events (pretty output leaves them out). */
export function describeEvent(
  e: DeviceEvent,
  style: OutputStyle = { json: false, color: false },
): string | undefined {
  if (e.type === 'raw') return undefined;
  const row = EVENT_TEXT[e.type] as { colour: Colour; detail: (x: DeviceEvent) => string };
  const detail = row.detail(e);
  return detail === ''
    ? paint(style, row.colour, e.type)
    : `${paint(style, row.colour, e.type.padEnd(10))}  ${detail}`;
}

/** One printable line per event, or undefined when this style prints nothing for it. */
export function eventLine(style: OutputStyle, e: DeviceEvent, stamp = ''): string | undefined {
  if (style.json) return jsonLine(e);
  const text = describeEvent(e, style);
  return text === undefined ? undefined : prefix(style, stamp, e.device) + text;
}

function prefix(style: OutputStyle, stamp: string, device: DeviceRef | undefined): string {
  const parts = [
    stamp === '' ? '' : paint(style, 'dim', stamp),
    device ? paint(style, 'cyan', deviceTag(device).padEnd(10)) : '',
  ];
  return parts
    .filter(Boolean)
    .map((p) => `${p}  `)
    .join('');
}

/** State changes: `state  enabled`; in JSON `{"type":"state","status":"enabled",...}`. */
export function stateLine(style: OutputStyle, device: DeviceRef, state: DeviceState, stamp = ''): string {
  const extra =
    state.status === 'connecting'
      ? { attempt: state.attempt }
      : state.status === 'recovering'
        ? { reason: state.reason }
        : state.status === 'error'
          ? { error: state.error.message }
          : {};
  if (style.json) return jsonLine({ type: 'state', device, status: state.status, ...extra });
  const detail = Object.entries(extra)
    .map(([k, v]) => (k === 'attempt' ? `attempt ${String(v)}` : String(v)))
    .join(' ');
  const colour: Colour = state.status === 'error' ? 'red' : state.status === 'enabled' ? 'green' : 'dim';
  return `${prefix(style, stamp, device)}${paint(style, colour, `state       ${state.status}`)}${detail === '' ? '' : `  ${detail}`}`;
}

const isDiagnostic = (e: CashwireError | Diagnostic): e is Diagnostic => 'kind' in e && !('code' in e);

/** Recoverable problems (errors$): `warning  ...` or `{"type":"warning",...}`. */
export function problemLine(
  style: OutputStyle,
  device: DeviceRef,
  problem: CashwireError | Diagnostic,
  stamp = '',
): string {
  const body = isDiagnostic(problem)
    ? { kind: problem.kind, message: problem.message, ...(problem.hex !== undefined && { hex: problem.hex }) }
    : { code: problem.code, message: problem.message };
  if (style.json) return jsonLine({ type: 'warning', device, ...body });
  return `${prefix(style, stamp, device)}${paint(style, 'yellow', 'warning   ')}  ${problem.message}`;
}

/** A labelled information line (unit identity, simulator notes): `info     NV200 serial 123`. */
export function infoLine(
  style: OutputStyle,
  device: DeviceRef,
  data: Readonly<Record<string, unknown>>,
  text: string,
  stamp = '',
): string {
  if (style.json) return jsonLine({ type: 'info', device, ...data });
  return `${prefix(style, stamp, device)}${paint(style, 'bold', 'info      ')}  ${text}`;
}
