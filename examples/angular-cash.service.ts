// An Angular service around one cash device, inject-friendly:
//
//   export class PayComponent {
//     private readonly cash = inject(CASH_SERVICE);
//     readonly credits$ = this.cash.events$.pipe(filter(isCredit));
//   }
//
// Both tokens are InjectionTokens with `providedIn: 'root'` factories, so the
// app needs no provider entry and no decorator compilation for them. The
// device lives as long as the root injector and is disposed with it. A kiosk
// app in Electron opens the serial port; a browser build talks to a local
// service instead (Node serial ports do not run in a browser). Override
// CASH_TRANSPORT in tests or a storybook with a simulator's memory line.
import { DestroyRef, InjectionToken, inject } from '@angular/core';
import { type Observable, filter } from 'rxjs';
import {
  ESSP_LINE,
  createEsspDevice,
  isCredit,
  openSerialTransport,
  type CreditEvent,
  type DeviceEvent,
  type DeviceState,
  type Transport,
} from '../lib/index.js';

/** The line the device is on; the default opens the first USB serial port. */
export const CASH_TRANSPORT = new InjectionToken<Observable<Transport>>('cashwire transport', {
  providedIn: 'root',
  // Cold on purpose: the device subscribes again to reopen the port after a USB unit drops off and comes back.
  factory: () => openSerialTransport('/dev/ttyUSB0', ESSP_LINE),
});

export interface CashService {
  readonly events$: Observable<DeviceEvent>;
  readonly credits$: Observable<CreditEvent>;
  readonly state$: Observable<DeviceState>;
}

export const CASH_SERVICE = new InjectionToken<CashService>('cashwire cash service', {
  providedIn: 'root',
  factory: (): CashService => {
    const device = createEsspDevice(inject(CASH_TRANSPORT));
    inject(DestroyRef).onDestroy(() => device.dispose());
    return {
      events$: device.events$,
      credits$: device.events$.pipe(filter(isCredit)),
      state$: device.state$,
    };
  },
});
