import { expect } from 'chai';
import fc from 'fast-check';
import { fromHex } from '../../../lib/core/bytes.js';
import { InvalidArgumentError } from '../../../lib/core/errors.js';
import { decodeFrame, encodeFrame, type EsspFrame } from '../../../lib/protocols/essp/framing.js';
import {
  createLinkState,
  ESSP_DEFAULT_ATTEMPTS,
  ESSP_DEFAULT_TIMEOUT_MS,
  ESSP_SYNC_SEQ,
  type EsspLinkState,
} from '../../../lib/protocols/essp/link.js';
import { esspAddress } from '../../helpers/essp-arbitraries.js';

const reply = (address: number, seq: 0 | 1): EsspFrame => ({ address, seq, data: fromHex('F0') });

describe('eSSP link state (sequence flag)', () => {
  it('uses the fact sheet timing defaults', () => {
    expect(ESSP_DEFAULT_TIMEOUT_MS).to.equal(1000);
    expect(ESSP_DEFAULT_ATTEMPTS).to.equal(20);
  });

  it('starts unsynced, with SYNC going out on flag 1', () => {
    const link = createLinkState();
    expect(link.isSynced(0)).to.equal(false);
    expect(link.nextSeq(0)).to.equal(ESSP_SYNC_SEQ);
    expect(ESSP_SYNC_SEQ).to.equal(1);
  });

  it('follows SYNC (flag 1), then flag 0, then alternates after each valid reply', () => {
    let link = createLinkState().afterSync(0);
    expect(link.isSynced(0)).to.equal(true);
    const flags: number[] = [];
    for (let i = 0; i < 5; i++) {
      const seq = link.nextSeq(0);
      flags.push(seq);
      expect(link.acceptReply({ address: 0, seq }, reply(0, seq))).to.equal('ok');
      link = link.commit(0);
    }
    expect(flags).to.deep.equal([0, 1, 0, 1, 0]);
  });

  it('matches the fact sheet wire bytes: SYNC 7F 80 01 11 65 82, then POLL 7F 00 01 07 11 88', () => {
    let link = createLinkState();
    const sync = encodeFrame({ address: 0, seq: ESSP_SYNC_SEQ, data: fromHex('11') });
    expect(sync).to.deep.equal(fromHex('7F 80 01 11 65 82'));
    const answer = decodeFrame(fromHex('7F 80 01 F0 23 80'));
    if (answer._tag === 'Left') expect.fail(answer.left.message);
    expect(link.acceptReply({ address: 0, seq: ESSP_SYNC_SEQ }, answer.right)).to.equal('ok');
    link = link.afterSync(0);
    expect(encodeFrame({ address: 0, seq: link.nextSeq(0), data: fromHex('07') })).to.deep.equal(
      fromHex('7F 00 01 07 11 88'),
    );
  });

  it('does not move the flag until commit (a retry resends the same flag)', () => {
    const link = createLinkState().afterSync(0);
    expect(link.nextSeq(0)).to.equal(0);
    expect(link.nextSeq(0)).to.equal(0);
    expect(link.commit(0).nextSeq(0)).to.equal(1);
  });

  it('is immutable: transitions return new states and leave the old one as it was', () => {
    const before = createLinkState().afterSync(0);
    const after = before.commit(0);
    expect(before.nextSeq(0)).to.equal(0);
    expect(after.nextSeq(0)).to.equal(1);
    expect(after).to.not.equal(before);
  });

  it('classifies replies: wrong flag is stale, wrong address is foreign', () => {
    const link = createLinkState();
    const request = { address: 0x10, seq: 1 as const };
    expect(link.acceptReply(request, reply(0x10, 1))).to.equal('ok');
    expect(link.acceptReply(request, reply(0x10, 0))).to.equal('stale');
    expect(link.acceptReply(request, reply(0x00, 1))).to.equal('foreign');
    expect(link.acceptReply(request, reply(0x00, 0))).to.equal('foreign');
  });

  it('SYNC resets the flag to 0 whatever it was', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('commit', 'sync', 'lost'), { maxLength: 12 }), (steps) => {
        let link: EsspLinkState = createLinkState();
        for (const step of steps)
          link = step === 'commit' ? link.commit(0) : step === 'sync' ? link.afterSync(0) : link.lost(0);
        const synced = link.afterSync(0);
        expect(synced.nextSeq(0)).to.equal(0);
        expect(synced.isSynced(0)).to.equal(true);
      }),
    );
  });

  it('after a loss of comms the address needs SYNC again', () => {
    const link = createLinkState().afterSync(0).commit(0).lost(0);
    expect(link.isSynced(0)).to.equal(false);
    expect(link.nextSeq(0)).to.equal(ESSP_SYNC_SEQ);
  });

  it('keeps one flag per address', () => {
    fc.assert(
      fc.property(esspAddress, esspAddress, fc.nat(6), (a, b, commits) => {
        fc.pre(a !== b);
        let link = createLinkState().afterSync(a).afterSync(b);
        for (let i = 0; i < commits; i++) link = link.commit(a);
        expect(link.nextSeq(a)).to.equal(commits % 2);
        expect(link.nextSeq(b)).to.equal(0);
      }),
    );
  });

  it('refuses addresses outside 0x00..0x7D', () => {
    const link = createLinkState();
    expect(() => link.nextSeq(0x7e)).to.throw(InvalidArgumentError);
    expect(() => link.commit(-1)).to.throw(InvalidArgumentError);
    expect(() => link.afterSync(0.5)).to.throw(InvalidArgumentError);
  });
});
