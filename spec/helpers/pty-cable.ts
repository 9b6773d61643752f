/**
 * A serial cable that can be pulled and plugged back, for tests of a driver's
 * reconnect path over the operating system's real serial layer. socat joins
 * two ptys reached through fixed symlinks in a temporary directory (`dev` for
 * the host, `sim` for the unit). Killing socat is the cable coming out: the
 * host's port dies and its path vanishes. Starting socat again with the same
 * links is the cable going back in, so a driver that reopens by path finds
 * the port again. (spec/helpers/pty.ts makes an anonymous pair instead: its
 * paths change on every start, so it cannot model a replug.)
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Observable, Subject, type Subscription, defer, firstValueFrom, lastValueFrom } from 'rxjs';
import { openSerialTransport } from '../../lib/transport/serialport.js';
import type { LineSettings, Transport } from '../../lib/transport/transport.js';

export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Whether socat can be run here. The cable specs skip without it rather than
 * fail: socat is a test-machine tool, not something the library needs.
 */
export function socatAvailable(): boolean {
  return spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
}

export interface PtyCable {
  /** The path the host (driver) opens. Stable across pull and plug. */
  readonly hostPath: string;
  /** The path the simulated unit's side opens. Stable across pull and plug. */
  readonly unitPath: string;
  /** What the simulated unit is bound to for the whole test: the unit's side of the cable (see {@link UnitSide}). */
  readonly unit: Transport;
  /** Opens the host's end by path, as a driver's opener does on every (re)connect. */
  readonly openHost: Observable<Transport>;
  /** Starts socat, waits for both links and plugs the unit's side into its end. */
  plug(): Promise<void>;
  /** Stops socat (if running), waits until it has exited (both links gone) and unplugs the unit's side. */
  pull(): Promise<void>;
  /** Pulls the cable and removes the temporary directory. */
  dispose(): Promise<void>;
}

/**
 * A cable whose links live in a fresh temporary directory named after
 * `prefix`, both ends opened with `settings`; not plugged yet.
 */
export function createPtyCable(prefix: string, settings: LineSettings): PtyCable {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const hostPath = join(dir, 'dev');
  const unitPath = join(dir, 'sim');
  const side = createUnitSide('unit side');
  let child: ChildProcess | undefined;

  const stopSocat = (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGTERM');
    });
  };
  const pull = async (): Promise<void> => {
    await stopSocat();
    await side.unplug();
  };

  return {
    hostPath,
    unitPath,
    unit: side.transport,
    openHost: defer(() => openSerialTransport(hostPath, settings)),
    async plug() {
      await pull(); // never two socats racing for the same links
      const started = spawn('socat', [`pty,raw,echo=0,link=${hostPath}`, `pty,raw,echo=0,link=${unitPath}`], {
        stdio: 'ignore',
      });
      child = started;
      // socat makes the links only after it is up: poll for them, and give up if it died or stalled.
      for (let waited = 0; !(existsSync(hostPath) && existsSync(unitPath)); waited += 20) {
        if (waited > 5000 || started.exitCode !== null) throw new Error('socat did not create the pty links');
        await pause(20);
      }
      side.plug(await firstValueFrom(openSerialTransport(unitPath, settings)));
    },
    pull,
    async dispose() {
      await pull();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface UnitSide {
  /** What the simulator is bound to, once, for the whole test. */
  readonly transport: Transport;
  /** Connects the unit's side to a freshly opened port at the cable's unit end. */
  plug(port: Transport): void;
  /** Disconnects and closes the current port; the simulator stays bound and keeps its state. */
  unplug(): Promise<void>;
}

/**
 * The unit's side of the cable. A simulator is bound to one transport for its
 * whole life, like a powered unit that keeps its state while its cable is out;
 * this one forwards to whichever real port is plugged in at the moment. While
 * nothing is plugged, what the unit writes is lost, and a write racing the pull
 * fails silently: a unit talking into a dead line does not crash.
 */
function createUnitSide(description: string): UnitSide {
  const data$ = new Subject<Uint8Array>();
  let port: Transport | undefined;
  let sub: Subscription | undefined;
  return {
    transport: {
      data$,
      write: (bytes) =>
        defer(() =>
          port === undefined
            ? Promise.resolve()
            : lastValueFrom(port.write(bytes), { defaultValue: undefined }).catch(() => undefined),
        ),
      close: () => defer(() => Promise.resolve()),
      description,
    },
    plug(p) {
      port = p;
      // The port's death is the cable's business, not the simulator's: its error is not passed on.
      sub = p.data$.subscribe({ next: (b) => data$.next(b), error: () => undefined });
    },
    async unplug() {
      sub?.unsubscribe();
      const p = port;
      port = undefined;
      if (p) await lastValueFrom(p.close(), { defaultValue: undefined }).catch(() => undefined);
    },
  };
}
