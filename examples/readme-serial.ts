// The serial-port example of README.md, kept here so `npm test` type-checks it.
import { filter } from 'rxjs';
import { ESSP_LINE, createEsspDevice, formatMoney, isCredit, openSerialTransport } from '../lib/index.js';

const port = process.argv[2] ?? '/dev/ttyACM0';
// Given an opener rather than an open port, the device reopens the line when a USB unit re-enumerates.
const validator = createEsspDevice(openSerialTransport(port, ESSP_LINE), { encryption: 'required' });

validator.events$.pipe(filter(isCredit)).subscribe((c) => console.log('credit', formatMoney(c.money)));
validator.state$.subscribe((s) => console.log('state', s.status));
validator.errors$.subscribe((e) => console.warn('warning', e.message));
process.once('SIGINT', () => validator.dispose());
