import { expect } from 'chai';
import { bytes } from '../../../lib/core/bytes.js';
import {
  classifyEcho,
  createEchoState,
  echoReceived,
  echoSent,
  echoTimedOut,
} from '../../../lib/protocols/cctalk/echo.js';

const request = bytes(2, 0, 1, 245, 8);
const reply = bytes(1, 0, 2, 0, 253);

describe('ccTalk echo handling', () => {
  it('classifies an exact copy as echo, a damaged copy as mismatch, anything else as reply', () => {
    expect(classifyEcho(request, request)).to.equal('echo');
    expect(classifyEcho(request, bytes(2, 0, 1, 244, 9))).to.equal('mismatch');
    expect(classifyEcho(request, reply)).to.equal('reply');
  });

  it('learns that a line echoes and strips the echo before the reply', () => {
    let s = echoSent(createEchoState(), request);
    const first = echoReceived(s, request);
    expect(first.kind).to.equal('echo');
    expect(first.diagnostic).to.equal(undefined);
    s = first.state;
    expect(s.lineEchoes).to.equal(true);
    const second = echoReceived(s, reply);
    expect(second.kind).to.equal('reply');
    expect(second.diagnostic).to.equal(undefined);
  });

  it('accepts a line without echo when it never gave one (auto)', () => {
    const s = echoSent(createEchoState('auto'), request);
    const r = echoReceived(s, reply);
    expect(r.kind).to.equal('reply');
    expect(r.diagnostic).to.equal(undefined);
    expect(r.state.lineEchoes).to.equal(false);
    const again = echoReceived(echoSent(r.state, request), reply);
    expect(again.diagnostic).to.equal(undefined);
  });

  it('reports a missing echo on a line known to echo', () => {
    const learned = echoReceived(echoSent(createEchoState(), request), request).state;
    const r = echoReceived(echoSent(learned, request), reply);
    expect(r.kind).to.equal('reply');
    expect(r.diagnostic).to.include({ kind: 'echo', protocol: 'cctalk' });
    const always = echoReceived(echoSent(createEchoState('always'), request), reply);
    expect(always.diagnostic?.kind).to.equal('echo');
    const never = echoReceived(echoSent(createEchoState('never'), request), reply);
    expect(never.diagnostic).to.equal(undefined);
  });

  it('never strips a damaged echo and reports it', () => {
    const r = echoReceived(echoSent(createEchoState(), request), bytes(2, 0, 1, 244, 9));
    expect(r.kind).to.equal('mismatch');
    expect(r.diagnostic?.info).to.deep.equal({ sent: '02 00 01 F5 08', received: '02 00 01 F4 09' });
  });

  it('treats frames as replies when nothing is outstanding', () => {
    const r = echoReceived(createEchoState(), request);
    expect(r.kind).to.equal('reply');
  });

  it('reports a missing echo when the wait ends with nothing on an echoing line', () => {
    const learned = echoReceived(echoSent(createEchoState(), request), request).state;
    const out = echoTimedOut(echoSent(learned, request));
    expect(out.diagnostic?.kind).to.equal('echo');
    expect(out.state.awaiting).to.equal(undefined);
    expect(echoTimedOut(echoSent(createEchoState('auto'), request)).diagnostic).to.equal(undefined);
  });
});
