import { expect } from 'chai';
import * as util from 'node:util';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../../lib/core/bytes.js';
import { DecryptionError, DisposedError } from '../../../../lib/core/errors.js';
import {
  DEFAULT_FIXED_KEY,
  createDeviceCrypto,
  createHostCrypto,
  encryptionKey,
  parseFixedKey,
  type DecryptResult,
  type RandomSource,
  type SecretKey,
} from '../../../../lib/protocols/essp/crypto/index.js';

const zeros: RandomSource = (out) => out.fill(0);
const keyFor = (negotiated: bigint): SecretKey => encryptionKey(parseFixedKey(DEFAULT_FIXED_KEY), negotiated);

function dataOf(r: DecryptResult): string {
  if (!r.ok) throw new Error(`expected success, got ${r.error.message}`);
  return toHex(r.data);
}
function checkOf(r: DecryptResult): unknown {
  expect(r.ok).to.equal(false);
  if (r.ok) return undefined;
  expect(r.error).to.be.instanceOf(DecryptionError);
  return r.error.info['check'];
}

describe('eSSP crypto: encryption sessions (eCOUNT rules)', () => {
  it('reproduces the worked example exchange (fact sheet 7.6) through host and device sessions', () => {
    const host = createHostCrypto(keyFor(233017n), { random: zeros });
    const device = createDeviceCrypto(keyFor(233017n), { random: zeros });

    const poll0 = host.wrapCommand(fromHex('07'));
    expect(toHex(poll0)).to.equal('7E F2 28 E6 B9 BB DF A1 4E 10 9A 89 32 2B 21 03 49');
    expect(host.count).to.equal(1);

    expect(dataOf(device.unwrapCommand(poll0))).to.equal('07');
    expect(device.count).to.equal(1);
    const reply1 = device.wrapReply(fromHex('F0'));
    expect(toHex(reply1)).to.equal('7E C3 A6 B3 BE F3 EE CB 22 34 E1 20 65 6D FD D7 17');
    expect(device.count).to.equal(1);

    const r = host.unwrapReply(reply1);
    expect(dataOf(r)).to.equal('F0');
    expect(r.ok && r.count).to.equal(1);
    expect(host.count).to.equal(1); // not bumped again on receipt

    expect(toHex(host.wrapCommand(fromHex('07')))).to.equal(
      '7E 96 9E 77 B9 00 C7 A4 C1 47 9D 26 23 01 C7 76 36',
    );
    expect(host.count).to.equal(2);
  });

  it('advances by exactly one per exchange and both sides stay in step', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 64 }), { maxLength: 20 }), (commands) => {
        const host = createHostCrypto(keyFor(99n));
        const device = createDeviceCrypto(keyFor(99n));
        commands.forEach((cmd, i) => {
          expect(host.count).to.equal(i);
          const wire = host.wrapCommand(cmd);
          expect(dataOf(device.unwrapCommand(wire))).to.equal(toHex(cmd));
          const reply = device.wrapReply(Uint8Array.of(0xf0, ...cmd.subarray(0, 3)));
          const back = host.unwrapReply(reply);
          expect(back.ok && back.count).to.equal(i + 1);
          expect(host.count).to.equal(device.count);
        });
      }),
      { numRuns: 50 },
    );
  });

  it('host: rejects a replayed reply, a stale reply and a reply with no command outstanding', () => {
    const host = createHostCrypto(keyFor(5n));
    const device = createDeviceCrypto(keyFor(5n));
    expect(checkOf(host.unwrapReply(device.wrapReply(Uint8Array.of(0xf0))))).to.equal('count'); // nothing sent yet

    const cmd0 = host.wrapCommand(Uint8Array.of(0x07));
    device.unwrapCommand(cmd0);
    const reply1 = device.wrapReply(Uint8Array.of(0xf0));
    expect(dataOf(host.unwrapReply(reply1))).to.equal('F0');
    expect(checkOf(host.unwrapReply(reply1))).to.equal('count'); // replay

    const cmd1 = host.wrapCommand(Uint8Array.of(0x07)); // count 1, expects reply count 2
    expect(dataOf(device.unwrapCommand(cmd1))).to.equal('07');
    expect(checkOf(host.unwrapReply(reply1))).to.equal('count'); // stale reply with count 1
    // A refused reply leaves the exchange open: the genuine one still gets through, once.
    const reply2 = device.wrapReply(Uint8Array.of(0xf0, 0x01));
    expect(dataOf(host.unwrapReply(reply2))).to.equal('F0 01');
    expect(checkOf(host.unwrapReply(reply2))).to.equal('count');
    expect(host.count).to.equal(2);
  });

  it('device: rejects a replayed or out-of-order command and keeps its counter', () => {
    const host = createHostCrypto(keyFor(5n));
    const device = createDeviceCrypto(keyFor(5n));
    const cmd0 = host.wrapCommand(Uint8Array.of(0x07));
    const cmd1 = host.wrapCommand(Uint8Array.of(0x0a));
    expect(checkOf(device.unwrapCommand(cmd1))).to.equal('count'); // out of order
    expect(device.count).to.equal(0);
    expect(dataOf(device.unwrapCommand(cmd0))).to.equal('07');
    expect(checkOf(device.unwrapCommand(cmd0))).to.equal('count'); // replay
    expect(dataOf(device.unwrapCommand(cmd1))).to.equal('0A');
    expect(device.count).to.equal(2);
  });

  it('rejects traffic under another key and garbage, without throwing', () => {
    const host = createHostCrypto(keyFor(1234n));
    const device = createDeviceCrypto(keyFor(4321n));
    expect(checkOf(device.unwrapCommand(host.wrapCommand(Uint8Array.of(0x07))))).to.equal('crc');
    expect(checkOf(device.unwrapCommand(Uint8Array.of(0x07)))).to.equal('stex');
    expect(checkOf(host.unwrapReply(new Uint8Array(17)))).to.equal('stex');
    expect(device.count).to.equal(0);
  });

  it('reset() returns both sides to count 0 after a renegotiation', () => {
    const host = createHostCrypto(keyFor(7n), { random: zeros });
    const device = createDeviceCrypto(keyFor(7n), { random: zeros });
    const first = host.wrapCommand(Uint8Array.of(0x07));
    device.unwrapCommand(first);
    host.unwrapReply(device.wrapReply(Uint8Array.of(0xf0)));
    host.wrapCommand(Uint8Array.of(0x07)); // abandoned exchange
    host.reset();
    device.reset();
    expect(host.count).to.equal(0);
    expect(checkOf(host.unwrapReply(device.wrapReply(Uint8Array.of(0xf0))))).to.equal('count'); // no command pending
    expect(toHex(host.wrapCommand(Uint8Array.of(0x07)))).to.equal(toHex(first)); // same count, same bytes
    expect(dataOf(device.unwrapCommand(first))).to.equal('07');
  });

  it('dispose() wipes the key and refuses further use', () => {
    const key = keyFor(7n);
    const host = createHostCrypto(key);
    host.dispose();
    expect(key.wiped).to.equal(true);
    expect(host.disposed).to.equal(true);
    expect(() => host.wrapCommand(Uint8Array.of(0x07))).to.throw(DisposedError);
    expect(() => host.unwrapReply(new Uint8Array(17))).to.throw(DisposedError);
    expect(() => host.reset()).to.throw(DisposedError);
    host.dispose(); // idempotent
  });

  it('prints role and count, never the key', () => {
    const host = createHostCrypto(keyFor(233017n));
    host.wrapCommand(Uint8Array.of(0x07));
    for (const text of [String(host), JSON.stringify({ host }), util.inspect(host, { showHidden: true })]) {
      expect(text).to.match(/host/);
      expect(text).to.not.match(/67 ?45 ?23 ?01|398E03/i);
    }
    expect(JSON.parse(JSON.stringify(host))).to.deep.equal({ role: 'host', count: 1, disposed: false });
  });
});
