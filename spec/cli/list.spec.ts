import { expect } from 'chai';
import { Command } from 'commander';
import { of, throwError } from 'rxjs';
import { describePort, registerListCommand, runList } from '../../lib/cli/commands/list.js';
import { guessUsbDevice, normalizeUsbId } from '../../lib/cli/probe/usb.js';
import { TransportError } from '../../lib/core/errors.js';
import type { PortInfo } from '../../lib/transport/serialport.js';
import { fakeIo } from './harness.js';

const PORTS: PortInfo[] = [
  { path: '/dev/ttyUSB0', vendorId: '0403', productId: '6001', manufacturer: 'FTDI' },
  { path: '/dev/ttyACM0', vendorId: '191C', productId: '4104', manufacturer: 'Innovative Technology LTD' },
  { path: '/dev/ttyS0' },
  { path: '/dev/ttyUSB1', vendorId: '2341', productId: '0043' },
];

describe('cashwire list', () => {
  it('guesses from the USB vendor id: ITL, the usual bridges, otherwise unknown', () => {
    expect(guessUsbDevice('191c')?.protocols).to.deep.equal(['essp', 'cctalk']);
    for (const bridge of ['0403', '067b', '1a86', '10c4', '0x10C4']) {
      expect(guessUsbDevice(bridge)?.guess, bridge).to.match(/USB-serial adapter: ccTalk, Pyramid or eSSP/);
    }
    expect(guessUsbDevice('2341')).to.equal(undefined);
    expect(guessUsbDevice(undefined)).to.equal(undefined);
    expect(describePort({ path: '/dev/ttyUSB9', vendorId: '2341' }).guess).to.equal('unknown');
    expect(describePort({ path: '/dev/ttyS0' }).guess).to.match(/not USB.*unknown/);
    expect(normalizeUsbId('0x191C')).to.equal('191c');
    expect(normalizeUsbId('43')).to.equal('0043');
    expect(normalizeUsbId('nope')).to.equal(undefined);
  });

  it('prints a table sorted by path with ids and guesses, then the next step', async () => {
    const { io, out } = fakeIo();
    expect(await runList({ list: () => of(PORTS) }, io)).to.equal(0);
    expect(out[0]).to.match(/^PORT\s+VID:PID\s+MANUFACTURER\s+PROBABLY$/);
    expect(out.slice(1, 5).map((l) => l.split(/\s+/)[0])).to.deep.equal([
      '/dev/ttyACM0',
      '/dev/ttyS0',
      '/dev/ttyUSB0',
      '/dev/ttyUSB1',
    ]);
    expect(out[1]).to.match(/191c:4104 .*ITL unit/);
    expect(out[3]).to.match(/0403:6001\s+FTDI\s+USB-serial adapter/);
    expect(out[4]).to.match(/2341:0043\s+-\s+unknown$/);
    expect(out.at(-1)).to.match(/cashwire probe --port/);
  });

  it('--json: one array with the port details and the guess', async () => {
    const { io, out } = fakeIo();
    expect(await runList({ json: true, list: () => of(PORTS) }, io)).to.equal(0);
    expect(out).to.have.length(1);
    const listed = JSON.parse(out[0]!) as Record<string, string>[];
    expect(listed[0]).to.deep.include({
      path: '/dev/ttyACM0',
      vendorId: '191C',
      productId: '4104',
      vendor: 'Innovative Technology (ITL)',
    });
    expect(listed.map((p) => p['guess'])).to.have.length(4);
  });

  it('no ports: says so and what to do, exit 0', async () => {
    const { io, out } = fakeIo();
    expect(await runList({ list: () => of([]) }, io)).to.equal(0);
    expect(out).to.deep.equal([
      'No serial ports found. Plug the device or its USB-serial cable in, then run `cashwire list` again.',
    ]);
  });

  it('listing fails (no udevadm): exit 1 with one line saying why and what to do', async () => {
    const { io, out, err } = fakeIo();
    const failing = () =>
      throwError(
        () =>
          new TransportError(
            'Could not list serial ports: spawn udevadm ENOENT. Install udev (it provides `udevadm`), or open the port by its path.',
          ),
      );
    expect(await runList({ list: failing }, io)).to.equal(1);
    expect(out).to.deep.equal([]);
    expect(err).to.deep.equal([
      'cashwire: Could not list serial ports: spawn udevadm ENOENT. Install udev (it provides `udevadm`), ' +
        'or open the port by its path, e.g. cashwire probe --port /dev/ttyUSB0',
    ]);
    const other = () => throwError(() => new Error('EACCES'));
    expect(await runList({ list: other }, io)).to.equal(1);
    expect(err.at(-1)).to.equal(
      'cashwire: EACCES. You can still probe a port by its path, e.g. cashwire probe --port /dev/ttyUSB0',
    );
  });

  it('help lists the options and an Examples block', () => {
    const program = new Command('cashwire').exitOverride();
    registerListCommand(program, fakeIo().io);
    const list = program.commands.find((c) => c.name() === 'list')!;
    let text = '';
    list.configureOutput({ writeOut: (s) => (text += s) });
    list.outputHelp();
    expect(text).to.contain('--json');
    expect(text).to.match(/Examples:\n\s+cashwire list\n/);
  });
});
