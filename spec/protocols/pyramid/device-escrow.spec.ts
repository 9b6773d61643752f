import { expect } from 'chai';
import { EscrowStateError } from '../../../lib/protocols/pyramid/device-types.js';
import { credits, rawNames, runScenario, type Run } from './device-harness.js';

/** D1 of every poll written, with its time. */
const d1s = (run: Run): [number, number][] =>
  run.trace.filter((t) => t.direction === 'tx').map((t) => [t.time, parseInt(t.hex.split(' ')[4]!, 16)]);

describe('Pyramid device: escrow', () => {
  it('escrow event carries the bill; the hook stacks it; credit only at Stacked', () => {
    const seen: unknown[] = [];
    const run = runScenario(
      {
        untilMs: 4000,
        device: {
          escrow: true,
          onEscrow: (bill) => {
            seen.push(bill);
            return 'stack';
          },
        },
      },
      (r) => r.at(1000, () => r.sim.insertBill(3)),
    );
    expect(seen).to.deep.equal([{ index: 3, money: { amount: 500, currency: 'USD' } }]);
    const escrow = run.events.find((e) => e.type === 'escrow');
    expect(escrow).to.deep.include({ channel: 3, money: { amount: 500, currency: 'USD' } });
    expect(run.events.findIndex((e) => e.type === 'escrow')).to.be.lessThan(
      run.events.findIndex((e) => e.type === 'credit'),
    );
    expect(credits(run)).to.have.length(1);
    expect(run.sim.stats.accepted).to.equal(1);
  });

  it('the stack bit is held while the note is Escrowed and dropped once it left', () => {
    const run = runScenario({ untilMs: 4000, device: { escrow: true } }, (r) => {
      r.at(1000, () => r.sim.insertBill(3));
      // Decide while escrowed, and make the unit ignore the first poll carrying the bit.
      r.at(2000, () => {
        r.device.stack().subscribe();
        r.sim.dropReplies(1);
      });
    });
    const values = d1s(run);
    const withStack = values.filter(([, d1]) => d1 === 0x30);
    expect(withStack.length).to.be.greaterThan(1); // held over the resend
    const lastStack = withStack[withStack.length - 1]![0];
    expect(values.filter(([t]) => t > lastStack).every(([, d1]) => d1 === 0x10)).to.equal(true);
    expect(values.filter(([t]) => t < 2000).every(([, d1]) => d1 === 0x10)).to.equal(true);
    expect(credits(run)).to.have.length(1);
  });

  it('returnBill() returns the note: no credit', () => {
    let done = false;
    const run = runScenario({ untilMs: 4000, device: { escrow: true } }, (r) => {
      r.at(1000, () => r.sim.insertBill(6));
      r.at(2000, () => r.device.returnBill().subscribe({ complete: () => (done = true) }));
    });
    expect(done).to.equal(true);
    expect(credits(run)).to.have.length(0);
    expect(rawNames(run)).to.include('returned');
    expect(run.sim.stats).to.deep.include({ accepted: 0, returned: 1 });
    expect(d1s(run).some(([, d1]) => d1 === 0x50)).to.equal(true);
  });

  it('host-side escrow timeout returns an undecided note', () => {
    const run = runScenario({ untilMs: 6000, device: { escrow: true, escrowTimeoutMs: 2000 } }, (r) =>
      r.at(1000, () => r.sim.insertBill(5)),
    );
    const escrowedAt = run.trace.find((t) => t.direction === 'rx' && t.hex.split(' ')[3] === '04')!.time;
    const firstReturn = d1s(run).find(([, d1]) => d1 === 0x50)![0];
    expect(firstReturn - escrowedAt).to.be.within(2000, 2100);
    expect(rawNames(run)).to.include('escrow-timeout');
    expect(credits(run)).to.have.length(0);
    expect(run.sim.stats.returned).to.equal(1);
  });

  it('disabling every note while a note is escrowed returns it', () => {
    const run = runScenario({ untilMs: 4000, device: { escrow: true } }, (r) => {
      r.at(1000, () => r.sim.insertBill(5));
      r.at(2000, () => r.device.setEnableMask(0).subscribe());
    });
    expect(run.sim.stats.returned).to.equal(1);
    expect(credits(run)).to.have.length(0);
  });

  it('stack() with no note in escrow is a typed error, and contradicting a decision too', () => {
    const errors: unknown[] = [];
    runScenario({ untilMs: 3000, device: { escrow: true } }, (r) => {
      r.at(500, () => r.device.stack().subscribe({ error: (e: unknown) => errors.push(e) }));
      r.at(1000, () => r.sim.insertBill(3));
      r.at(2000, () => {
        r.device.returnBill().subscribe();
        r.device.stack().subscribe({ error: (e: unknown) => errors.push(e) });
      });
    });
    expect(errors).to.have.length(2);
    expect(errors.every((e) => e instanceof EscrowStateError)).to.equal(true);
    expect(errors.map((e) => (e as EscrowStateError).info['reason'])).to.deep.equal([
      'no-note',
      'already-decided',
    ]);
  });

  it('a hook that throws leaves the note undecided (the timeout then returns it)', () => {
    const run = runScenario(
      {
        untilMs: 5000,
        device: {
          escrow: true,
          escrowTimeoutMs: 1000,
          onEscrow: () => {
            throw new Error('boom');
          },
        },
      },
      (r) => r.at(1000, () => r.sim.insertBill(2)),
    );
    expect(run.errors.some((e) => 'code' in e && e.code === 'ESCROW_HOOK_FAILED')).to.equal(true);
    expect(run.sim.stats.returned).to.equal(1);
  });

  it('barcode tickets: escrow without money, raw barcode, stacked as a ticket and never credited', () => {
    const run = runScenario(
      { untilMs: 4000, device: { escrow: true, barcode: true, onEscrow: () => 'stack' } },
      (r) => r.at(1000, () => r.sim.insertBarcode('123456789012345678')),
    );
    const escrow = run.events.find((e) => e.type === 'escrow');
    expect(escrow).to.not.have.property('money');
    const barcodes = run.events.filter((e) => e.type === 'raw' && e.name === 'barcode');
    expect(barcodes).to.have.length(1);
    expect(barcodes[0]).to.deep.include({ data: { barcode: '123456789012345678' } });
    expect(rawNames(run)).to.include('ticket-stacked');
    expect(credits(run)).to.have.length(0);
    expect(run.sim.stats.tickets).to.equal(1);
  });
});
