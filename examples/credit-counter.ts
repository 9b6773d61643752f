// A plain Node credit counter: the smallest complete cashwire program.
//
//   npx tsx examples/credit-counter.ts
//
// A simulated NV9USB validator sits on an in-memory line; the real eSSP driver
// talks to it. Three notes go in, every credit is printed with the running
// total, and the program disposes the device and exits once all three are
// counted. On a real unit, replace the simulator and memory pair with
// `openSerialTransport('/dev/ttyUSB0', ESSP_LINE)` (docs/getting-started.md).
import { filter, firstValueFrom, scan, take, timeout } from 'rxjs';
import { createEsspDevice, formatMoney, isCredit, money } from '../lib/index.js';
import { createEsspSimulator, createMemoryPair } from '../lib/testing/index.js';

const NOTES = [1, 2, 1]; // channels: 5, 10 and 5 EUR in the default EUR dataset

const [host, line] = createMemoryPair();
const sim = createEsspSimulator(line, {
  profile: 'NV9USB',
  timing: { readMs: 50, creditMs: 50, stackMs: 100 },
});
const device = createEsspDevice(host);

device.state$.subscribe((s) => console.log(`state ${s.status}`));
device.errors$.subscribe((e) => console.error(`problem: ${e.message}`));

// Count only `credit`: it is emitted exactly once per note, after the point of no return.
const totals$ = device.events$.pipe(
  filter(isCredit),
  scan(
    (total, e) => {
      const sum = money(total.amount + e.money.amount, e.money.currency);
      console.log(`credit ${formatMoney(e.money)} (channel ${e.channel ?? '?'}), total ${formatMoney(sum)}`);
      return sum;
    },
    money(0, 'EUR'),
  ),
  take(NOTES.length),
  timeout(15_000),
);
const done = firstValueFrom(totals$.pipe(filter((_, i) => i === NOTES.length - 1)));

// Insert the next note once the device is enabled and idle again.
await firstValueFrom(device.state$.pipe(filter((s) => s.status === 'enabled')));
for (const channel of NOTES) {
  while (!sim.insertNote(channel)) await new Promise((r) => setTimeout(r, 100));
  await firstValueFrom(device.events$.pipe(filter(isCredit)));
}

const total = await done;
console.log(`total ${formatMoney(total)} from ${NOTES.length} notes`);
device.dispose();
sim.dispose();
await firstValueFrom(host.close(), { defaultValue: undefined });
