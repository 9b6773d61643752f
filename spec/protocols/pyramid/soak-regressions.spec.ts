/**
 * The two money bugs the per-item soak found, cut down to the one damaged
 * reply (or host message) that caused each, against the simulator in virtual
 * time. The damage is the soak's: bits flipped in pairs in the same column, so
 * the XOR checksum still holds and the frame is valid on the wire.
 *
 * - Soak seed 11 (doubled): a damaged reply showed Stacked with the cashbox
 *   removed while the note was still being stacked; the next good reply
 *   cleared the bit and the real Stacked set it again: two credits.
 * - Soak seed 16 (lost): a damaged reply showed Stacked (index 0) while the
 *   note was still being read; the real Stacked that followed was no rising
 *   edge, so the note was never credited.
 *
 * The driver now acts on a reply that says something new only once the same
 * message, sent again, brings the same bytes back (confirm.ts).
 */
import { expect } from 'chai';
import type { Diagnostic } from '../../../lib/core/diagnostics.js';
import type { DeviceEvent } from '../../../lib/core/events.js';
import type { PyramidReplyContext } from '../../../lib/protocols/pyramid/simulator/types.js';
import { credits, runScenario, type Run } from './device-harness.js';
import { runWithHostLine } from './host-line.js';

/** Byte offsets in an 11-byte status reply. */
const S0 = 3;
const S1 = 4;
const S5 = 8;
const CHK = 10;

const STACKED = 0x10;
const STACKING = 0x08;
const ACCEPTING = 0x02;
const CASSETTE = 0x10;

/** Flip `mask` in two bytes of a reply: same column, so the checksum still holds. */
function flipPair(reply: Uint8Array, a: number, b: number, mask: number): Uint8Array {
  const out = reply.slice();
  out[a] = out[a]! ^ mask;
  out[b] = out[b]! ^ mask;
  return out;
}

/** Damage the first reply (not a replay) that `when` picks, once. */
function damageOnce(
  run: Run,
  when: (reply: Uint8Array) => boolean,
  damage: (reply: Uint8Array) => Uint8Array,
): { readonly hits: number } {
  const seen = { hits: 0 };
  const remove = run.sim.override(({ reply, replay }: PyramidReplyContext) => {
    if (replay || reply.length !== 11 || !when(reply)) return undefined;
    seen.hits += 1;
    remove();
    return damage(reply);
  });
  return seen;
}

const lostCount = (events: readonly DeviceEvent[]): number =>
  events.reduce((n, e) => n + (e.type === 'events-lost' ? e.count : 0), 0);
const diagnostics = (run: Run, kind: Diagnostic['kind']): Diagnostic[] =>
  run.errors.filter((e): e is Diagnostic => 'kind' in e && e.kind === kind);

describe('Pyramid soak regressions: one damaged reply never makes or breaks a credit', () => {
  it('seed 11: a damaged reply showing Stacked with the cashbox removed while stacking is discarded; one credit', () => {
    let hit = { hits: 0 };
    // A slow stack, so good Stacking replies follow the damaged one (as in the soak).
    const run = runScenario({ untilMs: 4000, sim: { timing: { stackMs: 1000 } } }, (r) => {
      r.at(500, () => r.sim.insertBill(5));
      // Stacking (08) becomes Stacking + Stacked (18), cassette present (10) becomes removed (00).
      hit = damageOnce(
        r,
        (reply) => reply[S0] === STACKING,
        (reply) => flipPair(reply, S0, S1, STACKED),
      );
    });
    expect(hit.hits).to.equal(1);
    expect(run.sim.stats.accepted).to.equal(1);
    expect(credits(run).map((c) => c.money.amount)).to.deep.equal([2000]);
    expect(lostCount(run.events)).to.equal(0);
    // The cashbox was never reported removed; the damage is a diagnostic.
    expect(run.events.filter((e) => e.type === 'cashbox-removed')).to.have.length(0);
    const implausible = diagnostics(run, 'decode').filter((d) => /Implausible/.test(d.message));
    expect(implausible).to.have.length(1);
    expect(implausible[0]!.message).to.match(/discarded/);
  });

  it('seed 16: a damaged reply showing Stacked (index 0) while the note is read is not an edge; the real one credits', () => {
    let hit = { hits: 0 };
    const run = runScenario({ untilMs: 4000 }, (r) => {
      // Inserted so that the unit answers while it reads the note (at 950, once its busy time is over).
      r.at(650, () => r.sim.insertBill(4));
      // Accepting (02) becomes Accepting + Stacked (12); the revision 0x11 becomes 0x01.
      hit = damageOnce(
        r,
        (reply) => reply[S0] === ACCEPTING,
        (reply) => flipPair(reply, S0, S5, STACKED),
      );
    });
    expect(hit.hits).to.equal(1);
    expect(run.sim.stats.accepted).to.equal(1);
    expect(credits(run)).to.have.length(1);
    expect(credits(run)[0]).to.deep.include({ money: { amount: 1000, currency: 'USD' }, channel: 4 });
    const names = run.events.flatMap((e) => (e.type === 'raw' ? [e.name] : []));
    expect(names).to.not.include('stacked-unknown-bill');
    expect(names.filter((n) => n === 'identity')).to.have.length(1); // the damaged revision never got through
    expect(lostCount(run.events)).to.equal(0);
  });

  it('a plausible damaged reply (Idle + Stacked, model changed) between notes is discarded: no credit', () => {
    let hit = { hits: 0 };
    const run = runScenario({ untilMs: 3000 }, (r) => {
      r.at(1000, () => {
        // Idle (01) becomes Idle + Stacked (11); the model 0x10 becomes 0x00.
        hit = damageOnce(
          r,
          (reply) => reply[S0] === 0x01,
          (reply) => flipPair(reply, S0, S0 + 4, STACKED),
        );
      });
    });
    expect(hit.hits).to.equal(1);
    expect(credits(run)).to.have.length(0);
    expect(lostCount(run.events)).to.equal(0);
    expect(run.events.filter((e) => e.type === 'raw' && e.name === 'identity')).to.have.length(1);
  });

  it('a damaged reply that hides Stacked (bit and checksum flipped) does not move the ack on: the note is credited', () => {
    let hit = { hits: 0 };
    const run = runScenario({ untilMs: 4000 }, (r) => {
      r.at(500, () => r.sim.insertBill(6));
      // Idle + Stacked (11) becomes Idle (01), a valid reply: accepting it would drop the event.
      hit = damageOnce(
        r,
        (reply) => (reply[S0]! & STACKED) !== 0,
        (reply) => flipPair(reply, S0, CHK, STACKED),
      );
    });
    expect(hit.hits).to.equal(1);
    expect(credits(run).map((c) => c.money.amount)).to.deep.equal([5000]);
    expect(lostCount(run.events)).to.equal(0);
  });

  it('the unit itself says Stacked with the cashbox removed, twice alike: accepted and credited once, with a diagnostic', () => {
    const run = runScenario({ untilMs: 4000 }, (r) => {
      r.at(500, () => r.sim.insertBill(3));
      // Every copy of the Stacked reply (replays too) shows the cashbox removed: what the unit says.
      r.sim.override(({ reply }) =>
        reply.length === 11 && (reply[S0]! & STACKED) !== 0 ? flipPair(reply, S1, CHK, CASSETTE) : undefined,
      );
    });
    expect(credits(run).map((c) => c.money.amount)).to.deep.equal([500]);
    const implausible = diagnostics(run, 'decode').filter((d) => /Implausible/.test(d.message));
    expect(implausible.map((d) => /accepted/.test(d.message))).to.deep.equal([false, true]);
  });
});

describe('Pyramid soak regressions: the unit moves on past a reply the host never accepted', () => {
  it('Stacked reply lost, and the resent poll damaged into the other ack: events-lost 1, never silence', () => {
    const out = runWithHostLine(4000, ({ sim, at, damageNextWrite }) => {
      at(500, () => sim.insertBill(2));
      // The Stacked reply is lost on the line; the host's resend of that poll arrives with the
      // other ack, so the unit takes it as new and considers the Stacked event delivered.
      const remove = sim.override(({ reply, replay }) => {
        if (replay || reply.length !== 11 || (reply[S0]! & STACKED) === 0) return undefined;
        remove();
        damageNextWrite();
        return 'silent';
      });
    });
    expect(out.accepted).to.equal(1);
    expect(out.events.filter((e) => e.type === 'credit')).to.have.length(0);
    expect(lostCount(out.events)).to.equal(1);
    const unknown = out.events.find((e) => e.type === 'raw' && e.name === 'note-outcome-unknown');
    expect(unknown).to.not.equal(undefined);
    expect(
      out.errors.some((e) => 'kind' in e && e.kind === 'stale-reply' && /as new/.test(e.message)),
    ).to.equal(true);
  });
});
