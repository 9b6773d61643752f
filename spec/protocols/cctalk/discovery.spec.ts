import { expect } from 'chai';
import { type DiscoveryReport, discoverCcTalkDevices } from '../../../lib/protocols/cctalk/discovery.js';
import { createHarness } from './harness.js';

describe('ccTalk discovery over the simulator', () => {
  it('finds three devices in mixed checksum modes, identifies them and lists the silent addresses', () => {
    const h = createHarness({
      coin: {},
      bill: { checksum: 'crc16' },
      hopper: { address: 3, checksum: 'crc16' },
    });
    let report: DiscoveryReport | undefined;
    discoverCcTalkDevices(h.bus, { addresses: [2, 3, 4, 40] }).subscribe((r) => (report = r));
    h.runUntil(20_000);
    expect(report).to.not.equal(undefined);
    const r = report!;
    // The address poll in the simple mode hears everyone (the raw byte carries no checksum).
    expect(r.addressPoll.find((p) => p.mode === 'simple')?.answered).to.deep.equal([2, 3, 40]);
    expect(r.devices.map((d) => [d.address, d.checksum, d.category, d.deviceClass])).to.deep.equal([
      [2, 'simple', 'Coin Acceptor', 'coin-acceptor'],
      [3, 'crc16', 'Payout', 'payout'],
      [40, 'crc16', 'Bill Validator', 'bill-validator'],
    ]);
    expect(r.devices[0]).to.deep.include({
      manufacturer: 'CWS',
      product: 'SIM-COIN',
      serial: 0x010203,
      software: 'SIM-1.0',
      commsRevision: '1.4.7',
      buildCode: 'CW000001',
      unanswered: [],
    });
    expect(r.silent).to.deep.equal([{ address: 4, modes: ['simple', 'crc16'] }]);
    expect(h.bus.checksumOf(40)).to.equal('crc16');
  });

  it('names every identification header a device leaves unanswered', () => {
    const h = createHarness({ coin: {} });
    h.sim.override((ctx) => (ctx.header === 192 || ctx.header === 4 ? { kind: 'silent' } : undefined));
    let report: DiscoveryReport | undefined;
    discoverCcTalkDevices(h.bus, { addresses: [2], addressPoll: false, modes: ['simple'] }).subscribe(
      (r) => (report = r),
    );
    h.runUntil(20_000);
    expect(report!.devices[0]!.unanswered.map((u) => u.header)).to.deep.equal([
      'REQUEST_COMMS_REVISION',
      'REQUEST_BUILD_CODE',
    ]);
    expect(report!.devices[0]!.unanswered[0]!.reason).to.match(/No valid reply/);
  });
});
