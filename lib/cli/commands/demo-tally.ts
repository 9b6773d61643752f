/**
 * The closing tally of `cashwire demo`: host totals from the drivers' events beside
 * what each simulator counted, as pretty lines or one JSON object.
 */
import { type ProtocolName } from '../../core/events.js';
import { formatMoney, type Money } from '../../core/money.js';
import { jsonLine, type CliIo } from '../io.js';
import { type OutputStyle, paint } from '../format.js';
import { type Check, type HostTally, type Rig } from './demo-rig.js';

export const add = (m: Map<string, number>, v: Money): void => {
  m.set(v.currency, (m.get(v.currency) ?? 0) + v.amount);
};
export const moneyOf = (m: Map<string, number>): Money[] =>
  [...m].map(([currency, amount]) => ({ amount, currency }));
export const show = (m: Map<string, number>): string =>
  m.size === 0
    ? '-'
    : moneyOf(m)
        .map((v) => formatMoney(v))
        .join(' + ');

export function printTally(
  io: CliIo,
  style: OutputStyle,
  rigs: readonly Rig[],
  hosts: ReadonlyMap<ProtocolName, HostTally>,
  results: readonly Check[],
): void {
  const rows = rigs.map((rig, i) => {
    const h = hosts.get(rig.protocol)!;
    const r = results[i]!;
    return { rig, h, r };
  });
  if (style.json) {
    io.out(
      jsonLine({
        type: 'tally',
        agree: results.every((r) => r.agree),
        protocols: rows.map(({ rig, h, r }) => ({
          protocol: rig.protocol,
          title: rig.title,
          host: { credits: h.credits, credited: moneyOf(h.credited), paidOut: moneyOf(h.paidOut) },
          simulator: r.simulator,
          agree: r.agree,
        })),
      }),
    );
    return;
  }
  io.out('');
  io.out(paint(style, 'bold', 'Tally: what the drivers reported, and what the simulators say happened'));
  for (const { rig, h, r } of rows) {
    const mark = r.agree ? paint(style, 'green', 'agree') : paint(style, 'red', 'DISAGREE');
    io.out(`  ${paint(style, 'cyan', rig.title)}  ${mark}`);
    io.out(`    driver:    ${h.credits} credit(s), ${show(h.credited)} in; ${show(h.paidOut)} paid out`);
    io.out(`    simulator: ${r.summary}`);
  }
}
