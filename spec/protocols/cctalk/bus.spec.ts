import { expect } from 'chai';
import { filter, firstValueFrom, map, take } from 'rxjs';
import { toHex } from '../../../lib/core/bytes.js';
import { CommandTimeoutError, DeviceError, UnknownCommandError } from '../../../lib/core/errors.js';
import { createCcTalkBus } from '../../../lib/protocols/cctalk/bus.js';
import { createCcTalkCoinAcceptor } from '../../../lib/protocols/cctalk/coin-acceptor.js';
import { createCcTalkSimulator } from '../../../lib/protocols/cctalk/simulator/index.js';
import { createMemoryPair } from '../../../lib/transport/memory.js';
import { createTestScheduler } from '../../helpers/marbles.js';
import { createHarness } from './harness.js';

/** Run a cold request to completion in virtual time and return its value or error. */
function run<T>(h: ReturnType<typeof createHarness>, req: import('rxjs').Observable<T>, until = 5000) {
  const out: { value?: T; error?: unknown } = {};
  req.subscribe({ next: (v) => (out.value = v), error: (e: unknown) => (out.error = e) });
  h.runUntil(h.scheduler.now() + until);
  return out;
}

describe('ccTalk bus', () => {
  for (const echo of [true, false]) {
    it(`talks to a device ${echo ? 'with' : 'without'} a single-wire echo, learning which`, () => {
      const h = createHarness({ echo });
      expect(run(h, h.bus.request(2, 'REQUEST_EQUIPMENT_CATEGORY_ID')).value).to.equal('Coin Acceptor');
      expect(run(h, h.bus.request(2, 'REQUEST_SERIAL_NUMBER')).value).to.equal(0x010203);
      expect(h.diagnostics).to.deep.equal([]);
    });
  }

  it("reports a missing echo when told the line echoes ('always')", () => {
    const h = createHarness({ echo: false }, { echo: 'always' });
    expect(run(h, h.bus.request(2, 'SIMPLE_POLL')).error).to.equal(undefined);
    expect(h.diagnostics.map((d) => d.kind)).to.deep.equal(['echo']);
    expect(h.diagnostics[0]!.message).to.match(/No echo/);
  });

  it('never strips an echo that differs from the frame sent: the line is reported as corrupting data', () => {
    const ts = createTestScheduler();
    ts.run(({ expectObservable }) => {
      const [host, device] = createMemoryPair();
      // A line that damages the host's echo (still a well-formed frame: source and
      // checksum both changed), then carries a valid ACK.
      device.data$.subscribe((frame) => {
        const bad = frame.slice();
        bad[2] = bad[2]! + 1;
        bad[4] = bad[4]! - 1;
        device.write(bad).subscribe();
        device.write(Uint8Array.of(1, 0, 2, 0, 253)).subscribe();
      });
      const bus = createCcTalkBus(host, { scheduler: ts, attempts: 2 });
      const kinds: string[] = [];
      bus.diagnostics$.subscribe((d) => kinds.push(`${d.kind}: ${d.message}`));
      expectObservable(bus.request(2, 'SIMPLE_POLL')).toBe(
        '#',
        undefined,
        new CommandTimeoutError('SIMPLE_POLL', 2, 0, { lastReason: 'corrupted echo' }),
      );
      ts.flush();
      expect(kinds).to.have.length(2);
      expect(kinds[0]).to.match(/^echo: Echo differs from the frame sent/);
    });
  });

  it('drives three devices on one bus with mixed checksum modes', () => {
    const h = createHarness(
      { coin: {}, bill: { checksum: 'crc16' }, hopper: { checksum: 'crc16', address: 3 } },
      { checksumByAddress: { 40: 'crc16', 3: 'crc16' } },
    );
    expect(run(h, h.bus.request(2, 'REQUEST_EQUIPMENT_CATEGORY_ID')).value).to.equal('Coin Acceptor');
    expect(run(h, h.bus.request(40, 'REQUEST_EQUIPMENT_CATEGORY_ID')).value).to.equal('Bill Validator');
    expect(run(h, h.bus.request(3, 'REQUEST_EQUIPMENT_CATEGORY_ID')).value).to.equal('Payout');
    // The CRC frames carry no source: the written bytes are the CRC form.
    // Fact-sheet vector: simple poll to 40 in CRC mode is 40 0 182 254 33.
    expect(h.host.written.map((w) => toHex(w))).to.not.include('28 00 01 F5 E2');
    run(h, h.bus.request(40, 'SIMPLE_POLL'));
    expect(toHex(h.host.written[h.host.written.length - 1]!)).to.equal(
      toHex(Uint8Array.of(40, 0, 182, 254, 33)),
    );
    expect(h.diagnostics).to.deep.equal([]);
    // A device addressed in the wrong mode stays silent: the request times out after every attempt.
    h.bus.setChecksum(40, 'simple');
    const wrong = run(h, h.bus.request(40, 'SIMPLE_POLL'));
    expect(wrong.error).to.be.instanceOf(CommandTimeoutError);
    expect((wrong.error as CommandTimeoutError).info).to.include({ attempts: 4 });
  });

  it('fails on NAK without resending, and resends identical bytes on BUSY', () => {
    const h = createHarness({ hopper: {} });
    const before = h.host.written.length;
    const nak = run(h, h.bus.request(3, 'DISPENSE_HOPPER_COINS', { security: new Uint8Array(8), count: 1 }));
    expect(nak.error).to.be.instanceOf(DeviceError);
    expect((nak.error as DeviceError).response).to.equal('NAK');
    expect(h.host.written.length - before).to.equal(1);

    let busy = 1;
    h.sim.override((ctx) => (ctx.header === 246 && busy-- > 0 ? { kind: 'busy' } : undefined));
    const start = h.host.written.length;
    expect(run(h, h.bus.request(3, 'REQUEST_MANUFACTURER_ID')).value).to.equal('CWS');
    const sent = h.host.written.slice(start).map((w) => toHex(w));
    expect(sent).to.have.length(2);
    expect(sent[0]).to.equal(sent[1]);
  });

  it('rejects an unknown header name or a bad argument with a typed error and writes nothing', async () => {
    const [host] = createMemoryPair();
    const bus = createCcTalkBus(host);
    const unknown = await firstValueFrom(bus.request(2, 'MODIFY_INHIBITS' as 'SIMPLE_POLL')).catch(
      (e: unknown) => e,
    );
    expect(unknown).to.be.instanceOf(UnknownCommandError);
    expect((unknown as Error).message).to.match(/MODIFY_INHIBIT_STATUS/);
    const bad = await firstValueFrom(bus.request(2, 'MODIFY_INHIBIT_STATUS', { mask: 0x1_0000 })).catch(
      (e: unknown) => e,
    );
    expect(bad).to.have.property('code', 'INVALID_ARGUMENT');
    const badAddress = await firstValueFrom(bus.request(1, 'SIMPLE_POLL')).catch((e: unknown) => e);
    expect(badAddress).to.have.property('code', 'INVALID_ARGUMENT');
    expect(host.written).to.have.length(0);
    bus.dispose();
  });

  it('collects raw address bytes for an address poll, echo removed', () => {
    const h = createHarness({ coin: {}, bill: {}, hopper: {} });
    expect(run(h, h.bus.addressPoll()).value).to.deep.equal([2, 3, 40]);
    expect(h.diagnostics).to.deep.equal([]);
  });
});

describe('ccTalk bus timing (marbles)', () => {
  it('resends a silent request every reply timeout and gives up after the attempts', () => {
    const ts = createTestScheduler();
    ts.run(({ expectObservable }) => {
      const [host, device] = createMemoryPair();
      const bus = createCcTalkBus(host, { scheduler: ts, replyTimeoutMs: 100, attempts: 3 });
      const writes$ = device.data$.pipe(
        map((b) => toHex(b)),
        take(3),
      );
      expectObservable(writes$).toBe('a 99ms a 99ms (a|)', { a: '02 00 01 FE FF' });
      expectObservable(bus.request(2, 'SIMPLE_POLL')).toBe(
        '300ms #',
        undefined,
        new CommandTimeoutError('SIMPLE_POLL', 3, 300, { lastReason: 'timeout' }),
      );
    });
  });

  it('polls 229 at the interval from the device (249), measured from the end of each poll', () => {
    const ts = createTestScheduler();
    ts.run(({ expectObservable }) => {
      const [host, device] = createMemoryPair();
      const sim = createCcTalkSimulator(device, { scheduler: ts, replyDelayMs: 2, echo: false });
      const bus = createCcTalkBus(host, { scheduler: ts });
      const acceptor = createCcTalkCoinAcceptor(bus, { scheduler: ts });
      const polls$ = device.data$.pipe(
        filter((b) => b[3] === 229),
        map(() => 'p'),
        take(4),
      );
      // 19 connect requests answered 2 ms after each; then the baseline 229, confirmed by a second
      // read, while the acceptor is still inhibited; inhibits and master inhibit; the first poll as
      // soon as connect ends; then a 229 every 200 ms after the last reply.
      expectObservable(polls$).toBe('38ms p 1ms p 5ms p 201ms (p|)');
      ts.schedule(() => {
        acceptor.dispose();
        bus.dispose();
        sim.dispose();
      }, 1000);
    });
  });
});
