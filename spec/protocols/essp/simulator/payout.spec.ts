import { expect } from 'chai';
import { toHex } from '../../../../lib/core/bytes.js';
import type { EsspSimulatorOptions } from '../../../../lib/protocols/essp/simulator/index.js';
import { names, rig } from './host.js';

const EUR = (amount: number) => ({ amount, currency: 'EUR' });

/** Synced, encrypted, enabled, payout module on, power-up events drained. */
function ready(options: Omit<EsspSimulatorOptions, 'scheduler'> = { profile: 'NV200_SMART_PAYOUT' }) {
  const r = rig(options);
  r.host.sync();
  r.host.negotiate();
  r.host.command('SET_CHANNEL_INHIBITS', { channels: [1, 1, 1, 1, 1, 1, 1] });
  r.host.command('ENABLE');
  if (r.sim.profile.payout?.kind !== 'hopper') r.host.command('ENABLE_PAYOUT_DEVICE');
  r.host.poll();
  return r;
}

describe('eSSP simulator: payouts', () => {
  it('stores notes routed to payout: CREDIT then NOTE STORED IN PAYOUT, levels grow', () => {
    const { host, sim, clock } = ready();
    expect(
      host.command('SET_DENOMINATION_ROUTE', { route: 'payout', value: 1000, country_code: 'EUR' }).status,
    ).to.equal('OK');
    expect(host.command('GET_DENOMINATION_ROUTE', { value: 1000, country_code: 'EUR' }).info).to.deep.equal({
      route: 'payout',
      code: 0,
    });
    sim.insertNote(2);
    sim.insertNote(1);
    const seen: string[] = [];
    for (let i = 0; i < 20; i++) {
      clock.advance(200);
      seen.push(...names(host.poll()));
    }
    expect(seen.filter((n) => n !== 'READ_NOTE')).to.deep.equal([
      'CREDIT_NOTE',
      'NOTE_STORED_IN_PAYOUT',
      'CREDIT_NOTE',
      'NOTE_STACKED',
    ]);
    expect(sim.levels.slice(0, 2)).to.deep.equal([0, 1]);
    expect(sim.stats).to.include({ stored: 1, accepted: 1, creditedValue: 1500 });
    const levels = host.command('GET_ALL_LEVELS').info!.levels;
    expect(levels[1]).to.deep.equal({ level: 1, value: EUR(1000) });
    expect(host.command('GET_DENOMINATION_LEVEL', { amount: 1000, country_code: 'EUR' }).info).to.deep.equal({
      level: 1,
    });
  });

  it('tests, then pays an amount: DISPENSING with the value so far, DISPENSED, levels drop', () => {
    const { host, sim, clock } = ready();
    sim.setLevels({ 500: 3, 1000: 2 });
    expect(host.command('PAYOUT_AMOUNT', { amount: 2500, country_code: 'EUR', test: true }).status).to.equal(
      'OK',
    );
    expect(sim.levels.slice(0, 2)).to.deep.equal([3, 2]);
    expect(host.command('PAYOUT_AMOUNT', { amount: 2500, country_code: 'EUR', test: false }).status).to.equal(
      'OK',
    );
    expect(host.poll()).to.deep.equal([{ event: 'DISPENSING', code: 0xda, amounts: [EUR(0)] }]);
    clock.advance(600);
    expect(host.poll()).to.deep.equal([{ event: 'DISPENSING', code: 0xda, amounts: [EUR(1000)] }]);
    clock.advance(1200);
    expect(host.poll()).to.deep.equal([{ event: 'DISPENSING', code: 0xda, amounts: [EUR(2500)] }]);
    clock.advance(600);
    expect(host.poll()).to.deep.equal([{ event: 'DISPENSED', code: 0xd2, amounts: [EUR(2500)] }]);
    expect(sim.levels.slice(0, 2)).to.deep.equal([2, 0]);
    expect(sim.stats.paidOut).to.equal(2500);
  });

  it('refuses payouts it cannot make with the F5 error bytes', () => {
    const { host, sim } = ready();
    sim.setLevels({ 1000: 1 });
    const pay = (amount: number) =>
      host.command('PAYOUT_AMOUNT', { amount, country_code: 'EUR', test: false }).error?.name;
    expect(pay(5000)).to.equal('NOT_ENOUGH_VALUE');
    expect(pay(500)).to.equal('CANNOT_PAY_EXACT_AMOUNT');
    expect(host.command('PAYOUT_AMOUNT', { amount: 1000, country_code: 'USD', test: false }).status).to.equal(
      'PARAMETER_OUT_OF_RANGE',
    );
    expect(pay(1000)).to.equal(undefined);
    expect(pay(1000)).to.equal('BUSY');
  });

  it('refuses payouts while disabled (F5 04)', () => {
    const { host, sim } = ready();
    sim.setLevels({ 1000: 1 });
    host.command('DISABLE');
    expect(
      host.command('PAYOUT_AMOUNT', { amount: 1000, country_code: 'EUR', test: true }).error?.name,
    ).to.equal('DISABLED');
  });

  it('pays by denomination and halts on request', () => {
    const { host, sim, clock } = ready();
    sim.setLevels({ 500: 4 });
    const value = [{ number: 3, denomination: 500, country_code: 'EUR' }];
    expect(host.command('PAYOUT_BY_DENOMINATION', { value, test: false }).status).to.equal('OK');
    clock.advance(700);
    expect(host.command('HALT_PAYOUT').status).to.equal('OK');
    expect(host.poll()).to.deep.equal([{ event: 'HALTED', code: 0xd6, amounts: [EUR(500)] }]);
    expect(sim.levels[0]).to.equal(3);
    expect(host.command('HALT_PAYOUT').status).to.equal('COMMAND_CANNOT_BE_PROCESSED');
  });

  it('floats down to an amount and empties, with value reports where the events carry them', () => {
    const { host, sim, clock } = ready();
    sim.setLevels({ 500: 2, 1000: 3 });
    expect(
      host.command('FLOAT_AMOUNT', {
        min_possible_payout: 500,
        amount: 1500,
        country_code: 'EUR',
        test: false,
      }).status,
    ).to.equal('OK');
    clock.advance(5000);
    expect(names(host.poll())).to.deep.equal(['FLOATED']);
    expect(sim.levels.slice(0, 2)).to.deep.equal([1, 1]);
    expect(
      host
        .command('CASHBOX_PAYOUT_OPERATION_DATA')
        .info!.levels.slice(0, 2)
        .map((l) => l.level),
    ).to.deep.equal([1, 2]);
    expect(host.command('SMART_EMPTY').status).to.equal('OK');
    clock.advance(5000);
    expect(host.poll()).to.deep.equal([{ event: 'SMART_EMPTIED', code: 0xb4, amounts: [EUR(1500)] }]);
    sim.setLevels({ 500: 1 });
    expect(host.command('EMPTY_ALL').status).to.equal('OK');
    expect(names(host.poll())).to.deep.equal(['EMPTYING']);
    clock.advance(2000);
    expect(names(host.poll())).to.deep.equal(['EMPTIED']);
    expect(sim.stats.paidOut).to.equal(0);
  });

  it('reports an interrupted payout after a power cycle', () => {
    const { host, sim, clock } = ready();
    sim.setLevels({ 500: 2 });
    host.command('PAYOUT_AMOUNT', { amount: 1000, country_code: 'EUR', test: false });
    clock.advance(700);
    sim.powerCycle();
    host.crypto = undefined;
    host.sync();
    expect(host.poll()).to.deep.equal([
      { event: 'SLAVE_RESET', code: 0xf1 },
      { event: 'INCOMPLETE_PAYOUT', code: 0xdc, amounts: [{ completed: EUR(500), requested: EUR(1000) }] },
      { event: 'DISABLED', code: 0xe8 },
    ]);
    expect(sim.stats).to.include({ paidOut: 500, resets: 1 });
  });

  it('speaks the pre-6 layouts: bare u32 values and no option byte', () => {
    const { host, sim, clock } = ready();
    host.protocol(5);
    sim.setLevels({ 2000: 1 });
    expect(toHex(host.send(Uint8Array.of(0x33, 0xd0, 0x07, 0, 0)))).to.equal('F0');
    clock.advance(1200);
    expect(toHex(host.send(Uint8Array.of(0x07)))).to.equal('F0 D2 D0 07 00 00');
    expect(toHex(host.send(Uint8Array.of(0x46, 1, 1, 0, 0xd0, 0x07, 0, 0, 0x45, 0x55, 0x52, 0x58)))).to.equal(
      'F4',
    );
  });

  it('SMART Hopper at 0x10: coin levels, coin payouts, coin credits', () => {
    const { host, sim, clock } = ready({ profile: 'SMART_HOPPER' });
    expect(
      host.command('SET_DENOMINATION_LEVEL', { value: 10, denomination: 200, country_code: 'EUR' }).status,
    ).to.equal('OK');
    expect(
      host.command('SET_DENOMINATION_LEVEL', { value: 5, denomination: 200, country_code: 'EUR' }).status,
    ).to.equal('OK');
    expect(host.command('GET_DENOMINATION_LEVEL', { amount: 200, country_code: 'EUR' }).info).to.deep.equal({
      level: 15,
    });
    expect(host.command('PAYOUT_AMOUNT', { amount: 600, country_code: 'EUR', test: false }).status).to.equal(
      'OK',
    );
    clock.advance(400);
    expect(host.poll()).to.deep.equal([{ event: 'DISPENSED', code: 0xd2, amounts: [EUR(600)] }]);
    expect(sim.insertValue(EUR(50))).to.equal(true);
    expect(host.poll()).to.deep.equal([{ event: 'COIN_CREDIT', code: 0xdf, value: EUR(50) }]);
    expect(sim.levels[7]).to.equal(12);
    expect(sim.stats).to.include({ paidOut: 600, stored: 1, creditedValue: 50 });
    expect(host.command('GET_MINIMUM_PAYOUT', { country_code: 'EUR' }).info).to.deep.equal({ value: 1 });
  });

  it('NV4000 (modelled): route bytes 0x11-0x14 name recyclers next to payout (0) and cashbox (1)', () => {
    const { host } = ready({ profile: 'NV4000' });
    const route = (byte: number) =>
      toHex(host.send(Uint8Array.of(0x3b, byte, 0x10, 0x27, 0, 0, 0x45, 0x55, 0x52)));
    expect(route(0x12)).to.equal('F0');
    expect(host.command('GET_DENOMINATION_ROUTE', { value: 10000, country_code: 'EUR' }).info).to.include({
      code: 0x12,
    });
    expect(route(0x15)).to.equal('F4');
    expect(route(0x01)).to.equal('F0');
  });

  it('NV11 note float: stores notes, pays and stacks the last one first', () => {
    const { host, sim, clock } = ready({ profile: 'NV11' });
    host.command('SET_DENOMINATION_ROUTE', { route: 'payout', value: 500, country_code: 'EUR' });
    host.command('SET_DENOMINATION_ROUTE', { route: 'payout', value: 1000, country_code: 'EUR' });
    sim.insertNote(1);
    sim.insertNote(2);
    for (let i = 0; i < 20; i++) {
      clock.advance(200);
      host.poll();
    }
    expect(host.command('GET_NOTE_POSITIONS').info).to.deep.equal({
      reportBy: 'value',
      positions: [500, 1000],
    });
    expect(host.command('PAYOUT_NOTE').status).to.equal('OK');
    clock.advance(1200);
    expect(host.poll()).to.deep.equal([{ event: 'DISPENSED', code: 0xd2, amounts: [EUR(1000)] }]);
    expect(host.command('STACK_NOTE').status).to.equal('OK');
    clock.advance(600);
    expect(names(host.poll())).to.deep.equal(['NOTE_TRANSFERED_TO_STACKER']);
    expect(host.command('PAYOUT_NOTE').error?.name).to.equal('EMPTY');
    expect(sim.stats).to.include({ stored: 2, paidOut: 1000 });
  });
});
