import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { EVENTS_DOC_PATH, renderEventsDoc } from '../../bench/gen-docs.js';
import { EVENT_TABLE } from '../../lib/protocols/essp/index.js';
import { STATUS_BITS } from '../../lib/protocols/pyramid/status.js';

describe('docs/events.md', () => {
  let generated = '';
  before(async function () {
    this.timeout(20000);
    generated = await renderEventsDoc();
  });

  it('is what bench/gen-docs.ts generates from the tables (run `npm run docs:events` after changing them)', () => {
    expect(readFileSync(EVENTS_DOC_PATH, 'utf8')).to.equal(generated);
  });

  it('lists every eSSP poll event with its code', () => {
    for (const row of EVENT_TABLE) {
      const code = `0x${row.code.toString(16).toUpperCase().padStart(2, '0')}`;
      expect(generated, row.name).to.match(new RegExp(`\\| ${code} +\\| \`${row.name}\``));
    }
  });

  it('lists every Pyramid status flag and the ccTalk raw event names', () => {
    for (const flag of Object.keys(STATUS_BITS)) expect(generated).to.include(`\`${flag}\``);
    for (const name of [
      'coin-credit',
      'coin-event',
      'bill-stacked',
      'bill-escrow',
      'bill-event',
      'bill-unknown',
    ])
      expect(generated).to.include(`\`${name}\``);
  });

  it('says which protocols emit each normalized event', () => {
    const credit = generated.split('\n').find((l) => l.startsWith('| `credit`'));
    expect(credit).to.match(/essp, cctalk, pyramid/);
    const lost = generated.split('\n').find((l) => l.startsWith('| `events-lost`'));
    expect(lost).to.match(/\| cctalk +\|/);
  });
});
