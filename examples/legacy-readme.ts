// The example program of the older eSSP library's README, run on cashwire's
// compatibility class. What differs from the README: the import (in an
// application: `import sspLib from 'cashwire/compat'`) and the port, a
// simulated NV200 from cashwire/testing instead of 'COM1', so it runs
// without hardware. Run it with `npx tsx examples/legacy-readme.ts`.
import { pathToFileURL } from 'node:url';
import sspLib from '../lib/compat/index.js';
import { createEsspSimulator, createMemoryPair } from '../lib/testing/index.js';

const [port, line] = createMemoryPair();
const sim = createEsspSimulator(line, {
  profile: 'NV200',
  timing: { readMs: 50, rejectMs: 50, creditMs: 50 },
});

// ---- from the README, unchanged ----
// eslint-disable-next-line prefer-const -- as the README wrote it
let eSSP = new sspLib({
  id: 0,
  debug: false,
  timeout: 3000,
  fixedKey: '0123456701234567',
});
eSSP.on('OPEN', () => {
  console.log('open');
  eSSP
    .command('SYNC')
    .then(() => eSSP.command('HOST_PROTOCOL_VERSION', { version: 6 }))
    .then(() => eSSP.initEncryption())
    .then(() => eSSP.command('GET_SERIAL_NUMBER'))
    .then((result) => {
      console.log('SERIAL NUMBER:', result.info.serial_number);
      return;
    })
    .then(() => eSSP.enable())
    .then((result) => {
      if (result.status == 'OK') {
        console.log('Device is active');
      }
      return;
    });
});
eSSP.on('NOTE_REJECTED', (result) => {
  console.log('NOTE_REJECTED', result);
  eSSP.command('LAST_REJECT_CODE').then((result) => {
    console.log(result);
  });
});
eSSP.open(port);
// ---- end of the README's program ----

// Run directly: the simulated unit is handed a note it refuses, then the program stops.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  setTimeout(() => {
    sim.rejectNext();
    sim.insertNote(1);
  }, 1000);
  setTimeout(() => void eSSP.close().then(() => sim.dispose()), 2000);
}

export { eSSP, sim };
