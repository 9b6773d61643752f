/**
 * The ccTalk bus simulator: the device end of a transport with a coin
 * acceptor, a bill validator and a hopper on it. Host frames are deframed
 * with each device's checksum mode, echoed back first when the simulated
 * interface is single-wire, and answered by the addressed device after a
 * short delay (scheduler time). An address poll (253) makes every device
 * answer with its raw address byte after 4 × address ms.
 */
import { type SchedulerLike, Subject, type Subscription, asyncScheduler } from 'rxjs';
import { InvalidArgumentError } from '../../../core/errors.js';
import { deframe } from '../../../operators/deframe.js';
import type { Transport } from '../../../transport/transport.js';
import type { ChecksumMode } from '../checksum.js';
import { BROADCAST_ADDRESS, HOST_ADDRESS, encodeFrame } from '../framing.js';
import { createCcTalkParser } from '../parser.js';
import { createSimBill } from './bill.js';
import { createSimCoin } from './coin.js';
import type { SimContext, SimDevice, SimStats } from './device.js';
import { createSimHopper } from './hopper.js';
import type { CcTalkSimulator, CcTalkSimulatorOptions, SimReply, SimReplyOverride } from './types.js';

const REPLY_HEADERS = { ack: 0, nak: 5, busy: 6 } as const;

export function createCcTalkSimulator(
  transport: Transport,
  options: CcTalkSimulatorOptions = {},
): CcTalkSimulator {
  const scheduler: SchedulerLike = options.scheduler ?? asyncScheduler;
  const echo = options.echo ?? true;
  const replyDelayMs = options.replyDelayMs ?? 2;
  const stats: SimStats = { inserted: 0, accepted: 0, rejected: 0, paidOut: 0, resets: 0 };
  const log = new Subject<string>();
  const ctx: SimContext = { scheduler, stats, log: (line) => log.next(line) };

  const coin = options.coin === false ? undefined : createSimCoin(options.coin ?? {}, ctx);
  const bill = options.bill ? createSimBill(options.bill, ctx) : undefined;
  const hopper = options.hopper ? createSimHopper(options.hopper, ctx) : undefined;
  const devices = new Map<number, SimDevice>();
  for (const d of [coin, bill, hopper]) {
    if (!d) continue;
    if (devices.has(d.address)) {
      throw new InvalidArgumentError(`Two simulated ccTalk devices share address ${d.address}.`, {
        address: d.address,
      });
    }
    devices.set(d.address, d);
  }
  // Broadcasts (address 0) are read in CRC mode only when every device uses CRC.
  const allCrc = [...devices.values()].every((d) => d.mode === 'crc16');
  const modeOf = (address: number): ChecksumMode =>
    devices.get(address)?.mode ?? (address === BROADCAST_ADDRESS && allCrc ? 'crc16' : 'simple');

  const overrides = new Set<SimReplyOverride>();
  const pending = new Set<Subscription>();
  const later = (work: () => void, delay: number): void => {
    const sub = scheduler.schedule(() => {
      pending.delete(sub);
      work();
    }, delay);
    pending.add(sub);
  };
  const send = (bytes: Uint8Array): void => {
    transport.write(bytes).subscribe({ error: () => undefined });
  };

  const answer = (device: SimDevice, header: number, data: Uint8Array): void => {
    const own = device.handle(header, data) ?? { kind: 'silent' };
    let reply: SimReply = own;
    for (const fn of overrides) reply = fn({ address: device.address, header, data, reply }) ?? reply;
    if (reply.kind === 'silent') return;
    const frame = encodeFrame(
      {
        destination: HOST_ADDRESS,
        source: device.address,
        header: reply.kind === 'data' || reply.kind === 'ack' ? REPLY_HEADERS.ack : REPLY_HEADERS[reply.kind],
        ...(reply.kind === 'data' && { data: reply.data }),
      },
      device.mode,
    );
    later(() => send(frame), replyDelayMs);
  };

  const onFrame = (destination: number, header: number, data: Uint8Array): void => {
    if (destination === HOST_ADDRESS) return; // another device's reply
    if (destination === BROADCAST_ADDRESS && header === 253) {
      for (const d of devices.values()) later(() => send(Uint8Array.of(d.address)), 4 * d.address);
      return;
    }
    const targets = destination === BROADCAST_ADDRESS ? [...devices.values()] : [devices.get(destination)];
    for (const d of targets) if (d) answer(d, header, data);
  };

  // A single-wire line echoes every byte the host sends, whether a device understands it or not.
  const echoSub = transport.data$.subscribe({
    next: (chunk) => {
      if (echo) send(chunk);
    },
    error: () => undefined,
  });
  const sub = transport.data$
    .pipe(deframe(() => createCcTalkParser({ mode: modeOf }), { interByteGapMs: 50, scheduler }))
    .subscribe({
      next: (out) => {
        if (out.type === 'frame') onFrame(out.frame.destination, out.frame.header, out.frame.data);
        else log.next(`bus: ${out.diagnostic.message}`);
      },
      error: () => undefined,
    });

  return {
    stats,
    log$: log.asObservable(),
    addresses: {
      ...(coin && { coin: coin.address }),
      ...(bill && { bill: bill.address }),
      ...(hopper && { hopper: hopper.address }),
    },
    insertCoin: (slot) => {
      if (!coin) return false;
      coin.insert(slot);
      return true;
    },
    insertBill: (channel) => {
      if (!bill) return false;
      bill.insert(channel);
      return true;
    },
    reject: (device = 'coin') => (device === 'coin' ? coin : bill)?.reject(),
    jam: (device = 'coin') => (device === 'coin' ? coin : bill)?.jam(),
    emptyHopper: () => hopper?.setLevel(0),
    fillHopper: (count) => hopper?.setLevel(count),
    powerCycle: () => {
      stats.resets++;
      for (const d of devices.values()) d.powerCycle();
    },
    setCoinCounter: (counter) => coin?.setCounter(counter),
    override: (fn) => {
      overrides.add(fn);
      return () => overrides.delete(fn);
    },
    dispose: () => {
      sub.unsubscribe();
      echoSub.unsubscribe();
      for (const p of pending) p.unsubscribe();
      pending.clear();
      for (const d of devices.values()) d.dispose();
      log.complete();
    },
  };
}
