import { expect } from 'chai';
import { toHex } from '../../../../lib/core/bytes.js';
import { decodeReply } from '../../../../lib/protocols/essp/commands/table.js';
import {
  ESSP_PROFILE_NAMES,
  esspProfile,
  type EsspProfileName,
} from '../../../../lib/protocols/essp/simulator/index.js';
import { rig } from './host.js';

describe('eSSP simulator: identity replies', () => {
  for (const name of ESSP_PROFILE_NAMES) {
    it(`${name}: SETUP REQUEST decodes with the host decoder at every protocol version 4..8`, () => {
      const { host, sim } = rig({ profile: name });
      host.sync();
      for (const pv of [4, 5, 6, 7, 8]) {
        host.protocol(pv);
        const setup = host.command('SETUP_REQUEST').info!;
        expect(setup.unitType).to.equal(sim.profile.unitType);
        expect(setup.kind).to.equal(sim.profile.family === 'hopper' ? 'hopper' : 'validator');
        if (setup.kind === 'printer') throw new Error('unexpected printer layout');
        expect(setup.protocolVersion).to.equal(pv);
        expect(setup.firmware).to.equal(sim.profile.firmware);
        expect(setup.channels.map((c) => c.value)).to.deep.equal(
          sim.profile.channels.map((amount) => ({ amount, currency: 'EUR' })),
        );
      }
    });
  }

  it('reports the configured dataset currency and channel values', () => {
    const { host } = rig({ profile: 'NV9USB', currency: 'GBP' });
    host.sync();
    const setup = host.command('SETUP_REQUEST').info!;
    expect(setup.kind === 'validator' && setup.country).to.equal('GBP');
    expect(setup.kind !== 'printer' && setup.channels.map((c) => c.value.amount)).to.deep.equal([
      500, 1000, 2000, 5000,
    ]);
    expect(host.command('GET_DATASET_VERSION').info).to.deep.equal({ dataset: 'GBP01610' });
  });

  it('encodes the validator SETUP layout with a big-endian multiplier that fits the channel bytes', () => {
    const { host } = rig({ profile: 'NV9USB' });
    host.sync();
    host.protocol(4);
    // 5..500 EUR → multiplier 5, bytes 1 2 4 10 20 40 100, security 2, real multiplier 100, pv 4.
    expect(toHex(host.send(Uint8Array.of(0x05)))).to.equal(
      'F0 00 30 34 31 34 45 55 52 00 00 05 07 01 02 04 0A 14 28 64 02 02 02 02 02 02 02 00 00 64 04',
    );
  });

  it('answers UNIT DATA, CHANNEL VALUE REQUEST and CHANNEL SECURITY DATA', () => {
    const { host } = rig({ profile: 'NV200' });
    host.sync();
    expect(host.command('UNIT_DATA').info).to.deep.equal({
      unitType: 0,
      unitTypeName: 'BANKNOTE_VALIDATOR',
      firmware: '0428',
      country: 'EUR',
      valueMultiplier: 5,
      protocolVersion: 6,
    });
    const values = host.command('CHANNEL_VALUE_REQUEST').info!.channels;
    expect(values[6]).to.deep.equal({ channel: 7, value: 100, country_code: 'EUR', full_value: 500 });
    expect(host.command('CHANNEL_SECURITY_DATA').info!.levels).to.have.length(7);
  });

  it('answers GET SERIAL NUMBER, firmware and dataset strings', () => {
    const { host } = rig({ profile: 'NV9USB' });
    host.sync();
    expect(toHex(host.send(Uint8Array.of(0x0c)))).to.equal('F0 00 12 34 56');
    expect(host.command('GET_FIRMWARE_VERSION').info).to.deep.equal({ firmware: 'NV02004141498000' });
    expect(host.command('GET_DATASET_VERSION').info).to.deep.equal({ dataset: 'EUR01610' });
    expect(toHex(host.send(Uint8Array.of(0x0c, 0x11)))).to.equal('F4');
  });

  it('NV4000 (modelled): serial numbers of recyclers 1-4 (0x11-0x14) and the interface module (0x15)', () => {
    const { host } = rig({ profile: 'NV4000' });
    host.sync();
    const serials = [0, 0x11, 0x12, 0x13, 0x14, 0x15].map(
      (module) => host.command('GET_SERIAL_NUMBER', { module }).info!.serial_number,
    );
    expect(serials).to.deep.equal([0x01000000, 0x01000011, 0x01000012, 0x01000013, 0x01000014, 0x01000015]);
    expect(toHex(host.send(Uint8Array.of(0x0c, 0x16)))).to.equal('F4');
    expect(toHex(host.send(Uint8Array.of(0x0c, 0x11, 0x12)))).to.equal('F3');
  });

  it('answers GET COUNTERS with the validator layout', () => {
    const { host } = rig({ profile: 'NV9USB' });
    host.sync();
    const reply = host.send(Uint8Array.of(0x58));
    expect(decodeReply('GET_COUNTERS', reply).info).to.deep.equal({
      stacked: 0,
      stored: 0,
      dispensed: 0,
      transferred_to_stack: 0,
      rejected: 0,
    });
  });

  it('builds profiles from data and refuses unknown names, currencies and values', () => {
    expect(esspProfile('SMART_HOPPER').address).to.equal(0x10);
    expect(esspProfile('NV11').unitType).to.equal(0x07);
    expect(esspProfile('NV200_SMART_PAYOUT', { currency: 'USD' }).channels[0]).to.equal(100);
    expect(() => esspProfile('NV9' as EsspProfileName)).to.throw(/Unknown eSSP simulator profile/);
    expect(() => esspProfile('NV9USB', { currency: 'XYZ' })).to.throw(/No default note values/);
    expect(() => esspProfile('NV9USB', { channels: [550] })).to.throw(/whole currency units/);
    expect(() => esspProfile('NV9USB', { protocolVersions: [9] })).to.throw(/4\.\.8/);
    // HOLD is not a SMART Payout command; everything else unknown is 0xF2 too.
    expect(esspProfile('NV200_SMART_PAYOUT').commands.has(0x18)).to.equal(false);
    expect(esspProfile('NV200').commands.has(0x18)).to.equal(true);
  });
});
