import { expect } from 'chai';
import { runDecode } from '../../../lib/cli/commands/decode.js';
import '../../../lib/cli/commands/cctalk.js';
import type { CliIo } from '../../../lib/cli/io.js';
import { createCcTalkLineDecoder } from '../../../lib/protocols/cctalk/decode-lines.js';
import { EMPTY } from 'rxjs';

/** Decimal bytes, or hex when any token has a letter or the line is two-digit pairs with a letter. */
function bytesOf(line: string): Uint8Array {
  const tokens = line.trim().split(/\s+/);
  const hex = tokens.some((t) => /[a-f]/i.test(t)) || tokens.every((t) => t.length === 2);
  return Uint8Array.from(tokens.map((t) => (hex ? parseInt(t, 16) : Number(t))));
}
const decodeLine = (line: string) => createCcTalkLineDecoder().decode(bytesOf(line));

async function* from(lines: readonly string[]): AsyncIterable<string> {
  for (const l of lines) yield await Promise.resolve(l);
}

describe('ccTalk line decoder', () => {
  it('decodes the simple poll of the fact sheet', () => {
    expect(decodeLine('002 000 001 254 255')).to.deep.equal([
      {
        direction: 'host',
        destination: 2,
        source: 1,
        header: 254,
        name: 'SIMPLE_POLL',
        data: [],
        checksum: 'simple',
        checksumOk: true,
        hex: '02 00 01 FE FF',
      },
    ]);
  });

  it('splits a request and its reply and reads the reply in the light of the request (245)', () => {
    const items = decodeLine('2 0 1 245 8 1 13 2 0 67 111 105 110 32 65 99 99 101 112 116 111 114 22');
    expect(items).to.have.length(2);
    expect(items[1]).to.deep.include({
      direction: 'device',
      name: 'ACK',
      replyTo: 'REQUEST_EQUIPMENT_CATEGORY_ID',
      reply: 'Coin Acceptor',
    });
  });

  it('reads 229 as the counter and five pairs with their meanings', () => {
    const [, reply] = decodeLine(
      '002 000 001 229 024 001 011 002 000 007 008 001 000 001 000 000 000 000 000 000 225',
    );
    expect(reply).to.deep.include({ replyTo: 'READ_BUFFERED_CREDIT_OR_ERROR_CODES', checksumOk: true });
    const value = (reply as { reply: { counter: number; entries: unknown[] } }).reply;
    expect(value.counter).to.equal(7);
    expect(value.entries.slice(0, 3)).to.deep.equal([
      { kind: 'credit', position: 8, sorterPath: 1 },
      { kind: 'error', code: 1, name: 'reject coin', rejected: 'yes' },
      { kind: 'error', code: 0, name: 'null event', rejected: 'no' },
    ]);
  });

  it('reads 184 as a coin id with its value, 242 as a number, and recognises the echo', () => {
    const [, coin] = decodeLine('002 001 001 184 008 060 001 006 002 000 069 085 050 048 048 065 138');
    expect(coin).to.have.nested.property('reply.coinId', 'EU200A');
    expect(coin).to.have.nested.property('reply.coin.amount', 200);
    const serial = decodeLine('002 000 001 242 011 002 000 001 242 011 001 003 002 000 003 002 001 244');
    expect(
      serial.map((i) => ('echo' in i ? 'echo' : 'direction' in i ? i.direction : 'other')),
    ).to.deep.equal(['host', 'echo', 'device']);
    expect(serial[2]).to.deep.include({ reply: 0x010203 });
  });

  it('reads hex too, and a CRC-16 frame of the fact sheet', () => {
    expect(decodeLine('02 00 01 F6 07 01 03 02 00 43 57 53 0D')[1]).to.deep.include({ reply: 'CWS' });
    expect(decodeLine('040 000 070 001 063')[0]).to.deep.include({
      checksum: 'crc16',
      checksumOk: true,
      name: 'RESET_DEVICE',
      destination: 40,
    });
  });

  it('flags a bad checksum and an incomplete frame, and keeps going', () => {
    const items = decodeLine('002 000 001 254 254 002 005 001');
    expect(items[0]).to.deep.include({ checksumOk: false });
    expect(items[1])
      .to.have.property('problem')
      .that.matches(/incomplete/);
  });

  it('runs through `cashwire decode cctalk`: one JSON per frame, a bad line reported and skipped', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), stdinLines$: EMPTY, isTty: false };
    const code = await runDecode(
      'cctalk',
      from(['002 000 001 254 255', 'zz not bytes', '02 00 01 FE FF']),
      { radix: 'auto' },
      io,
    );
    expect(code).to.equal(1);
    expect(out).to.have.length(2);
    expect(JSON.parse(out[0]!)).to.include({ name: 'SIMPLE_POLL' });
    expect(err).to.have.length(1);
    expect(err[0]).to.match(/^line 2:/);
  });
});
