/**
 * Records the replay fixtures in spec/fixtures/<protocol>/*.jsonl: each device
 * runs against its simulator over an in-memory line in virtual time, and its
 * trace$ is written as JSONL. Run with `npx tsx bench/record-fixtures.ts`
 * after a deliberate change of the wire traffic; the replay specs then check
 * that the driver still produces exactly these bytes.
 *
 * The header comment of each file names the device options the replay must use.
 */
import { writeFileSync } from 'node:fs';
import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import type { FrameTrace } from '../lib/operators/trace.js';
import { createCcTalkBus } from '../lib/protocols/cctalk/bus.js';
import { createCcTalkCoinAcceptor } from '../lib/protocols/cctalk/coin-acceptor.js';
import { createCcTalkSimulator } from '../lib/protocols/cctalk/simulator/index.js';
import { createEsspDevice } from '../lib/protocols/essp/device/device.js';
import { createEsspSimulator } from '../lib/protocols/essp/simulator/index.js';
import { createPyramidDevice } from '../lib/protocols/pyramid/device.js';
import { createPyramidSimulator } from '../lib/protocols/pyramid/simulator/simulator.js';
import { recordTrace } from '../lib/testing/trace/jsonl.js';
import { seededRandom } from '../lib/testing/trace/random.js';
import { createMemoryPair } from '../lib/transport/memory.js';
import type { Observable } from 'rxjs';

/** Seed of the host's random source in the encrypted fixture (the replay uses the same). */
export const ESSP_ENCRYPTED_SEED = 0x5eed;

function virtualTime(): VirtualTimeScheduler {
  const scheduler = new VirtualTimeScheduler(VirtualAction, Number.POSITIVE_INFINITY);
  return scheduler;
}

function save(
  path: string,
  header: readonly string[],
  trace$: Observable<FrameTrace>,
  run: () => void,
): void {
  const lines: string[] = header.map((h) => `# ${h}\n`);
  const sub = recordTrace(trace$, (line) => lines.push(line));
  run();
  sub.unsubscribe();
  writeFileSync(path, lines.join(''));
  console.log(`${path}: ${lines.length - header.length} records`);
}

function esspPlain(): void {
  const scheduler = virtualTime();
  const [host, line] = createMemoryPair();
  const sim = createEsspSimulator(line, { profile: 'NV9USB', scheduler });
  const dev = createEsspDevice(host, { scheduler, address: sim.address, encryption: 'off' });
  save(
    'spec/fixtures/essp/nv9usb-plain-credit.jsonl',
    [
      'eSSP NV9USB, plain session: connect, enable, one note on channel 2 credited, then disposed.',
      "Replay with createEsspDevice(transport, { address: 0, encryption: 'off' }).",
    ],
    dev.trace$,
    () => {
      scheduler.schedule(() => sim.insertNote(2), 500);
      scheduler.schedule(() => {
        dev.dispose();
        sim.dispose();
      }, 4000);
      scheduler.flush();
    },
  );
}

function esspEncrypted(): void {
  const scheduler = virtualTime();
  const [host, line] = createMemoryPair();
  const sim = createEsspSimulator(line, {
    profile: 'NV200_SMART_PAYOUT',
    scheduler,
    // Seeded too, so re-recording gives the same file.
    random: seededRandom(0xd1ce),
  });
  const dev = createEsspDevice(host, {
    scheduler,
    address: sim.address,
    encryption: 'required',
    random: seededRandom(ESSP_ENCRYPTED_SEED),
  });
  save(
    'spec/fixtures/essp/smart-payout-encrypted-payout.jsonl',
    [
      'eSSP NV200 SMART Payout, encrypted session (default fixed key): connect, one note credited,',
      'then a payout of the stored 10.00 note. The host random source is seededRandom(0x5eed).',
      "Replay with createEsspDevice(transport, { address: 0, encryption: 'required', random: seededRandom(0x5eed) }).",
    ],
    dev.trace$,
    () => {
      scheduler.schedule(() => sim.setLevels([0, 2, 0, 0]), 400);
      scheduler.schedule(() => sim.insertNote(1), 600);
      scheduler.schedule(() => {
        dev.info$.subscribe((info) => {
          const ten = info.channels[1]!.value;
          dev.payout(ten).subscribe({ error: (e: unknown) => console.error('payout failed', e) });
        });
      }, 4000);
      scheduler.schedule(() => {
        dev.dispose();
        sim.dispose();
      }, 12_000);
      scheduler.flush();
    },
  );
}

function ccTalkCoin(): void {
  const scheduler = virtualTime();
  const [host, line] = createMemoryPair();
  const sim = createCcTalkSimulator(line, { scheduler });
  const bus = createCcTalkBus(host, { scheduler });
  // Record the bus (the whole line) rather than one device: the fixture is the
  // line's traffic, whichever device on it spoke.
  let acceptor: ReturnType<typeof createCcTalkCoinAcceptor> | undefined;
  save(
    'spec/fixtures/cctalk/coin-acceptor-credit.jsonl',
    [
      'ccTalk coin acceptor at address 2, simple checksum, on an echoing line (echoes are not traced):',
      'connect, read the coin table, enable, one 2.00 coin (position 8) credited, then disposed.',
      'Replay with createReplayTransport(records, { echo: true }) and createCcTalkBus + createCcTalkCoinAcceptor defaults.',
    ],
    bus.trace$,
    () => {
      acceptor = createCcTalkCoinAcceptor(bus, { scheduler });
      scheduler.schedule(() => sim.insertCoin(8), 1000);
      scheduler.schedule(() => {
        acceptor?.dispose();
        bus.dispose();
        sim.dispose();
      }, 1600);
      scheduler.flush();
    },
  );
}

function pyramidBill(): void {
  const scheduler = virtualTime();
  const [host, line] = createMemoryPair();
  const sim = createPyramidSimulator(line, { scheduler });
  const dev = createPyramidDevice(host, { scheduler });
  save(
    'spec/fixtures/pyramid/apex-stacked-bill.jsonl',
    [
      'Pyramid RS-232 acceptor (simulator defaults, USD): power-up, enable, bill index 4 escrowed,',
      'stacked and credited, then disposed. Replay with createPyramidDevice(transport) defaults.',
    ],
    dev.trace$,
    () => {
      scheduler.schedule(() => sim.insertBill(4), 500);
      scheduler.schedule(() => {
        dev.dispose();
        sim.dispose();
      }, 3000);
      scheduler.flush();
    },
  );
}

esspPlain();
esspEncrypted();
ccTalkCoin();
pyramidBill();
