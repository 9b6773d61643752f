import { expect } from 'chai';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../../lib/core/bytes.js';
import { encodeCommand } from '../../../../lib/protocols/essp/commands/table.js';
import { encodeFrame } from '../../../../lib/protocols/essp/framing.js';
import { createMemoryPair } from '../../../../lib/transport/memory.js';
import { createEsspSimulator } from '../../../../lib/protocols/essp/simulator/index.js';
import { rig, SteppingScheduler, TestHost } from './host.js';

const hex = (s: string) => fromHex(s);

describe('eSSP simulator: link layer', () => {
  it('answers SYNC with the fact-sheet bytes, echoing flag and address', () => {
    const { host } = rig({ profile: 'NV9USB' });
    expect(toHex(host.wire(hex('7F 80 01 11 65 82'))[0]!.raw)).to.equal('7F 80 01 F0 23 80');
    expect(toHex(host.wire(hex('7F 00 01 11 66 08'))[0]!.raw)).to.equal('7F 00 01 F0 20 0A');
  });

  it('answers a SMART Hopper at 0x10 and ignores frames for other addresses', () => {
    const { host } = rig({ profile: 'SMART_HOPPER' });
    expect(host.wire(hex('7F 80 01 11 65 82'))).to.have.length(0);
    expect(toHex(host.wire(hex('7F 90 01 11 26 03'))[0]!.raw)).to.equal('7F 90 01 F0 60 01');
  });

  it('lets two units share one line, each answering only its own address', () => {
    const clock = new SteppingScheduler();
    const [hostEnd, line] = createMemoryPair();
    createEsspSimulator(line, { profile: 'NV9USB', scheduler: clock });
    createEsspSimulator(line, { profile: 'SMART_HOPPER', scheduler: clock });
    const host = new TestHost(hostEnd, 0x10);
    const replies = host.wire(hex('7F 90 01 11 26 03'));
    expect(replies.map((r) => toHex(r.raw))).to.deep.equal(['7F 90 01 F0 60 01']);
  });

  it('re-sends the cached reply to a repeated flag without executing the command again', () => {
    const { host, sim, clock } = rig({ profile: 'NV200_SMART_PAYOUT', requireEncryption: false });
    host.sync();
    host.negotiate();
    host.command('ENABLE');
    host.command('ENABLE_PAYOUT_DEVICE');
    sim.setLevels({ 500: 2, 1000: 1 });
    host.poll();
    // A PAYOUT whose reply is "lost": the host resends the identical encrypted bytes.
    const data = host.crypto!.wrapCommand(
      encodeCommand('PAYOUT_AMOUNT', { amount: 500, country_code: 'EUR', test: false }),
    );
    const wire = encodeFrame({ address: 0, seq: host.seq, data });
    const first = host.wire(wire);
    const second = host.wire(wire);
    expect(first).to.have.length(1);
    expect(toHex(second[0]!.raw)).to.equal(toHex(first[0]!.raw));
    host.crypto!.unwrapReply(first[0]!.frame.data);
    host.seq = host.seq === 1 ? 0 : 1;
    clock.advance(5000);
    expect(sim.stats.paidOut).to.equal(500);
    expect(sim.levels.slice(0, 2)).to.deep.equal([1, 1]);
  });

  it('executes SYNC even with a repeated flag, and then wants the other flag', () => {
    const { host } = rig({ profile: 'NV9USB' });
    host.sync();
    host.frame(0, Uint8Array.of(0x0a)); // ENABLE, flag 0
    expect(toHex(host.frame(1, Uint8Array.of(0x07)).frame.data)).to.equal('F0 F1'); // SLAVE RESET only
    expect(toHex(host.frame(1, Uint8Array.of(0x11)).frame.data)).to.equal('F0'); // SYNC, same flag: executed
    // DISABLE with SYNC's flag is a "retransmission": cached SYNC reply, not executed.
    expect(toHex(host.frame(1, Uint8Array.of(0x09)).frame.data)).to.equal('F0');
    expect(toHex(host.frame(0, Uint8Array.of(0x07)).frame.data)).to.equal('F0'); // still enabled: no DISABLED
  });

  it('answers an unknown or unsupported code with 0xF2', () => {
    const { host } = rig({ profile: 'BV20' });
    host.sync();
    expect(toHex(host.send(Uint8Array.of(0x33, 1, 0, 0, 0)))).to.equal('F2');
    expect(toHex(host.send(Uint8Array.of(0x99)))).to.equal('F2');
  });

  it('answers 0xF8 to an unsupported HOST PROTOCOL VERSION and 0xF3 to a missing argument', () => {
    const { host } = rig({ profile: 'NV9USB' });
    host.sync();
    expect(toHex(host.send(Uint8Array.of(0x06, 0x09)))).to.equal('F8');
    expect(toHex(host.send(Uint8Array.of(0x06)))).to.equal('F3');
    expect(toHex(host.send(Uint8Array.of(0x06, 0x07)))).to.equal('F0');
  });
});

describe('eSSP simulator: line robustness', () => {
  it('ignores frames with a bad CRC and junk bytes, and answers the next good frame', () => {
    const { host } = rig({ profile: 'NV9USB' });
    expect(host.wire(hex('7F 80 01 11 65 83'))).to.have.length(0);
    expect(host.wire(hex('00 13 37'))).to.have.length(0);
    expect(toHex(host.wire(hex('55 7F 80 01 11 65 82'))[0]!.raw)).to.equal('7F 80 01 F0 23 80');
  });

  it('reassembles commands split into chunks anywhere (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 30 }), (cuts) => {
        const { host } = rig({ profile: 'NV9USB' });
        const stream = hex('7F 80 01 11 65 82 7F 00 01 0A 3C 08 7F 80 01 07 12 02');
        const replies: string[] = [];
        let at = 0;
        for (const n of [...cuts, stream.length]) {
          if (at >= stream.length) break;
          for (const r of host.wire(stream.subarray(at, at + n))) replies.push(toHex(r.raw));
          at += n;
        }
        expect(replies).to.deep.equal([
          '7F 80 01 F0 23 80',
          '7F 00 01 F0 20 0A',
          toHex(encodeFrame({ address: 0, seq: 1, data: hex('F0 F1') })),
        ]);
      }),
      { numRuns: 50 },
    );
  });

  it('stops answering once disposed', () => {
    const { host, sim } = rig({ profile: 'NV9USB' });
    sim.dispose();
    expect(host.wire(hex('7F 80 01 11 65 82'))).to.have.length(0);
  });
});
