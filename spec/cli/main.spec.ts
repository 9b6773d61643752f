/**
 * The command line in-process: help texts, option checks and exit codes,
 * through `main()` with captured output (the spawned-process tests live in
 * cashwire.spec.ts).
 */
import { expect } from 'chai';
import { NEVER, Subject } from 'rxjs';
import { CommanderError } from 'commander';
import {
  CommandTimeoutError,
  InvalidArgumentError,
  OptionRangeError,
  TransportError,
  UnknownCommandError,
} from '../../lib/core/errors.js';
import type { CliIo } from '../../lib/cli/io.js';
import { EXIT_DEVICE, EXIT_OK, EXIT_USAGE, exitCodeOf, main } from '../../lib/cli/main.js';
import { untilStopped } from '../../lib/cli/commands/simulate.js';

interface Captured {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

async function cli(...args: string[]): Promise<Captured> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    stdinLines$: new Subject<string>(),
    isTty: false,
  };
  const code = await main(['node', 'cashwire', ...args], { io, stop$: NEVER });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('cashwire main', () => {
  describe('help', () => {
    it('simulate and monitor list every protocol', async () => {
      for (const group of ['simulate', 'monitor']) {
        const r = await cli(group, '--help');
        expect(r.code).to.equal(EXIT_OK);
        for (const p of ['essp', 'cctalk', 'pyramid']) expect(r.out).to.match(new RegExp(`^  ${p}\\b`, 'm'));
        expect(r.out).to.include('Examples:');
      }
    });

    it('every leaf command has a description, options and examples', async () => {
      const leaves = [
        ['demo'],
        ['list'],
        ['probe'],
        ['command'],
        ['simulate', 'essp'],
        ['simulate', 'cctalk'],
        ['simulate', 'pyramid'],
        ['monitor', 'essp'],
        ['monitor', 'cctalk'],
        ['monitor', 'pyramid'],
      ];
      for (const leaf of leaves) {
        const r = await cli(...leaf, '--help');
        expect(r.code, leaf.join(' ')).to.equal(EXIT_OK);
        expect(r.out, leaf.join(' ')).to.include('Options:').and.include('Examples:');
      }
    });

    it('simulate essp names every device and the line commands', async () => {
      const r = await cli('simulate', 'essp', '--help');
      for (const d of ['nv9usb', 'nv200', 'nv200-smart-payout', 'smart-hopper', 'nv11', 'nv4000']) {
        expect(r.out).to.include(d);
      }
      expect(r.out).to.include('insert <channel>').and.include('cashbox-out');
    });

    it('--version prints the package version and exits 0', async () => {
      const r = await cli('--version');
      expect(r.code).to.equal(EXIT_OK);
      expect(r.out).to.match(/^\d+\.\d+\.\d+/);
    });
  });

  describe('bad usage exits 2 with one line, before any port is opened', () => {
    const cases: readonly (readonly [string, readonly string[], RegExp])[] = [
      [
        'unknown eSSP device, with the list',
        ['simulate', 'essp', '--port', '/dev/cashwire-none', '--device', 'nv9999'],
        /nv9999.*nv200-smart-payout/,
      ],
      ['missing --port', ['monitor', 'essp'], /--port/],
      [
        'address out of range',
        ['monitor', 'essp', '--port', '/dev/cashwire-none', '--address', '0x7E'],
        /0\.\.125/,
      ],
      [
        'short fixed key',
        ['monitor', 'essp', '--port', '/dev/cashwire-none', '--fixed-key', '1234'],
        /16 hex digits/,
      ],
      [
        'bad encryption mode',
        ['monitor', 'essp', '--port', '/dev/cashwire-none', '--encryption', 'maybe'],
        /maybe/,
      ],
      ['duration not a number', ['demo', '--duration', 'soon'], /seconds/],
      ['duration out of range', ['demo', '--duration', '0'], /between 1 and 120/],
      [
        'pyramid mask over 0x7F',
        ['monitor', 'pyramid', '--port', '/dev/cashwire-none', '--mask', '0x80'],
        /0x7F/,
      ],
      [
        'unknown ccTalk device',
        ['simulate', 'cctalk', '--port', '/dev/cashwire-none', '--devices', 'coin,fish'],
        /fish/,
      ],
      ['unknown option', ['demo', '--colour'], /--colour/],
    ];
    for (const [what, args, pattern] of cases) {
      it(what, async () => {
        const r = await cli(...args);
        expect(r.code).to.equal(EXIT_USAGE);
        expect(r.err.split('\n')).to.have.length(1);
        expect(r.err)
          .to.match(/^cashwire: /)
          .and.match(pattern);
        expect(r.out).to.equal('');
      });
    }
  });

  describe('device errors exit 1', () => {
    const saved = process.env['DEBUG'];
    afterEach(() => {
      if (saved === undefined) delete process.env['DEBUG'];
      else process.env['DEBUG'] = saved;
    });

    it('a port that does not exist: one actionable line', async () => {
      delete process.env['DEBUG'];
      const r = await cli('monitor', 'essp', '--port', '/dev/cashwire-none');
      expect(r.code).to.equal(EXIT_DEVICE);
      expect(r.err.split('\n')).to.have.length(1);
      expect(r.err).to.match(/^cashwire: .*\/dev\/cashwire-none.*does not exist/);
    });

    it('the stack follows only with DEBUG set', async () => {
      process.env['DEBUG'] = '1';
      const r = await cli('monitor', 'essp', '--port', '/dev/cashwire-none');
      expect(r.code).to.equal(EXIT_DEVICE);
      expect(r.err)
        .to.match(/^cashwire: /)
        .and.match(/\n\s+at /);
    });
  });

  it('exitCodeOf maps typed errors: usage 2, device 1, help 0', () => {
    expect(exitCodeOf(new CommanderError(0, 'commander.helpDisplayed', '(help)'))).to.equal(EXIT_OK);
    expect(exitCodeOf(new CommanderError(1, 'commander.unknownCommand', 'x'))).to.equal(EXIT_USAGE);
    expect(exitCodeOf(new InvalidArgumentError('x'))).to.equal(EXIT_USAGE);
    expect(exitCodeOf(new OptionRangeError('pollIntervalMs', 5, 200, 1000))).to.equal(EXIT_USAGE);
    expect(exitCodeOf(new UnknownCommandError('essp', 'FOO'))).to.equal(EXIT_USAGE);
    expect(exitCodeOf(new TransportError('gone'))).to.equal(EXIT_DEVICE);
    expect(exitCodeOf(new CommandTimeoutError('SYNC', 3, 3000))).to.equal(EXIT_DEVICE);
    expect(exitCodeOf(new Error('anything else'))).to.equal(EXIT_DEVICE);
  });

  describe('untilStopped (stdin of simulators and monitors)', () => {
    function wrap() {
      const stdin = new Subject<string>();
      const stop$ = new Subject<void>();
      const io: CliIo = { out: () => undefined, err: () => undefined, stdinLines$: stdin, isTty: false };
      const seen: string[] = [];
      let ended = false;
      untilStopped({ io, stop$, done: () => undefined }).stdinLines$.subscribe({
        next: (l) => seen.push(l),
        complete: () => (ended = true),
      });
      return { stdin, stop$, seen, ended: () => ended };
    }

    it('passes lines through and ends on quit', () => {
      const w = wrap();
      w.stdin.next('insert 2');
      w.stdin.next('  QUIT ');
      w.stdin.next('insert 3');
      expect(w.seen).to.deep.equal(['insert 2']);
      expect(w.ended()).to.equal(true);
    });

    it('outlives the end of stdin and ends on a stop signal', () => {
      const w = wrap();
      w.stdin.next('insert 1');
      w.stdin.complete();
      expect(w.ended()).to.equal(false);
      w.stop$.next();
      expect(w.ended()).to.equal(true);
      expect(w.seen).to.deep.equal(['insert 1']);
    });
  });
});
