/**
 * Identity replies: SETUP REQUEST in the validator and hopper layouts (fact
 * sheet §11), UNIT DATA, CHANNEL VALUE REQUEST and CHANNEL SECURITY DATA.
 * The layout follows the protocol version in force, which the reply reports.
 */
import { bytes, concatBytes, fromAscii, u16le, u32le } from '../../../../core/bytes.js';
import type { SimState } from '../state.js';
import { ok, type CommandHandler } from './types.js';

/** Minor units per whole currency unit, sent as the "real value multiplier". */
const REAL_MULTIPLIER = 100;

function u24be(value: number): Uint8Array {
  return bytes((value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * Value multiplier and channel bytes (`byte × multiplier` = whole units). The
 * largest common divisor keeps every byte under 256 (EUR 5..500 → ×5, 1..100);
 * when that is impossible the multiplier is 0 and only the pv ≥ 6 full values count.
 */
export function channelBytes(state: SimState): { multiplier: number; values: number[] } {
  const whole = state.profile.channels.map((v) => Math.floor(v / REAL_MULTIPLIER));
  const multiplier = whole.reduce(gcd, 0);
  if (multiplier === 0 || whole.some((w) => w / multiplier > 255)) {
    return { multiplier: 0, values: whole.map(() => 0) };
  }
  return { multiplier, values: whole.map((w) => w / multiplier) };
}

function countries(state: SimState): Uint8Array {
  return concatBytes(...state.profile.channels.map(() => fromAscii(state.profile.currency)));
}

function validatorSetup(state: SimState): Uint8Array {
  const p = state.profile;
  const n = p.channels.length;
  const { multiplier, values } = channelBytes(state);
  const head = concatBytes(
    bytes(p.unitType),
    fromAscii(p.firmware),
    fromAscii(p.currency),
    u24be(multiplier),
    bytes(n, ...values),
    new Uint8Array(n).fill(2), // channel security: obsolete, "standard"
    u24be(REAL_MULTIPLIER),
    bytes(state.protocolVersion),
  );
  if (state.protocolVersion < 6) return head;
  const full = p.channels.map((v) => u32le(Math.floor(v / REAL_MULTIPLIER)));
  return concatBytes(head, countries(state), ...full);
}

function hopperSetup(state: SimState): Uint8Array {
  const p = state.profile;
  const head = concatBytes(
    bytes(p.unitType),
    fromAscii(p.firmware),
    fromAscii(p.currency),
    bytes(state.protocolVersion, p.channels.length),
    ...p.channels.map((v) => u16le(v)),
  );
  return state.protocolVersion < 6 ? head : concatBytes(head, countries(state));
}

export const setupRequest: CommandHandler = (ctx) =>
  ok(ctx.profile.family === 'hopper' ? hopperSetup(ctx.state) : validatorSetup(ctx.state));

export const unitData: CommandHandler = ({ state }) =>
  ok(
    bytes(state.profile.unitType),
    fromAscii(state.profile.firmware),
    fromAscii(state.profile.currency),
    u24be(channelBytes(state).multiplier),
    bytes(state.protocolVersion),
  );

export const channelValues: CommandHandler = ({ state }) => {
  const { values } = channelBytes(state);
  const head = bytes(values.length, ...values);
  if (state.protocolVersion < 6) return ok(head);
  const full = state.profile.channels.map((v) => u32le(Math.floor(v / REAL_MULTIPLIER)));
  return ok(head, countries(state), ...full);
};

export const channelSecurity: CommandHandler = ({ state }) =>
  ok(bytes(state.profile.channels.length), new Uint8Array(state.profile.channels.length).fill(2));
