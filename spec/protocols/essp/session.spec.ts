import { expect } from 'chai';
import fc from 'fast-check';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { bytes, concatBytes, toHex, u64le } from '../../../lib/core/bytes.js';
import type { Diagnostic } from '../../../lib/core/diagnostics.js';
import {
  CommandTimeoutError,
  DeviceError,
  DisposedError,
  EncryptionRequiredError,
  InvalidArgumentError,
  UnknownCommandError,
  UnsupportedCommandError,
} from '../../../lib/core/errors.js';
import type { FrameTrace } from '../../../lib/operators/trace.js';
import type { EsspCommandName } from '../../../lib/protocols/essp/commands/table.js';
import { encodeFrame } from '../../../lib/protocols/essp/framing.js';
import { type EsspBus, type EsspSession, createEsspBus } from '../../../lib/protocols/essp/session.js';
import { type MemoryTransport, createMemoryPair } from '../../../lib/transport/memory.js';
import { createTestScheduler } from '../../helpers/marbles.js';
import { type FakeDevice, OK, createFakeDevice } from './device/fake-device.js';

const hexes = (port: MemoryTransport): string[] => port.written.map((b) => toHex(b));

function setup(
  handlers: Parameters<typeof createFakeDevice>[1] = {},
  deviceOptions: Parameters<typeof createFakeDevice>[2] = {},
  busOptions: Parameters<typeof createEsspBus>[1] = {},
): { host: MemoryTransport; device: FakeDevice; bus: EsspBus; session: EsspSession } {
  const [host, port] = createMemoryPair();
  const device = createFakeDevice(port, handlers, deviceOptions);
  const bus = createEsspBus(host, { timeoutMs: 50, attempts: 3, ...busOptions });
  return { host, device, bus, session: bus.session(0) };
}

describe('eSSP session', () => {
  describe('sequence flag', () => {
    it('syncs first with flag 1, then alternates starting at 0 (fact-sheet frames)', async () => {
      const { host, session } = setup({ 0x07: () => bytes(OK) });
      await lastValueFrom(session.send('POLL'));
      await lastValueFrom(session.send('POLL'));
      await lastValueFrom(session.send('POLL'));
      expect(hexes(host)).to.deep.equal([
        '7F 80 01 11 65 82',
        '7F 00 01 07 11 88',
        '7F 80 01 07 12 02',
        '7F 00 01 07 11 88',
      ]);
    });

    it('ignores a stale reply (wrong flag) with a stale-reply diagnostic and takes the real one', async () => {
      const [host, port] = createMemoryPair();
      createFakeDevice(port, {
        0x07: () => {
          // A late reply to an earlier command arrives first: flag 1 while flag 0 is awaited.
          port.write(encodeFrame({ address: 0, seq: 1, data: bytes(OK, 0xe8) })).subscribe();
          return bytes(OK);
        },
      });
      const bus = createEsspBus(host, { timeoutMs: 50, attempts: 1 });
      const session = bus.session(0);
      const diags: Diagnostic[] = [];
      session.diagnostics$.subscribe((d) => diags.push(d));
      await lastValueFrom(session.send('SYNC'));
      const reply = await lastValueFrom(session.send('POLL'));
      expect(toHex(reply.info.data)).to.equal('');
      expect(diags.map((d) => d.kind)).to.deep.equal(['stale-reply']);
      expect(diags[0]!.info).to.include({ command: 'POLL', expectedSeq: 0, replySeq: 1 });
    });

    it('ignores a reply from another address', async () => {
      const [host, port] = createMemoryPair();
      createFakeDevice(port, {
        0x07: () => {
          port.write(encodeFrame({ address: 0x10, seq: 0, data: bytes(OK) })).subscribe();
          return bytes(OK, 0xe8);
        },
      });
      const bus = createEsspBus(host, { timeoutMs: 50, attempts: 1 });
      const session = bus.session(0);
      const diags: Diagnostic[] = [];
      session.diagnostics$.subscribe((d) => diags.push(d));
      const reply = await lastValueFrom(session.send('POLL'));
      expect(toHex(reply.info.data)).to.equal('E8');
      expect(diags).to.have.length(1);
      expect(diags[0]!.info).to.include({ replyAddress: 0x10 });
    });
  });

  describe('resends', () => {
    it('resends identical bytes after a lost reply and takes the cached reply once', () => {
      const ts = createTestScheduler();
      ts.run(() => {
        const [host, port] = createMemoryPair();
        const device = createFakeDevice(port, { 0x07: () => bytes(OK, 0xee, 0x01) });
        const bus = createEsspBus(host, { timeoutMs: 100, attempts: 3, scheduler: ts });
        const session = bus.session(0);
        const replies: string[] = [];
        session.send('SYNC').subscribe();
        device.dropReplies(1);
        session.send('POLL').subscribe((r) => replies.push(toHex(r.info.data)));
        ts.schedule(() => {
          expect(hexes(host)).to.deep.equal(['7F 80 01 11 65 82', '7F 00 01 07 11 88', '7F 00 01 07 11 88']);
          expect(device.received.map((r) => r.replayed)).to.deep.equal([false, false, true]);
          expect(replies).to.deep.equal(['EE 01']);
        }, 150);
      });
    });

    it('resends the same ciphertext (same count) for encrypted commands', () => {
      const ts = createTestScheduler();
      ts.run(() => {
        const [host, port] = createMemoryPair();
        const device = createFakeDevice(port, { 0x07: () => bytes(OK, 0xee, 0x02) });
        const bus = createEsspBus(host, { timeoutMs: 100, attempts: 3, scheduler: ts });
        const session = bus.session(0);
        const replies: string[] = [];
        session.negotiateKey().subscribe();
        ts.schedule(() => {
          expect(session.encrypted).to.equal(true);
          const before = host.written.length;
          device.dropReplies(1);
          session.send('POLL').subscribe((r) => replies.push(toHex(r.info.data)));
          ts.schedule(() => {
            const sent = hexes(host).slice(before);
            expect(sent).to.have.length(2);
            expect(sent[0]).to.equal(sent[1]);
            expect(sent[0]!.slice(9, 11)).to.equal('7E');
            expect(replies).to.deep.equal(['EE 02']);
            // The next command decrypts fine: host and device counters agree.
            session.send('POLL').subscribe((r) => replies.push(toHex(r.info.data)));
            expect(replies).to.have.length(2);
          }, 150);
        }, 1);
      });
    });

    it('gives up with CommandTimeoutError and re-syncs before the next command', () => {
      const ts = createTestScheduler();
      ts.run(() => {
        const [host, port] = createMemoryPair();
        const device = createFakeDevice(port, { 0x07: () => bytes(OK) });
        const bus = createEsspBus(host, { timeoutMs: 100, attempts: 2, scheduler: ts });
        const session = bus.session(0);
        let error: unknown;
        session.send('SYNC').subscribe();
        device.silent = true;
        session.send('POLL').subscribe({ error: (e: unknown) => (error = e) });
        ts.schedule(() => {
          expect(error).to.be.instanceOf(CommandTimeoutError);
          device.silent = false;
          const before = host.written.length;
          session.send('POLL').subscribe();
          expect(hexes(host).slice(before)).to.deep.equal(['7F 80 01 11 65 82', '7F 00 01 07 11 88']);
        }, 250);
      });
    });

    it('retries after a reply that does not decrypt, with a decrypt diagnostic', async () => {
      const [host, port] = createMemoryPair();
      let inject = false;
      const device: FakeDevice = createFakeDevice(port, {
        0x07: () => {
          if (inject) {
            inject = false;
            const junk = concatBytes(bytes(0x7e), new Uint8Array(16).fill(0x55));
            const seq = device.received.at(-1)!.seq;
            port.write(encodeFrame({ address: 0, seq, data: junk })).subscribe();
          }
          return bytes(OK, 0xe8);
        },
      });
      const bus = createEsspBus(host, { timeoutMs: 50, attempts: 3 });
      const session = bus.session(0);
      const diags: Diagnostic[] = [];
      session.diagnostics$.subscribe((d) => diags.push(d));
      await lastValueFrom(session.send('SYNC'));
      await lastValueFrom(session.negotiateKey());
      // The key exchange used flags 0,1,0: the POLL goes with flag 1. Inject on that flag.
      inject = true;
      const before = host.written.length;
      const reply = await lastValueFrom(session.send('POLL'));
      expect(toHex(reply.info.data)).to.equal('E8');
      const sent = hexes(host).slice(before);
      expect(sent).to.have.length(2);
      expect(sent[0]).to.equal(sent[1]);
      expect(diags.map((d) => d.kind)).to.deep.equal(['decrypt']);
    });
  });

  describe('refusals before anything is written', () => {
    const cases: [string, (s: EsspSession) => unknown, new (...a: never[]) => Error][] = [
      [
        'required command without a key',
        (s) => s.send('PAYOUT_AMOUNT', { amount: 500, country_code: 'EUR', test: false }),
        EncryptionRequiredError,
      ],
      ['bad arguments', (s) => s.send('HOST_PROTOCOL_VERSION', { version: 99 }), InvalidArgumentError],
      ['unknown command', (s) => s.send('POLLL' as EsspCommandName), UnknownCommandError],
    ];
    for (const [label, call, type] of cases) {
      it(label, async () => {
        const { host, session } = setup();
        let error: unknown;
        try {
          await lastValueFrom(call(session) as ReturnType<EsspSession['send']>);
        } catch (e) {
          error = e;
        }
        expect(error).to.be.instanceOf(type);
        expect(host.written).to.have.length(0);
      });
    }

    it('refuses a command the known unit type does not list', async () => {
      const { host, session } = setup();
      session.context = { protocolVersion: 7, unitType: 0x03, unitKnown: true };
      const error = await firstValueFrom(session.send('REJECT_BANKNOTE')).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(UnsupportedCommandError);
      expect(host.written).to.have.length(0);
    });

    it('errors with DisposedError after dispose', async () => {
      const { session } = setup();
      session.dispose();
      const error = await firstValueFrom(session.send('POLL')).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(DisposedError);
    });
  });

  describe('encryption', () => {
    it('negotiates a key, then wraps every command; traces never carry plain bytes unless asked', async () => {
      const seen: string[] = [];
      const { session, device, bus } = setup({
        0x07: (c) => {
          seen.push(toHex(c));
          return bytes(OK, 0xe8);
        },
      });
      const traces: FrameTrace[] = [];
      bus.trace$.subscribe((t) => traces.push(t));
      await lastValueFrom(session.negotiateKey());
      const reply = await lastValueFrom(session.send('POLL'));
      expect(toHex(reply.info.data)).to.equal('E8');
      expect(device.received.at(-1)).to.include({ encrypted: true, data: '07' });
      expect(traces.every((t) => t.plainHex === undefined)).to.equal(true);
      expect(traces.map((t) => t.name)).to.include('POLL');
    });

    it('traceDecrypted adds plainHex of command and reply', async () => {
      const [host, port] = createMemoryPair();
      createFakeDevice(port, { 0x07: () => bytes(OK, 0xe8) });
      const bus = createEsspBus(host, { timeoutMs: 50, attempts: 2 });
      const session = bus.session(0, { traceDecrypted: true });
      const traces: FrameTrace[] = [];
      session.trace$.subscribe((t) => traces.push(t));
      await lastValueFrom(session.negotiateKey());
      await lastValueFrom(session.send('POLL'));
      expect(traces.slice(-2).map((t) => t.plainHex)).to.deep.equal(['07', 'F0 E8']);
    });

    it('never puts key material in traces or diagnostics, even with traceDecrypted', async () => {
      const [host, port] = createMemoryPair();
      const device = createFakeDevice(port, { 0x07: () => bytes(OK, 0xee, 0x01) });
      const bus = createEsspBus(host, { timeoutMs: 50, attempts: 2 });
      const session = bus.session(0, { traceDecrypted: true });
      const seen: unknown[] = [];
      session.trace$.subscribe((t) => seen.push(t));
      session.diagnostics$.subscribe((d) => seen.push(d));
      await lastValueFrom(session.negotiateKey());
      await lastValueFrom(session.send('POLL'));
      const text = JSON.stringify(seen);
      expect(text).to.contain('plainHex');
      expect(text).to.not.contain('67 45 23 01 67 45 23 01');
      expect(text).to.not.contain(toHex(u64le(device.negotiated!)));
    });

    it('KEY_NOT_SET drops the key and calls the hook', async () => {
      const calls: string[] = [];
      const [host, port] = createMemoryPair();
      createFakeDevice(port, { 0x07: () => bytes(OK) }, { fixedKey: '1111111111111111' });
      const bus = createEsspBus(host, { timeoutMs: 50, attempts: 2 });
      const session = bus.session(0, { onKeyNotSet: (c) => calls.push(c) });
      await lastValueFrom(session.negotiateKey());
      const error = await lastValueFrom(session.send('POLL')).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(DeviceError);
      expect((error as DeviceError).response).to.equal('KEY_NOT_SET');
      expect(calls).to.deep.equal(['POLL']);
      expect(session.encrypted).to.equal(false);
    });
  });

  describe('device errors', () => {
    it('maps F5 + error byte to a DeviceError naming both', async () => {
      const { session } = setup({ 0x33: () => bytes(0xf5, 0x03) });
      await lastValueFrom(session.negotiateKey());
      const error = (await lastValueFrom(
        session.send('PAYOUT_AMOUNT', { amount: 500, country_code: 'EUR', test: false }),
      ).catch((e: unknown) => e)) as DeviceError;
      expect(error).to.be.instanceOf(DeviceError);
      expect(error.response).to.equal('COMMAND_CANNOT_BE_PROCESSED');
      expect(error.info).to.include({ command: 'PAYOUT_AMOUNT', generic: 0xf5, error: 'BUSY', errorCode: 3 });
      expect(error.message).to.match(/BUSY/);
    });
  });

  describe('bus', () => {
    it('serializes two addresses on one line and keeps their flags apart', async () => {
      const [host, port] = createMemoryPair();
      createFakeDevice(port, { 0x07: () => bytes(OK) }, { address: [0x00, 0x10] });
      const bus = createEsspBus(host, { timeoutMs: 50, attempts: 2 });
      const validator = bus.session(0x00);
      const hopper = bus.session(0x10);
      const traces: FrameTrace[] = [];
      bus.trace$.subscribe((t) => traces.push(t));
      await Promise.all([lastValueFrom(validator.send('POLL')), lastValueFrom(hopper.send('POLL'))]);
      // One frame in flight at a time: every command is followed by its own reply.
      const order = traces.map((t) => `${t.direction}:${t.address}`);
      expect(order).to.have.length(8);
      for (let i = 0; i < order.length; i += 2) {
        expect(order[i + 1]).to.equal(order[i]!.replace('tx', 'rx'));
      }
      expect(order.filter((o) => o === 'tx:16')).to.have.length(2);
      expect(hexes(host)).to.include('7F 90 01 11 26 03');
      expect(hexes(host)).to.include('7F 10 01 07 52 09');
    });

    it('refuses a second session for an open address', () => {
      const { bus } = setup();
      expect(() => bus.session(0)).to.throw(InvalidArgumentError);
    });

    it('errors queued commands with DisposedError on dispose', async () => {
      const { bus, session, device } = setup();
      device.silent = true;
      const all = lastValueFrom(session.send('POLL').pipe(toArray())).catch((e: unknown) => e);
      bus.dispose();
      expect(await all).to.be.instanceOf(DisposedError);
    });
  });

  describe('property: lost replies never lose or repeat a reply', () => {
    it('every POLL reply is delivered exactly once, in order, whatever replies are lost', () => {
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 8 }),
          fc.boolean(),
          (drops, encrypted) => {
            const ts = createTestScheduler();
            const delivered: number[] = [];
            ts.run(() => {
              const [host, port] = createMemoryPair();
              let next = 0;
              const device = createFakeDevice(port, { 0x07: () => bytes(OK, 0xee, ++next) });
              const bus = createEsspBus(host, { timeoutMs: 100, attempts: 3, scheduler: ts });
              const session = bus.session(0);
              if (encrypted) session.negotiateKey().subscribe();
              drops.forEach((drop, i) =>
                ts.schedule(
                  () => {
                    device.dropReplies(drop);
                    session.send('POLL').subscribe((r) => delivered.push(r.info.data[1]!));
                  },
                  1000 * (i + 1),
                ),
              );
            });
            expect(delivered).to.deep.equal(drops.map((_, i) => i + 1));
          },
        ),
        { numRuns: 25 },
      );
    });
  });
});
