/**
 * Money out only under a key: every payout-family call of a device that has
 * no negotiated key is refused on the host with EncryptionRequiredError, and
 * nothing of it reaches the wire or the unit.
 */
import { expect } from 'chai';
import { type Observable, lastValueFrom } from 'rxjs';
import { EncryptionRequiredError } from '../../lib/core/errors.js';
import { money } from '../../lib/core/money.js';
import type { EsspDevice } from '../../lib/protocols/essp/device/types.js';
import { startEssp } from './harness.js';

const EUR = (n: number) => money(n, 'EUR');
const CALLS: readonly [string, (d: EsspDevice) => Observable<unknown>][] = [
  ['payout', (d) => d.payout(EUR(1000))],
  ['payoutByDenomination', (d) => d.payoutByDenomination([{ value: EUR(1000), count: 1 }])],
  ['float', (d) => d.float(EUR(2000), EUR(500))],
  ['empty', (d) => d.empty()],
  ['smartEmpty', (d) => d.smartEmpty()],
  ['send PAYOUT_AMOUNT', (d) => d.send('PAYOUT_AMOUNT', { amount: 1000, country_code: 'EUR', test: false })],
];
const MONEY_OUT = ['PAYOUT_AMOUNT', 'PAYOUT_BY_DENOMINATION', 'FLOAT_AMOUNT', 'EMPTY_ALL', 'SMART_EMPTY'];

describe('security: payout refused unless encrypted', () => {
  for (const [label, call] of CALLS) {
    it(`${label}: EncryptionRequiredError, no frame written, nothing paid`, async () => {
      const run = startEssp({ requireEncryption: false }, { encryption: 'off' });
      run.sim.setLevels({ 1000: 5, 2000: 5, 500: 5 });
      run.runUntil(5_000);
      expect(run.states.at(-1)?.status).to.equal('enabled');
      const txBefore = run.host.written.length;
      const outcome = lastValueFrom(call(run.device), { defaultValue: undefined }).then(
        () => undefined,
        (e: unknown) => e,
      );
      run.runUntil(10_000);
      const error = await outcome;
      run.device.dispose();
      run.sim.dispose();
      expect(error).to.be.instanceOf(EncryptionRequiredError);
      // Polling went on (the host did write), but never a money-out command.
      expect(run.host.written.length).to.be.greaterThan(txBefore);
      const sent = run.traces.filter((t) => t.direction === 'tx').map((t) => t.name);
      expect(sent).to.include('POLL');
      expect(sent.filter((n) => n !== undefined && MONEY_OUT.includes(n))).to.deep.equal([]);
      expect(run.sim.stats.paidOut).to.equal(0);
      expect(run.sim.levels.reduce((a, b) => a + b, 0)).to.equal(15);
    });
  }

  it('the same payout goes through once a key is negotiated (the refusal is about the key)', async () => {
    const run = startEssp({}, { encryption: 'required' });
    run.sim.setLevels({ 1000: 5 });
    run.runUntil(5_000);
    expect(run.states.at(-1)?.status).to.equal('enabled');
    const outcome = lastValueFrom(run.device.payout(EUR(1000)), { defaultValue: undefined }).then(
      () => 'ok',
      (e: unknown) => e,
    );
    run.runUntil(20_000);
    expect(await outcome).to.equal('ok');
    run.device.dispose();
    run.sim.dispose();
    expect(run.sim.stats.paidOut).to.equal(1000);
  });
});
