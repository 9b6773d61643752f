import { expect } from 'chai';
import { fromHex } from '../../../lib/core/bytes.js';
import { encodeFrame } from '../../../lib/protocols/essp/framing.js';
import { SecretKey } from '../../../lib/protocols/essp/crypto/key.js';
import { createEsspLineDecoder, type DecodedEsspFrame } from '../../../lib/protocols/essp/decode-lines.js';

const frames = (items: unknown[]): DecodedEsspFrame[] => items as DecodedEsspFrame[];

describe('eSSP line decoder', () => {
  it('names host commands and decodes the reply in their light', () => {
    const d = createEsspLineDecoder();
    const out = frames(d.decode(fromHex('7F 80 01 11 65 82 7F 80 01 F0 23 80')));
    expect(out).to.have.length(2);
    expect(out[0]).to.include({ direction: 'host', command: 'SYNC', address: 0, seq: 1 });
    expect(out[1]).to.include({ direction: 'device', status: 'OK', replyTo: 'SYNC' });
  });

  it('turns a POLL reply into events with the legacy names', () => {
    const d = createEsspLineDecoder();
    d.decode(fromHex('7F 80 01 07 12 02'));
    const [reply] = frames(d.decode(fromHex('7F 80 04 F0 EE 01 EB B9 48')));
    expect(reply!.events).to.deep.equal([
      { event: 'CREDIT_NOTE', code: 0xee, channel: 1 },
      { event: 'NOTE_STACKED', code: 0xeb },
    ]);
  });

  it('decodes GET_SERIAL_NUMBER replies as a number', () => {
    const d = createEsspLineDecoder();
    d.decode(fromHex('7F 80 01 0C 2B 82'));
    const [reply] = frames(d.decode(encodeFrame({ address: 0, seq: 1, data: fromHex('F0 00 4A 78 B4') })));
    expect(reply!.reply).to.deep.equal({ serial_number: 0x004a78b4 });
  });

  it('says encrypted without a key, and opens the packet with one', () => {
    const line = '7F 80 11 7E 86 01 F3 A7 85 EC 6F 4B 3D 0F F0 FE D4 8D 16 64 2A 23';
    const plain = frames(createEsspLineDecoder().decode(fromHex(line)));
    expect(plain[0]).to.include({ encrypted: true, status: 'encrypted' });
    const key = new SecretKey(fromHex('67452301674523015efae50d00000000'));
    const opened = frames(createEsspLineDecoder({ key }).decode(fromHex(line)));
    expect(opened[0]).to.include({ command: 'HOST_PROTOCOL_VERSION', args: '06', count: 0, encrypted: true });
  });

  it('reports junk and checksum errors and goes on', () => {
    const d = createEsspLineDecoder();
    const out = d.decode(fromHex('01 02 7F 80 01 11 65 83 7F 80 01 11 65 82'));
    expect(out).to.have.length(3);
    expect(out[0]).to.have.property('problem');
    expect(out[1])
      .to.have.property('problem')
      .that.matches(/CRC|checksum/i);
    expect(out[2]).to.include({ command: 'SYNC' });
  });
});
