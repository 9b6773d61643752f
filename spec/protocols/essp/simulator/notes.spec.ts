import { expect } from 'chai';
import { toHex } from '../../../../lib/core/bytes.js';
import type { EsspSimulatorOptions } from '../../../../lib/protocols/essp/simulator/index.js';
import { names, rig } from './host.js';

const ALL = [1, 1, 1, 1, 1, 1, 1] as const;

/** A synced, enabled unit accepting every channel, with the power-up events drained. */
function ready(options: Omit<EsspSimulatorOptions, 'scheduler'> = { profile: 'NV9USB' }) {
  const r = rig(options);
  r.host.sync();
  r.host.command('SET_CHANNEL_INHIBITS', { channels: [...ALL] });
  r.host.command('ENABLE');
  expect(names(r.host.poll())).to.deep.equal(['SLAVE_RESET']);
  return r;
}

describe('eSSP simulator: note cycle', () => {
  it('reports READ → STACKING → CREDIT → STACKED over successive polls', () => {
    const { host, sim, clock } = ready();
    expect(sim.insertNote(2)).to.equal(true);
    expect(host.poll()).to.deep.equal([{ event: 'READ_NOTE', code: 0xef, channel: 0 }]);
    clock.advance(400);
    expect(host.poll()).to.deep.equal([{ event: 'READ_NOTE', code: 0xef, channel: 2 }]);
    clock.advance(200);
    expect(names(host.poll())).to.deep.equal(['NOTE_STACKING']);
    clock.advance(300);
    const credit = host.poll();
    expect(names(credit)).to.deep.equal(['CREDIT_NOTE', 'NOTE_STACKING']);
    expect(credit[0]).to.include({ channel: 2 });
    clock.advance(700);
    expect(names(host.poll())).to.deep.equal(['NOTE_STACKED']);
    expect(names(host.poll())).to.deep.equal([]);
    expect(sim.stats).to.include({ inserted: 1, accepted: 1, creditedValue: 1000, rejected: 0 });
  });

  it('returns a note held 10 s without any command, with reject code 0x13', () => {
    const { host, sim, clock } = ready();
    sim.insertNote(1);
    clock.advance(400);
    expect(names(host.poll())).to.deep.equal(['READ_NOTE']);
    clock.advance(9_999);
    expect(sim.stats.returned).to.equal(0);
    clock.advance(1 + 800);
    // The watchdog also disabled the unit after 10 s of silence.
    expect(names(host.poll())).to.deep.equal(['NOTE_REJECTED', 'DISABLED']);
    expect(host.command('LAST_REJECT_CODE').info).to.include({ code: 0x13, name: 'ESCROW_TIME_OUT' });
    expect(sim.stats).to.include({ returned: 1, accepted: 0, creditedValue: 0 });
  });

  it('keeps a note in escrow while HOLD restarts the timer, then the next POLL accepts it', () => {
    const { host, sim, clock } = ready();
    sim.insertNote(3);
    clock.advance(400);
    host.poll();
    for (let i = 0; i < 4; i++) {
      clock.advance(3000);
      expect(host.command('HOLD').status).to.equal('OK');
    }
    expect(host.poll()).to.deep.equal([{ event: 'READ_NOTE', code: 0xef, channel: 3 }]);
    expect(names(host.poll())).to.deep.equal(['NOTE_STACKING']);
    clock.advance(2000);
    expect(names(host.poll())).to.deep.equal(['CREDIT_NOTE', 'NOTE_STACKED']);
    expect(toHex(host.send(Uint8Array.of(0x18)))).to.equal('F5'); // nothing held any more
  });

  it('returns the escrowed note on REJECT and reports why', () => {
    const { host, sim, clock } = ready();
    sim.insertNote(4);
    clock.advance(400);
    host.poll();
    expect(host.command('REJECT_BANKNOTE').status).to.equal('OK');
    expect(names(host.poll())).to.deep.equal(['NOTE_REJECTING']);
    clock.advance(800);
    expect(names(host.poll())).to.deep.equal(['NOTE_REJECTED']);
    expect(host.command('LAST_REJECT_CODE').info).to.include({ code: 0x08 });
    expect(host.command('REJECT_BANKNOTE').status).to.equal('COMMAND_CANNOT_BE_PROCESSED');
    expect(sim.stats).to.include({ returned: 1, rejected: 0 });
  });

  it('rejects inhibited channels (0x0C) and notes forced by rejectNext()', () => {
    const { host, sim, clock } = ready();
    host.command('SET_CHANNEL_INHIBITS', { channels: [1, 0, 0] });
    sim.insertNote(2);
    clock.advance(400);
    expect(names(host.poll())).to.deep.equal(['NOTE_REJECTING']);
    clock.advance(800);
    expect(names(host.poll())).to.deep.equal(['NOTE_REJECTED']);
    expect(host.command('LAST_REJECT_CODE').info).to.include({ code: 0x0c });
    sim.rejectNext(0x05);
    sim.insertNote(1);
    clock.advance(1200);
    expect(names(host.poll())).to.deep.equal(['NOTE_REJECTED']);
    expect(host.command('LAST_REJECT_CODE').info).to.include({ code: 0x05 });
    expect(sim.stats).to.include({ inserted: 2, rejected: 2, accepted: 0 });
  });

  it('reports DISABLED while disabled, does not take notes, and disables itself after 10 s of silence', () => {
    const { host, sim, clock } = ready();
    clock.advance(9_000);
    expect(names(host.poll())).to.deep.equal([]);
    clock.advance(10_001);
    expect(names(host.poll())).to.deep.equal(['DISABLED']);
    expect(names(host.poll())).to.deep.equal(['DISABLED']);
    expect(sim.insertNote(1)).to.equal(false);
    expect(sim.stats.inserted).to.equal(0);
  });

  it('queues notes inserted while another is in the path', () => {
    const { host, sim, clock } = ready();
    sim.insertNote(1);
    sim.insertNote(2);
    let credits = 0;
    for (let t = 0; t < 20; t++) {
      clock.advance(200);
      credits += host.poll().filter((e) => e.event === 'CREDIT_NOTE').length;
    }
    expect(credits).to.equal(2);
    expect(sim.stats).to.include({ inserted: 2, accepted: 2, creditedValue: 1500 });
  });

  it('reports jams until cleared; an uncredited jammed note goes back to the customer', () => {
    const { host, sim, clock } = ready();
    sim.insertNote(1);
    clock.advance(400);
    host.poll();
    sim.jam();
    expect(names(host.poll())).to.deep.equal(['UNSAFE_NOTE_JAM']);
    clock.advance(20_000);
    expect(names(host.poll())).to.deep.equal(['UNSAFE_NOTE_JAM', 'DISABLED']);
    sim.clearJam();
    host.command('ENABLE');
    clock.advance(800);
    expect(names(host.poll())).to.deep.equal(['NOTE_REJECTED']);
    sim.jam(true);
    expect(names(host.poll())).to.deep.equal(['SAFE_NOTE_JAM']);
    expect(sim.stats).to.include({ returned: 1, accepted: 0 });
  });

  it('reports fraud, a full stacker and the cashbox going out and back', () => {
    const { host, sim, clock } = ready({ profile: 'NV200' });
    sim.insertNote(5);
    clock.advance(400);
    sim.fraud();
    expect(host.poll()).to.deep.equal([{ event: 'FRAUD_ATTEMPT', code: 0xe6, channel: 5 }]);
    sim.removeCashbox();
    expect(names(host.poll())).to.deep.equal(['CASHBOX_REMOVED']);
    expect(names(host.poll())).to.deep.equal(['CASHBOX_REMOVED']);
    expect(sim.insertNote(1)).to.equal(false);
    sim.fillStacker();
    sim.replaceCashbox();
    expect(names(host.poll())).to.deep.equal(['STACKER_FULL', 'CASHBOX_REPLACED']);
    expect(sim.stats).to.include({ rejected: 1, accepted: 0 });
  });

  it('power cycle: SLAVE RESET first, the escrowed note cleared into the cashbox, state lost', () => {
    const { host, sim, clock } = ready();
    sim.insertNote(3);
    clock.advance(400);
    host.poll();
    sim.powerCycle();
    host.sync();
    expect(host.poll()).to.deep.equal([
      { event: 'SLAVE_RESET', code: 0xf1 },
      { event: 'NOTE_CLEARED_TO_CASHBOX', code: 0xe2, channel: 3 },
      { event: 'DISABLED', code: 0xe8 },
    ]);
    // Inhibits are lost: an enabled unit rejects every channel.
    host.command('ENABLE');
    sim.insertNote(1);
    clock.advance(1200);
    expect(names(host.poll())).to.deep.equal(['NOTE_REJECTED']);
    expect(sim.stats).to.include({ accepted: 1, creditedValue: 2000, resets: 1, rejected: 1 });
  });

  it('power cycle after a credit the host has not polled: reported as cleared into the cashbox', () => {
    const { host, sim, clock } = ready();
    sim.insertNote(2);
    host.poll();
    clock.advance(400);
    host.poll(); // escrow: the next poll accepts it
    clock.advance(200);
    host.poll(); // stacking
    clock.advance(1000); // CREDIT_NOTE and NOTE_STACKED are queued, never polled
    sim.powerCycle();
    host.sync();
    expect(host.poll()).to.deep.equal([
      { event: 'SLAVE_RESET', code: 0xf1 },
      { event: 'NOTE_CLEARED_TO_CASHBOX', code: 0xe2, channel: 2 },
      { event: 'DISABLED', code: 0xe8 },
    ]);
    expect(sim.stats).to.include({ accepted: 1, creditedValue: 1000 });
  });

  it('RESET answers OK and then restarts the unit', () => {
    const { host, sim } = ready();
    expect(toHex(host.send(Uint8Array.of(0x01)))).to.equal('F0');
    expect(sim.stats.resets).to.equal(1);
    host.sync();
    expect(names(host.poll())).to.deep.equal(['SLAVE_RESET', 'DISABLED']);
  });

  it('repeats CREDIT under POLL WITH ACK until EVENT ACK', () => {
    const { host, sim, clock } = ready();
    host.negotiate();
    sim.insertNote(1);
    clock.advance(400);
    host.poll(true);
    host.poll(true);
    clock.advance(1000);
    expect(names(host.poll(true))).to.deep.equal(['CREDIT_NOTE', 'NOTE_STACKED']);
    expect(names(host.poll(true))).to.deep.equal(['CREDIT_NOTE']);
    expect(host.command('EVENT_ACK').status).to.equal('OK');
    expect(names(host.poll(true))).to.deep.equal([]);
    expect(host.command('EVENT_ACK').status).to.equal('COMMAND_CANNOT_BE_PROCESSED');
    expect(sim.stats.accepted).to.equal(1);
  });

  it('holds the next escrowed note until the pending credit is acknowledged', () => {
    const { host, sim, clock } = ready();
    host.negotiate();
    sim.insertNote(1);
    sim.insertNote(2);
    clock.advance(400);
    host.poll(true);
    host.poll(true);
    clock.advance(1400);
    expect(names(host.poll(true))).to.deep.equal(['CREDIT_NOTE', 'NOTE_STACKED', 'READ_NOTE']);
    expect(names(host.poll(true))).to.deep.equal(['CREDIT_NOTE', 'READ_NOTE']);
    expect(names(host.poll(true))).to.deep.equal(['CREDIT_NOTE', 'READ_NOTE']);
    host.command('EVENT_ACK');
    expect(names(host.poll(true))).to.deep.equal(['NOTE_STACKING']);
  });

  it('logs what it does in human lines', () => {
    const { sim, clock, log } = ready();
    sim.insertNote(1);
    clock.advance(400);
    expect(log.join('\n')).to.match(/NV9USB@0: reading a note \(channel 1\)/);
    expect(log.join('\n')).to.match(/held in escrow/);
  });
});
