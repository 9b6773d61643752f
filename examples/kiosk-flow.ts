// A kiosk sale: take notes until the price is covered, then pay the change
// from the SMART Payout's float.
//
//   npx tsx examples/kiosk-flow.ts
//
// An NV200 with SMART Payout is simulated with 5 and 10 EUR notes in its
// float. The customer owes 15.00 EUR and inserts two 10 EUR notes; the kiosk
// stops taking notes at 20.00 EUR, pays 5.00 EUR back with payout() and ends
// when the device reports `dispensed` (or `payout-incomplete`, which a real
// kiosk must escalate: the customer is owed the difference).
import { filter, first, firstValueFrom, lastValueFrom, scan, takeWhile, timeout } from 'rxjs';
import { createEsspDevice, formatMoney, isCredit, isPayoutProgress, money } from '../lib/index.js';
import { createEsspSimulator, createMemoryPair } from '../lib/testing/index.js';

const PRICE = money(1500, 'EUR');

const [host, line] = createMemoryPair();
const sim = createEsspSimulator(line, {
  profile: 'NV200_SMART_PAYOUT',
  timing: { readMs: 50, creditMs: 50, stackMs: 100, noteItemMs: 100 },
});
sim.setLevels({ 500: 3, 1000: 3 }); // the change float
// Payout commands must travel encrypted: insist on a negotiated key.
const device = createEsspDevice(host, { encryption: 'required' });
device.errors$.subscribe((e) => console.error(`problem: ${e.message}`));

await firstValueFrom(device.state$.pipe(filter((s) => s.status === 'enabled')));
console.log(`price ${formatMoney(PRICE)}: insert notes`);

// The customer: a 10 EUR note now and another one shortly after.
sim.insertNote(2);
setTimeout(() => sim.insertNote(2), 600);

// Sum credits until the price is covered; takeWhile(..., true) keeps the covering credit.
const paid = await lastValueFrom(
  device.events$.pipe(
    filter(isCredit),
    scan((sum, e) => {
      const next = sum + e.money.amount;
      console.log(`credit ${formatMoney(e.money)}, paid ${formatMoney(money(next, PRICE.currency))}`);
      return next;
    }, 0),
    takeWhile((sum) => sum < PRICE.amount, true),
    timeout(15_000),
  ),
);
// No disable() before the change: a disabled SMART Payout refuses PAYOUT_AMOUNT
// (COMMAND_CANNOT_BE_PROCESSED with the error DISABLED).

const change = money(paid - PRICE.amount, PRICE.currency);
if (change.amount > 0) {
  console.log(`change ${formatMoney(change)}`);
  const outcome = firstValueFrom(
    device.events$.pipe(
      filter(isPayoutProgress),
      first((e) => e.type === 'dispensed' || e.type === 'payout-incomplete'),
      timeout(15_000),
    ),
  );
  await lastValueFrom(device.payout(change), { defaultValue: undefined });
  const end = await outcome;
  const out = end.amounts.map((m) => formatMoney(m)).join(' + ') || formatMoney(money(0, PRICE.currency));
  console.log(`${end.type}: ${out}`);
}
console.log(`sale complete: ${formatMoney(PRICE)} kept`);

device.dispose();
sim.dispose();
await firstValueFrom(host.close(), { defaultValue: undefined });
