import { expect } from 'chai';
import fc from 'fast-check';
import { OptionRangeError } from '../../../lib/core/errors.js';
import { encodeBarcodeReply, encodeBarcodeQuery } from '../../../lib/protocols/pyramid/extended.js';
import {
  decodeFrame,
  encodeHostPoll,
  type AckBit,
  type PyramidFrame,
} from '../../../lib/protocols/pyramid/framing.js';
import {
  acceptReply,
  afterSoftReset,
  checkBusyTolerance,
  classifyReply,
  isTrusted,
  noteSilence,
  startLink,
} from '../../../lib/protocols/pyramid/link.js';
import { encodeDeviceReply } from '../../../lib/protocols/pyramid/status.js';

function frame(bytes: Uint8Array): PyramidFrame {
  const f = decodeFrame(bytes);
  if (f._tag === 'Left') throw new Error(f.left.message);
  return f.right;
}
const reply = (ack: AckBit): PyramidFrame => frame(encodeDeviceReply({ idling: true }, ack));

describe('Pyramid link (ack rule)', () => {
  it('starts at ack 0 with no trusted reply', () => {
    const s = startLink(0);
    expect(s.ack).to.equal(0);
    expect(isTrusted(s)).to.equal(false);
    expect(s.down).to.equal(false);
  });

  it('a reply with the matching ack is fresh; the other ack is stale; host frames are foreign', () => {
    const s = startLink(0);
    expect(classifyReply(s, reply(0))).to.equal('fresh');
    expect(classifyReply(s, reply(1))).to.equal('stale');
    expect(classifyReply(s, frame(encodeHostPoll({ ack: 0, enableMask: 0x7f })))).to.equal('foreign');
    // A Pyramid extended request (command byte only) is host traffic; a reply carries six status bytes.
    expect(classifyReply(s, frame(encodeBarcodeQuery(0)))).to.equal('foreign');
    expect(classifyReply(s, frame(encodeBarcodeReply(0, { idling: true }, 'X')))).to.equal('fresh');
  });

  it('toggles only on accept, and every accept toggles', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 40 }), (outcomes) => {
        let s = startLink(0);
        let expected: AckBit = 0;
        let t = 0;
        for (const answered of outcomes) {
          t += 100;
          if (answered) {
            s = acceptReply(s, t);
            expected = expected === 0 ? 1 : 0;
          } else s = noteSilence(s, t, 5000).state;
          expect(s.ack).to.equal(expected);
        }
      }),
    );
  });

  it('the first reply is a baseline; later ones are trusted', () => {
    let s = startLink(0);
    expect(isTrusted(s)).to.equal(false);
    s = acceptReply(s, 10);
    expect(isTrusted(s)).to.equal(true);
  });

  it('tolerates silence below the tolerance and reports down exactly once at it', () => {
    let s = acceptReply(startLink(0), 1000);
    const verdicts: string[] = [];
    for (const t of [1250, 3000, 5999, 6000, 6250, 9000]) {
      const r = noteSilence(s, t, 5000);
      s = r.state;
      verdicts.push(r.verdict);
    }
    expect(verdicts).to.deep.equal(['busy', 'busy', 'busy', 'down', 'still-down', 'still-down']);
    expect(s.ack).to.equal(1); // silence never toggles
    s = acceptReply(s, 9100);
    expect(s.down).to.equal(false);
    expect(noteSilence(s, 9200, 5000).verdict).to.equal('busy');
  });

  it('a soft reset toggles the ack, restarts the baseline and the silence clock', () => {
    const s = afterSoftReset(acceptReply(acceptReply(startLink(0), 100), 200), 300);
    expect(s.ack).to.equal(1);
    expect(isTrusted(s)).to.equal(false);
    expect(noteSilence(s, 5200, 5000).verdict).to.equal('busy');
  });

  it('validates the busy tolerance', () => {
    expect(checkBusyTolerance(undefined)).to.equal(5000);
    expect(checkBusyTolerance(100)).to.equal(100);
    expect(() => checkBusyTolerance(99)).to.throw(OptionRangeError);
    expect(() => checkBusyTolerance(60_001)).to.throw(OptionRangeError);
    expect(() => checkBusyTolerance(Number.NaN)).to.throw(OptionRangeError);
  });
});
