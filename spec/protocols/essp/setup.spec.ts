import { expect } from 'chai';
import fc from 'fast-check';
import { fromHex } from '../../../lib/core/bytes.js';
import { DecodeError } from '../../../lib/core/errors.js';
import { decodeReply } from '../../../lib/protocols/essp/commands/table.js';
import { channelValue, decodeSetupRequest } from '../../../lib/protocols/essp/setup.js';

// Payloads after the 0xF0 byte, laid out per fact sheet §11.
const VALIDATOR_PV4 = '00 30 31 31 30 45 55 52 00 00 01 03 05 0A 14 02 02 02 00 00 64 04';
const NV11_PV6 =
  '07 30 34 32 30 45 55 52 00 00 00 02 05 0A 02 02 00 00 64 06 45 55 52 55 53 44 05 00 00 00 0A 00 00 00';
const HOPPER_PV6 = '03 30 31 31 30 45 55 52 06 02 64 00 C8 00 45 55 52 45 55 52';
const HOPPER_PV5 = '03 30 31 31 30 45 55 52 05 02 64 00 C8 00';
// GA138-2021 SMART Coin System example: eight coins but only seven country codes.
const GA138_2021_SMART_SYSTEM =
  '09 30 31 32 31 47 42 50 07 08 01 00 02 00 05 00 0A 00 14 00 32 00 64 00 C8 00' + ' 47 42 50'.repeat(7);

describe('eSSP SETUP REQUEST decoding', () => {
  it('validator, pv4: value byte × multiplier × real multiplier, dataset country', () => {
    const setup = decodeSetupRequest(fromHex(VALIDATOR_PV4));
    expect(setup).to.deep.equal({
      kind: 'validator',
      unitType: 0,
      unitTypeName: 'BANKNOTE_VALIDATOR',
      firmware: '0110',
      country: 'EUR',
      valueMultiplier: 1,
      realValueMultiplier: 100,
      protocolVersion: 4,
      channels: [
        { channel: 1, value: { amount: 500, currency: 'EUR' } },
        { channel: 2, value: { amount: 1000, currency: 'EUR' } },
        { channel: 3, value: { amount: 2000, currency: 'EUR' } },
      ],
    });
    expect(channelValue(setup, 2)).to.deep.equal({ amount: 1000, currency: 'EUR' });
    expect(channelValue(setup, 4)).to.equal(undefined);
  });

  it('validator, pv6: full values × real multiplier with per-channel currency', () => {
    const setup = decodeSetupRequest(fromHex(NV11_PV6));
    expect(setup.kind).to.equal('validator');
    expect(setup.unitTypeName).to.equal('NOTE_FLOAT');
    if (setup.kind !== 'validator') return;
    expect(setup.valueMultiplier).to.equal(0);
    expect(setup.protocolVersion).to.equal(6);
    expect(setup.channels).to.deep.equal([
      { channel: 1, value: { amount: 500, currency: 'EUR' } },
      { channel: 2, value: { amount: 1000, currency: 'USD' } },
    ]);
  });

  it('validator replies cut short anywhere are DecodeErrors, never shifted fields', () => {
    for (const hex of [VALIDATOR_PV4, NV11_PV6]) {
      const full = fromHex(hex);
      for (let len = 0; len < full.length; len++) {
        expect(() => decodeSetupRequest(full.subarray(0, len)), `${len} bytes`).to.throw(DecodeError);
      }
    }
  });

  it('hopper, pv6 and pv5: u16 coin values in minor units', () => {
    expect(decodeSetupRequest(fromHex(HOPPER_PV6))).to.deep.equal({
      kind: 'hopper',
      unitType: 3,
      unitTypeName: 'SMART_HOPPER',
      firmware: '0110',
      country: 'EUR',
      protocolVersion: 6,
      channels: [
        { channel: 1, value: { amount: 100, currency: 'EUR' } },
        { channel: 2, value: { amount: 200, currency: 'EUR' } },
      ],
    });
    const pv5 = decodeSetupRequest(fromHex(HOPPER_PV5));
    expect(pv5.protocolVersion).to.equal(5);
    expect(channelValue(pv5, 2)).to.deep.equal({ amount: 200, currency: 'EUR' });
  });

  it('rejects the GA138-2021 SMART System example as truncated', () => {
    expect(() => decodeSetupRequest(fromHex(GA138_2021_SMART_SYSTEM))).to.throw(DecodeError, /too short/);
    expect(() => decodeReply('SETUP_REQUEST', fromHex(`F0 ${GA138_2021_SMART_SYSTEM}`))).to.throw(
      DecodeError,
    );
  });

  it('decodes the same SMART System reply once the eighth country code is present', () => {
    const setup = decodeSetupRequest(fromHex(`${GA138_2021_SMART_SYSTEM} 47 42 50`));
    expect(setup.unitTypeName).to.equal('SMART_SYSTEM');
    if (setup.kind !== 'hopper') throw new Error('expected hopper layout');
    expect(setup.protocolVersion).to.equal(7);
    expect(setup.channels.map((c) => c.value.amount)).to.deep.equal([1, 2, 5, 10, 20, 50, 100, 200]);
    expect(new Set(setup.channels.map((c) => c.value.currency))).to.deep.equal(new Set(['GBP']));
  });

  it('printers: unit type and firmware, options when present', () => {
    expect(decodeSetupRequest(fromHex('0B 30 31 30 35'))).to.deep.equal({
      kind: 'printer',
      unitType: 0x0b,
      unitTypeName: 'STANDALONE_PRINTER',
      firmware: '0105',
    });
    const full = decodeSetupRequest(fromHex('08 30 31 30 35 01 00 01 41 42 43 01 00 02 07'));
    expect(full).to.deep.equal({
      kind: 'printer',
      unitType: 8,
      unitTypeName: 'ADDON_PRINTER',
      firmware: '0105',
      options: {
        cutter: true,
        tab: false,
        reverseValidation: true,
        fontPack: 'ABC',
        printerType: 'roll',
        sdCard: false,
        darkness: 2,
      },
      protocolVersion: 7,
    });
    expect(channelValue(full, 1)).to.equal(undefined);
  });

  it('through decodeReply the info is the setup', () => {
    const reply = decodeReply('SETUP_REQUEST', fromHex(`F0 ${HOPPER_PV6}`));
    expect(reply.info?.kind).to.equal('hopper');
  });

  it('arbitrary bytes decode or raise DecodeError, and every channel amount is a safe integer (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (payload) => {
        try {
          const setup = decodeSetupRequest(payload);
          if (setup.kind !== 'printer') {
            for (const c of setup.channels) expect(Number.isSafeInteger(c.value.amount)).to.equal(true);
          }
        } catch (e) {
          expect(e).to.be.instanceOf(DecodeError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
