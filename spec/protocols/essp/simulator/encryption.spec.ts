import { expect } from 'chai';
import { fromHex, toHex, u64le } from '../../../../lib/core/bytes.js';
import { encodeCommand } from '../../../../lib/protocols/essp/commands/table.js';
import { hostIntermediate, KeyExchangeParams } from '../../../../lib/protocols/essp/crypto/dh.js';
import { decryptPacket } from '../../../../lib/protocols/essp/crypto/packet.js';
import { encryptionKey, parseFixedKey } from '../../../../lib/protocols/essp/crypto/key.js';
import { createHostCrypto } from '../../../../lib/protocols/essp/crypto/session.js';
import { names, rig } from './host.js';

const wire = (s: string) => fromHex(s);
const zeros = (out: Uint8Array) => out.fill(0);

describe('eSSP simulator: encryption', () => {
  it('reproduces the fact-sheet 7.6 key exchange and encrypted POLL byte for byte', () => {
    const { host } = rig({ profile: 'NV9USB', random: zeros, exponent: () => 0x4321n });
    const one = (frame: string) => toHex(host.wire(wire(frame))[0]!.raw);
    expect(one('7F 80 01 11 65 82')).to.equal('7F 80 01 F0 23 80'); // SYNC
    expect(one('7F 00 01 0A 3C 08')).to.equal('7F 00 01 F0 20 0A'); // ENABLE
    expect(one('7F 80 01 07 12 02')).to.match(/^7F 80 02 F0 F1/); // POLL: SLAVE RESET drained
    expect(one('7F 00 02 06 06 1B 94')).to.equal('7F 00 01 F0 20 0A'); // HOST PROTOCOL VERSION 6
    expect(one('7F 80 09 4A C5 05 8F 3A 00 00 00 00 B2 73')).to.equal('7F 80 01 F0 23 80');
    expect(one('7F 00 09 4B 8D A6 13 00 00 00 00 00 53 D6')).to.equal('7F 00 01 F0 20 0A');
    expect(one('7F 80 09 4C D5 B5 0A 00 00 00 00 00 AA 4E')).to.equal(
      '7F 80 09 F0 66 C6 04 00 00 00 00 00 8F E9',
    );
    expect(one('7F 00 11 7E F2 28 E6 B9 BB DF A1 4E 10 9A 89 32 2B 21 03 49 74 A8')).to.equal(
      '7F 00 11 7E C3 A6 B3 BE F3 EE CB 22 34 E1 20 65 6D FD D7 17 C6 77',
    );
    // Next POLL with count 1: the reply carries count 2 and OK.
    const next = host.wire(wire('7F 80 11 7E 96 9E 77 B9 00 C7 A4 C1 47 9D 26 23 01 C7 76 36 DA 70'))[0]!;
    const key = encryptionKey(parseFixedKey('0123456701234567'), 0x038e39n);
    const opened = decryptPacket(next.frame.data, key, 2);
    expect(opened.ok && toHex(opened.data)).to.equal('F0');
  });

  it('answers KEY NOT SET to plain commands until a key is negotiated when encryption is required', () => {
    const { host } = rig({ profile: 'NV200_SMART_PAYOUT', requireEncryption: true });
    expect(toHex(host.sync())).to.equal('F0');
    expect(toHex(host.send(Uint8Array.of(0x07)))).to.equal('FA');
    expect(toHex(host.send(Uint8Array.of(0x05)))).to.equal('FA');
    host.negotiate();
    expect(names(host.poll())).to.deep.equal(['SLAVE_RESET', 'DISABLED']);
    expect(host.command('SETUP_REQUEST').info).to.include({ unitType: 0x06, protocolVersion: 6 });
  });

  it('refuses a wrong count or a wrong key with a plain KEY NOT SET, leaving the count alone', () => {
    const { host } = rig({ profile: 'NV9USB' });
    host.sync();
    host.negotiate();
    // Count 5 where 0 is expected: a replay/stale packet.
    const stale = createHostCrypto(encryptionKey(parseFixedKey('0123456701234567'), 0x038e39n));
    for (let i = 0; i < 5; i++) stale.wrapCommand(Uint8Array.of(0x07));
    const bad = stale.wrapCommand(Uint8Array.of(0x07));
    expect(toHex(host.send(bad, false))).to.equal('FA');
    // Wrong fixed key: the inner CRC fails.
    const other = createHostCrypto(encryptionKey(parseFixedKey('1111111111111111'), 0x038e39n));
    expect(toHex(host.send(other.wrapCommand(Uint8Array.of(0x07)), false))).to.equal('FA');
    // The real session still works with count 0.
    expect(host.crypto!.count).to.equal(0);
    expect(names(host.poll())).to.deep.equal(['SLAVE_RESET', 'DISABLED']);
  });

  it('answers an encrypted packet before any negotiation with KEY NOT SET', () => {
    const { host } = rig({ profile: 'NV9USB' });
    host.sync();
    const session = createHostCrypto(encryptionKey(parseFixedKey('0123456701234567'), 1234n));
    expect(toHex(host.send(session.wrapCommand(Uint8Array.of(0x07)), false))).to.equal('FA');
  });

  it('checks generator and modulus for primality and needs both before the exchange', () => {
    const { host } = rig({ profile: 'NV9USB' });
    host.sync();
    const params = new KeyExchangeParams(982451653n, 1287821n, 0x1234n);
    const exchange = Uint8Array.of(0x4c, ...u64le(hostIntermediate(params)));
    expect(toHex(host.send(exchange))).to.equal('F8');
    // Numbers from a user log: 12883 = 13 x 991 and 10225 = 5^2 x 409.
    expect(toHex(host.send(Uint8Array.of(0x4a, ...u64le(0x3253n))))).to.equal('F4');
    expect(toHex(host.send(Uint8Array.of(0x4b, ...u64le(0x27f1n))))).to.equal('F4');
    expect(toHex(host.send(Uint8Array.of(0x4a, 1, 2, 3)))).to.equal('F3');
    expect(toHex(host.send(Uint8Array.of(0x4a, ...u64le(982451653n))))).to.equal('F0');
    expect(toHex(host.send(exchange))).to.equal('F8'); // modulus still missing
    expect(toHex(host.send(Uint8Array.of(0x4b, ...u64le(1287821n))))).to.equal('F0');
    expect(host.send(exchange)[0]).to.equal(0xf0);
  });

  it('answers PARAMETER OUT OF RANGE to an "encryption required" command sent plain', () => {
    const { host } = rig({ profile: 'NV200_SMART_PAYOUT' });
    host.sync();
    const payout = encodeCommand('PAYOUT_AMOUNT', { amount: 500, country_code: 'EUR', test: true });
    expect(toHex(host.send(payout, false))).to.equal('F4');
    host.negotiate();
    host.command('ENABLE');
    host.command('ENABLE_PAYOUT_DEVICE');
    // Encrypted it is understood: nothing stored yet, so "not enough value".
    expect(toHex(host.send(payout))).to.equal('F5 01');
  });

  it('forgets the key at a power cycle and asks for a new negotiation', () => {
    const { host, sim } = rig({ profile: 'NV9USB', requireEncryption: true });
    host.sync();
    host.negotiate();
    host.poll();
    sim.powerCycle();
    host.crypto = undefined;
    host.sync();
    expect(toHex(host.send(Uint8Array.of(0x07)))).to.equal('FA');
    host.negotiate();
    expect(names(host.poll())).to.deep.equal(['SLAVE_RESET', 'DISABLED']);
    expect(sim.stats.resets).to.equal(1);
  });
});
