/** Text output of the soak: one table row per protocol, then the problems of failed runs. */
import type { SoakResult } from './types.js';

const COLUMNS = [
  'protocol',
  'inserted',
  'accepted',
  'credited',
  'lost',
  'doubled',
  'reported lost',
  'lost at power cycle',
  'resets',
  'recoveries',
  'faults',
  'virtual',
  'wall',
  'result',
] as const;

/** "3 d 04:05:06" style duration of virtual time. */
export function formatVirtual(ms: number): string {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86_400);
  const hms = [Math.floor(s / 3600) % 24, Math.floor(s / 60) % 60, s % 60]
    .map((n) => String(n).padStart(2, '0'))
    .join(':');
  return d > 0 ? `${d} d ${hms}` : hms;
}

export function formatWall(ms: number): string {
  return ms < 60_000
    ? `${(ms / 1000).toFixed(1)} s`
    : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function row(r: SoakResult): string[] {
  const f = r.faults;
  return [
    r.protocol,
    String(r.inserted),
    String(r.accepted),
    String(r.credited),
    String(r.lost),
    String(r.doubled),
    String(r.reportedLost),
    `${r.lostAtPowerCycle} (${r.destructiveResets} cycles)`,
    String(r.resets),
    `${r.deviceResets} / ${r.reconnects}`,
    `${f.drop} drop, ${f.corrupt} bits, ${f.reset} reset` +
      (f.desync === undefined ? '' : `, ${f.desync} desync`),
    formatVirtual(r.virtualMs),
    formatWall(r.wallMs),
    r.pass ? 'PASS' : 'FAIL',
  ];
}

/** A plain-text table (also valid Markdown) of the runs, followed by every problem found. */
export function formatSoakReport(results: readonly SoakResult[]): string {
  const rows = [[...COLUMNS], ...results.map(row)];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const plans = [...new Set(results.map((r) => r.plan))];
  const out = [
    plans.length === 1
      ? `fault plan: ${plans[0]!} (line faults in both directions)`
      : `fault plans: ${results.map((r) => `${r.protocol} ${r.plan}`).join('; ')} (line faults in both directions)`,
    'lost and doubled are counted per item (each credit paired with an accepted item); ' +
      'recoveries = device-reset events / reconnects',
    '',
    line(rows[0]!),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...rows.slice(1).map(line),
  ];
  for (const r of results) {
    out.push('', `${r.protocol}: ${r.label}, seed ${r.seed}, ${r.count} items requested`);
    if (r.acceptedValue !== undefined) {
      out.push(`  value accepted ${r.acceptedValue}, credited ${r.creditedValue} (minor units)`);
    }
    if (r.unusedReports > 0) out.push(`  ${r.unusedReports} reported lost that were not missing`);
    if (r.lost > 0 || r.doubled > 0) {
      const perValue = [...r.byValue]
        .filter(([, t]) => t.lost > 0 || t.doubled > 0)
        .map(([value, t]) => `${value}: ${t.lost} lost, ${t.doubled} doubled`);
      out.push(`  per value: ${perValue.join('; ')}`);
    }
    for (const p of r.problems) out.push(`  FAIL: ${p}`);
  }
  return out.join('\n');
}
