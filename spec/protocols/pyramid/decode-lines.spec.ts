import { expect } from 'chai';
import fc from 'fast-check';
import {
  createPyramidLineDecoder,
  decodePyramidLines,
  isDecodeError,
  type DecodedFrame,
} from '../../../lib/protocols/pyramid/decode-lines.js';

describe('Pyramid decode-lines', () => {
  it('decodes the fact sheet host poll', () => {
    const [e] = decodePyramidLines(['02 08 10 7F 00 00 03 67']);
    expect(e).to.deep.equal({
      line: 1,
      hex: '02 08 10 7F 00 00 03 67',
      messageType: 1,
      ack: 0,
      checksumOk: true,
      direction: 'host',
      kind: 'poll',
      mask: 0x7f,
      enabled: [1, 2, 3, 4, 5, 6, 7],
      escrow: false,
      stack: false,
      return: false,
      barcodeEnabled: false,
    });
  });

  it('decodes the fact sheet MEI reply (ack 0): idling, cassette present, model T', () => {
    const [e] = decodePyramidLines(['02 0B 20 01 10 00 00 54 2A 03 44']) as DecodedFrame[];
    expect(e).to.deep.include({
      direction: 'device',
      kind: 'status',
      ack: 0,
      checksumOk: true,
      state: 'idling',
      flags: ['idling', 'cassettePresent'],
      billIndex: 0,
      model: 0x54,
      revision: 0x2a,
    });
  });

  it('reads a Stacked reply with its bill index, and an escrow poll with the stack bit', () => {
    const entries = decodePyramidLines(['02 0B 21 11 10 18 00 10 11 03 32', '02 08 11 04 30 00 03 2D']);
    expect(entries[0]).to.deep.include({
      direction: 'device',
      ack: 1,
      state: 'idling',
      billIndex: 3,
      checksumOk: true,
    });
    expect((entries[0] as DecodedFrame).flags).to.include('stacked');
    expect(entries[1]).to.deep.include({
      direction: 'host',
      mask: 4,
      enabled: [3],
      escrow: true,
      stack: true,
      checksumOk: true,
    });
  });

  it('soft reset, barcode query and barcode reply', () => {
    const entries = decodePyramidLines(['02 08 60 7F 7F 7F 03 17', '02 06 70 01 03 77']) as DecodedFrame[];
    expect(entries.map((e) => [e.direction, e.kind])).to.deep.equal([
      ['host', 'soft reset'],
      ['host', 'extended request'],
    ]);
    expect(entries[1]!.command).to.equal(1);
  });

  it('marks a checksum failure and keeps going', () => {
    const entries = decodePyramidLines(['02 08 10 7F 00 00 03 66', 'zz', '02 08 11 7F 00 00 03 66']);
    expect(entries[0]).to.deep.include({ checksumOk: false, kind: 'poll', mask: 0x7f });
    expect(isDecodeError(entries[1]!)).to.equal(true);
    expect(entries[1]).to.deep.include({ line: 2 });
    expect(entries[2]).to.deep.include({ checksumOk: true, ack: 1, line: 3 });
  });

  it('two frames on one line are two entries; blank lines and comments are skipped', () => {
    const entries = decodePyramidLines([
      '# capture',
      '',
      '02 08 10 7F 00 00 03 67 02 0B 20 01 10 00 00 54 2A 03 44',
    ]);
    expect(entries.map((e) => ('direction' in e ? e.direction : 'error'))).to.deep.equal(['host', 'device']);
    expect(entries.every((e) => e.line === 3)).to.equal(true);
  });

  it('junk between frames is an error entry with its bytes', () => {
    const entries = decodePyramidLines(['AA BB 02 08 10 7F 00 00 03 67']);
    expect(entries[0]).to.deep.include({ line: 1, hex: 'AA BB' });
    expect(entries[1]).to.deep.include({ kind: 'poll' });
  });

  it('the bytes decoder for `cashwire decode` gives the same entries without line numbers', () => {
    const out = createPyramidLineDecoder().decode(Uint8Array.of(2, 8, 0x10, 0x7f, 0, 0, 3, 0x67));
    expect(out).to.have.length(1);
    expect(out[0]).to.not.have.property('line');
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 5 }), (lines) => {
        decodePyramidLines(lines);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        createPyramidLineDecoder().decode(bytes);
      }),
    );
  });
});
