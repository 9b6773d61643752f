/**
 * eCOUNT: every encrypted reply carries the count the host expects next. A
 * reply replayed from earlier (lower count) or forged with another count is
 * refused with a `decrypt` diagnostic and retried; its events are never
 * decoded, so a credit cannot be counted twice nor invented.
 */
import { expect } from 'chai';
import { encodeFrame } from '../../lib/protocols/essp/framing.js';
import { decryptPacket, encryptPacket } from '../../lib/protocols/essp/crypto/packet.js';
import { encryptionKey, parseFixedKey, DEFAULT_FIXED_KEY } from '../../lib/protocols/essp/crypto/key.js';
import { recordKeys, startEssp, type EsspRun } from './harness.js';

const STEX = 0x7e;
const seqOf = (wire: Uint8Array): 0 | 1 => ((wire[1]! & 0x80) === 0 ? 0 : 1);
const decryptDiagnostics = (run: EsspRun) =>
  run.errors.filter((e) => 'kind' in e && e.kind === 'decrypt' && /count/i.test(e.message));

/**
 * From `from` on, the next encrypted command whose flag matches `reply(seq)`'s
 * is swallowed and answered with those bytes instead, once.
 */
function answerOnceWith(
  run: EsspRun,
  from: number,
  reply: (seq: 0 | 1) => Uint8Array | undefined,
): () => boolean {
  let done = false;
  run.sim.intercept({
    inbound: (frame) => {
      if (done || run.scheduler.now() < from || frame.data[0] !== STEX) return frame;
      const wire = reply(frame.seq);
      if (wire === undefined) return frame;
      done = true;
      run.line.write(wire).subscribe();
      return undefined;
    },
  });
  return () => done;
}

describe('security: replayed or out-of-order eCOUNT', () => {
  it('the reply that carried a credit, replayed later with a matching flag: refused, credited once', () => {
    const run = startEssp();
    let lastReply: Uint8Array | undefined;
    let creditReply: Uint8Array | undefined;
    run.sim.intercept({ outbound: (wire) => (lastReply = wire) });
    run.device.events$.subscribe((e) => {
      if (e.type === 'credit' && creditReply === undefined) creditReply = lastReply;
    });
    run.at(5_000, () => run.sim.insertNote(2));
    const replayed = answerOnceWith(run, 12_000, (seq) =>
      creditReply !== undefined && seqOf(creditReply) === seq ? creditReply : undefined,
    );
    run.runUntil(20_000);
    run.device.dispose();
    run.sim.dispose();

    expect(creditReply, 'the credit came in an encrypted reply').to.not.equal(undefined);
    expect(creditReply![3]).to.equal(STEX);
    expect(replayed()).to.equal(true);
    expect(run.credits()).to.deep.equal([1000]);
    expect(decryptDiagnostics(run)).to.have.length(1);
    expect(run.states.at(-2)?.status).to.equal('enabled');
  });

  it('a reply forged under the session key with a count from the future: refused, no credit invented', () => {
    const keys = recordKeys();
    const run = startEssp(keys.simOptions);
    keys.attach(run.sim);
    const forged = (seq: 0 | 1): Uint8Array | undefined => {
      const negotiated = keys.negotiated.at(-1);
      if (negotiated === undefined) return undefined;
      const key = encryptionKey(parseFixedKey(DEFAULT_FIXED_KEY), negotiated);
      // OK, then CREDIT NOTE on channel 5 (a 100 EUR note that was never inserted).
      const data = encryptPacket(Uint8Array.of(0xf0, 0xee, 0x05), 1_000_000, key);
      key.wipe();
      return encodeFrame({ address: 0, seq, data });
    };
    const sent = answerOnceWith(run, 8_000, forged);
    run.runUntil(15_000);
    run.device.dispose();
    run.sim.dispose();

    expect(keys.negotiated).to.have.length(1);
    expect(sent()).to.equal(true);
    expect(run.credits()).to.deep.equal([]);
    expect(decryptDiagnostics(run)).to.have.length(1);
    expect(run.states.at(-2)?.status).to.equal('enabled');
  });

  it('the same forgery with the expected count would be accepted (the count is what refuses it)', () => {
    const keys = recordKeys();
    const run = startEssp(keys.simOptions);
    keys.attach(run.sim);
    let expected: number | undefined;
    // The reply count is the command's plus one: read it from the command being answered
    // (this hook runs before the one that swallows it).
    run.sim.intercept({
      inbound: (frame) => {
        if (frame.data[0] === STEX && keys.negotiated.length > 0) {
          expected = readCommandCount(frame.data, keys.negotiated.at(-1)!) + 1;
        }
        return frame;
      },
    });
    const sent = answerOnceWith(run, 8_000, (seq) => {
      const negotiated = keys.negotiated.at(-1);
      if (negotiated === undefined || expected === undefined) return undefined;
      const key = encryptionKey(parseFixedKey(DEFAULT_FIXED_KEY), negotiated);
      const data = encryptPacket(Uint8Array.of(0xf0, 0xee, 0x05), expected, key);
      key.wipe();
      return encodeFrame({ address: 0, seq, data });
    });
    run.runUntil(15_000);
    run.device.dispose();
    run.sim.dispose();
    expect(sent()).to.equal(true);
    expect(run.credits()).to.deep.equal([10000]);
  });
});

/** eCOUNT of an encrypted host command. */
function readCommandCount(outer: Uint8Array, negotiated: bigint): number {
  const key = encryptionKey(parseFixedKey(DEFAULT_FIXED_KEY), negotiated);
  const r = decryptPacket(outer, key);
  key.wipe();
  if (!r.ok) throw new Error('test could not read its own command');
  return r.count;
}
