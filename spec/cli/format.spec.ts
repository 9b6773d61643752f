import { expect } from 'chai';
import type { DeviceEvent, DeviceRef } from '../../lib/core/events.js';
import { describeEvent, eventLine, outputStyle, problemLine, stateLine } from '../../lib/cli/format.js';

const essp: DeviceRef = { protocol: 'essp', address: 0 };
const plain = { json: false, color: false };
const coloured = { json: false, color: true };
const json = { json: true, color: false };
const ESC = '\u001b[';

describe('cli format', () => {
  describe('outputStyle', () => {
    it('colours only a terminal, never JSON, never with NO_COLOR set', () => {
      expect(outputStyle(false, true, {})).to.deep.equal({ json: false, color: true });
      expect(outputStyle(false, false, {})).to.deep.equal({ json: false, color: false });
      expect(outputStyle(undefined, undefined, {})).to.deep.equal({ json: false, color: false });
      expect(outputStyle(true, true, {})).to.deep.equal({ json: true, color: false });
      expect(outputStyle(false, true, { NO_COLOR: '1' })).to.deep.equal({ json: false, color: false });
      // no-color.org: an empty NO_COLOR does not count.
      expect(outputStyle(false, true, { NO_COLOR: '' })).to.deep.equal({ json: false, color: true });
    });
  });

  describe('describeEvent', () => {
    it('prints a credit as money, kind and channel', () => {
      const e: DeviceEvent = {
        type: 'credit',
        device: essp,
        kind: 'note',
        money: { amount: 1000, currency: 'EUR' },
        channel: 3,
      };
      expect(describeEvent(e)).to.equal('credit      10.00 EUR  note ch3');
    });

    it('names coin positions and bill indexes in their own words', () => {
      const coin: DeviceEvent = {
        type: 'credit',
        device: { protocol: 'cctalk', address: 2 },
        kind: 'coin',
        money: { amount: 20, currency: 'EUR' },
        channel: 5,
      };
      const bill: DeviceEvent = {
        type: 'credit',
        device: { protocol: 'pyramid', address: 0 },
        kind: 'bill',
        money: { amount: 500, currency: 'USD' },
        channel: 3,
      };
      expect(describeEvent(coin)).to.equal('credit      0.20 EUR  coin pos5');
      expect(describeEvent(bill)).to.equal('credit      5.00 USD  bill #3');
    });

    it('lists payout amounts and leaves no trailing blanks on bare events', () => {
      const e: DeviceEvent = {
        type: 'dispensed',
        device: essp,
        amounts: [
          { amount: 1500, currency: 'EUR' },
          { amount: 200, currency: 'USD' },
        ],
      };
      expect(describeEvent(e)).to.equal('dispensed   15.00 EUR + 2.00 USD');
      expect(describeEvent({ type: 'cashbox-removed', device: essp })).to.equal('cashbox-removed');
      expect(describeEvent({ type: 'jam', device: essp, safe: false })).to.equal('jam         unsafe');
    });

    it('leaves raw events to JSON output', () => {
      const raw: DeviceEvent = { type: 'raw', device: essp, name: 'NOTE_STACKED', data: { code: 235 } };
      expect(describeEvent(raw)).to.equal(undefined);
      expect(eventLine(plain, raw)).to.equal(undefined);
      expect(JSON.parse(eventLine(json, raw)!)).to.deep.equal(raw);
    });

    it('colours the event name only when the style says so', () => {
      const e: DeviceEvent = { type: 'fraud', device: essp, channel: 2 };
      expect(describeEvent(e, plain)).to.not.include(ESC);
      expect(describeEvent(e, coloured)).to.include(`${ESC}31m`);
      expect(eventLine(json, e)).to.not.include(ESC);
    });
  });

  describe('lines', () => {
    it('prefix the stamp and the device', () => {
      const e: DeviceEvent = { type: 'rejected', device: essp, reason: 'NOTE_RECOGNITION' };
      expect(eventLine(plain, e, '12:00:00.000')).to.equal(
        '12:00:00.000  essp:00     rejected    NOTE_RECOGNITION',
      );
    });

    it('states carry their detail, in JSON as fields', () => {
      const failed = { status: 'error', error: new Error('No valid reply to SYNC') } as const;
      expect(stateLine(plain, essp, failed)).to.equal(
        'essp:00     state       error  No valid reply to SYNC',
      );
      expect(JSON.parse(stateLine(json, essp, failed))).to.deep.equal({
        type: 'state',
        device: essp,
        status: 'error',
        error: 'No valid reply to SYNC',
      });
      expect(stateLine(plain, essp, { status: 'connecting', attempt: 2 })).to.equal(
        'essp:00     state       connecting  attempt 2',
      );
      expect(JSON.parse(stateLine(json, essp, { status: 'connecting', attempt: 2 }))).to.deep.include({
        status: 'connecting',
        attempt: 2,
      });
    });

    it('diagnostics and typed errors become warnings', () => {
      const d = { kind: 'crc', protocol: 'essp', message: 'CRC mismatch', hex: '7F80' } as const;
      expect(problemLine(plain, essp, d)).to.equal('essp:00     warning     CRC mismatch');
      expect(JSON.parse(problemLine(json, essp, d))).to.deep.equal({
        type: 'warning',
        device: essp,
        kind: 'crc',
        message: 'CRC mismatch',
        hex: '7F80',
      });
    });
  });
});
