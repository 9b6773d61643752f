import { expect } from 'chai';
import createDebug from 'debug';
import { type Observable, VirtualTimeScheduler } from 'rxjs';
import { bytes, toHex } from '../../../lib/core/bytes.js';
import { type FrameTrace, frameLogger } from '../../../lib/operators/trace.js';
import { encodeFrame } from '../../../lib/protocols/essp/framing.js';
import { createEsspBus } from '../../../lib/protocols/essp/session.js';
import { createMemoryPair } from '../../../lib/transport/memory.js';
import { OK, createFakeDevice } from './device/fake-device.js';

/**
 * A bus on a virtual clock in front of the simulated device (the in-memory
 * line answers synchronously, so only timeouts take virtual time). `clockReads`
 * counts how often the bus reads the clock: every trace record reads it once.
 */
function setup() {
  const vts = new VirtualTimeScheduler();
  const now = vts.now;
  const clock = { reads: 0 };
  vts.now = () => {
    clock.reads++;
    return now();
  };
  const [host, port] = createMemoryPair();
  const device = createFakeDevice(port, { 0x07: () => bytes(OK, 0xe8) });
  const bus = createEsspBus(host, { timeoutMs: 50, attempts: 3, scheduler: vts });
  const session = bus.session(0);
  /** Subscribe, run the virtual clock dry, and return the values (throws the error, if any). */
  const run = <T>(source$: Observable<T>): T[] => {
    const out: T[] = [];
    let failure: { e: unknown } | undefined;
    source$.subscribe({ next: (v) => out.push(v), error: (e: unknown) => (failure = { e }) });
    vts.flush();
    if (failure) throw failure.e;
    return out;
  };
  /** A frame from the device that no command waits for. */
  const unsolicited = (): string => {
    const frame = encodeFrame({ address: 0, seq: 1, data: bytes(OK, 0xee) });
    port.write(frame).subscribe();
    return toHex(frame);
  };
  return { vts, clock, host, device, bus, session, run, unsolicited };
}

const brief = (t: FrameTrace): string =>
  `${t.time} ${t.direction} ${t.hex}${t.name === undefined ? '' : ` ${t.name}`}${t.note === undefined ? '' : ` (${t.note})`}`;

describe('eSSP traces on demand', () => {
  it('with nobody watching trace$, nothing is kept: a later subscriber sees only the frames after it subscribed', () => {
    const { host, device, bus, session, run, unsolicited } = setup();
    run(session.send('POLL')); // SYNC first, then POLL: four frames nobody watches
    unsolicited();
    expect(host.written).to.have.length(2);
    const traces: FrameTrace[] = [];
    bus.trace$.subscribe((t) => traces.push(t));
    run(session.send('POLL'));
    expect(traces.map((t) => [t.direction, t.hex, t.name])).to.deep.equal([
      ['tx', toHex(host.written.at(-1)!), 'POLL'],
      ['rx', device.sent.at(-1)!, 'POLL'],
    ]);
  });

  it('builds no trace record while nobody watches (the bus reads the clock once per record, and only then)', () => {
    const unwatched = setup();
    unwatched.run(unwatched.session.send('SYNC'));
    const before = unwatched.clock.reads;
    unwatched.run(unwatched.session.send('POLL'));
    const readsUnwatched = unwatched.clock.reads - before;

    const watched = setup();
    watched.run(watched.session.send('SYNC'));
    const traces: FrameTrace[] = [];
    watched.bus.trace$.subscribe((t) => traces.push(t));
    const start = watched.clock.reads;
    watched.run(watched.session.send('POLL'));
    const readsWatched = watched.clock.reads - start;

    expect(traces).to.have.length(2);
    expect(readsWatched - readsUnwatched).to.equal(traces.length);
  });

  it('with a subscriber, every frame of an exchange appears in order, both directions, resends and strays included', () => {
    const { host, device, session, run, unsolicited } = setup();
    const traces: FrameTrace[] = [];
    session.trace$.subscribe((t) => traces.push(t));
    run(session.send('SYNC'));
    device.dropReplies(1);
    const [reply] = run(session.send('POLL'));
    expect(toHex(reply!.info.data)).to.equal('E8');
    const stray = unsolicited();
    const tx = host.written.map((b) => toHex(b));
    expect(tx).to.have.length(3);
    expect(tx[2]).to.equal(tx[1]); // the resend is byte-identical
    expect(device.sent).to.have.length(2); // SYNC's reply and POLL's replayed reply (the lost one never left)
    expect(traces.map(brief)).to.deep.equal([
      `0 tx ${tx[0]!} SYNC`,
      `0 rx ${device.sent[0]!} SYNC (OK)`,
      `0 tx ${tx[1]!} POLL`,
      `50 tx ${tx[2]!} POLL`,
      `50 rx ${device.sent[1]!} POLL (OK)`,
      `50 rx ${stray} (unsolicited)`,
    ]);
  });

  it('a subscriber that arrives while a command is on the wire sees its reply, not the command written before', () => {
    const { bus, session, device, run } = setup();
    const traces: FrameTrace[] = [];
    device.handlers[0x07] = () => {
      bus.trace$.subscribe((t) => traces.push(t));
      return bytes(OK);
    };
    run(session.send('POLL'));
    expect(traces.map((t) => `${t.direction} ${String(t.name)}`)).to.deep.equal(['rx POLL']);
  });

  it('with the frame debug log on and nobody watching trace$, every frame is still logged, both directions', () => {
    const previous = createDebug.disable();
    const log = frameLogger('essp') as unknown as { log?: (...args: unknown[]) => void };
    const lines: string[] = [];
    try {
      createDebug.enable('cashwire:essp:frame');
      log.log = (...args: unknown[]) => lines.push(args.map(String).join(' '));
      const { host, device, session, run } = setup();
      run(session.send('POLL'));
      expect(lines).to.have.length(4);
      const hexes = [toHex(host.written[0]!), device.sent[0]!, toHex(host.written[1]!), device.sent[1]!];
      lines.forEach((line, i) => {
        expect(line).to.include(i % 2 === 0 ? '->' : '<-');
        expect(line).to.include(hexes[i]!);
      });
    } finally {
      delete log.log;
      createDebug.disable();
      if (previous) createDebug.enable(previous);
    }
  });
});
