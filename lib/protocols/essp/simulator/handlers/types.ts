/**
 * Command behaviours of the simulator: one handler per command code, taking
 * the argument bytes and returning the reply DATA (generic status byte first),
 * with any state change done through the context. Handlers never see frames,
 * sequence flags or encryption: the wire layer deals with those.
 */
import { bytes, concatBytes } from '../../../../core/bytes.js';
import type { RandomSource } from '../../crypto/key.js';
import type { EncodeOptions } from '../../events/encode.js';
import type { EsspMachine } from '../machine.js';
import type { EsspProfile } from '../profiles.js';
import type { SimState } from '../state.js';

export interface HandlerContext {
  readonly state: SimState;
  readonly machine: EsspMachine;
  readonly profile: EsspProfile;
  /** The command arrived inside an encrypted packet. */
  readonly encrypted: boolean;
  /** Packing bytes for encrypted replies. */
  readonly random: RandomSource;
  /** The device's Diffie-Hellman exponent for a modulus (injectable for fixed test vectors). */
  readonly exponent: (modulus: bigint) => bigint;
  /** Which of the documented event framings poll replies use (fact sheet 14.2a). */
  readonly eventOptions: EncodeOptions;
  /** Run after the reply went out (power cycle after RESET, new key after REQUEST KEY EXCHANGE). */
  after(effect: () => void): void;
  log(line: string): void;
}

export type CommandHandler = (ctx: HandlerContext, args: Uint8Array) => Uint8Array;

/** Generic response bytes (fact sheet §6). */
export const STATUS = {
  OK: 0xf0,
  UNKNOWN: 0xf2,
  WRONG_PARAMS: 0xf3,
  OUT_OF_RANGE: 0xf4,
  CANNOT_PROCESS: 0xf5,
  FAIL: 0xf8,
  KEY_NOT_SET: 0xfa,
} as const;

/** OK followed by payload parts. */
export function ok(...parts: readonly (Uint8Array | readonly number[])[]): Uint8Array {
  return concatBytes(
    bytes(STATUS.OK),
    ...parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p))),
  );
}

/** A generic failure, optionally with the error byte that follows 0xF5. */
export function fail(status: number, error?: number): Uint8Array {
  return error === undefined ? bytes(status) : bytes(status, error);
}

export const wrongParams = (): Uint8Array => fail(STATUS.WRONG_PARAMS);
export const outOfRange = (): Uint8Array => fail(STATUS.OUT_OF_RANGE);
export const cannot = (error?: number): Uint8Array => fail(STATUS.CANNOT_PROCESS, error);
