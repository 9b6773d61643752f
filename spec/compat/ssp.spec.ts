/**
 * The compatibility class against the simulator over an in-memory line:
 * option checks, result shapes, what is refused before anything is written,
 * the device's refusals resolving with their status, polling and close.
 */
import { format } from 'node:util';
import { expect } from 'chai';
import createDebug from 'debug';
import {
  DisposedError,
  EncryptionRequiredError,
  InvalidArgumentError,
  TransportError,
  UnknownCommandError,
} from '../../lib/core/errors.js';
import SSPDefault, { SSP, type SspEventPayload } from '../../lib/compat/index.js';
import { SSP as SSPFromRoot } from '../../lib/index.js';
import {
  type EsspProfileName,
  type EsspSimulator,
  type MemoryTransport,
  createEsspSimulator,
  createMemoryPair,
} from '../../lib/testing/index.js';

const FAST = { readMs: 20, rejectMs: 20, creditMs: 20, stackMs: 20 };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Rig {
  readonly ssp: SSP;
  readonly host: MemoryTransport;
  readonly sim: EsspSimulator;
  readonly events: string[];
}

describe('compat: SSP', () => {
  const rigs: Rig[] = [];

  /** An SSP open on a simulated unit; everything is closed after each test. */
  async function rig(profile: EsspProfileName = 'NV9USB', pollInterval = 20): Promise<Rig> {
    const [host, line] = createMemoryPair();
    const sim = createEsspSimulator(line, { profile, timing: FAST });
    const ssp = new SSP({ id: sim.address, timeout: 500, pollInterval });
    const events: string[] = [];
    ssp.on('OPEN', () => events.push('OPEN'));
    ssp.on('CLOSE', () => events.push('CLOSE'));
    const r = { ssp, host, sim, events };
    rigs.push(r);
    await ssp.open(host);
    return r;
  }

  afterEach(async () => {
    for (const r of rigs.splice(0)) {
      await r.ssp.close();
      r.sim.dispose();
    }
  });

  it('is the default export of cashwire/compat and SSP of the package root', () => {
    expect(SSPDefault).to.equal(SSP);
    expect(SSPFromRoot).to.equal(SSP);
  });

  describe('constructor options', () => {
    it('accepts the README options', () => {
      expect(
        () => new SSP({ id: 0, debug: false, timeout: 3000, fixedKey: '0123456701234567' }),
      ).to.not.throw();
      expect(() => new SSP()).to.not.throw();
    });

    const bad: [string, unknown, RegExp][] = [
      ['an address above 0x7D', { id: 0x80 }, /address/],
      ['a fractional address', { id: 1.5 }, /address/],
      ['a key of 15 hex digits', { fixedKey: '012345670123456' }, /fixedKey/],
      ['a key with a non-hex digit', { fixedKey: '012345670123456g' }, /fixedKey/],
      ['a zero timeout', { timeout: 0 }, /timeout/],
      ['a string timeout', { timeout: '3000' }, /timeout/],
      ['debug that is not a boolean', { debug: 1 }, /debug/],
      ['a misspelt option', { fixedkey: '0123456701234567' }, /Unknown SSP option 'fixedkey'/],
      ['options that are not an object', 'COM1', /object/],
    ];
    for (const [what, options, message] of bad) {
      it(`refuses ${what} with InvalidArgumentError`, () => {
        expect(() => new SSP(options as never))
          .to.throw(InvalidArgumentError)
          .with.property('message')
          .that.matches(message);
      });
    }

    it('never echoes a bad fixed key', () => {
      try {
        new SSP({ fixedKey: 'secretsecret1234' });
        expect.fail('accepted a bad key');
      } catch (e) {
        expect(JSON.stringify(e)).to.not.contain('secret');
        expect((e as Error).message).to.not.contain('secret');
      }
    });
  });

  describe('debug option', () => {
    const saved = createDebug.log;
    afterEach(() => {
      createDebug.log = saved;
    });

    it('debug: true logs commands and frames under cashwire:compat, debug: false does not', async () => {
      const lines: string[] = [];
      createDebug.log = (...args: unknown[]) => void lines.push(format(...args));
      for (const debug of [true, false]) {
        const [host, line] = createMemoryPair();
        const sim = createEsspSimulator(line, { profile: 'NV9USB' });
        const ssp = new SSP({ debug });
        await ssp.open(host);
        await ssp.command('GET_SERIAL_NUMBER');
        await ssp.close();
        sim.dispose();
        if (debug) {
          expect(lines.join('\n')).to.contain('cashwire:compat').and.contain('command GET_SERIAL_NUMBER');
          expect(lines.some((l) => /tx GET_SERIAL_NUMBER/.test(l))).to.equal(true);
          lines.length = 0;
        }
      }
      // Without DEBUG in the environment the second instance stays quiet.
      if (process.env['DEBUG'] === undefined) expect(lines).to.deep.equal([]);
    });
  });

  describe('open and close', () => {
    it('emits OPEN once the transport is taken, and CLOSE once on close()', async () => {
      const { ssp, events } = await rig();
      expect(events).to.deep.equal(['OPEN']);
      expect(ssp.isOpen).to.equal(true);
      await ssp.close();
      await ssp.close();
      expect(events).to.deep.equal(['OPEN', 'CLOSE']);
      expect(ssp.isOpen).to.equal(false);
    });

    it('refuses a second open() and a port that is neither a path nor a Transport', async () => {
      const { ssp, host } = await rig();
      let error: unknown;
      await ssp.open(host).catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(InvalidArgumentError);
      const other = new SSP();
      error = undefined;
      await other.open({ path: 'COM1' } as never).catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(InvalidArgumentError);
      expect(other.isOpen).to.equal(false);
    });

    it('rejects a serial path that does not exist with TransportError', async () => {
      const ssp = new SSP();
      let error: unknown;
      await ssp.open('/dev/does-not-exist-cashwire').catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(TransportError);
      expect(ssp.isOpen).to.equal(false);
    });

    it('rejects commands before open() with TransportError', async () => {
      const ssp = new SSP();
      let error: unknown;
      await ssp.command('SYNC').catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(TransportError);
      expect((error as Error).message).to.match(/open\(\)/);
    });

    it('emits CLOSE once when the line is lost, and stops polling', async () => {
      const { ssp, host, events } = await rig();
      await ssp.enable();
      host.breakLine();
      await sleep(10);
      expect(events).to.deep.equal(['OPEN', 'CLOSE']);
      expect(ssp.isOpen).to.equal(false);
      expect(ssp.isPolling).to.equal(false);
    });

    it('close() fails a command in flight with DisposedError', async () => {
      const { ssp, sim } = await rig();
      // The unit goes silent: SYNC waits for a reply that never comes.
      sim.intercept({ inbound: () => undefined });
      const pending = ssp.command('SYNC').catch((e: unknown) => e);
      await ssp.close();
      expect(await pending).to.be.instanceOf(DisposedError);
    });
  });

  describe('command()', () => {
    it("resolves GET_SERIAL_NUMBER as { status: 'OK', command, info: { serial_number } }", async () => {
      const { ssp, sim } = await rig('NV200');
      const result = await ssp.command('GET_SERIAL_NUMBER');
      expect(result).to.deep.equal({
        status: 'OK',
        command: 'GET_SERIAL_NUMBER',
        info: { serial_number: sim.profile.serialNumber },
      });
    });

    it('gives commands without a reply payload an empty info object', async () => {
      const { ssp } = await rig();
      expect(await ssp.command('SYNC')).to.deep.equal({ status: 'OK', command: 'SYNC', info: {} });
    });

    it('resolves (not rejects) when the device refuses, with its status and advice', async () => {
      const { ssp, sim } = await rig();
      sim.override('ENABLE', () => Uint8Array.of(0xf8));
      const result = await ssp.enable();
      expect(result.status).to.equal('FAIL');
      expect(result.command).to.equal('ENABLE');
      expect(result.info).to.include({ generic: 0xf8 });
      expect(result.info).to.have.property('advice').that.is.a('string').and.not.empty;
      // A unit that did not enable is not polled.
      expect(ssp.isPolling).to.equal(false);
    });

    it('rejects an unknown command name with UnknownCommandError, writing nothing', async () => {
      const { ssp, host } = await rig();
      const before = host.written.length;
      let error: unknown;
      await ssp.command('GET_SERIAL' as never).catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(UnknownCommandError);
      expect((error as Error).message).to.contain('GET_SERIAL_NUMBER');
      expect(host.written.length).to.equal(before);
    });

    it('rejects wrong arguments with InvalidArgumentError, writing nothing', async () => {
      const { ssp, host } = await rig();
      const before = host.written.length;
      const calls = [
        ssp.command('HOST_PROTOCOL_VERSION', { version: 'six' } as never),
        ssp.command('HOST_PROTOCOL_VERSION', { version: 6, extra: 1 } as never),
        ssp.command('SET_CHANNEL_INHIBITS', { channels: [1, 2] } as never),
        ssp.command('HOST_PROTOCOL_VERSION' as never),
      ];
      for (const call of calls) {
        let error: unknown;
        await call.catch((e: unknown) => (error = e));
        expect(error).to.be.instanceOf(InvalidArgumentError);
      }
      expect(host.written.length).to.equal(before);
    });

    it('rejects PAYOUT_AMOUNT without encryption with EncryptionRequiredError, writing nothing', async () => {
      const { ssp, host } = await rig('NV200_SMART_PAYOUT');
      const before = host.written.length;
      let error: unknown;
      await ssp
        .command('PAYOUT_AMOUNT', { amount: 500, country_code: 'EUR', test: true })
        .catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(EncryptionRequiredError);
      expect((error as Error).message).to.match(/initEncryption\(\)/);
      expect(host.written.length).to.equal(before);
    });

    it('sends PAYOUT_AMOUNT once initEncryption() has negotiated a key', async () => {
      const { ssp, sim } = await rig('NV200_SMART_PAYOUT');
      expect(await ssp.initEncryption()).to.deep.equal({
        status: 'OK',
        command: 'REQUEST_KEY_EXCHANGE',
        info: {},
      });
      sim.setLevels({ 500: 2 });
      const payout = { amount: 500, country_code: 'EUR', test: true };
      // A disabled unit refuses with COMMAND_CANNOT_BE_PROCESSED and its error byte, named.
      expect(await ssp.command('PAYOUT_AMOUNT', payout)).to.deep.include({
        status: 'COMMAND_CANNOT_BE_PROCESSED',
        command: 'PAYOUT_AMOUNT',
      });
      const refused = await ssp.command('PAYOUT_AMOUNT', payout);
      expect(refused.info).to.include({ generic: 0xf5, error: 'DISABLED', errorCode: 4 });
      expect((await ssp.enable()).status).to.equal('OK');
      expect((await ssp.command('ENABLE_PAYOUT_DEVICE')).status).to.equal('OK');
      const result = await ssp.command('PAYOUT_AMOUNT', payout);
      expect(result).to.deep.equal({ status: 'OK', command: 'PAYOUT_AMOUNT', info: {} });
    });
  });

  describe('enable(), events and disable()', () => {
    it('polls after ENABLE and emits each event once, named as the README names them', async () => {
      const { ssp, sim } = await rig('NV9USB');
      const seen: { name: string; channel?: number }[] = [];
      for (const name of ['READ_NOTE', 'CREDIT_NOTE', 'NOTE_STACKED', 'NOTE_REJECTED'] as const) {
        ssp.on(name, (e: SspEventPayload) => seen.push(e));
      }
      const enabled = await ssp.enable();
      expect(enabled).to.deep.equal({ status: 'OK', command: 'ENABLE', info: {} });
      expect(ssp.isPolling).to.equal(true);
      await ssp.command('SET_CHANNEL_INHIBITS', { channels: sim.profile.channels.map(() => 1 as const) });
      sim.insertNote(3);
      for (let i = 0; i < 40 && !seen.some((e) => e.name === 'NOTE_STACKED'); i++) await sleep(10);
      await sleep(60);
      const credits = seen.filter((e) => e.name === 'CREDIT_NOTE');
      expect(credits).to.have.length(1);
      expect(credits[0]).to.deep.include({
        channel: 3,
        value: { amount: sim.profile.channels[2], currency: sim.profile.currency },
      });
      expect(seen.filter((e) => e.name === 'NOTE_STACKED')).to.have.length(1);
      expect(seen.filter((e) => e.name === 'NOTE_REJECTED')).to.deep.equal([]);
      expect(sim.stats.creditedValue).to.equal(sim.profile.channels[2]);
    });

    it('disable() sends DISABLE and stops polling: nothing more is written', async () => {
      const { ssp, host } = await rig();
      await ssp.enable();
      await sleep(50);
      const result = await ssp.disable();
      expect(result).to.deep.equal({ status: 'OK', command: 'DISABLE', info: {} });
      expect(ssp.isPolling).to.equal(false);
      const written = host.written.length;
      await sleep(80);
      expect(host.written.length).to.equal(written);
    });

    it('close() while enabled stops polling: nothing more is written, no timer is left', async () => {
      const { ssp, host, events } = await rig();
      await ssp.enable();
      await sleep(50);
      await ssp.close();
      const written = host.written.length;
      await sleep(80);
      expect(host.written.length).to.equal(written);
      expect(events).to.deep.equal(['OPEN', 'CLOSE']);
    });

    it('a throwing listener does not cost the events after it', async () => {
      const { ssp, sim } = await rig();
      const credits: number[] = [];
      const thrown: unknown[] = [];
      const onUncaught = (e: unknown): void => void thrown.push(e);
      const mochaHandlers = process.listeners('uncaughtException');
      process.removeAllListeners('uncaughtException');
      process.on('uncaughtException', onUncaught);
      try {
        ssp.on('READ_NOTE', () => {
          throw new Error('listener bug');
        });
        ssp.on('CREDIT_NOTE', (e) => credits.push(e.channel));
        await ssp.enable();
        await ssp.command('SET_CHANNEL_INHIBITS', { channels: sim.profile.channels.map(() => 1 as const) });
        sim.insertNote(1);
        for (let i = 0; i < 40 && credits.length === 0; i++) await sleep(10);
      } finally {
        process.removeListener('uncaughtException', onUncaught);
        for (const h of mochaHandlers) process.on('uncaughtException', h);
      }
      expect(credits).to.deep.equal([1]);
      expect(thrown).to.not.be.empty;
      expect((thrown[0] as Error).message).to.equal('listener bug');
    });
  });
});
