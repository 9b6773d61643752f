import { expect } from 'chai';
import fc from 'fast-check';
import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import { fromHex, toHex } from '../../../lib/core/bytes.js';
import { DecodeError, InvalidArgumentError } from '../../../lib/core/errors.js';
import {
  decodeFrame,
  decodeStatusBytes,
  decodeStatusReply,
  ebdsMiscFlags,
  encodeDeviceReply,
  encodeStatusBytes,
  primaryState,
  STATUS_BITS,
  type PyramidStatus,
  type PyramidStatusInit,
} from '../../../lib/protocols/pyramid/index.js';

function ok<A>(r: Either<unknown, A>): A {
  if (isLeft(r)) throw new Error(`unexpected Left: ${String(r.left)}`);
  return r.right;
}
const status = (hex: string): PyramidStatus => ok(decodeStatusBytes(fromHex(hex)));
/** Names of the flags that are set. */
const on = (s: PyramidStatus): string[] =>
  (Object.keys(STATUS_BITS) as (keyof typeof STATUS_BITS)[]).filter((k) => s[k]);
const sevenBitBytes = fc.uint8Array({ minLength: 6, maxLength: 6, max: 0x7f });

describe('pyramid status bytes', () => {
  it('decodes the captured MEI reply 02 0B 20 01 10 00 00 54 2A 03 44', () => {
    const s = ok(decodeStatusReply(ok(decodeFrame(fromHex('02 0B 20 01 10 00 00 54 2A 03 44')))));
    expect(on(s)).to.deep.equal(['idling', 'cassettePresent']);
    expect(s).to.include({ noteIndex: 0, misc: 0, model: 0x54, revision: 0x2a });
    expect(primaryState(s)).to.equal('idling');
  });

  it('reads events riding along with a state', () => {
    expect(on(status('11 10 00 00 00 00'))).to.deep.equal(['idling', 'stacked', 'cassettePresent']);
    expect(on(status('41 10 00 00 00 00'))).to.deep.equal(['idling', 'returned', 'cassettePresent']);
    const s = status('20 11 00 00 00 00');
    expect(on(s)).to.deep.equal(['returning', 'cheated', 'cassettePresent']);
    expect(primaryState(s)).to.equal('returning');
    expect(on(status('01 02 00 00 00 00'))).to.deep.equal(['idling', 'rejected']);
  });

  it('reads the note index from S2 bits 3-5 with bit 3 least significant', () => {
    for (let i = 0; i <= 7; i++)
      expect(status(`04 10 ${toHex(Uint8Array.of(i << 3))} 00 00 00`).noteIndex).to.equal(i);
    const s = status('11 10 18 00 00 00'); // Idle + Stacked, index 3
    expect(s.noteIndex).to.equal(3);
    expect(s.stacked).to.equal(true);
  });

  it('reads S1/S2 conditions and exceptions', () => {
    expect(on(status('00 0C 07 00 00 00'))).to.deep.equal([
      'jammed',
      'stackerFull',
      'powerUp',
      'invalidCommand',
      'failure',
    ]);
    expect(on(status('00 60 40 00 00 00'))).to.deep.equal(['paused', 'calibrating', 'transportOpen']);
  });

  it('accepts power-up with no state bit as a valid, initialising status', () => {
    const s = status('00 10 01 00 00 00');
    expect(s.powerUp).to.equal(true);
    expect(primaryState(s)).to.equal('initialising');
    expect(primaryState(status('00 00 00 00 00 00'))).to.equal('initialising');
  });

  it('applies Failure > Full > Jammed > Returning > Stacking > Escrowed > Accepting > Idling', () => {
    const order: [PyramidStatusInit, string][] = [
      [{ failure: true, stackerFull: true, jammed: true, returning: true, idling: true }, 'failure'],
      [{ stackerFull: true, jammed: true, returning: true, stacking: true }, 'stacker-full'],
      [{ jammed: true, returning: true, escrowed: true }, 'jammed'],
      [{ returning: true, stacking: true, escrowed: true }, 'returning'],
      [{ stacking: true, escrowed: true, accepting: true }, 'stacking'],
      [{ escrowed: true, accepting: true, idling: true }, 'escrowed'],
      [{ accepting: true, idling: true }, 'accepting'],
      [{ idling: true, powerUp: true, stacked: true }, 'idling'],
      [{ jammed: true }, 'jammed'],
    ];
    for (const [init, expected] of order) {
      expect(primaryState(ok(decodeStatusBytes(encodeStatusBytes(init)))), JSON.stringify(init)).to.equal(
        expected,
      );
    }
  });

  it('keeps reserved S3 bits instead of rejecting them, and names the EBDS ones', () => {
    const s = status('01 10 00 10 54 2A');
    expect(s.misc).to.equal(0x10);
    expect(ebdsMiscFlags(s.misc)).to.deep.equal({
      stalled: false,
      flashDownload: false,
      preStack: false,
      rawBarcode: false,
      capabilitiesQuery: true,
      disabled: false,
    });
    expect(ebdsMiscFlags(0x21)).to.include({ stalled: true, disabled: true });
  });

  it('re-encodes any six 7-bit status bytes to themselves', () => {
    fc.assert(
      fc.property(sevenBitBytes, (b) => {
        expect(toHex(encodeStatusBytes(status(toHex(b))))).to.equal(toHex(b));
      }),
    );
  });

  it('builds the device reply frame the simulator sends', () => {
    expect(
      toHex(encodeDeviceReply({ idling: true, cassettePresent: true, model: 0x54, revision: 0x2a }, 0)),
    ).to.equal('02 0B 20 01 10 00 00 54 2A 03 44');
    expect(encodeDeviceReply({}, 1)[2]).to.equal(0x21);
  });

  it('refuses out-of-range fields when encoding', () => {
    expect(() => encodeStatusBytes({ noteIndex: 8 })).to.throw(InvalidArgumentError, /0\.\.7/);
    expect(() => encodeStatusBytes({ model: 0x80 })).to.throw(InvalidArgumentError);
    expect(() => encodeStatusBytes({ revision: -1 })).to.throw(InvalidArgumentError);
  });

  it('fails softly on short or foreign frames and never throws on arbitrary bytes', () => {
    const short = decodeStatusBytes(fromHex('01 10 00'));
    expect(isLeft(short) && short.left).to.be.instanceOf(DecodeError);
    expect(isLeft(decodeStatusBytes(new Uint8Array(12), -1))).to.equal(true);
    const poll = ok(decodeFrame(fromHex('02 08 10 7F 00 00 03 67')));
    expect(isLeft(decodeStatusReply(poll))).to.equal(true);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), fc.nat(8), (b, off) => void decodeStatusBytes(b, off)),
    );
  });
});
