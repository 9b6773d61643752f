/**
 * Fault plans: which faults to inject and how often, as plain data, plus
 * the `--faults` CLI syntax (`drop=0.05,corrupt=0.01,reset=0.001`).
 *
 * Most faults damage the line and work on any protocol (`createFaultyLine`).
 * A few model what goes wrong inside one protocol's unit and are injected by
 * that protocol's simulator instead: `desync` (eSSP, `createEsspDesync`).
 */
import { InvalidArgumentError } from '../../core/errors.js';

/** Line faults, drawn per probability. Per-write ones are drawn once per chunk; per-byte ones once per byte. */
export const LINE_FAULT_KEYS = [
  'drop', // per write: the whole chunk is lost (a lost command or reply)
  'dropbyte', // per byte: that byte is lost
  'corrupt', // per byte: one of its bits flips
  'dup', // per write: the chunk arrives twice
  'delay', // per write: the chunk (and everything after it) waits `delayMs`
  'split', // per write: the chunk arrives cut into 2 to 4 pieces
  'reset', // per write: the device power-cycles (the `onReset` callback)
  'pull', // per write: the cable is pulled (data$ errors with TransportError)
] as const;

/** Protocols a simulator can inject faults into. */
export type FaultProtocol = 'essp' | 'cctalk' | 'pyramid';

/** Faults inside one protocol's unit, and the protocols that have them. */
export const PROTOCOL_FAULTS = {
  // per encrypted command: the unit's eCOUNT steps one ahead or one back of the host's
  desync: ['essp'],
} as const satisfies Record<string, readonly FaultProtocol[]>;

export type LineFaultKey = (typeof LINE_FAULT_KEYS)[number];
export type ProtocolFaultKey = keyof typeof PROTOCOL_FAULTS;

/** Every fault drawn per probability: the line faults, then the protocol faults. */
export const FAULT_PROBABILITY_KEYS = [
  ...LINE_FAULT_KEYS,
  ...(Object.keys(PROTOCOL_FAULTS) as ProtocolFaultKey[]),
] as const;

export type FaultProbabilityKey = LineFaultKey | ProtocolFaultKey;

/** What a line injection record names: a line fault, or a reconnect after a pull. */
export type FaultKind = LineFaultKey | 'reconnect';

export type FaultPlan = {
  readonly [K in FaultProbabilityKey]?: number;
} & {
  /** How long a `delay` fault holds the line, in scheduler milliseconds. Default {@link DEFAULT_DELAY_MS}. */
  readonly delayMs?: number;
  /** Reconnect this long after a `pull`. When absent the line stays down until `reconnect()`. */
  readonly reconnectMs?: number;
};

/** Long enough to outlast every protocol's reply timeout (eSSP and ccTalk wait well under a second). */
export const DEFAULT_DELAY_MS = 1500;

const DURATION_KEYS = { delayms: 'delayMs', reconnectms: 'reconnectMs' } as const;

const isProbabilityKey = (k: string): k is FaultProbabilityKey =>
  (FAULT_PROBABILITY_KEYS as readonly string[]).includes(k);

/**
 * Check every field of a plan. Throws {@link InvalidArgumentError} naming the
 * first bad field: an unknown key, a probability outside 0..1, a negative or
 * non-finite duration.
 */
export function validateFaultPlan(plan: FaultPlan): FaultPlan {
  for (const [key, value] of Object.entries(plan) as [string, unknown][]) {
    if (value === undefined) continue;
    if (isProbabilityKey(key)) {
      if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
        throw new InvalidArgumentError(
          `Fault '${key}' needs a probability from 0 to 1, got ${shown(value)}.`,
          { fault: key, value },
        );
      }
    } else if (key === 'delayMs' || key === 'reconnectMs') {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw new InvalidArgumentError(
          `Fault option '${key}' needs a duration of 0 ms or more, got ${shown(value)}.`,
          { fault: key, value },
        );
      }
    } else {
      throw new InvalidArgumentError(`Unknown fault '${key}'. ${knownKeysHint()}`, { fault: key });
    }
  }
  return plan;
}

const shown = (value: unknown): string => (typeof value === 'number' ? String(value) : typeof value);

function knownKeysHint(): string {
  return `Known: ${[...FAULT_PROBABILITY_KEYS, ...Object.keys(DURATION_KEYS)].join(', ')}.`;
}

/**
 * Parse the CLI form: comma-separated `key=value` pairs, probabilities 0..1
 * for the fault keys and milliseconds for `delayms` and `reconnectms`. Keys
 * are case-insensitive; spaces around items are ignored; an empty string is
 * the empty plan (no faults). Throws {@link InvalidArgumentError} naming the
 * offending item.
 */
export function parseFaultSpec(spec: string): FaultPlan {
  const plan: Record<string, number> = {};
  const seen = new Set<string>();
  for (const rawItem of spec.split(',')) {
    const item = rawItem.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq < 0) {
      throw new InvalidArgumentError(`Fault item '${item}' must look like key=value (e.g. drop=0.05).`, {
        fault: item,
      });
    }
    const key = item.slice(0, eq).trim().toLowerCase();
    const text = item.slice(eq + 1).trim();
    if (seen.has(key)) throw new InvalidArgumentError(`Fault '${key}' is given twice.`, { fault: key });
    seen.add(key);
    const value = text === '' ? Number.NaN : Number(text);
    if (isProbabilityKey(key)) {
      plan[key] = value;
    } else if (key in DURATION_KEYS) {
      plan[DURATION_KEYS[key as keyof typeof DURATION_KEYS]] = value;
    } else {
      throw new InvalidArgumentError(`Unknown fault '${key}'. ${knownKeysHint()}`, { fault: key });
    }
  }
  return validateFaultPlan(plan);
}

/** The CLI form of a plan (zero probabilities left out), for logs and reports. */
export function formatFaultPlan(plan: FaultPlan): string {
  const parts: string[] = [];
  for (const key of FAULT_PROBABILITY_KEYS) {
    const p = plan[key];
    if (p !== undefined && p > 0) parts.push(`${key}=${p}`);
  }
  if (plan.delayMs !== undefined) parts.push(`delayms=${plan.delayMs}`);
  if (plan.reconnectMs !== undefined) parts.push(`reconnectms=${plan.reconnectMs}`);
  return parts.join(',');
}

const PROTOCOL_NAMES: Readonly<Record<FaultProtocol, string>> = {
  essp: 'eSSP',
  cctalk: 'ccTalk',
  pyramid: 'Pyramid',
};

/** Protocol faults of the plan with a probability above 0. */
export function protocolFaultsOf(plan: FaultPlan): ProtocolFaultKey[] {
  return (Object.keys(PROTOCOL_FAULTS) as ProtocolFaultKey[]).filter((k) => (plan[k] ?? 0) > 0);
}

/**
 * Refuse a plan that asks `protocol` for a fault it does not have (`desync`
 * on ccTalk or Pyramid): an {@link InvalidArgumentError} naming the fault
 * (`info.fault`) and the protocol (`info.protocol`). `undefined` stands for
 * a user that injects line faults only: every protocol fault is refused.
 * Returns the plan.
 */
export function assertFaultsApply(plan: FaultPlan, protocol: FaultProtocol | undefined): FaultPlan {
  for (const key of protocolFaultsOf(plan)) {
    const allowed: readonly FaultProtocol[] = PROTOCOL_FAULTS[key];
    if (protocol !== undefined && allowed.includes(protocol)) continue;
    const target = protocol === undefined ? 'this simulator' : PROTOCOL_NAMES[protocol];
    throw new InvalidArgumentError(
      `Fault '${key}' does not apply to ${target}: it models ${FAULT_MEANING[key]}, ` +
        `which only ${allowed.map((p) => PROTOCOL_NAMES[p]).join(', ')} has.`,
      { fault: key, ...(protocol !== undefined && { protocol }) },
    );
  }
  return plan;
}

const FAULT_MEANING: Readonly<Record<ProtocolFaultKey, string>> = {
  desync: 'an encryption packet counter (eCOUNT) out of step',
};

/** The plan without its protocol faults: what `createFaultyLine` applies. */
export function lineFaultPlan(plan: FaultPlan): FaultPlan {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(plan) as [string, number | undefined][]) {
    if (value !== undefined && !(key in PROTOCOL_FAULTS)) out[key] = value;
  }
  return out;
}
