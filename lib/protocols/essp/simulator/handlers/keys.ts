/**
 * Key negotiation on the device side (fact sheet §8): generator and modulus
 * must be prime (0xF4 otherwise), REQUEST KEY EXCHANGE needs both (0xF8
 * otherwise), draws the device exponent, answers with the device's
 * intermediate key and, once that reply is out, switches to the new key with
 * the count back at 0. The fixed key half can be replaced (encrypted only)
 * or restored to the factory value (then the unit resets).
 */
import { readU64le, u64le } from '../../../../core/bytes.js';
import { intermediateKey, isPrime, sharedSecret } from '../../crypto/dh.js';
import { DEFAULT_FIXED_KEY, encryptionKey, parseFixedKey, SecretKey } from '../../crypto/key.js';
import { SimDeviceSession } from '../counter.js';
import { fail, ok, outOfRange, STATUS, wrongParams, type CommandHandler } from './types.js';

const u64Arg =
  (store: (value: bigint, ctx: Parameters<CommandHandler>[0]) => void): CommandHandler =>
  (ctx, args) => {
    if (args.length !== 8) return wrongParams();
    const value = readU64le(args, 0);
    if (!isPrime(value)) return outOfRange();
    store(value, ctx);
    return ok();
  };

export const KEY_HANDLERS: Readonly<Record<string, CommandHandler>> = {
  SET_GENERATOR: u64Arg((value, { state }) => (state.keys.generator = value)),
  SET_MODULUS: u64Arg((value, { state }) => (state.keys.modulus = value)),
  REQUEST_KEY_EXCHANGE: (ctx, args) => {
    if (args.length !== 8) return wrongParams();
    const { generator, modulus } = ctx.state.keys;
    if (generator === undefined || modulus === undefined) return fail(STATUS.FAIL);
    const hostInter = readU64le(args, 0);
    let secret: bigint;
    let key: bigint;
    try {
      secret = ctx.exponent(modulus);
      key = sharedSecret(hostInter, secret, modulus);
    } catch {
      // An intermediate key outside 2..modulus-2, or a modulus too small to draw from.
      return outOfRange();
    }
    const reply = ok(u64le(intermediateKey(generator, modulus, secret)));
    ctx.after(() => {
      const keys = ctx.state.keys;
      keys.session?.dispose();
      keys.session = new SimDeviceSession(encryptionKey(keys.fixedKey, key), { random: ctx.random });
      ctx.log('encryption key negotiated');
    });
    return reply;
  },
  SET_FIXED_ENCRYPTION_KEY: (ctx, args) => {
    if (args.length !== 8) return wrongParams();
    const old = ctx.state.keys.fixedKey;
    ctx.state.keys.fixedKey = new SecretKey(args);
    old.wipe();
    ctx.log('fixed key changed (takes effect at the next negotiation)');
    return ok();
  },
  RESET_FIXED_ENCRYPTION_KEY: (ctx, args) => {
    if (args.length !== 0) return wrongParams();
    ctx.after(() => {
      const old = ctx.state.keys.fixedKey;
      ctx.state.keys.fixedKey = parseFixedKey(DEFAULT_FIXED_KEY);
      old.wipe();
      ctx.machine.powerCycle();
    });
    return ok();
  },
};
