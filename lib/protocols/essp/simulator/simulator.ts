/**
 * A virtual eSSP unit on a transport: it deframes what the host writes,
 * answers frames addressed to it byte for byte as a device would, and offers
 * a scenario API (insert notes, jam, pull the cashbox, power-cycle...) plus
 * the truth a test compares the host's view against (`stats`).
 *
 *   const [host, line] = createMemoryPair();
 *   const sim = createEsspSimulator(line, { profile: 'NV9USB', scheduler });
 *   sim.insertNote(1);
 */
import { Subject, asyncScheduler, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { InvalidArgumentError } from '../../../core/errors.js';
import { formatMoney, type Money } from '../../../core/money.js';
import type { Transport } from '../../../transport/transport.js';
import { lookupCommand, type EsspCommandName } from '../commands/table.js';
import { randomExponent } from '../crypto/dh.js';
import { cryptoRandom, DEFAULT_FIXED_KEY, parseFixedKey, type RandomSource } from '../crypto/key.js';
import type { EncodeOptions } from '../events/encode.js';
import type { EsspEventName } from '../events/types.js';
import { assertEsspAddress, type EsspFrame } from '../framing.js';
import { createEsspParser } from '../parser.js';
import { dispatch, type HandlerContext, type ReplyOverride } from './handlers/index.js';
import { DEFAULT_TIMING, EsspMachine, type EsspTiming } from './machine.js';
import { esspProfile, type EsspProfile, type EsspProfileName } from './profiles.js';
import { createState, event, type EsspSimulatorStats, type SimState } from './state.js';
import { createDeviceLink, type WireIntercept } from './wire.js';

export interface EsspSimulatorOptions {
  /** Profile name or a full profile (see esspProfile()). */
  readonly profile: EsspProfileName | EsspProfile;
  /** SSP address; default: the profile's (0x00, SMART Hopper 0x10). */
  readonly address?: number;
  /** Fixed key half as 16 hex digits; default '0123456701234567'. */
  readonly fixedKey?: string;
  /** Answer KEY NOT SET to plain commands until a key is negotiated. Default: the profile's. */
  readonly requireEncryption?: boolean;
  /** Dataset currency when `profile` is a name. Default EUR. */
  readonly currency?: string;
  readonly scheduler?: SchedulerLike;
  /** Documented event framings (default) or the alternate ones of fact sheet 14.2a. */
  readonly eventVariant?: 'documented' | 'alternate' | readonly EsspEventName[];
  readonly timing?: Partial<EsspTiming>;
  /** Packing bytes of encrypted replies (and the default key exponent). Default: platform CSPRNG. */
  readonly random?: RandomSource;
  /** Device Diffie-Hellman exponent for a modulus; inject for fixed test vectors. */
  readonly exponent?: (modulus: bigint) => bigint;
}

export interface EsspSimulator {
  readonly profile: EsspProfile;
  readonly address: number;
  /** What really happened to the money (read-only snapshot). */
  readonly stats: EsspSimulatorStats;
  /** Stored count per denomination, index 0 = channel 1. */
  readonly levels: readonly number[];
  /** Human-readable lines describing what the unit does. */
  readonly log$: Observable<string>;
  /** Put a note of `channel` (1-based) in the bezel. False when the unit cannot take it now. */
  insertNote(channel: number): boolean;
  /** Insert the note (or, on a hopper, the coin) of this value. */
  insertValue(value: Money): boolean;
  /** The next inserted note is refused with this reject code (default 0x02, not recognised). */
  rejectNext(reason?: number): void;
  jam(safe?: boolean): void;
  clearJam(): void;
  fraud(): void;
  removeCashbox(): void;
  replaceCashbox(): void;
  fillStacker(): void;
  powerCycle(): void;
  /** Set stored counts, by index (array) or by value in minor units. */
  setLevels(levels: readonly number[] | Readonly<Record<number, number>>): void;
  /** Answer one command (code or table name) differently; returns a function that removes the override. */
  override(command: number | EsspCommandName, handler: ReplyOverride): () => void;
  /** Watch or alter every frame in and reply out (fault injection); returns a remover. */
  intercept(hooks: WireIntercept): () => void;
  dispose(): void;
}

/** Generic response 0xF6: what the unit answers when a behaviour throws. */
const SOFTWARE_ERROR = 0xf6;

function alternate(variant: EsspSimulatorOptions['eventVariant']): EncodeOptions {
  if (variant === undefined || variant === 'documented') return {};
  return { alternateFraming: variant === 'alternate' ? true : variant };
}

export function createEsspSimulator(transport: Transport, options: EsspSimulatorOptions): EsspSimulator {
  const base =
    typeof options.profile === 'string'
      ? esspProfile(options.profile, options.currency === undefined ? {} : { currency: options.currency })
      : options.profile;
  const profile: EsspProfile =
    options.requireEncryption === undefined
      ? base
      : { ...base, requireEncryption: options.requireEncryption };
  const address = options.address ?? profile.address;
  assertEsspAddress(address);
  const scheduler = options.scheduler ?? asyncScheduler;
  const random = options.random ?? cryptoRandom;
  const exponent = options.exponent ?? ((m: bigint) => randomExponent(m, random));
  const log$ = new Subject<string>();
  const log = (line: string): void => log$.next(`${profile.name}@${address}: ${line}`);

  const state: SimState = createState(profile, parseFixedKey(options.fixedKey ?? DEFAULT_FIXED_KEY));
  const machine = new EsspMachine(state, {
    scheduler,
    timing: { ...DEFAULT_TIMING, ...options.timing },
    log,
    onPowerCycle: () => link.reset(),
  });
  const overrides = new Map<number, ReplyOverride>();
  const intercepts: WireIntercept[] = [];
  const eventOptions = alternate(options.eventVariant);

  // Effects a command asked for (ctx.after), run once its reply is on its way.
  let effects: (() => void)[] | undefined;
  // One context per kind of packet, built once: handlers only read it.
  const contextFor = (encrypted: boolean): HandlerContext => ({
    state,
    machine,
    profile,
    encrypted,
    random,
    exponent,
    eventOptions,
    after: (fn) => void (effects ??= []).push(fn),
    log,
  });
  const plainContext = contextFor(false);
  const encryptedContext = contextFor(true);

  const execute = (data: Uint8Array, encrypted: boolean): Uint8Array => {
    const code = data[0]!;
    machine.commandReceived(code === 0x07 || code === 0x56);
    try {
      return dispatch(encrypted ? encryptedContext : plainContext, data, overrides);
    } catch (e) {
      // A behaviour (or a test override) failed: answer as a unit with a firmware fault would.
      effects = undefined;
      log(
        `command 0x${code.toString(16).padStart(2, '0')} failed: ${e instanceof Error ? e.message : String(e)}`,
      );
      return Uint8Array.of(SOFTWARE_ERROR);
    }
  };

  const link = createDeviceLink({ address, session: () => state.keys.session, execute, intercepts, log });

  /** Run the effects of the command just answered (and any they add themselves, in order). */
  const runEffects = (): void => {
    while (effects !== undefined) {
      const list = effects;
      effects = undefined;
      for (const effect of list) effect();
    }
  };

  // Frames are handled one at a time: a host answering synchronously (memory
  // transport) must not re-enter the unit while it is still replying.
  const parser = createEsspParser();
  const inbox: Uint8Array[] = [];
  let busy = false;
  const writes = new Set<Subscription>();
  const writeFailed = {
    error: (e: unknown) => log(`write failed: ${e instanceof Error ? e.message : String(e)}`),
  };
  const write = (wire: Uint8Array): void => {
    const sub = transport.write(wire).subscribe(writeFailed);
    // Keep only writes still in flight (serial ports complete later) so dispose() can drop them.
    if (!sub.closed) {
      writes.add(sub);
      sub.add(() => writes.delete(sub));
    }
  };
  const handle = (frame: EsspFrame): void => {
    let wire: Uint8Array | undefined;
    try {
      wire = link.receive(frame);
    } catch (e) {
      // Only a test override can produce a reply too long to frame or encrypt.
      effects = undefined;
      log(`reply not sent: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    if (wire !== undefined) write(wire);
    if (effects !== undefined) runEffects();
  };
  const drain = (): void => {
    if (busy) return;
    busy = true;
    try {
      for (let chunk = inbox.shift(); chunk !== undefined; chunk = inbox.shift()) {
        const outputs = parser.push(chunk);
        for (let i = 0; i < outputs.length; i++) {
          const out = outputs[i]!;
          if (out.type === 'frame') handle(out.frame);
        }
      }
    } finally {
      busy = false;
    }
  };
  const input = transport.data$.subscribe({
    next: (chunk) => {
      machine.lineActivity();
      inbox.push(chunk);
      drain();
    },
    error: () => log('line lost'),
  });

  const channelOf = (value: Money): number => {
    if (value.currency !== profile.currency) return 0;
    return profile.channels.indexOf(value.amount) + 1;
  };

  const insertCoin = (channel: number): boolean => {
    if (!state.enabled || channel < 1 || channel > profile.channels.length) {
      log(`coin on channel ${channel} not taken: ${state.enabled ? 'no such coin' : 'unit disabled'}`);
      return false;
    }
    const value = { amount: profile.channels[channel - 1]!, currency: profile.currency };
    state.stats.inserted++;
    state.stats.creditedValue += value.amount;
    machine.emit(event('COIN_CREDIT', { value }));
    if (state.routes[channel - 1] === 0) {
      state.levels[channel - 1]!++;
      state.stats.stored++;
    } else state.stats.accepted++;
    log(`coin of ${formatMoney(value)} credited`);
    return true;
  };

  return {
    profile,
    address,
    get stats() {
      return { ...state.stats };
    },
    get levels() {
      return [...state.levels];
    },
    log$: log$.asObservable(),
    insertNote: (channel) => {
      if (profile.family === 'hopper') return insertCoin(channel);
      return machine.notes.insert(channel);
    },
    insertValue(value) {
      const channel = channelOf(value);
      if (channel === 0) {
        throw new InvalidArgumentError(`${profile.name} has no channel for ${formatMoney(value)}.`, {
          value,
        });
      }
      return this.insertNote(channel);
    },
    rejectNext: (reason = 0x02) => void state.forcedRejects.push(reason),
    jam: (safe = false) => machine.notes.jam(safe),
    clearJam: () => machine.notes.clearJam(),
    fraud: () => machine.fraud(),
    removeCashbox: () => {
      if (!state.cashboxPresent) return;
      state.cashboxPresent = false;
      log('cashbox removed');
    },
    replaceCashbox: () => {
      if (state.cashboxPresent) return;
      state.cashboxPresent = true;
      state.stackerFull = false;
      machine.emit(event('CASHBOX_REPLACED'));
      log('cashbox replaced');
    },
    fillStacker: () => {
      if (state.stackerFull) return;
      state.stackerFull = true;
      machine.emit(event('STACKER_FULL'));
      log('stacker full');
    },
    powerCycle: () => machine.powerCycle(),
    setLevels: (levels) => {
      if (Array.isArray(levels)) {
        (levels as readonly number[]).forEach((n, i) => {
          if (i < state.levels.length) state.levels[i] = n;
        });
        return;
      }
      for (const [value, n] of Object.entries(levels as Readonly<Record<number, number>>)) {
        const i = profile.channels.indexOf(Number(value));
        if (i < 0) throw new InvalidArgumentError(`${profile.name} has no denomination of ${value}.`);
        state.levels[i] = n;
      }
    },
    override: (command, handler) => {
      const code = typeof command === 'number' ? command : lookupCommand(command).code;
      overrides.set(code, handler);
      return () => {
        if (overrides.get(code) === handler) overrides.delete(code);
      };
    },
    intercept: (hooks) => {
      intercepts.push(hooks);
      return () => {
        const i = intercepts.indexOf(hooks);
        if (i >= 0) intercepts.splice(i, 1);
      };
    },
    dispose: () => {
      input.unsubscribe();
      for (const w of writes) w.unsubscribe();
      machine.dispose();
      log$.complete();
    },
  };
}
