/**
 * The committed traces (recorded from the simulators by bench/record-fixtures.ts)
 * replayed byte for byte through the real device code: every write must be the
 * recorded one, every record must be consumed, and the credits must come out.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { type DeviceEvent, isCredit } from '../../lib/core/events.js';
import { type LinkStats, linkStats } from '../../lib/operators/stats.js';
import type { FrameTrace } from '../../lib/operators/trace.js';
import { createCcTalkBus } from '../../lib/protocols/cctalk/bus.js';
import { createCcTalkCoinAcceptor } from '../../lib/protocols/cctalk/coin-acceptor.js';
import { createEsspDevice } from '../../lib/protocols/essp/device/device.js';
import type { EsspDevice, EsspDeviceOptions } from '../../lib/protocols/essp/device/types.js';
import { createPyramidDevice } from '../../lib/protocols/pyramid/device.js';
import {
  TraceMismatchError,
  TraceUnconsumedError,
  createReplayTransport,
  parseTraceLines,
  seededRandom,
  type ReplayTransport,
  type TraceLine,
} from '../../lib/testing/trace/index.js';

const load = (path: string): TraceLine[] => parseTraceLines(readFileSync(`spec/fixtures/${path}`, 'utf8'));

interface Outcome {
  readonly events: DeviceEvent[];
  readonly replay: ReplayTransport;
  readonly error: unknown;
}

interface Driven {
  readonly events$: import('rxjs').Observable<DeviceEvent>;
  dispose(): void;
}

/**
 * Replay `records` into the device `create` builds; dispose it as soon as the
 * trace is used up or the replay fails.
 */
function replayInto<D extends Driven>(
  records: readonly FrameTrace[],
  create: (replay: ReplayTransport, scheduler: VirtualTimeScheduler) => D,
  options: {
    readonly echo?: boolean;
    /** The application's own calls, at the times they were made while recording. */
    readonly script?: (device: D, scheduler: VirtualTimeScheduler) => void;
  } = {},
): Outcome {
  const scheduler = new VirtualTimeScheduler(VirtualAction, Number.POSITIVE_INFINITY);
  const replay = createReplayTransport(records, {
    scheduler,
    ...(options.echo !== undefined && { echo: options.echo }),
  });
  const device = create(replay, scheduler);
  const events: DeviceEvent[] = [];
  let error: unknown;
  device.events$.subscribe((e) => events.push(e));
  const stop = (): void => device.dispose();
  replay.finished().subscribe({ complete: stop, error: (e: unknown) => ((error = e), stop()) });
  options.script?.(device, scheduler);
  scheduler.flush();
  return { events, replay, error };
}

const essp =
  (options: EsspDeviceOptions) =>
  (replay: ReplayTransport, scheduler: VirtualTimeScheduler): EsspDevice =>
    createEsspDevice(replay, { scheduler, address: 0, ...options });

const ccTalkCoin = (replay: ReplayTransport, scheduler: VirtualTimeScheduler): Driven => {
  const bus = createCcTalkBus(replay, { scheduler });
  const acceptor = createCcTalkCoinAcceptor(bus, { scheduler });
  return {
    events$: acceptor.events$,
    dispose: () => {
      acceptor.dispose();
      bus.dispose();
    },
  };
};

const pyramid = (replay: ReplayTransport, scheduler: VirtualTimeScheduler): Driven =>
  createPyramidDevice(replay, { scheduler });

const creditAmounts = (events: readonly DeviceEvent[]): string[] =>
  events.filter(isCredit).map((c) => `${c.money.amount} ${c.money.currency}`);

describe('replay of recorded traces through the real drivers', () => {
  it('eSSP NV9USB plain session: one 10.00 EUR note credited', () => {
    const out = replayInto(load('essp/nv9usb-plain-credit.jsonl'), essp({ encryption: 'off' }));
    expect(out.error).to.equal(undefined);
    out.replay.assertConsumed();
    expect(creditAmounts(out.events)).to.deep.equal(['1000 EUR']);
  });

  it('eSSP SMART Payout encrypted session with a seeded host random source: credit and payout', () => {
    let paid = false;
    const out = replayInto(
      load('essp/smart-payout-encrypted-payout.jsonl'),
      essp({ encryption: 'required', random: seededRandom(0x5eed) }),
      {
        // As recorded: the application asks for the stored 10.00 note back at 4 s.
        script: (dev, scheduler) =>
          scheduler.schedule(
            () =>
              dev.info$.subscribe((info) =>
                dev.payout(info.channels[1]!.value).subscribe({ complete: () => (paid = true) }),
              ),
            4000,
          ),
      },
    );
    expect(out.error).to.equal(undefined);
    out.replay.assertConsumed();
    expect(creditAmounts(out.events)).to.deep.equal(['500 EUR']);
    expect(paid).to.equal(true);
    expect(out.events.filter((e) => e.type === 'dispensed')).to.have.length(1);
  });

  it('ccTalk coin acceptor on an echoing line: one 2.00 coin credited', () => {
    const out = replayInto(load('cctalk/coin-acceptor-credit.jsonl'), ccTalkCoin, { echo: true });
    expect(out.error).to.equal(undefined);
    out.replay.assertConsumed();
    expect(creditAmounts(out.events)).to.deep.equal(['200 EUR']);
  });

  it('link statistics of the replayed ccTalk session match the trace', () => {
    const records = load('cctalk/coin-acceptor-credit.jsonl');
    let stats: LinkStats | undefined;
    const out = replayInto(
      records,
      (replay, scheduler) => {
        const bus = createCcTalkBus(replay, { scheduler });
        linkStats(bus.trace$, bus.queue.events$, bus.diagnostics$).subscribe((s) => (stats = s));
        const acceptor = createCcTalkCoinAcceptor(bus, { scheduler });
        return { events$: acceptor.events$, dispose: () => (acceptor.dispose(), bus.dispose()) };
      },
      { echo: true },
    );
    out.replay.assertConsumed();
    const count = (d: 'tx' | 'rx'): number => records.filter((r) => r.direction === d).length;
    expect(stats).to.deep.include({
      tx: count('tx'),
      rx: count('rx'),
      timeouts: 0,
      retries: 0,
      crcErrors: 0,
    });
    // Every request was answered, each after the recorded delay (the simulator's 2 ms and more).
    expect(stats!.latency!.samples).to.equal(count('tx'));
    expect(stats!.latency!.minMs).to.be.at.least(2);
  });

  it('Pyramid acceptor: one stacked bill credited', () => {
    const out = replayInto(load('pyramid/apex-stacked-bill.jsonl'), pyramid);
    expect(out.error).to.equal(undefined);
    out.replay.assertConsumed();
    expect(creditAmounts(out.events)).to.deep.equal(['1000 USD']);
  });
});

describe('replay failures', () => {
  const fixture = 'essp/nv9usb-plain-credit.jsonl';

  it('a tampered tx record fails with TraceMismatchError naming the line, expected and actual hex', () => {
    const records = load(fixture);
    const index = records.findIndex((r) => r.name === 'SET_CHANNEL_INHIBITS' && r.direction === 'tx');
    const original = records[index]!;
    const tampered = original.hex.replace(/^7F 80 02 02 7F/, '7F 80 02 02 01');
    expect(tampered).to.not.equal(original.hex);
    records[index] = { ...original, hex: tampered };

    const out = replayInto(records, essp({ encryption: 'off' }));
    expect(out.error).to.be.instanceOf(TraceMismatchError);
    const mismatch = out.error as TraceMismatchError;
    expect(mismatch.line).to.equal(original.line);
    expect(mismatch.expected).to.equal(tampered);
    expect(mismatch.actual).to.equal(original.hex);
    expect(mismatch.message).to.contain(`line ${original.line}`);
    expect(() => out.replay.assertConsumed()).to.throw(TraceMismatchError);
    expect(creditAmounts(out.events)).to.deep.equal([]);
  });

  it('an encrypted trace does not replay with another host random source: the key exchange diverges', () => {
    const records = load('essp/smart-payout-encrypted-payout.jsonl');
    const out = replayInto(records, essp({ encryption: 'required', random: seededRandom(1) }));
    expect(out.error).to.be.instanceOf(TraceMismatchError);
    const line = (out.error as TraceMismatchError).line;
    // The host draws the generator and modulus primes first, so the very first key step differs.
    expect(records.find((r) => r.line === line)?.name).to.equal('SET_GENERATOR');
  });

  it('a trace cut short fails when the driver writes past its end', () => {
    const records = load(fixture).slice(0, 20);
    // Keep the driver running after the last record: its next write has nothing to match.
    const out = replayInto(records, (replay, scheduler) => {
      const dev = createEsspDevice(replay, { scheduler, address: 0, encryption: 'off' });
      return { events$: dev.events$, dispose: () => undefined };
    });
    const failure = out.replay.failure;
    expect(failure).to.be.instanceOf(TraceMismatchError);
    expect(failure!.expected).to.equal('');
    expect(failure!.line).to.equal(records.at(-1)!.line + 1);
    expect(failure!.message).to.contain('end of the trace');
  });

  it('a driver that stops early leaves records unconsumed: TraceUnconsumedError names the first', () => {
    const records = load(fixture);
    const scheduler = new VirtualTimeScheduler(VirtualAction, Number.POSITIVE_INFINITY);
    const replay = createReplayTransport(records, { scheduler });
    const dev = createEsspDevice(replay, { scheduler, address: 0, encryption: 'off' });
    scheduler.schedule(() => dev.dispose(), 300);
    scheduler.flush();
    let caught: unknown;
    try {
      replay.assertConsumed();
    } catch (e) {
      caught = e;
    }
    expect(caught).to.be.instanceOf(TraceUnconsumedError);
    const error = caught as TraceUnconsumedError;
    expect(error.remaining).to.equal(replay.remaining).and.to.be.greaterThan(0);
    expect(error.line).to.equal(records[replay.consumed]!.line);
  });
});
