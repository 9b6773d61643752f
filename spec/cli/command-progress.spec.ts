/**
 * `cashwire command essp PAYOUT_AMOUNT`: after the OK reply the unit is
 * polled until the payout ends; progress goes to stderr at a terminal only,
 * and the result (JSON or pretty) holds the events seen.
 */
import { expect } from 'chai';
import { EMPTY, of } from 'rxjs';
import { runCommand } from '../../lib/cli/commands/command.js';
import { prepareEsspCommand } from '../../lib/cli/probe/command-essp.js';
import type { CliIo } from '../../lib/cli/io.js';
import { createEsspSimulator, type EsspSimulator } from '../../lib/protocols/essp/simulator/index.js';
import { createMemoryPair } from '../../lib/transport/memory.js';
import type { Transport } from '../../lib/transport/transport.js';

function fakeIo(isTty: boolean): { io: CliIo; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l) => out.push(l), err: (l) => err.push(l), stdinLines$: EMPTY, isTty }, out, err };
}

describe('cashwire command essp: long operations', function () {
  this.timeout(15_000);
  let sim: EsspSimulator | undefined;
  afterEach(() => {
    sim?.dispose();
    sim = undefined;
  });

  /** A SMART Payout holding two notes of each of its first channels, moving a note every 50 ms. */
  function payoutUnit(): Transport {
    const [host, line] = createMemoryPair();
    sim = createEsspSimulator(line, { profile: 'NV200_SMART_PAYOUT', timing: { noteItemMs: 50 } });
    sim.setLevels([2, 2, 2, 2]);
    return host;
  }

  /** A payout needs the unit and its payout module enabled: both first, as a user would, over the same line. */
  async function enable(host: Transport): Promise<void> {
    const kept: Transport = { ...host, close: () => of(undefined) };
    for (const name of ['ENABLE', 'ENABLE_PAYOUT_DEVICE']) {
      const { io, err } = fakeIo(false);
      const code = await runCommand({ protocol: 'essp', port: '/dev/fake', name, open: () => of(kept) }, io);
      expect(code).to.equal(0, err.join('\n'));
    }
  }

  const payout = async (json: boolean, io: CliIo, host: Transport): Promise<number> => {
    await enable(host);
    return runCommand(
      {
        protocol: 'essp',
        port: '/dev/fake',
        name: 'PAYOUT_AMOUNT',
        args: '{"amount":1500,"country_code":"EUR","test":false}',
        json,
        open: () => of(host),
      },
      io,
    );
  };

  it('--json: one JSON result with the DISPENSED event, nothing on stderr even at a terminal', async () => {
    const { io, out, err } = fakeIo(true);
    expect(await payout(true, io, payoutUnit())).to.equal(0, err.join('\n'));
    expect(out).to.have.length(1);
    const result = JSON.parse(out[0]!) as {
      ok: boolean;
      link: { encrypted: boolean };
      operation: { finished: boolean; end: string; events: { event: string; amounts?: unknown[] }[] };
    };
    expect(result.ok).to.equal(true);
    expect(result.link.encrypted).to.equal(true);
    expect(result.operation).to.deep.include({ finished: true, end: 'DISPENSED' });
    const dispensed = result.operation.events.find((e) => e.event === 'DISPENSED');
    expect(dispensed?.amounts).to.deep.equal([{ amount: 1500, currency: 'EUR' }]);
    expect(err).to.deep.equal([]);
  });

  it('at a terminal: progress lines on stderr, ending with the amount dispensed', async () => {
    const { io, out, err } = fakeIo(true);
    expect(await payout(false, io, payoutUnit())).to.equal(0, err.join('\n'));
    expect(err.some((l) => /^dispensing \d+\.\d\d EUR$/.test(l))).to.equal(true, err.join('\n'));
    expect(err.at(-1)).to.equal('dispensed 15.00 EUR');
    expect(out.join('\n')).to.match(/operation: ended with DISPENSED/);
  });

  it('not at a terminal: no progress lines, the outcome still printed', async () => {
    const { io, out, err } = fakeIo(false);
    expect(await payout(false, io, payoutUnit())).to.equal(0, err.join('\n'));
    expect(err).to.deep.equal([]);
    expect(out.join('\n')).to.match(/operation: ended with DISPENSED/);
  });

  it('a test payout is not followed: nothing moves', async () => {
    const { io, out, err } = fakeIo(true);
    const host = payoutUnit();
    await enable(host);
    const code = await runCommand(
      {
        protocol: 'essp',
        port: '/dev/fake',
        name: 'PAYOUT_AMOUNT',
        args: '{"amount":1500,"country_code":"EUR","test":true}',
        json: true,
        open: () => of(host),
      },
      io,
    );
    expect(code).to.equal(0, err.join('\n'));
    expect(JSON.parse(out[0]!)).to.not.have.property('operation');
    expect(sim!.levels.slice(0, 4)).to.deep.equal([2, 2, 2, 2]);
  });

  it('stops following after the time limit and says the payout had not ended', async () => {
    const [host, line] = createMemoryPair();
    sim = createEsspSimulator(line, { profile: 'NV200_SMART_PAYOUT', timing: { noteItemMs: 10_000 } });
    sim.setLevels([2, 2, 2, 2]);
    await enable(host);
    const prepared = prepareEsspCommand(
      { name: 'PAYOUT_AMOUNT', args: { amount: 500, country_code: 'EUR', test: false } },
      { operationTimeoutMs: 300, pollMs: 50 },
    );
    const result = await prepared.run(host);
    expect(result.operation?.finished).to.equal(false);
    expect(result.operation?.events.map((e) => e.event)).to.include('DISPENSING');
    expect(result.warnings.join('\n')).to.match(/had not ended after 0\.3 s/);
  });
});
