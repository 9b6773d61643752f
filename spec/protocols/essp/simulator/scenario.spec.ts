import { expect } from 'chai';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../../lib/core/bytes.js';
import type { EsspFrame } from '../../../../lib/protocols/essp/framing.js';
import type { WireIntercept } from '../../../../lib/protocols/essp/simulator/index.js';
import { names, rig } from './host.js';

describe('eSSP simulator: overrides, intercepts and statistics', () => {
  it('override() by name or code, with defaultReply() and removal', () => {
    const { host, sim } = rig({ profile: 'NV9USB' });
    host.sync();
    const off = sim.override('GET_SERIAL_NUMBER', () => fromHex('F0 DE AD BE EF'));
    expect(host.command('GET_SERIAL_NUMBER').info).to.deep.equal({ serial_number: 0xdeadbeef });
    off();
    expect(host.command('GET_SERIAL_NUMBER').info).to.deep.equal({ serial_number: 0x123456 });
    let seen = '';
    sim.override(0x0a, (_args, ctx) => {
      seen = toHex(ctx.defaultReply());
      return ctx.state.enabled ? Uint8Array.of(0xf6) : undefined;
    });
    expect(toHex(host.send(Uint8Array.of(0x0a)))).to.equal('F6');
    expect(seen).to.equal('F0');
    // An override may also answer codes the profile does not implement.
    sim.override(0x99, () => Uint8Array.of(0xf0, 0x01));
    expect(toHex(host.send(Uint8Array.of(0x99)))).to.equal('F0 01');
  });

  it('intercept() sees every frame and reply; a dropped reply is re-sent from the cache on retry', () => {
    const { host, sim } = rig({ profile: 'NV9USB' });
    const inbound: string[] = [];
    let drop = false;
    sim.intercept({
      inbound: (frame) => (inbound.push(toHex(frame.data)), frame),
      outbound: (wire) => (drop ? undefined : wire),
    });
    host.sync();
    drop = true;
    expect(host.wire(fromHex('7F 00 01 0A 3C 08'))).to.have.length(0); // ENABLE executed, reply lost
    drop = false;
    expect(toHex(host.wire(fromHex('7F 00 01 0A 3C 08'))[0]!.raw)).to.equal('7F 00 01 F0 20 0A');
    expect(inbound).to.deep.equal(['11', '0A', '0A']);
  });

  it('intercept() calls the hooks as methods of the object it was given', () => {
    const { host, sim } = rig({ profile: 'NV9USB' });
    class Tap implements WireIntercept {
      frames = 0;
      replies = 0;
      inbound(frame: EsspFrame): EsspFrame {
        this.frames++;
        return frame;
      }
      outbound(wire: Uint8Array): Uint8Array {
        this.replies++;
        return wire;
      }
    }
    const tap = new Tap();
    sim.intercept(tap);
    host.sync();
    host.command('ENABLE');
    expect(tap).to.include({ frames: 2, replies: 2 });
  });

  it('emits the alternate framing of 14.2a events when asked', () => {
    for (const [variant, hex] of [
      ['documented', 'F0 DB'],
      ['alternate', 'F0 DB 01 E8 03 00 00 45 55 52'],
    ] as const) {
      const { host, sim, clock } = rig({ profile: 'NV11', eventVariant: variant });
      host.sync();
      host.negotiate();
      host.command('SET_CHANNEL_INHIBITS', { channels: [1, 1] });
      host.command('ENABLE');
      host.command('ENABLE_PAYOUT_DEVICE');
      host.command('SET_DENOMINATION_ROUTE', { route: 'payout', value: 1000, country_code: 'EUR' });
      host.poll();
      sim.insertNote(2);
      clock.advance(400);
      host.poll();
      host.poll();
      clock.advance(300);
      host.poll();
      clock.advance(700);
      expect(toHex(host.send(Uint8Array.of(0x07)))).to.equal(hex);
    }
  });

  it('stats match what a host counting CREDIT events saw, whatever happens (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant('note' as const), channel: fc.integer({ min: 1, max: 7 }) }),
            fc.record({ kind: fc.constant('reject' as const) }),
            fc.record({ kind: fc.constant('hostReject' as const) }),
            fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 100, max: 12_000 }) }),
          ),
          { maxLength: 25 },
        ),
        (steps) => {
          const { host, sim, clock } = rig({ profile: 'NV9USB', timing: { readMs: 300 } });
          host.sync();
          host.command('SET_CHANNEL_INHIBITS', { channels: [1, 1, 1, 1, 1, 0, 1] });
          let credited = 0;
          const pollAll = () => {
            for (const e of host.poll())
              if (e.event === 'CREDIT_NOTE') credited += sim.profile.channels[e.channel - 1]!;
          };
          host.command('ENABLE');
          for (const step of steps) {
            if (step.kind === 'note') sim.insertNote(step.channel);
            if (step.kind === 'reject') sim.rejectNext();
            if (step.kind === 'hostReject') host.send(Uint8Array.of(0x08));
            if (step.kind === 'wait') {
              clock.advance(step.ms);
              host.command('ENABLE');
            }
            pollAll();
          }
          for (let i = 0; i < 200; i++) {
            clock.advance(250);
            pollAll();
          }
          const s = sim.stats;
          expect(credited).to.equal(s.creditedValue);
          expect(s.inserted).to.equal(s.accepted + s.rejected + s.returned);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('counts a hopper-free validator soak exactly', () => {
    const { host, sim, clock } = rig({ profile: 'BV100' });
    host.sync();
    host.command('SET_CHANNEL_INHIBITS', { channels: [1, 1, 1, 1, 1, 1, 1] });
    host.command('ENABLE');
    for (let i = 0; i < 10; i++) sim.insertValue({ amount: 2000, currency: 'EUR' });
    const events: string[] = [];
    for (let i = 0; i < 100; i++) {
      clock.advance(200);
      events.push(...names(host.poll()));
    }
    expect(events.filter((e) => e === 'CREDIT_NOTE')).to.have.length(10);
    expect(sim.stats).to.deep.equal({
      inserted: 10,
      accepted: 10,
      stored: 0,
      rejected: 0,
      returned: 0,
      creditedValue: 20000,
      paidOut: 0,
      resets: 0,
    });
    expect(() => sim.insertValue({ amount: 300, currency: 'EUR' })).to.throw(/no channel/);
  });
});

describe('eSSP simulator: robustness', () => {
  it('answers SOFTWARE ERROR (0xF6) when a behaviour throws, and keeps running', () => {
    const { host, sim, log } = rig({ profile: 'NV9USB' });
    host.sync();
    sim.override('GET_FIRMWARE_VERSION', () => {
      throw new Error('boom');
    });
    expect(toHex(host.send(Uint8Array.of(0x20)))).to.equal('F6');
    expect(log.join('\n')).to.match(/command 0x20 failed: boom/);
    expect(toHex(host.send(Uint8Array.of(0x11)))).to.equal('F0');
  });

  it('sends nothing (and says why) when an override returns a reply too long for one frame', () => {
    const { host, sim, log } = rig({ profile: 'NV9USB' });
    host.sync();
    sim.override('GET_FIRMWARE_VERSION', () => new Uint8Array(300).fill(0xf0));
    expect(host.wire(fromHex('7F 00 01 20 C3 88'))).to.have.length(0);
    expect(log.join('\n')).to.match(/reply not sent: eSSP frame data must hold 1 to 255 bytes/);
  });

  it('spreads a backlog of events over several polls, each reply within the frame limit', () => {
    const { host, sim, clock } = rig({ profile: 'NV9USB' });
    host.sync();
    host.command('ENABLE');
    for (let i = 0; i < 300; i++) {
      sim.removeCashbox();
      sim.replaceCashbox();
    }
    clock.advance(1);
    const sizes: number[] = [];
    let replaced = 0;
    for (let i = 0; i < 3; i++) {
      const data = host.send(Uint8Array.of(0x07));
      sizes.push(data.length);
      replaced += [...data.subarray(1)].filter((b) => b === 0xe4).length;
    }
    // SLAVE RESET + 300 CASHBOX REPLACED = 301 event bytes: 254 in the first reply, the rest next.
    expect(sizes).to.deep.equal([255, 48, 1]);
    expect(replaced).to.equal(300);
  });
});
