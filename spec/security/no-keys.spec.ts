/**
 * Keys never leave the key store: an encrypted eSSP soak (lost replies,
 * flipped bits, power cycles, so the key is negotiated again and again, with
 * decrypted tracing on) and an encrypted session of the compatibility class
 * with its debug log on must not show the fixed key, any negotiated key or
 * any AES key anywhere in what they put out: traces, events, states, errors
 * (message, info and stack) and every `DEBUG=cashwire:*` line.
 */
import { format } from 'node:util';
import { expect } from 'chai';
import createDebug from 'debug';
import { asyncScheduler } from 'rxjs';
import { SSP } from '../../lib/compat/index.js';
import { toHex, u64le } from '../../lib/core/bytes.js';
import { aesKey, DEFAULT_FIXED_KEY, parseFixedKey } from '../../lib/protocols/essp/crypto/key.js';
import { createEsspSimulator } from '../../lib/protocols/essp/simulator/index.js';
import { createMemoryPair } from '../../lib/transport/memory.js';
import { recordKeys, startEssp } from './harness.js';

/** Every spelling of these bytes a log or a trace could use. */
function spellings(bytes: Uint8Array): string[] {
  const reversed = bytes.slice().reverse();
  const out: string[] = [];
  for (const b of [bytes, reversed]) {
    const spaced = toHex(b);
    const plain = spaced.replace(/ /g, '');
    out.push(spaced, spaced.toLowerCase(), plain, plain.toLowerCase(), Array.from(b).join(','));
  }
  return out;
}

/** Spellings of every secret: the fixed key, each negotiated key (also as a number) and each AES key. */
function secretsOf(fixedHex: string, negotiated: readonly bigint[]): string[] {
  const fixed = parseFixedKey(fixedHex);
  const out = [fixedHex, fixedHex.toLowerCase()];
  fixed.use((b) => out.push(...spellings(b)));
  for (const n of negotiated) {
    out.push(n.toString(10), n.toString(16), n.toString(16).toUpperCase(), ...spellings(u64le(n)));
    const aes = aesKey(fixed, n);
    out.push(...spellings(aes));
    aes.fill(0);
  }
  return out;
}

/** The secrets found in `text` (empty when clean). */
function leaks(text: string, secrets: readonly string[]): string[] {
  return secrets.filter((s) => text.includes(s));
}

function describeError(e: unknown): string {
  if (!(e instanceof Error)) return JSON.stringify(e);
  return `${e.name}: ${e.message}\n${JSON.stringify(e)}\n${e.stack ?? ''}`;
}

/** Capture every debug line of `cashwire:*` while `work` runs. */
async function withDebugCapture<T>(work: () => T | Promise<T>): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const previousLog = createDebug.log;
  const previousNamespaces = createDebug.disable();
  createDebug.log = (...args: unknown[]) => void lines.push(format(...args));
  createDebug.enable('cashwire:*');
  try {
    return { result: await work(), lines };
  } finally {
    createDebug.disable();
    if (previousNamespaces !== '') createDebug.enable(previousNamespaces);
    createDebug.log = previousLog;
  }
}

describe('security: keys never in traces, logs or error messages', () => {
  it('the scanner finds a key wherever it is spelled (so a clean scan means something)', () => {
    const n = 0x1122334455667788n;
    const secrets = secretsOf(DEFAULT_FIXED_KEY, [n]);
    expect(leaks('trace 67 45 23 01 67 45 23 01', secrets)).to.not.deep.equal([]);
    expect(leaks(`key ${toHex(u64le(n))}`, secrets)).to.not.deep.equal([]);
    expect(leaks(`n=${n.toString(10)}`, secrets)).to.not.deep.equal([]);
    const aes = aesKey(parseFixedKey(DEFAULT_FIXED_KEY), n);
    expect(leaks(`aes ${toHex(aes).replace(/ /g, '').toLowerCase()}`, secrets)).to.not.deep.equal([]);
    expect(leaks('POLL 07 F0 E8 nothing secret', secrets)).to.deep.equal([]);
  });

  it('an encrypted eSSP soak under faults, with decrypted tracing and DEBUG=cashwire:*', async () => {
    const keys = recordKeys(11);
    const { result: output, lines } = await withDebugCapture(() => {
      const run = startEssp(keys.simOptions, { traceDecrypted: true }, 21, {
        drop: 0.05,
        corrupt: 0.01,
        reset: 0.002,
      });
      keys.attach(run.sim);
      for (let i = 0; i < 120; i++) run.at(5_000 + i * 2_500, () => run.sim.insertNote(1 + (i % 7)));
      run.runUntil(320_000);
      run.device.dispose();
      run.sim.dispose();
      return run;
    });
    const text = [
      ...output.traces.map((t) => JSON.stringify(t)),
      ...output.events.map((e) => JSON.stringify(e)),
      ...output.states.map((s) => JSON.stringify(s)),
      ...output.errors.map(describeError),
      ...lines,
    ].join('\n');

    // The run really did exercise keys, decryption, errors and resets.
    expect(keys.negotiated.length, 'keys negotiated').to.be.greaterThan(2);
    expect(output.sim.stats.resets).to.be.greaterThan(0);
    expect(output.traces.some((t) => t.plainHex !== undefined)).to.equal(true);
    expect(output.errors.length).to.be.greaterThan(0);
    expect(output.credits().length).to.be.greaterThan(50);
    expect(leaks(text, secretsOf(DEFAULT_FIXED_KEY, keys.negotiated))).to.deep.equal([]);
  });

  it('the compatibility class, debug log on, encrypted session with a credit', async function () {
    this.timeout(10_000);
    const keys = recordKeys(12);
    const fixedKey = '0F1E2D3C4B5A6978';
    const { result, lines } = await withDebugCapture(async () => {
      const [host, line] = createMemoryPair();
      const sim = createEsspSimulator(line, {
        profile: 'NV200_SMART_PAYOUT',
        requireEncryption: true,
        fixedKey,
        scheduler: asyncScheduler,
        timing: { readMs: 20, creditMs: 10, stackMs: 30 },
        ...keys.simOptions,
      });
      keys.attach(sim);
      const ssp = new SSP({ debug: true, fixedKey, pollInterval: 200 });
      const seen: string[] = [];
      const credited = new Promise<void>((resolve) => {
        ssp.on('CREDIT_NOTE', (p) => {
          seen.push(JSON.stringify(p));
          resolve();
        });
      });
      try {
        await ssp.open(host);
        await ssp.command('SYNC');
        await ssp.initEncryption();
        await ssp.command('SET_CHANNEL_INHIBITS', { channels: [1, 1, 1, 1, 1, 1, 1] });
        seen.push(JSON.stringify(await ssp.enable()));
        sim.insertNote(3);
        await credited;
      } finally {
        await ssp.close();
        sim.dispose();
      }
      return seen;
    });
    expect(keys.negotiated).to.have.length(1);
    expect(lines.length, 'debug lines captured').to.be.greaterThan(5);
    expect(lines.join('\n')).to.match(/encryption key negotiated/);
    expect(leaks([...result, ...lines].join('\n'), secretsOf(fixedKey, keys.negotiated))).to.deep.equal([]);
  });
});
