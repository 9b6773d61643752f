/**
 * docs/errors.md is written by hand; this keeps it complete: every error
 * class the packages export, every code, and every eSSP generic response and
 * 0xF5 error name must appear in it.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import * as root from '../../lib/index.js';
import * as testing from '../../lib/testing/index.js';
import { F5_ERRORS, GENERIC_RESPONSES } from '../../lib/protocols/essp/generic.js';
import { UnknownBillValueError } from '../../lib/protocols/pyramid/bills.js';
import { EscrowStateError } from '../../lib/protocols/pyramid/device-types.js';

const page = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

/** Exported classes that extend CashwireError (the class itself included). */
function errorClasses(mod: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(mod)
    .filter(
      ([, v]) =>
        typeof v === 'function' &&
        (v === root.CashwireError || (v as { prototype?: unknown }).prototype instanceof root.CashwireError),
    )
    .map(([name]) => name);
}

describe('docs/errors.md', () => {
  it('finds the exported error classes (the check below is not vacuous)', () => {
    expect(errorClasses(root)).to.include.members(['CashwireError', 'DeviceError', 'NoBillInEscrowError']);
    expect(errorClasses(testing)).to.include.members(['TraceMismatchError']);
  });

  it('documents every exported error class with its code', () => {
    const samples: root.CashwireError[] = [
      new root.CashwireError('CONNECT_FAILED', 'x'),
      new root.CashwireError('ESCROW_HOOK_FAILED', 'x'),
      new root.InvalidArgumentError('x'),
      new root.OptionRangeError('o', 1, 0, 0),
      new root.UnknownCommandError('essp', 'X'),
      new root.CommandTimeoutError('POLL', 1, 1),
      new root.CrcError('essp', 1, 2, ''),
      new root.DecodeError('x'),
      new root.DeviceError('POLL', 'FAIL', 'x'),
      new root.DecryptionError('x'),
      new root.EncryptionRequiredError('PAYOUT_AMOUNT'),
      new root.TransportError('x'),
      new root.DisposedError('x'),
      new root.UnsupportedCommandError('X', 'y'),
      new root.NoBillInEscrowError('stack'),
      new EscrowStateError('stack', 'no-note'),
      new UnknownBillValueError(root.money(1, 'USD'), root.USD_BILLS),
      new testing.TraceFormatError(1, 'x'),
      new testing.TraceMismatchError(1, undefined, ''),
      new testing.TraceUnconsumedError(1, 1, ''),
    ];
    const documented = new Set(samples.map((e) => e.name));
    for (const name of [...errorClasses(root), ...errorClasses(testing)]) {
      expect(documented, `add a sample of ${name} to this spec`).to.include(name);
    }
    for (const e of samples) {
      expect(page, e.name).to.include(`\`${e.name}\``);
      expect(page, e.code).to.include(`\`${e.code}\``);
    }
  });

  it('lists every eSSP generic response with its byte, and every 0xF5 error name', () => {
    for (const [code, name] of Object.entries(GENERIC_RESPONSES)) {
      const byte = `0x${Number(code).toString(16).toUpperCase()}`;
      expect(page, name).to.match(new RegExp(`\\| ${byte} +\\| \`${name}\``));
    }
    for (const family of Object.values(F5_ERRORS))
      for (const [code, name] of Object.entries(family)) expect(page).to.include(`${code} \`${name}\``);
  });
});
