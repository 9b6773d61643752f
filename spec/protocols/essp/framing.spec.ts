import { expect } from 'chai';
import fc from 'fast-check';
import { isLeft, isRight, type Either } from 'fp-ts/lib/Either.js';
import { concatBytes, fromHex, toHex } from '../../../lib/core/bytes.js';
import { InvalidArgumentError } from '../../../lib/core/errors.js';
import {
  decodeFrame,
  encodeFrame,
  ESSP_STX,
  splitFrames,
  stuffBytes,
  unstuffBytes,
  type EsspFrame,
  type EsspFrameError,
} from '../../../lib/protocols/essp/framing.js';
import { esspBytes, esspFrame, esspFrames, junkWithoutStx, wireOf } from '../../helpers/essp-arbitraries.js';

function ok<T>(result: Either<EsspFrameError, T>): T {
  if (isLeft(result)) expect.fail(`expected a value, got ${result.left.reason}: ${result.left.message}`);
  return result.right;
}

function err<T>(result: Either<EsspFrameError, T>): EsspFrameError {
  if (isRight(result)) expect.fail('expected an error, got a value');
  return result.left;
}

const frame = (address: number, seq: 0 | 1, dataHex: string): EsspFrame => ({
  address,
  seq,
  data: fromHex(dataHex),
});

// Fact sheet section 3, "More computed frames": columns are
// addr 0x00 flag 1, addr 0x00 flag 0, addr 0x10 flag 1, addr 0x10 flag 0.
const TABLE: readonly (readonly [string, string, readonly [string, string, string, string]])[] = [
  ['POLL', '07', ['7F 80 01 07 12 02', '7F 00 01 07 11 88', '7F 90 01 07 51 83', '7F 10 01 07 52 09']],
  ['SYNC', '11', ['7F 80 01 11 65 82', '7F 00 01 11 66 08', '7F 90 01 11 26 03', '7F 10 01 11 25 89']],
  ['ENABLE', '0A', ['7F 80 01 0A 3F 82', '7F 00 01 0A 3C 08', '7F 90 01 0A 7C 03', '7F 10 01 0A 7F 7F 89']],
  ['DISABLE', '09', ['7F 80 01 09 35 82', '7F 00 01 09 36 08', '7F 90 01 09 76 03', '7F 10 01 09 75 89']],
  [
    'SETUP REQUEST',
    '05',
    ['7F 80 01 05 1D 82', '7F 00 01 05 1E 08', '7F 90 01 05 5E 03', '7F 10 01 05 5D 89'],
  ],
  ['GET SERIAL', '0C', ['7F 80 01 0C 2B 82', '7F 00 01 0C 28 08', '7F 90 01 0C 68 03', '7F 10 01 0C 6B 89']],
  [
    'HOST PROTOCOL 6',
    '06 06',
    ['7F 80 02 06 06 24 14', '7F 00 02 06 06 1B 94', '7F 90 02 06 06 22 54', '7F 10 02 06 06 1D D4'],
  ],
  [
    'HOST PROTOCOL 8',
    '06 08',
    ['7F 80 02 06 08 03 94', '7F 00 02 06 08 3C 14', '7F 90 02 06 08 05 D4', '7F 10 02 06 08 3A 54'],
  ],
  [
    'POLL WITH ACK',
    '56',
    ['7F 80 01 56 F7 83', '7F 00 01 56 F4 09', '7F 90 01 56 B4 02', '7F 10 01 56 B7 88'],
  ],
  ['EVENT ACK', '57', ['7F 80 01 57 F2 03', '7F 00 01 57 F1 89', '7F 90 01 57 B1 82', '7F 10 01 57 B2 08']],
  ['reply OK', 'F0', ['7F 80 01 F0 23 80', '7F 00 01 F0 20 0A', '7F 90 01 F0 60 01', '7F 10 01 F0 63 8B']],
];
const COLUMNS: readonly (readonly [number, 0 | 1])[] = [
  [0x00, 1],
  [0x00, 0],
  [0x10, 1],
  [0x10, 0],
];

describe('eSSP framing', () => {
  describe('fact sheet frames', () => {
    for (const [name, dataHex, cells] of TABLE) {
      cells.forEach((wireHex, col) => {
        const [address, seq] = COLUMNS[col]!;
        it(`${name} at address 0x${address.toString(16).padStart(2, '0')}, flag ${seq}: ${wireHex}`, () => {
          const f = frame(address, seq, dataHex);
          expect(toHex(encodeFrame(f))).to.equal(wireHex);
          expect(ok(decodeFrame(fromHex(wireHex)))).to.deep.equal(f);
        });
      });
    }

    it('stuffs a 0x7F data byte: SET INHIBITS 7F 00', () => {
      const f = frame(0, 1, '02 7F 00');
      expect(toHex(encodeFrame(f))).to.equal('7F 80 03 02 7F 7F 00 2E 26');
      expect(ok(decodeFrame(fromHex('7F 80 03 02 7F 7F 00 2E 26')))).to.deep.equal(f);
    });

    it('stuffs a 0x7F CRC byte: 02 00 E6 → CRC 7F A6', () => {
      const f = frame(0, 1, '02 00 E6');
      expect(toHex(encodeFrame(f))).to.equal('7F 80 03 02 00 E6 7F 7F A6');
      expect(ok(decodeFrame(fromHex('7F 80 03 02 00 E6 7F 7F A6')))).to.deep.equal(f);
    });

    it('stuffs a LENGTH of 0x7F and keeps it as the unstuffed count', () => {
      const wire = encodeFrame(frame(1, 0, '00'.repeat(0x7f)));
      expect(toHex(wire.subarray(0, 4))).to.equal('7F 01 7F 7F');
      expect(ok(decodeFrame(wire)).data.length).to.equal(0x7f);
    });
  });

  describe('encodeFrame argument checks', () => {
    const cases: readonly [string, EsspFrame][] = [
      ['address 0x7E', frame(0x7e, 0, '07')],
      ['address -1', frame(-1, 0, '07')],
      ['a fractional address', frame(1.5, 0, '07')],
      ['empty data', frame(0, 0, '')],
      ['256 data bytes', { address: 0, seq: 0, data: new Uint8Array(256) }],
      ['flag 2', { address: 0, seq: 2 as 0, data: fromHex('07') }],
    ];
    for (const [what, f] of cases) {
      it(`refuses ${what} with InvalidArgumentError`, () => {
        expect(() => encodeFrame(f)).to.throw(InvalidArgumentError);
      });
    }
    it('accepts the limits: address 0x7D and 255 data bytes', () => {
      expect(encodeFrame({ address: 0x7d, seq: 1, data: new Uint8Array(255) }).length).to.equal(260);
    });
  });

  describe('decodeFrame errors', () => {
    const cases: readonly [string, string, EsspFrameError['reason'], EsspFrameError['kind']][] = [
      ['no STX', '80 01 11 65 82', 'no-stx', 'decode'],
      ['nothing at all', '', 'no-stx', 'decode'],
      ['a frame cut short', '7F 80 01 11 65', 'truncated', 'decode'],
      ['a bare STX', '7F', 'truncated', 'decode'],
      ['bytes after the CRC', '7F 80 01 11 65 82 00', 'trailing', 'decode'],
      ['a wrong CRC', '7F 80 01 11 65 83', 'crc', 'crc'],
      ['LENGTH 0', '7F 80 00 FF FF', 'length', 'resync'],
      ['a lone 0x7F inside', '7F 80 01 7F 65 82', 'stx', 'resync'],
    ];
    for (const [what, hex, reason, kind] of cases) {
      it(`reports ${what} as '${reason}' without throwing`, () => {
        const e = err(decodeFrame(fromHex(hex)));
        expect(e).to.include({ reason, kind, protocol: 'essp' });
        expect(e.message).to.be.a('string').and.not.equal('');
      });
    }
    it('names both CRCs in hex and keeps the frame bytes', () => {
      const e = err(decodeFrame(fromHex('7F 80 01 11 65 83')));
      expect(e.message).to.contain('0x8265').and.contain('0x8365');
      expect(e.hex).to.equal('7F 80 01 11 65 83');
      expect(e.info).to.deep.include({ computed: 0x8265, received: 0x8365 });
    });
  });

  describe('properties', () => {
    it('decode(encode(frame)) is the frame', () => {
      fc.assert(
        fc.property(esspFrame, (f) => {
          expect(ok(decodeFrame(encodeFrame(f)))).to.deep.equal(f);
        }),
      );
    });

    it('encoded frames have no lone 0x7F after the STX and grow by one byte per 0x7F', () => {
      fc.assert(
        fc.property(esspFrame, (f) => {
          const wire = encodeFrame(f);
          const body = ok(unstuffBytes(wire.subarray(1)));
          expect(toHex(body.subarray(2, 2 + f.data.length))).to.equal(toHex(f.data));
          const sevenFs = body.filter((b) => b === ESSP_STX).length;
          expect(wire.length).to.equal(5 + f.data.length + sevenFs);
        }),
      );
    });

    it('unstuff(stuff(bytes)) is the bytes', () => {
      fc.assert(
        fc.property(esspBytes(), (bytes) => {
          const stuffed = stuffBytes(bytes);
          expect(ok(unstuffBytes(stuffed))).to.deep.equal(bytes);
          expect(stuffed.length).to.equal(bytes.length + bytes.filter((b) => b === ESSP_STX).length);
        }),
      );
    });

    it('decodeFrame never throws on arbitrary bytes', () => {
      fc.assert(
        fc.property(esspBytes(), (bytes) => {
          const result = decodeFrame(concatBytes(fromHex('7F'), bytes));
          if (isRight(result))
            expect(toHex(encodeFrame(result.right))).to.equal(toHex(concatBytes(fromHex('7F'), bytes)));
        }),
      );
    });
  });

  describe('splitFrames', () => {
    it('splits a line of several frames by their own lengths', () => {
      const line = fromHex('7F 80 01 11 65 82 7F 80 01 F0 23 80 7F 10 01 0A 7F 7F 89');
      const { items, rest } = splitFrames(line);
      expect(rest.length).to.equal(0);
      expect(items.map((i) => (i.type === 'frame' ? toHex(i.raw) : i.diagnostic.reason))).to.deep.equal([
        '7F 80 01 11 65 82',
        '7F 80 01 F0 23 80',
        '7F 10 01 0A 7F 7F 89',
      ]);
      expect(items.map((i) => i.offset)).to.deep.equal([0, 6, 12]);
    });

    it('reports junk, a bad CRC and an unfinished tail in line order', () => {
      const line = fromHex('00 01 7F 80 01 11 65 83 7F 80 01 F0 23 80 7F 80 02 06');
      const { items, rest } = splitFrames(line);
      expect(items.map((i) => (i.type === 'frame' ? 'frame' : i.diagnostic.reason))).to.deep.equal([
        'junk',
        'crc',
        'frame',
      ]);
      expect(items.map((i) => i.offset)).to.deep.equal([0, 2, 8]);
      expect(toHex(rest)).to.equal('7F 80 02 06');
    });

    it('abandons a frame interrupted by a lone STX and keeps the next one', () => {
      const { items } = splitFrames(fromHex('7F 80 05 01 02 7F 00 01 11 66 08'));
      expect(items).to.have.length(2);
      expect(items[0]).to.deep.include({ type: 'diagnostic', offset: 0 });
      expect(items[0]?.type === 'diagnostic' && items[0].diagnostic.reason).to.equal('stx');
      expect(items[1]?.type === 'frame' && items[1].frame).to.deep.equal(frame(0, 0, '11'));
    });

    it('keeps a trailing 0x7F as rest, since the next byte decides what it is', () => {
      const { items, rest } = splitFrames(fromHex('7F 10 01 0A 7F'));
      expect(items).to.deep.equal([]);
      expect(toHex(rest)).to.equal('7F 10 01 0A 7F');
    });

    it('finds every frame after junk without 0x7F, at its offset', () => {
      fc.assert(
        fc.property(junkWithoutStx(), esspFrames(), (junk, frames) => {
          const { items, rest } = splitFrames(concatBytes(junk, wireOf(frames)));
          expect(rest.length).to.equal(0);
          expect(items[0]).to.deep.include({ type: 'diagnostic', offset: 0 });
          const found = items.flatMap((i) => (i.type === 'frame' ? [i.frame] : []));
          expect(found).to.deep.equal(frames);
        }),
      );
    });
  });
});
