/**
 * The old library's README example program (examples/legacy-readme.ts) runs
 * unchanged on the compatibility class against a simulated NV200: it prints
 * the serial number and 'Device is active', reacts to a rejected note as
 * written, and the same instance reports a credit for an accepted one.
 */
import { format } from 'node:util';
import { expect } from 'chai';
import type { SSP } from '../../lib/compat/index.js';
import type { EsspSimulator } from '../../lib/testing/index.js';

/** Resolve once `test()` holds, checking every 10 ms; reject after `ms`. */
function waitFor(what: string, test: () => boolean, ms = 900): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = (): void => {
      if (test()) resolve();
      else if (Date.now() - started > ms) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

describe('compat: the README example program', () => {
  const printed: string[] = [];
  const original = console.log;
  let eSSP: SSP;
  let sim: EsspSimulator;

  const lines = (prefix: string): string[] => printed.filter((l) => l.startsWith(prefix));

  before(async () => {
    console.log = (...args: unknown[]) => printed.push(format(...args));
    try {
      const example = await import('../../examples/legacy-readme.js');
      eSSP = example.eSSP;
      sim = example.sim;
    } catch (e) {
      console.log = original;
      throw e;
    }
  });

  after(async () => {
    console.log = original;
    await eSSP.close();
    sim.dispose();
  });

  it("prints 'open', the simulator's serial number and 'Device is active'", async () => {
    await waitFor("'Device is active'", () => printed.includes('Device is active'));
    expect(printed.slice(0, 3)).to.deep.equal([
      'open',
      `SERIAL NUMBER: ${sim.profile.serialNumber}`,
      'Device is active',
    ]);
    expect(eSSP.isPolling).to.equal(true);
  });

  it('prints NOTE_REJECTED and the LAST_REJECT_CODE result after sim.rejectNext(); sim.insertNote(1)', async () => {
    // Units power up with every channel inhibited; an application opens them itself.
    const opened = await eSSP.command('SET_CHANNEL_INHIBITS', {
      channels: sim.profile.channels.map(() => 1 as const),
    });
    expect(opened.status).to.equal('OK');
    sim.rejectNext();
    expect(sim.insertNote(1)).to.equal(true);
    await waitFor('the LAST_REJECT_CODE result', () => lines('{').length > 0);
    const rejected = lines('NOTE_REJECTED');
    expect(rejected).to.have.length(1);
    expect(rejected[0]).to.match(/name: 'NOTE_REJECTED'/);
    expect(lines('{')[0]).to.match(/status: 'OK',\s+command: 'LAST_REJECT_CODE'/);
  });

  it('emits one CREDIT_NOTE, with channel and money, after sim.insertNote(2)', async () => {
    const credits: unknown[] = [];
    eSSP.on('CREDIT_NOTE', (result) => credits.push(result));
    expect(sim.insertNote(2)).to.equal(true);
    await waitFor('CREDIT_NOTE', () => credits.length > 0);
    // One more poll cycle (200 ms): a credit is never reported twice.
    await new Promise((r) => setTimeout(r, 220));
    expect(credits).to.deep.equal([
      {
        name: 'CREDIT_NOTE',
        event: 'CREDIT_NOTE',
        code: 0xee,
        channel: 2,
        value: { amount: sim.profile.channels[1], currency: sim.profile.currency },
      },
    ]);
  });

  it('close() stops polling and emits CLOSE', async () => {
    let closed = 0;
    eSSP.on('CLOSE', () => closed++);
    await eSSP.close();
    expect(closed).to.equal(1);
    expect(eSSP.isOpen).to.equal(false);
    expect(eSSP.isPolling).to.equal(false);
  });
});
