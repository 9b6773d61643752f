/**
 * `SSP`: the Promise/EventEmitter API of the long-standing Node.js eSSP
 * library, for programs moving to cashwire without a rewrite. It is a thin
 * layer over cashwire's Observable eSSP bus and session: every command goes
 * through the same validation, encryption, sequence-flag and retry logic as
 * the reactive API, and nothing else in cashwire depends on this module.
 *
 * Behaviour chosen from how the old README's programs use it:
 * - `command()` resolves `{ status, command, info }`. When the device itself
 *   refuses (FAIL, KEY_NOT_SET, COMMAND_CANNOT_BE_PROCESSED …) the Promise
 *   still resolves, with that status: the README's programs test
 *   `result.status == 'OK'`. Problems found before anything is sent (unknown
 *   command, bad arguments, encryption needed, port not open) and lost
 *   replies reject with cashwire's typed errors.
 * - `initEncryption()` rejects when the key exchange is refused: a program
 *   that carried on would send everything in clear.
 * - `enable()` reads SETUP_REQUEST first when the program has not, so note
 *   events carry their value as money; it never changes channel inhibits.
 * - Poll events are emitted once per event in each POLL reply (a POLL resent
 *   after a lost reply is answered from the device's cache and counted once).
 */
import { EventEmitter } from 'node:events';
import { Subscription, firstValueFrom, map } from 'rxjs';
import { DecodeError, DeviceError, InvalidArgumentError, TransportError } from '../core/errors.js';
import { type Logger, logger } from '../core/log.js';
import { pollWhileIdle } from '../operators/poller.js';
import type { ArgsParam, EsspCommandName } from '../protocols/essp/commands/table.js';
import { ESSP_LINE } from '../protocols/essp/context.js';
import { parsePollReply } from '../protocols/essp/events/parse.js';
import { createEsspBus } from '../protocols/essp/session.js';
import type { EsspBus, EsspCommandReply, EsspSession } from '../protocols/essp/session-types.js';
import type { SetupInfo } from '../protocols/essp/setup.js';
import { openSerialTransport } from '../transport/serialport.js';
import type { Transport } from '../transport/transport.js';
import { type ResolvedSspOptions, type SspOptions, resolveSspOptions } from './options.js';
import {
  type EmptyInfo,
  type SspEvents,
  type SspResult,
  eventPayload,
  okResult,
  refusedResult,
} from './results.js';

/** What `initEncryption()` resolves with (the key material itself is never exposed). */
export interface SspEncryptionResult {
  readonly status: 'OK';
  readonly command: 'REQUEST_KEY_EXCHANGE';
  readonly info: EmptyInfo;
}

interface Link {
  readonly transport: Transport;
  readonly bus: EsspBus;
  readonly session: EsspSession;
  /** Line watch and debug traces; ended on close. */
  readonly watch: Subscription;
}

function isTransport(port: unknown): port is Transport {
  if (typeof port !== 'object' || port === null) return false;
  const p = port as Partial<Transport>;
  return typeof p.write === 'function' && typeof p.close === 'function' && typeof p.data$ === 'object';
}

export class SSP extends EventEmitter<SspEvents> {
  readonly #options: ResolvedSspOptions;
  readonly #log: Logger;
  #link: Link | undefined;
  #opening = false;
  #polling: Subscription | undefined;

  /** @throws InvalidArgumentError on an unknown option, a bad address, key or time. */
  constructor(options?: SspOptions) {
    super();
    this.#options = resolveSspOptions(options);
    const log = logger('compat');
    // `debug: true` turns this instance's log on whatever DEBUG says, as the old option did.
    if (this.#options.debug) (log as unknown as { enabled: boolean }).enabled = true;
    this.#log = log;
  }

  /** True between a successful open() and close() (or the loss of the line). */
  get isOpen(): boolean {
    return this.#link !== undefined;
  }

  /** True while background polling runs (between enable() and disable()). */
  get isPolling(): boolean {
    return this.#polling !== undefined;
  }

  /**
   * Open a serial port by path (9600 8N2) or take an already open Transport
   * (an in-memory line, a simulator's end). Emits OPEN. The port is closed by close().
   */
  async open(port: string | Transport): Promise<void> {
    if (this.#link !== undefined || this.#opening) {
      throw new InvalidArgumentError('This SSP instance is already open; call close() before opening again.');
    }
    if (typeof port !== 'string' && !isTransport(port)) {
      throw new InvalidArgumentError(
        'open() takes a serial port path (e.g. "/dev/ttyUSB0" or "COM1") or a cashwire Transport.',
      );
    }
    this.#opening = true;
    try {
      const transport =
        typeof port === 'string' ? await firstValueFrom(openSerialTransport(port, ESSP_LINE)) : port;
      this.#link = this.#attach(transport);
    } finally {
      this.#opening = false;
    }
    this.#log('open %s', this.#link.transport.description);
    this.emit('OPEN');
  }

  /** Stop polling, fail pending commands with DisposedError, close the port, emit CLOSE. */
  async close(): Promise<void> {
    const link = this.#detach();
    if (link === undefined) return;
    try {
      await firstValueFrom(link.transport.close(), { defaultValue: undefined });
    } finally {
      this.#log('closed %s', link.transport.description);
      this.emit('CLOSE');
    }
  }

  /** Diffie-Hellman key exchange; afterwards every command is encrypted. Rejects when it fails. */
  async initEncryption(): Promise<SspEncryptionResult> {
    const session = this.#session('REQUEST_KEY_EXCHANGE');
    await firstValueFrom(session.negotiateKey(), { defaultValue: undefined });
    this.#log('encryption key negotiated');
    return { status: 'OK', command: 'REQUEST_KEY_EXCHANGE', info: {} };
  }

  /** ENABLE, then poll in the background and emit each event by name. */
  async enable(): Promise<SspResult<'ENABLE'>> {
    const session = this.#session('ENABLE');
    if (session.context.unitKnown !== true) await this.#readSetup();
    const result = await this.command('ENABLE');
    if (result.status === 'OK') this.#startPolling();
    return result;
  }

  /** DISABLE and stop polling. */
  async disable(): Promise<SspResult<'DISABLE'>> {
    try {
      return await this.command('DISABLE');
    } finally {
      this.#stopPolling();
    }
  }

  /**
   * Send one command by its table name and resolve `{ status, command, info }`.
   * Rejects with UnknownCommandError, InvalidArgumentError, EncryptionRequiredError
   * or UnsupportedCommandError before anything is written; with
   * CommandTimeoutError when no reply came; resolves with the device's status otherwise.
   */
  async command<N extends EsspCommandName>(name: N, ...args: ArgsParam<N>): Promise<SspResult<N>> {
    const session = this.#session(name);
    const input: unknown = args[0];
    this.#log('command %s', name);
    let reply: EsspCommandReply<N>;
    try {
      reply = await firstValueFrom(session.send(name, input as never));
    } catch (e) {
      if (e instanceof DeviceError) {
        this.#log('%s refused: %s', name, e.response);
        return refusedResult(name, e);
      }
      throw e;
    }
    this.#learn(session, reply, input);
    return okResult(reply);
  }

  // ------------------------------------------------------------ internals

  #session(command: string): EsspSession {
    const link = this.#link;
    if (link === undefined) {
      throw new TransportError(`Cannot send ${command}: the port is not open. Call open() first.`, {
        command,
      });
    }
    return link.session;
  }

  #attach(transport: Transport): Link {
    const o = this.#options;
    const bus = createEsspBus(transport, { timeoutMs: o.attemptMs, attempts: o.attempts });
    const session = bus.session(o.id, {
      fixedKey: o.fixedKey,
      onKeyNotSet: (command) =>
        this.#log('%s: the device has no key (reset?); call initEncryption()', command),
    });
    const link: Link = { transport, bus, session, watch: new Subscription() };
    // The queue ends when the line closes or breaks: report it as CLOSE, once.
    link.watch.add(
      bus.queue.busy$.subscribe({ complete: () => this.#lost(link), error: () => this.#lost(link) }),
    );
    if (this.#log.enabled) {
      link.watch.add(
        session.trace$.subscribe((t) =>
          this.#log('%s %s %s %s', t.direction, t.name ?? '', t.note ?? '', t.hex),
        ),
      );
      link.watch.add(
        session.diagnostics$.subscribe((d) => this.#log('diagnostic %s: %s', d.kind, d.message)),
      );
    }
    return link;
  }

  /** Stop everything that uses the link; returns it (undefined when nothing was open). */
  #detach(): Link | undefined {
    const link = this.#link;
    if (link === undefined) return undefined;
    this.#link = undefined;
    this.#stopPolling();
    link.watch.unsubscribe();
    link.bus.dispose();
    return link;
  }

  #lost(link: Link): void {
    if (this.#link !== link) return;
    this.#log('line lost: %s', link.transport.description);
    this.#detach();
    link.transport.close().subscribe({ error: () => undefined });
    this.emit('CLOSE');
  }

  /** Keep the decoding context in step with what the program told the device. */
  #learn(session: EsspSession, reply: EsspCommandReply, input: unknown): void {
    switch (reply.command) {
      case 'HOST_PROTOCOL_VERSION': {
        const version = (input as { version: number }).version;
        session.context = { ...session.context, protocolVersion: version };
        break;
      }
      case 'SETUP_REQUEST':
        applySetup(session, reply.info as SetupInfo);
        break;
      case 'POLL':
        // A POLL sent by hand takes the events from the device: they must still reach the listeners.
        this.#dispatchPoll(session, (reply.info as { data: Uint8Array }).data);
        break;
      default:
        break;
    }
  }

  async #readSetup(): Promise<void> {
    try {
      const r = await this.command('SETUP_REQUEST');
      if (r.status !== 'OK')
        this.#log('SETUP_REQUEST refused (%s): events will carry channels only', r.status);
    } catch (e) {
      // A layout this version cannot read costs values on events, not the ability to take notes.
      if (!(e instanceof DecodeError)) throw e;
      this.#log('SETUP_REQUEST undecodable: %s', e.message);
    }
  }

  #startPolling(): void {
    const link = this.#link;
    if (link === undefined || this.#polling !== undefined) return;
    const { bus, session } = link;
    this.#polling = pollWhileIdle(
      bus.queue,
      () => session.send('POLL').pipe(map((r) => this.#dispatchPoll(session, r.info.data))),
      {
        intervalMs: this.#options.pollIntervalMs,
        scheduler: bus.scheduler,
        onError: (e) => this.#pollError(e),
      },
    ).subscribe();
    this.#log('polling every %d ms', this.#options.pollIntervalMs);
  }

  #stopPolling(): void {
    this.#polling?.unsubscribe();
    this.#polling = undefined;
  }

  #pollError(e: unknown): void {
    const error = e instanceof Error ? e : new Error(String(e));
    this.#log('poll failed: %s', error.message);
    if (this.listenerCount('POLL_ERROR') > 0) this.emit<'POLL_ERROR'>('POLL_ERROR', error);
  }

  #dispatchPoll(session: EsspSession, data: Uint8Array): void {
    const reply = parsePollReply(data, session.context);
    if (reply.diagnostic) this.#log('poll reply: %s', reply.diagnostic.message);
    let failure: { error: unknown } | undefined;
    for (const event of reply.events) {
      this.#log('event %s', event.event);
      // A throwing listener must not cost the events after it (a credit among them).
      try {
        this.emit(event.event, eventPayload(event) as never);
      } catch (e) {
        failure ??= { error: e };
      }
    }
    // Then it surfaces as any uncaught error of the application would.
    if (failure !== undefined) {
      const { error } = failure;
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}

/** Channel values, currency and protocol level from SETUP_REQUEST: what turns channels into money. */
function applySetup(session: EsspSession, setup: SetupInfo): void {
  const validator = setup.kind !== 'printer';
  session.context = {
    ...session.context,
    ...(validator && { protocolVersion: setup.protocolVersion }),
    unitType: setup.unitType,
    unitKnown: true,
    channels: validator ? setup.channels.map((c) => c.value) : [],
    ...(validator && { currency: setup.country }),
  };
}
