import { expect } from 'chai';
import fc from 'fast-check';
import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import { fromHex, toHex } from '../../../lib/core/bytes.js';
import { InvalidArgumentError } from '../../../lib/core/errors.js';
import {
  decodeExtendedReply,
  decodeFrame,
  encodeBarcodeQuery,
  encodeBarcodeReply,
  encodeEbdsExtendedCommand,
  encodeEscrowTimeout,
  encodeExtendedReply,
  encodeNoteSpecQuery,
  primaryState,
  type ExtendedReply,
} from '../../../lib/protocols/pyramid/index.js';

function ok<A>(r: Either<unknown, A>): A {
  if (isLeft(r)) throw new Error(`unexpected Left: ${String(r.left)}`);
  return r.right;
}
const reply = (bytes: Uint8Array): ExtendedReply => ok(decodeExtendedReply(ok(decodeFrame(bytes))));

const EBDS_NOTE = '02 1E 70 02 11 10 00 10 55 35 00 55 53 44 30 30 31 2B 30 30 02 43 41 44 42 00 00 00 03 43';

describe('pyramid extended messages', () => {
  it('encodes the Pyramid barcode query 02 06 70 01 03 77', () => {
    expect(toHex(encodeBarcodeQuery(0))).to.equal('02 06 70 01 03 77');
    expect(encodeBarcodeQuery(1)[2]).to.equal(0x71);
  });

  it('decodes the EBDS extended note report sample', () => {
    const r = reply(fromHex(EBDS_NOTE));
    expect(r.subtype).to.equal(2);
    expect(r.status).to.include({
      idling: true,
      stacked: true,
      cassettePresent: true,
      noteIndex: 0,
      model: 0x55,
    });
    expect(primaryState(r.status)).to.equal('idling');
    expect(r.detail).to.deep.equal({
      kind: 'note-spec',
      spec: {
        index: 0,
        currency: 'USD',
        value: { amount: 100, currency: 'USD' },
        base: 1,
        exponent: 0,
        orientation: 2,
        type: 'C',
        series: 'A',
        compatibility: 'D',
        version: 'B',
        classification: 0,
      },
    });
  });

  it('computes note values from base and signed exponent', () => {
    const spec = (value: string, cur = 'USD') => {
      const p = fromHex(`01 ${toHex(new TextEncoder().encode(cur + value))} 00 43 41 44 42 00 00 00`);
      const d = reply(encodeExtendedReply(0, 2, { idling: true }, p)).detail;
      return d.kind === 'note-spec' ? d.spec?.value : 'wrong kind';
    };
    expect(spec('005+01')).to.deep.equal({ amount: 5000, currency: 'USD' }); // $50
    expect(spec('500-02')).to.deep.equal({ amount: 500, currency: 'USD' }); // $5.00
    expect(spec('100+03', 'JPY')).to.deep.equal({ amount: 100000, currency: 'JPY' }); // zero minor digits
    expect(spec('001-03')).to.equal(undefined); // a tenth of a cent
  });

  it('treats a record without a currency as the end of the table', () => {
    const r = reply(encodeExtendedReply(1, 2, { idling: true }, new Uint8Array(18)));
    expect(r.detail).to.deep.equal({ kind: 'note-spec', spec: undefined });
  });

  it('encodes EBDS note specification queries and escrow timeouts with omnibus bytes', () => {
    const omnibus = { enableMask: 0x7f, escrow: true, orientation: 'four-way' } as const;
    const q = encodeNoteSpecQuery(0, 1, omnibus);
    expect(toHex(q.subarray(0, 8))).to.equal('02 0A 70 02 7F 1C 00 01');
    expect(ok(decodeFrame(q)).data.length).to.equal(5);
    const t = ok(decodeFrame(encodeEscrowTimeout(1, { notesSeconds: 30, barcodeSeconds: 10 }, omnibus)));
    expect(toHex(t.data)).to.equal('04 7F 1C 00 1E 0A');
    expect(t.ack).to.equal(1);
    expect(() => encodeNoteSpecQuery(0, 0, omnibus)).to.throw(InvalidArgumentError);
    expect(() => encodeEscrowTimeout(0, { notesSeconds: 200, barcodeSeconds: 0 }, omnibus)).to.throw(
      InvalidArgumentError,
    );
    expect(() => encodeEbdsExtendedCommand(0, 3, { enableMask: 0x80 })).to.throw(InvalidArgumentError);
  });

  it('builds and reads a 40-byte barcode reply, trimming NUL or ( padding', () => {
    for (const pad of ['\0', '('] as const) {
      const bytes = encodeBarcodeReply(0, { escrowed: true, cassettePresent: true }, '0123456789ABC', pad);
      expect(bytes.length).to.equal(40);
      const r = reply(bytes);
      expect(r.detail).to.deep.equal({ kind: 'barcode', barcode: '0123456789ABC' });
      expect(primaryState(r.status)).to.equal('escrowed');
    }
    expect(reply(encodeBarcodeReply(0, { idling: true }, '')).detail).to.deep.equal({
      kind: 'barcode',
      barcode: '',
    });
    expect(() => encodeBarcodeReply(0, {}, 'x'.repeat(29))).to.throw(InvalidArgumentError);
  });

  it('keeps unknown subtypes raw and rejects frames too short to carry status', () => {
    const r = reply(encodeExtendedReply(0, 0x0b, { idling: true }, Uint8Array.of(1)));
    expect(r.detail).to.deep.equal({ kind: 'raw' });
    expect(toHex(r.payload)).to.equal('01');
    expect(isLeft(decodeExtendedReply(ok(decodeFrame(fromHex('02 06 70 01 03 77')))))).to.equal(true);
    expect(
      isLeft(decodeExtendedReply(ok(decodeFrame(fromHex('02 0B 20 01 10 00 00 54 2A 03 44'))))),
    ).to.equal(true);
    const badDigits = encodeExtendedReply(
      0,
      2,
      {},
      fromHex('01 55 53 44 30 58 31 2B 30 30 00 00 00 00 00 00 00 00'),
    );
    expect(isLeft(decodeExtendedReply(ok(decodeFrame(badDigits))))).to.equal(true);
  });

  it('never throws decoding arbitrary extended frames', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 60, max: 0x7f }),
        fc.constantFrom(0 as const, 1 as const),
        (data, ack) => {
          const f = ok(decodeFrame(encodeExtendedReply(ack, data[0] ?? 0, {}, data.subarray(1))));
          void decodeExtendedReply(f);
          void decodeExtendedReply({ ...f, data });
        },
      ),
    );
  });
});
