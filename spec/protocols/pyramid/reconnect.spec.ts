/**
 * A Pyramid device given an opener instead of a transport: the back-off
 * schedule, the reopen sequence and what the streams say, in virtual time,
 * against fake lines (memory pairs) whose far end answers every poll with an
 * Idle status carrying the poll's ack, as an acceptor does.
 */
import { expect } from 'chai';
import { type Observable, ReplaySubject, defer, map, of, take, throwError } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { toHex } from '../../../lib/core/bytes.js';
import type { Diagnostic } from '../../../lib/core/diagnostics.js';
import {
  type CashwireError,
  CommandTimeoutError,
  InvalidArgumentError,
  OptionRangeError,
  TransportError,
} from '../../../lib/core/errors.js';
import type { DeviceEvent, DeviceState } from '../../../lib/core/events.js';
import { createPyramidDevice } from '../../../lib/protocols/pyramid/device.js';
import {
  type PyramidDevice,
  type PyramidDeviceOptions,
  resolveOptions,
} from '../../../lib/protocols/pyramid/device-types.js';
import { encodeDeviceReply } from '../../../lib/protocols/pyramid/status.js';
import { type MemoryTransport, createMemoryPair } from '../../../lib/transport/memory.js';
import type { Transport } from '../../../lib/transport/transport.js';
import { createTestScheduler } from '../../helpers/marbles.js';

const POLL_ACK0 = '02 08 10 7F 00 00 03 67';
const POLL_ACK1 = '02 08 11 7F 00 00 03 66';

interface Lines {
  /** Subscribed by the device whenever it wants a line. */
  readonly opener: Observable<Transport>;
  /** Scheduler time of every subscription to the opener. */
  readonly opens: number[];
  /** Host ends handed out, in order. */
  readonly hosts: MemoryTransport[];
  /** Far ends, in order. */
  readonly far: MemoryTransport[];
  /** Far ends whose data$ completed (the line was closed). */
  readonly closed: Set<number>;
  /** While false, opening fails as a vanished USB port does. */
  present: boolean;
  /** While false, the far end hears polls but does not answer (a dead acceptor behind a live adapter). */
  answering: boolean;
}

function fakeLines(ts: TestScheduler): Lines {
  const lines: Lines = {
    opens: [],
    hosts: [],
    far: [],
    closed: new Set(),
    present: true,
    answering: true,
    opener: defer(() => {
      lines.opens.push(ts.now());
      if (!lines.present) return throwError(() => new TransportError('Port /dev/ttyUSB0 does not exist.'));
      const [host, far] = createMemoryPair();
      const n = lines.far.length;
      lines.hosts.push(host);
      lines.far.push(far);
      far.data$.subscribe({
        next: (bytes) => {
          if (!lines.answering) return;
          const reply = encodeDeviceReply({ idling: true, cassettePresent: true }, (bytes[2]! & 1) as 0 | 1);
          far.write(reply).subscribe({ error: () => undefined });
        },
        error: () => undefined,
        complete: () => lines.closed.add(n),
      });
      return of(host);
    }),
  };
  return lines;
}

interface Seen {
  readonly device: PyramidDevice;
  readonly states: DeviceState[];
  readonly events: DeviceEvent[];
  readonly errors: (Diagnostic | CashwireError)[];
}

function start(target: Transport | Observable<Transport>, ts: TestScheduler, o: PyramidDeviceOptions): Seen {
  const device = createPyramidDevice(target, { scheduler: ts, ...o });
  const seen: Seen = { device, states: [], events: [], errors: [] };
  device.state$.subscribe((s) => seen.states.push(s));
  device.events$.subscribe((e) => seen.events.push(e));
  device.errors$.subscribe((e) => seen.errors.push(e));
  return seen;
}

const at = (ts: TestScheduler, ms: number, work: () => void): void =>
  void ts.schedule(work, Math.max(0, ms - ts.now()));
const raws = (seen: Seen, name: string): Record<string, unknown>[] =>
  seen.events.flatMap((e) => (e.type === 'raw' && e.name === name ? [e.data] : []));
const hex = (t: MemoryTransport): string[] => t.written.map((b) => toHex(b));
const LETTER: Readonly<Record<DeviceState['status'], string>> = {
  connecting: 'c',
  ready: 'y',
  enabled: 'e',
  disabled: 's',
  recovering: 'r',
  error: 'x',
  disposed: 'd',
};

describe('Pyramid device: reconnect options', () => {
  it('defaults to 1 s doubling up to 30 s', () => {
    expect(resolveOptions({}).reconnect).to.deep.equal({ initialDelayMs: 1000, maxDelayMs: 30_000 });
  });

  it('refuses delays out of range with an OptionRangeError naming the option', () => {
    expect(() => resolveOptions({ reconnect: { initialDelayMs: 5 } }))
      .to.throw(OptionRangeError)
      .with.property('message')
      .that.match(/'reconnect\.initialDelayMs'.*10 ms and 60000 ms/);
    expect(() => resolveOptions({ reconnect: { maxDelayMs: 700_000 } }))
      .to.throw(OptionRangeError)
      .with.property('message')
      .that.match(/'reconnect\.maxDelayMs'/);
    expect(() => resolveOptions({ reconnect: { initialDelayMs: Number.NaN } })).to.throw(OptionRangeError);
  });

  it('refuses a maximum below the initial delay when both are given, or a non-object', () => {
    expect(() => resolveOptions({ reconnect: { initialDelayMs: 500, maxDelayMs: 100 } })).to.throw(
      InvalidArgumentError,
      /maxDelayMs/,
    );
    expect(() => resolveOptions({ reconnect: 5 as never })).to.throw(InvalidArgumentError, /'reconnect'/);
  });

  it('lets the default of the other bound give way when only one is given', () => {
    expect(resolveOptions({ reconnect: { maxDelayMs: 500 } }).reconnect).to.deep.equal({
      initialDelayMs: 500,
      maxDelayMs: 500,
    });
    expect(resolveOptions({ reconnect: { initialDelayMs: 60_000 } }).reconnect).to.deep.equal({
      initialDelayMs: 60_000,
      maxDelayMs: 60_000,
    });
  });

  it('createPyramidDevice throws before subscribing to the opener', () => {
    let opened = 0;
    const opener = defer(() => {
      opened += 1;
      return of(createMemoryPair()[0]);
    });
    expect(() => createPyramidDevice(opener, { reconnect: { initialDelayMs: 1 } })).to.throw(
      OptionRangeError,
    );
    expect(opened).to.equal(0);
  });
});

describe('Pyramid device: reopening a lost line (virtual time)', () => {
  it('back-off: a port that cannot be opened is tried at 0, 10, 30, 70, 110, 150 ms (doubling, capped)', () => {
    const ts = createTestScheduler();
    ts.run(({ expectObservable }) => {
      const lines = fakeLines(ts);
      lines.present = false;
      const tries$ = new ReplaySubject<string>();
      const opener = lines.opener;
      const counted = defer(() => {
        tries$.next('o');
        return opener;
      });
      const seen = start(counted, ts, { reconnect: { initialDelayMs: 10, maxDelayMs: 40 } });
      expectObservable(tries$.pipe(take(6))).toBe('o 9ms o 19ms o 39ms o 39ms o 39ms (o|)');
      at(ts, 160, () => {
        // Never ready: still connecting, one attempt per try; each failed open is on errors$.
        expect(seen.states.map((s) => (s.status === 'connecting' ? s.attempt : s.status))).to.deep.equal([
          1, 2, 3, 4, 5, 6, 7,
        ]);
        expect(seen.errors).to.have.length(6);
        expect(seen.errors.every((e) => e instanceof TransportError)).to.equal(true);
        expect(raws(seen, 'line-lost')).to.deep.equal([]); // nothing was lost: it never opened
        seen.device.dispose();
      });
    });
  });

  it('reopen sequence: lost at 250 ms, reopened after the initial delay, polling goes on with the next ack', () => {
    const ts = createTestScheduler();
    let lines: Lines | undefined;
    ts.run(({ expectObservable }) => {
      lines = fakeLines(ts);
      const seen = start(lines.opener, ts, { reconnect: { initialDelayMs: 200 } });
      // Recorded from creation: expectObservable subscribes after the first poll went out.
      const states$ = new ReplaySubject<string>();
      seen.device.state$.pipe(map((s) => LETTER[s.status])).subscribe(states$);
      // Enabled at 100: the first reply is read twice (confirm.ts).
      expectObservable(states$).toBe('c 99ms e 149ms r 199ms e 49ms (d|)');
      at(ts, 250, () => lines!.hosts[0]!.breakLine());
      at(ts, 500, () => seen.device.dispose());
      at(ts, 500, () => {
        expect(seen.states[2]).to.deep.include({ status: 'recovering' });
        expect((seen.states[2] as { reason: string }).reason).to.match(
          /^line lost: The line of memory:host was cut\.; reopening in 200 ms$/,
        );
        expect(seen.errors.filter((e) => e instanceof TransportError)).to.have.length(1);
        expect(raws(seen, 'line-lost')).to.deep.equal([
          { reason: 'The line of memory:host was cut.', delayMs: 200 },
        ]);
        expect(raws(seen, 'line-back')).to.deep.equal([{ outageMs: 200, reopens: 1 }]);
      });
    });
    expect(lines!.opens).to.deep.equal([0, 450]);
    // Polls at 0, 100 (the first reply read again), 200 on the first line (all answered); the second
    // line starts with the next ack.
    expect(hex(lines!.hosts[0]!)).to.deep.equal([POLL_ACK0, POLL_ACK0, POLL_ACK1]);
    expect(hex(lines!.hosts[1]!)[0]).to.equal(POLL_ACK0);
    expect(lines!.closed.has(1)).to.equal(true); // dispose closed the line the device opened
  });

  it('a poll whose reply was lost as the line dropped goes out first on the new line, byte for byte', () => {
    const ts = createTestScheduler();
    let lines: Lines | undefined;
    ts.run(() => {
      lines = fakeLines(ts);
      const seen = start(lines.opener, ts, { reconnect: { initialDelayMs: 100 } });
      at(ts, 150, () => (lines!.answering = false)); // the poll at 200 goes unanswered...
      at(ts, 210, () => lines!.hosts[0]!.breakLine()); // ...and the cable comes out
      at(ts, 250, () => seen.device.setEnableMask(0x03).subscribe()); // changed during the outage
      at(ts, 300, () => (lines!.answering = true));
      at(ts, 600, () => seen.device.dispose());
    });
    // 0 and 100: the first reply and its confirmation read; the poll at 200 goes unanswered.
    expect(hex(lines!.hosts[0]!)).to.deep.equal([POLL_ACK0, POLL_ACK0, POLL_ACK1]);
    // The unanswered poll again (old mask, same ack), then the new mask with the next ack.
    expect(hex(lines!.hosts[1]!).slice(0, 3)).to.deep.equal([
      POLL_ACK1,
      '02 08 10 03 00 00 03 1B',
      '02 08 11 03 00 00 03 1A',
    ]);
    expect(lines!.opens).to.deep.equal([0, 310]);
  });

  it('a line that closes (data$ completes) is reopened too; the old one is not written to again', () => {
    const ts = createTestScheduler();
    let lines: Lines | undefined;
    ts.run(() => {
      lines = fakeLines(ts);
      const seen = start(lines.opener, ts, { reconnect: { initialDelayMs: 50 } });
      at(ts, 120, () => lines!.far[0]!.close().subscribe());
      at(ts, 400, () => seen.device.dispose());
    });
    expect(lines!.opens).to.deep.equal([0, 170]);
    expect(lines!.hosts[0]!.written).to.have.length(2);
    expect(lines!.hosts[1]!.written.length).to.be.greaterThan(1);
  });

  it('an acceptor silent for busyToleranceMs behind a live port: link down once, then the port is reopened', () => {
    const ts = createTestScheduler();
    let lines: Lines | undefined;
    let seen: Seen | undefined;
    ts.run(() => {
      lines = fakeLines(ts);
      seen = start(lines.opener, ts, { busyToleranceMs: 1000, reconnect: { initialDelayMs: 100 } });
      at(ts, 350, () => (lines!.answering = false)); // last reply: the poll at 300
      at(ts, 3000, () => (lines!.answering = true));
      at(ts, 6000, () => seen!.device.dispose());
    });
    // Timeouts at 650, 900, 1150, 1400 (400 + 4 x 250): silence reaches 1000 ms at 1400.
    expect(lines!.opens[1]).to.equal(1500);
    // The next line gets the whole tolerance again: 1000 ms of silence (4 x 250), then 200 ms back-off.
    expect(lines!.opens.slice(0, 3)).to.deep.equal([0, 1500, 2700]);
    expect(lines!.closed.has(0)).to.equal(true);
    expect(seen!.errors.filter((e) => e instanceof CommandTimeoutError)).to.have.length(1);
    const names = seen!.events.flatMap((e) => (e.type === 'raw' ? [e.name] : []));
    expect(names.filter((n) => n === 'link-down')).to.have.length(1);
    expect(raws(seen!, 'line-lost')[0]).to.deep.equal({
      reason: 'no reply from the acceptor for 1100 ms',
      delayMs: 100,
    });
    expect(raws(seen!, 'line-back')).to.have.length(1);
    expect(seen!.states[seen!.states.length - 2]).to.deep.equal({ status: 'enabled' });
  });

  it('after a loss, failed reopens back off and say why; the first reply ends the outage', () => {
    const ts = createTestScheduler();
    let lines: Lines | undefined;
    let seen: Seen | undefined;
    ts.run(() => {
      lines = fakeLines(ts);
      seen = start(lines.opener, ts, { reconnect: { initialDelayMs: 100, maxDelayMs: 300 } });
      // After the first reply was read twice (at 0 and 100): the unit was ready.
      at(ts, 150, () => {
        lines!.present = false;
        lines!.hosts[0]!.breakLine();
      });
      at(ts, 1000, () => (lines!.present = true));
      at(ts, 2000, () => seen!.device.dispose());
    });
    // Lost at 150; tries at 250, 450, 750 fail; 1050 opens.
    expect(lines!.opens).to.deep.equal([0, 250, 450, 750, 1050]);
    const reasons = seen!.states.flatMap((s) => (s.status === 'recovering' ? [s.reason] : []));
    expect(reasons).to.deep.equal([
      'line lost: The line of memory:host was cut.; reopening in 100 ms',
      'cannot open the line: Port /dev/ttyUSB0 does not exist.; reopening in 200 ms',
      'cannot open the line: Port /dev/ttyUSB0 does not exist.; reopening in 300 ms', // and again at 650
    ]);
    expect(raws(seen!, 'line-lost')).to.have.length(1);
    expect(raws(seen!, 'line-back')).to.deep.equal([{ outageMs: 900, reopens: 4 }]);
  });

  it('a mask set during the outage waits, goes out on the first new poll of the new line and then completes', () => {
    const ts = createTestScheduler();
    let lines: Lines | undefined;
    let doneAt: number | undefined;
    ts.run(() => {
      lines = fakeLines(ts);
      const seen = start(lines.opener, ts, { reconnect: { initialDelayMs: 500 } });
      at(ts, 150, () => lines!.hosts[0]!.breakLine());
      at(ts, 300, () => seen.device.setEnableMask(0x03).subscribe({ complete: () => (doneAt = ts.now()) }));
      at(ts, 1000, () => seen.device.dispose());
    });
    expect(lines!.opens).to.deep.equal([0, 650]);
    // The first line's replies at 0 and 100 (one reply read twice) moved the ack on once.
    expect(hex(lines!.hosts[1]!)[0]).to.equal('02 08 11 03 00 00 03 1A');
    expect(doneAt).to.equal(650);
  });

  it('a command on the line when it is lost fails with a TransportError; polling resumes on the new line', () => {
    const ts = createTestScheduler();
    let error: unknown;
    let lines: Lines | undefined;
    ts.run(() => {
      lines = fakeLines(ts);
      const seen = start(lines.opener, ts, { reconnect: { initialDelayMs: 100 } });
      at(ts, 120, () => {
        lines!.answering = false;
        seen.device.queryBarcode().subscribe({ error: (e: unknown) => (error = e) });
      });
      at(ts, 210, () => {
        lines!.answering = true;
        lines!.hosts[0]!.breakLine();
      });
      at(ts, 600, () => seen.device.dispose());
    });
    expect(error).to.be.instanceOf(TransportError);
    expect((error as Error).message).to.match(/outcome is unknown/);
    // The unanswered barcode query is sent again first (the ack rule), then polls.
    expect(hex(lines!.hosts[1]!)[0]).to.equal(hex(lines!.hosts[0]!).at(-1));
    expect(lines!.hosts[1]!.written.length).to.be.greaterThan(2);
  });

  it('dispose during the back-off cancels the next try and leaves no timer behind', () => {
    const ts = createTestScheduler();
    let lines: Lines | undefined;
    let pendingAfterDispose = -1;
    let seen: Seen | undefined;
    ts.run(() => {
      lines = fakeLines(ts);
      seen = start(lines.opener, ts, { reconnect: { initialDelayMs: 1000 } });
      at(ts, 100, () => lines!.hosts[0]!.breakLine());
      at(ts, 500, () => {
        seen!.device.dispose();
        pendingAfterDispose = ts.actions.length;
      });
    });
    expect(pendingAfterDispose).to.equal(0);
    expect(lines!.opens).to.deep.equal([0]);
    expect(seen!.states.at(-1)).to.deep.equal({ status: 'disposed' });
  });

  it('an opener that hands back the transport just lost (of(transport)) cannot reopen: the loss is final', () => {
    const ts = createTestScheduler();
    let seen: Seen | undefined;
    let subscriptions = 0;
    ts.run(() => {
      const [host, far] = createMemoryPair();
      far.data$.subscribe({
        next: (b) => far.write(encodeDeviceReply({ idling: true }, (b[2]! & 1) as 0 | 1)).subscribe(),
        error: () => undefined,
      });
      const opener = defer(() => {
        subscriptions += 1;
        return of(host);
      });
      seen = start(opener, ts, { reconnect: { initialDelayMs: 100 } });
      at(ts, 150, () => host.breakLine());
    });
    expect(subscriptions).to.equal(2); // the first line, and one try that got the same object back
    const last = seen!.states.at(-1)!;
    expect(last.status).to.equal('error');
    expect((last as { error: Error }).error.message).to.match(/gave back the line to memory:host/);
  });

  it('a plain Transport is not reopened: losing it ends in the error state, as before', () => {
    const ts = createTestScheduler();
    let seen: Seen | undefined;
    let completed = false;
    ts.run(() => {
      const [host, far] = createMemoryPair();
      far.data$.subscribe({
        next: (b) => far.write(encodeDeviceReply({ idling: true }, (b[2]! & 1) as 0 | 1)).subscribe(),
        error: () => undefined,
      });
      seen = start(host, ts, { reconnect: { initialDelayMs: 10 } });
      seen.device.events$.subscribe({ complete: () => (completed = true) });
      at(ts, 150, () => host.breakLine());
    });
    const last = seen!.states.at(-1)!;
    expect(last.status).to.equal('error');
    expect((last as { error: Error }).error).to.be.instanceOf(TransportError);
    expect(raws(seen!, 'line-lost')).to.deep.equal([]);
    expect(completed).to.equal(true);
  });
});
