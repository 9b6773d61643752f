/**
 * The examples are part of the documentation: they must keep running. The
 * runnable ones are spawned as a user would run them (`node --import tsx`)
 * against the simulators; the framework ones are booted in their framework's
 * own injector here, also against a simulator.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  createEnvironmentInjector,
  type EnvironmentInjector,
  Injector,
  ɵINJECTOR_SCOPE,
} from '@angular/core';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { expect } from 'chai';
import { filter, firstValueFrom, of } from 'rxjs';
import { CASH_SERVICE, CASH_TRANSPORT } from '../../examples/angular-cash.service.js';
import { CASH_DEVICE, CashModule, type CashDevice } from '../../examples/nestjs-cash.module.js';
import { createEsspSimulator, createMemoryPair } from '../../lib/testing/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function run(
  example: string,
  timeoutMs = 20_000,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `examples/${example}`], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${example} did not exit within ${timeoutMs} ms:\n${out}\n${err}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

const enabled = <T extends { readonly state$: CashDevice['state$'] }>(d: T): Promise<unknown> =>
  firstValueFrom(d.state$.pipe(filter((s) => s.status === 'enabled')));

describe('examples', function () {
  this.timeout(30_000);
  // Both spawned examples start at once: each spends most of its time starting Node and tsx.
  let creditCounter: ReturnType<typeof run>;
  let kioskFlow: ReturnType<typeof run>;
  before(() => {
    creditCounter = run('credit-counter.ts');
    kioskFlow = run('kiosk-flow.ts');
    // Failures are reported by the tests that await them.
    creditCounter.catch(() => undefined);
    kioskFlow.catch(() => undefined);
  });

  it('credit-counter.ts counts three notes, prints the total and exits 0', async () => {
    const { code, out, err } = await creditCounter;
    expect(code, err).to.equal(0);
    expect(out).to.include('credit 5.00 EUR (channel 1), total 5.00 EUR');
    expect(out).to.include('credit 10.00 EUR (channel 2), total 15.00 EUR');
    expect(out).to.include('total 20.00 EUR from 3 notes');
    expect(out.trimEnd().split('\n').at(-1)).to.equal('state disposed');
  });

  it('kiosk-flow.ts takes 20.00 EUR for a 15.00 EUR sale, pays 5.00 EUR change and exits 0', async () => {
    const { code, out, err } = await kioskFlow;
    expect(code, err).to.equal(0);
    expect(out).to.include('credit 10.00 EUR, paid 20.00 EUR');
    expect(out).to.include('change 5.00 EUR');
    expect(out).to.include('dispensed: 5.00 EUR');
    expect(out).to.include('sale complete');
  });

  it('nestjs-cash.module.ts provides a device on a simulator and releases it on app.close()', async () => {
    // An application module as users write it, minus the decorator syntax the library's settings leave off.
    // eslint-disable-next-line @typescript-eslint/no-extraneous-class
    class AppModule {}
    Module({ imports: [CashModule.forRoot()] })(AppModule);
    // Nest types its options as a class; a plain object is how its own documentation passes them.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    const cash = app.get<CashDevice>(CASH_DEVICE);
    await enabled(cash);
    const states: string[] = [];
    cash.state$.subscribe((s) => states.push(s.status));
    await app.close();
    expect(states.at(-1)).to.equal('disposed');
  });

  it('angular-cash.service.ts: the root injector creates the device and disposes it when destroyed', async () => {
    const [host, line] = createMemoryPair();
    const sim = createEsspSimulator(line, { profile: 'NV9USB' });
    const root = createEnvironmentInjector(
      [
        { provide: ɵINJECTOR_SCOPE, useValue: 'root' },
        { provide: CASH_TRANSPORT, useValue: of(host) },
      ],
      // The platform injector Angular would give as parent; none is needed for root-provided tokens.
      // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
      Injector.NULL as EnvironmentInjector,
    );
    const cash = root.get(CASH_SERVICE);
    expect(root.get(CASH_SERVICE)).to.equal(cash); // one device per application
    await enabled(cash);
    const credit = firstValueFrom(cash.credits$);
    sim.insertNote(1);
    expect((await credit).money).to.deep.equal({ amount: 500, currency: 'EUR' });
    const states: string[] = [];
    cash.state$.subscribe((s) => states.push(s.status));
    root.destroy();
    sim.dispose();
    expect(states.at(-1)).to.equal('disposed');
  });
});
