// A NestJS module that owns one cash device and exposes its events$ to the
// rest of the application through dependency injection.
//
//   @Module({ imports: [CashModule.forRoot({ port: '/dev/ttyUSB0' })] })
//   export class AppModule {}
//
//   // anywhere else, with CASH_DEVICE as the injection token:
//   constructor(@Inject(CASH_DEVICE) cash: CashDevice) {
//     cash.events$.pipe(filter(isCredit)).subscribe((e) => this.orders.pay(e.money));
//   }
//
// The module is dynamic (forRoot returns its providers), so it needs neither
// decorators nor decorator metadata of its own: it builds with the library's
// compiler settings as they are. Leave `port` out to run against a simulator.
import type { DynamicModule, OnApplicationShutdown, Provider } from '@nestjs/common';
import { type Observable, firstValueFrom } from 'rxjs';
import {
  ESSP_LINE,
  createEsspDevice,
  openSerialTransport,
  type DeviceEvent,
  type DeviceState,
  type EsspDevice,
  type Transport,
} from '../lib/index.js';
import { createEsspSimulator, createMemoryPair } from '../lib/testing/index.js';

export const CASH_DEVICE = Symbol('CASH_DEVICE');

export interface CashModuleOptions {
  /** Serial port of an eSSP unit; without it, a simulated NV9USB. */
  readonly port?: string;
}

/** What the rest of the application sees: streams, no transport details. */
export class CashDevice implements OnApplicationShutdown {
  readonly events$: Observable<DeviceEvent>;
  readonly state$: Observable<DeviceState>;
  readonly #device: EsspDevice;
  readonly #close: () => Promise<void>;

  constructor(device: EsspDevice, close: () => Promise<void>) {
    this.#device = device;
    this.#close = close;
    this.events$ = device.events$;
    this.state$ = device.state$;
  }

  /** Nest calls this on app.close(): dispose the device, then release the line. */
  async onApplicationShutdown(): Promise<void> {
    this.#device.dispose();
    await this.#close();
  }
}

async function openLine(
  options: CashModuleOptions,
): Promise<{ transport: Transport; close: () => Promise<void> }> {
  const release = (t: Transport): Promise<void> => firstValueFrom(t.close(), { defaultValue: undefined });
  if (options.port) {
    const transport = await firstValueFrom(openSerialTransport(options.port, ESSP_LINE));
    return { transport, close: () => release(transport) };
  }
  const [host, line] = createMemoryPair();
  const sim = createEsspSimulator(line, { profile: 'NV9USB' });
  return {
    transport: host,
    close: () => {
      sim.dispose();
      return release(host);
    },
  };
}

// Nest identifies a module by its class, so the class is needed even with only a static factory.
// eslint-disable-next-line @typescript-eslint/no-extraneous-class
export class CashModule {
  static forRoot(options: CashModuleOptions = {}): DynamicModule {
    const device: Provider = {
      provide: CASH_DEVICE,
      useFactory: async (): Promise<CashDevice> => {
        const { transport, close } = await openLine(options);
        return new CashDevice(createEsspDevice(transport), close);
      },
    };
    return { module: CashModule, global: true, providers: [device], exports: [device] };
  }
}
