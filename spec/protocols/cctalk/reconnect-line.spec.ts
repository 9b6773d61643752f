/**
 * The ccTalk bus on an opener, in virtual time: when it opens, how long it
 * waits between reopen attempts, what requests see while the line is down,
 * and that nothing is left scheduled after dispose.
 */
import { expect } from 'chai';
import { type Observable, Subject, catchError, defer, map, mergeMap, of, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  DisposedError,
  InvalidArgumentError,
  OptionRangeError,
  TransportError,
} from '../../../lib/core/errors.js';
import { backoffDelay } from '../../../lib/operators/backoff.js';
import { createCcTalkBus } from '../../../lib/protocols/cctalk/bus.js';
import { encodeFrame } from '../../../lib/protocols/cctalk/framing.js';
import type { CcTalkLineState } from '../../../lib/protocols/cctalk/line.js';
import { type MemoryTransport, createMemoryPair } from '../../../lib/transport/memory.js';
import type { Transport } from '../../../lib/transport/transport.js';

const ts = (): TestScheduler =>
  new TestScheduler((a, b) => {
    expect(a).to.deep.equal(b);
  });

const letter = (s: CcTalkLineState): string =>
  ({ idle: 'i', opening: 'o', open: 'u', down: 'd', closed: 'c' })[s.status];

/** An opener handing out fresh memory pairs; the device ends ACK every frame they receive. */
function pairOpener(): {
  opener: Observable<Transport>;
  hosts: MemoryTransport[];
  devices: MemoryTransport[];
} {
  const hosts: MemoryTransport[] = [];
  const devices: MemoryTransport[] = [];
  const opener = defer(() => {
    const [host, device] = createMemoryPair();
    device.data$.subscribe({
      next: (bytes) => {
        if (bytes[0] !== 1)
          device.write(encodeFrame({ destination: 1, source: bytes[0]!, header: 0 }, 'simple')).subscribe();
      },
      error: () => undefined,
    });
    hosts.push(host);
    devices.push(device);
    return of<Transport>(host);
  });
  return { opener, hosts, devices };
}

describe('ccTalk bus on an opener: reopen schedule (marbles)', () => {
  it('opens on first use, then waits initialDelayMs, doubling up to maxDelayMs, between failed attempts', () => {
    const scheduler = ts();
    scheduler.run(({ cold, expectSubscriptions, flush }) => {
      const opener = cold<Transport>('#', undefined, new TransportError('Port /dev/ttyUSB0 does not exist.'));
      const bus = createCcTalkBus(opener, { reconnect: { initialDelayMs: 100, maxDelayMs: 400 } });
      const seen: string[] = [];
      bus.line$.subscribe((s) => seen.push(`${scheduler.now()} ${letter(s)}`));
      cold('10ms a').subscribe(() => bus.open());
      cold('1600ms a').subscribe(() => bus.dispose());
      flush();
      expectSubscriptions(opener.subscriptions).toBe([
        '10ms (^!)',
        '110ms (^!)',
        '310ms (^!)',
        '710ms (^!)',
        '1110ms (^!)',
        '1510ms (^!)',
      ]);
      // i idle, o opening, d down, c closed.
      expect(seen).to.deep.equal([
        '0 i',
        ...[10, 110, 310, 710, 1110, 1510].flatMap((t) => [`${t} o`, `${t} d`]),
        '1600 c',
      ]);
    });
  });

  it('publishes the wait and attempt number of each failed attempt, from the shared back-off formula', () => {
    ts().run(({ cold, flush }) => {
      const opener = cold<Transport>('#', undefined, new TransportError('gone'));
      const bus = createCcTalkBus(opener, { reconnect: { initialDelayMs: 50, maxDelayMs: 300 } });
      const waits: number[] = [];
      const attempts: number[] = [];
      bus.line$.subscribe((s) => {
        if (s.status === 'down') waits.push(s.retryInMs);
        if (s.status === 'opening') attempts.push(s.attempt);
      });
      bus.open();
      cold('1000ms a').subscribe(() => bus.dispose());
      flush();
      expect(waits).to.deep.equal([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, 50, 300)));
      expect(attempts).to.deep.equal([1, 2, 3, 4, 5, 6]);
    });
  });

  it('reopens a cut line; requests fail at once while it is down and wait while it is opening', () => {
    const scheduler = ts();
    scheduler.run(({ cold, expectObservable, flush }) => {
      const { opener, hosts } = pairOpener();
      let opens = 0;
      const counted = defer(() => {
        opens += 1;
        // The second open takes 30 ms (a USB port coming back).
        return opens === 2
          ? cold<Transport>('30ms a|', { a: undefined as never }).pipe(mergeMap(() => opener))
          : opener;
      });
      const bus = createCcTalkBus(counted, {
        echo: 'never',
        reconnect: { initialDelayMs: 100, maxDelayMs: 1000 },
      });
      const states: string[] = [];
      bus.line$.subscribe((s) =>
        states.push(`${scheduler.now()} ${s.status === 'open' ? `open ${s.generation}` : s.status}`),
      );
      const poll = (): Observable<string> =>
        bus.request(2, 'SIMPLE_POLL').pipe(
          map(() => 'a'),
          catchError((e: unknown) => of(e instanceof TransportError ? 'T' : 'x')),
        );
      // The first request opens the line and is answered on it.
      expectObservable(poll()).toBe('(a|)');
      cold('50ms a').subscribe(() => hosts[0]!.breakLine());
      // Down from 50 to 150: a request fails at once.
      expectObservable(cold('60ms a').pipe(mergeMap(poll))).toBe('60ms T');
      const downErrors: TransportError[] = [];
      cold('70ms a').subscribe(() =>
        bus.request(2, 'SIMPLE_POLL').subscribe({ error: (e: TransportError) => downErrors.push(e) }),
      );
      // Opening from 150 to 180: a request waits, then goes out on generation 2.
      expectObservable(cold('160ms a').pipe(mergeMap(poll))).toBe('180ms a');
      flush();
      expect(opens).to.equal(2);
      // It says how long until the next attempt (due at 150).
      expect(downErrors[0]!.info).to.include({ retryInMs: 80 });
      expect(downErrors[0]!.message).to.match(/cut.*next attempt to open it is in 80 ms/);
      expect(states).to.deep.equal([
        '0 idle',
        '0 opening',
        '0 open 1',
        '50 down',
        '150 opening',
        '180 open 2',
      ]);
      expect(hosts[1]!.written).to.have.length(1);
      bus.dispose();
      // The bus opened these transports, so it closes them.
      const refused: unknown[] = [];
      hosts[1]!.write(Uint8Array.of(0)).subscribe({ error: (e: unknown) => refused.push(e) });
      expect(refused[0]).to.be.instanceOf(TransportError);
    });
  });

  it('restarts the back-off once bytes arrive on a reopened line, and not before', () => {
    ts().run(({ cold, flush }) => {
      const { opener, hosts } = pairOpener();
      const bus = createCcTalkBus(opener, {
        echo: 'never',
        reconnect: { initialDelayMs: 100, maxDelayMs: 1000 },
      });
      const waits: number[] = [];
      bus.line$.subscribe((s) => {
        if (s.status === 'down') waits.push(s.retryInMs);
      });
      const poll = (): void => {
        bus.request(2, 'SIMPLE_POLL').subscribe({ error: () => undefined });
      };
      poll(); // opens generation 1, which answers
      cold('50ms a').subscribe(() => hosts[0]!.breakLine()); // reopened at 150
      cold('160ms a').subscribe(() => hosts[1]!.breakLine()); // nothing came on it: 200 ms
      cold('370ms a').subscribe(poll); // generation 3 answers...
      cold('400ms a').subscribe(() => hosts[2]!.breakLine()); // ...so the pause is 100 ms again
      cold('600ms a').subscribe(() => bus.dispose());
      flush();
      expect(waits).to.deep.equal([100, 200, 100]);
      expect(hosts).to.have.length(4);
    });
  });

  it('treats a failed write as a lost line, and leaves nothing scheduled after dispose', () => {
    const scheduler = ts();
    scheduler.run(({ cold, flush }) => {
      let opens = 0;
      const broken: Transport = {
        description: 'broken',
        data$: new Subject<Uint8Array>(),
        write: () => throwError(() => new Error('EIO')),
        close: () => of(undefined),
      };
      const bus = createCcTalkBus(
        defer(() => {
          opens += 1;
          return of(broken);
        }),
        { reconnect: { initialDelayMs: 100, maxDelayMs: 100 } },
      );
      const errors: unknown[] = [];
      const poll = (): void => {
        bus.request(2, 'SIMPLE_POLL').subscribe({ error: (e: unknown) => errors.push(e) });
      };
      poll(); // opens at 0; the write fails: down, reopened at 100
      cold('150ms a').subscribe(poll); // fails again: the next open is due at 250...
      cold('240ms a').subscribe(() => bus.dispose()); // ...but the bus is disposed first
      flush();
      expect(errors).to.have.length(2);
      expect(errors[0]).to.be.instanceOf(TransportError);
      expect((errors[0] as TransportError).message).to.match(/EIO/);
      expect(opens).to.equal(2);
      expect(scheduler.actions.filter((a) => !a.closed)).to.have.length(0);
      const after: unknown[] = [];
      bus.request(2, 'SIMPLE_POLL').subscribe({ error: (e: unknown) => after.push(e) });
      expect(after[0]).to.be.instanceOf(DisposedError);
    });
  });
});

describe('ccTalk bus options: reconnect', () => {
  const [host] = createMemoryPair();
  const opener = of<Transport>(host);
  it('rejects reconnect with a Transport (it cannot be reopened)', () => {
    expect(() => createCcTalkBus(host, { reconnect: {} })).to.throw(InvalidArgumentError, /opener/);
  });
  it('checks the delays', () => {
    expect(() => createCcTalkBus(opener, { reconnect: { initialDelayMs: 5 } })).to.throw(
      OptionRangeError,
      /reconnect.initialDelayMs/,
    );
    expect(() => createCcTalkBus(opener, { reconnect: { maxDelayMs: 1e9 } })).to.throw(
      OptionRangeError,
      /reconnect.maxDelayMs/,
    );
    expect(() => createCcTalkBus(opener, { reconnect: { initialDelayMs: 2000, maxDelayMs: 1000 } })).to.throw(
      InvalidArgumentError,
      /must not be below/,
    );
  });
  it('a lost Transport closes the bus for good', () => {
    const [h] = createMemoryPair();
    const bus = createCcTalkBus(h);
    const states: string[] = [];
    bus.line$.subscribe({ next: (s) => states.push(s.status), complete: () => states.push('|') });
    h.breakLine();
    expect(states).to.deep.equal(['open', 'closed', '|']);
    const errors: unknown[] = [];
    bus.request(2, 'SIMPLE_POLL').subscribe({ error: (e: unknown) => errors.push(e) });
    expect(errors[0]).to.be.instanceOf(TransportError);
  });
});
