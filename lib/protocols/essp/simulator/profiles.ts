/**
 * Data-driven device profiles for the eSSP simulator. A profile says what a
 * unit reports about itself (unit type, firmware, dataset, channels, serial)
 * and which command codes it implements; everything not listed is answered
 * with COMMAND NOT KNOWN (0xF2), the way a real unit answers an unknown code.
 *
 * Firmware strings, serial numbers and payout capacities are invented but
 * plausible; unit types, addresses and command sets follow the fact sheet
 * (sections 1, 10 and 12).
 */
import { InvalidArgumentError } from '../../../core/errors.js';
import { isCurrencyCode } from '../../../core/money.js';
import { lookupCommand, type EsspCommandName } from '../commands/table.js';
import { MAX_PROTOCOL_VERSION, MIN_PROTOCOL_VERSION } from '../context.js';

export type EsspProfileName =
  | 'NV9USB'
  | 'NV10USB'
  | 'BV20'
  | 'BV50'
  | 'BV100'
  | 'NV200'
  | 'NV200_SMART_PAYOUT'
  | 'SMART_HOPPER'
  | 'NV11'
  | 'NV4000';

/** How a unit stores money it can pay out again. */
export type PayoutKind = 'smart-payout' | 'note-float' | 'hopper';

export interface PayoutSpec {
  readonly kind: PayoutKind;
  /** Items the store holds before new items are routed to the cashbox. */
  readonly capacity: number;
  /** NV4000 (modelled): number of recyclers, addressed by route bytes 0x11.. (see below). */
  readonly recyclers?: number;
}

export interface EsspProfile {
  readonly name: EsspProfileName;
  /** SETUP REQUEST / UNIT DATA byte 0. */
  readonly unitType: number;
  /** Validators report note channels; hoppers report coin denominations (different SETUP layout). */
  readonly family: 'validator' | 'hopper';
  /** Default SSP address (0x00 validators and payouts, 0x10 SMART Hopper). */
  readonly address: number;
  /** Four ASCII digits reported in SETUP REQUEST ('0410' = 4.10). */
  readonly firmware: string;
  /** GET FIRMWARE VERSION string. */
  readonly firmwareVersion: string;
  /** GET DATASET VERSION string. */
  readonly datasetVersion: string;
  /** Dataset currency (ISO 4217). */
  readonly currency: string;
  /** Value of each channel (validators) or coin (hoppers) in minor units; index 0 = channel 1. */
  readonly channels: readonly number[];
  /** Protocol versions HOST PROTOCOL VERSION accepts. */
  readonly protocolVersions: readonly number[];
  /** Level in force after power-up, before the host sets one. */
  readonly defaultProtocolVersion: number;
  /** Command codes the unit implements. */
  readonly commands: ReadonlySet<number>;
  /** Plain commands other than SYNC and key exchange get KEY NOT SET (0xFA) until a key is negotiated. */
  readonly requireEncryption: boolean;
  /** GET SERIAL NUMBER without a module byte (or module 0). */
  readonly serialNumber: number;
  /** GET SERIAL NUMBER per module byte (NV4000 0x11-0x15, payout module 1, ...). */
  readonly moduleSerials: Readonly<Record<number, number>>;
  /** Reports NOTE STACKING while a note moves to the stacker (not SMART Payout, per the event table). */
  readonly reportsStacking: boolean;
  /** The device disables itself after this long without a command (GA973 7.4). */
  readonly watchdogMs: number;
  readonly payout?: PayoutSpec;
}

/** Note values (minor units) per dataset currency. */
const NOTE_VALUES: Readonly<Record<string, readonly number[]>> = {
  EUR: [500, 1000, 2000, 5000, 10000, 20000, 50000],
  GBP: [500, 1000, 2000, 5000],
  USD: [100, 200, 500, 1000, 2000, 5000, 10000],
  CHF: [1000, 2000, 5000, 10000, 20000, 100000],
  MXN: [2000, 5000, 10000, 20000, 50000, 100000],
};

/** Coin values (minor units) per currency, for hoppers. */
const COIN_VALUES: Readonly<Record<string, readonly number[]>> = {
  EUR: [1, 2, 5, 10, 20, 50, 100, 200],
  GBP: [1, 2, 5, 10, 20, 50, 100, 200],
  USD: [1, 5, 10, 25, 100],
  CHF: [5, 10, 20, 50, 100, 200, 500],
  MXN: [50, 100, 200, 500, 1000],
};

const codes = (...names: EsspCommandName[]): number[] => names.map((n) => lookupCommand(n).code);

/** Every SSP unit: link control, identity, protocol level, polling, key negotiation. */
const BASE = codes(
  'RESET',
  'SETUP_REQUEST',
  'HOST_PROTOCOL_VERSION',
  'POLL',
  'DISABLE',
  'ENABLE',
  'GET_SERIAL_NUMBER',
  'SYNC',
  'GET_FIRMWARE_VERSION',
  'GET_DATASET_VERSION',
  'SET_GENERATOR',
  'SET_MODULUS',
  'REQUEST_KEY_EXCHANGE',
  'SET_FIXED_ENCRYPTION_KEY',
  'RESET_FIXED_ENCRYPTION_KEY',
  'POLL_WITH_ACK',
  'EVENT_ACK',
);

const VALIDATOR = codes(
  'SET_CHANNEL_INHIBITS',
  'DISPLAY_ON',
  'DISPLAY_OFF',
  'REJECT_BANKNOTE',
  'UNIT_DATA',
  'CHANNEL_VALUE_REQUEST',
  'CHANNEL_SECURITY_DATA',
  'LAST_REJECT_CODE',
);

const COUNTERS = codes('GET_COUNTERS', 'RESET_COUNTERS');
const HOLD = codes('HOLD');

/** Value payouts shared by SMART Payout and SMART Hopper (fact sheet §12, SH/SP rows). */
const VALUE_PAYOUT = codes(
  'GET_ALL_LEVELS',
  'PAYOUT_AMOUNT',
  'GET_DENOMINATION_LEVEL',
  'HALT_PAYOUT',
  'SET_DENOMINATION_ROUTE',
  'GET_DENOMINATION_ROUTE',
  'FLOAT_AMOUNT',
  'GET_MINIMUM_PAYOUT',
  'EMPTY_ALL',
  'FLOAT_BY_DENOMINATION',
  'PAYOUT_BY_DENOMINATION',
  'SMART_EMPTY',
  'CASHBOX_PAYOUT_OPERATION_DATA',
);

const NOTE_PAYOUT = codes('ENABLE_PAYOUT_DEVICE', 'DISABLE_PAYOUT_DEVICE');

const NOTE_FLOAT = codes(
  'SET_DENOMINATION_ROUTE',
  'GET_DENOMINATION_ROUTE',
  'EMPTY_ALL',
  'SMART_EMPTY',
  'PAYOUT_NOTE',
  'STACK_NOTE',
  'GET_NOTE_POSITIONS',
  'SET_VALUE_REPORTING_TYPE',
);

const ALL_VERSIONS = [4, 5, 6, 7, 8] as const;

interface BaseProfile extends Omit<EsspProfile, 'currency' | 'channels' | 'datasetVersion'> {
  readonly datasetSuffix: string;
}

const validator = (
  name: EsspProfileName,
  firmware: string,
  firmwareVersion: string,
  serialNumber: number,
  extra: readonly number[] = [],
): BaseProfile => ({
  name,
  unitType: 0x00,
  family: 'validator',
  address: 0x00,
  firmware,
  firmwareVersion,
  datasetSuffix: '01610',
  protocolVersions: ALL_VERSIONS,
  defaultProtocolVersion: 6,
  commands: new Set([...BASE, ...VALIDATOR, ...HOLD, ...extra]),
  requireEncryption: false,
  serialNumber,
  moduleSerials: {},
  reportsStacking: true,
  watchdogMs: 10_000,
});

const smartPayout = (name: EsspProfileName, base: BaseProfile, payout: PayoutSpec): BaseProfile => ({
  ...base,
  name,
  unitType: 0x06,
  // HOLD is listed for validators and TEBS only (fact sheet §12), not for SMART Payout.
  commands: new Set([...BASE, ...VALIDATOR, ...COUNTERS, ...VALUE_PAYOUT, ...NOTE_PAYOUT]),
  reportsStacking: false,
  payout,
});

const NV200 = validator('NV200', '0428', 'NV02004281100000', 0x00a1_b2c3);

const BASE_PROFILES: Readonly<Record<EsspProfileName, BaseProfile>> = {
  NV9USB: validator('NV9USB', '0414', 'NV02004141498000', 0x0012_3456, COUNTERS),
  NV10USB: validator('NV10USB', '0352', 'NV01003521101000', 0x0023_4567),
  BV20: validator('BV20', '0210', 'BV02002101100000', 0x0034_5678),
  BV50: validator('BV50', '0312', 'BV05003121100000', 0x0045_6789),
  BV100: validator('BV100', '0312', 'BV10003121100000', 0x0056_789a),
  NV200,
  NV200_SMART_PAYOUT: smartPayout(
    'NV200_SMART_PAYOUT',
    { ...NV200, moduleSerials: { 0x01: 0x00a1_b2c4 } },
    { kind: 'smart-payout', capacity: 80 },
  ),
  SMART_HOPPER: {
    name: 'SMART_HOPPER',
    unitType: 0x03,
    family: 'hopper',
    address: 0x10,
    firmware: '0610',
    firmwareVersion: 'SH04006101100000',
    datasetSuffix: '00100',
    protocolVersions: ALL_VERSIONS,
    defaultProtocolVersion: 6,
    commands: new Set([...BASE, ...VALUE_PAYOUT, ...codes('SET_DENOMINATION_LEVEL')]),
    requireEncryption: false,
    serialNumber: 0x0067_89ab,
    moduleSerials: {},
    reportsStacking: false,
    // GA973 7.4: the SMART Hopper gives up after 5 s instead of 10 s.
    watchdogMs: 5_000,
    payout: { kind: 'hopper', capacity: 1000 },
  },
  NV11: {
    ...validator('NV11', '0330', 'NV11003301100000', 0x0078_9abc, COUNTERS),
    unitType: 0x07,
    commands: new Set([...BASE, ...VALIDATOR, ...COUNTERS, ...NOTE_FLOAT, ...NOTE_PAYOUT]),
    moduleSerials: { 0x01: 0x0078_9abd },
    payout: { kind: 'note-float', capacity: 30 },
  },
  // NV4000: only the GET SERIAL NUMBER module bytes 0x11-0x15 are documented
  // (GA138-2021). Everything else here is MODELLED on the SMART Payout: unit
  // type 0x06 behaviour (validator SETUP layout, value payouts), four
  // recyclers, and route bytes 0x11-0x14 naming recycler 1-4 alongside the
  // documented 0 (payout, any recycler) and 1 (cashbox). The real unit type,
  // address, protocol range and extra commands are unknown.
  NV4000: smartPayout(
    'NV4000',
    {
      ...validator('NV4000', '0100', 'NV40001001100000', 0x0100_0000),
      moduleSerials: {
        0x11: 0x0100_0011,
        0x12: 0x0100_0012,
        0x13: 0x0100_0013,
        0x14: 0x0100_0014,
        0x15: 0x0100_0015,
      },
    },
    { kind: 'smart-payout', capacity: 4 * 60, recyclers: 4 },
  ),
};

export const ESSP_PROFILE_NAMES: readonly EsspProfileName[] = Object.keys(BASE_PROFILES) as EsspProfileName[];

export interface ProfileOptions {
  /** Dataset currency; channel values follow it unless `channels` is given. Default EUR. */
  readonly currency?: string;
  /** Channel (or coin) values in minor units, overriding the currency's defaults. */
  readonly channels?: readonly number[];
  readonly requireEncryption?: boolean;
  readonly serialNumber?: number;
  /** Restrict the protocol versions the unit accepts (subset of 4..8). */
  readonly protocolVersions?: readonly number[];
}

/** Build a profile by name, with a dataset currency and optional overrides. */
export function esspProfile(name: EsspProfileName, options: ProfileOptions = {}): EsspProfile {
  const base = BASE_PROFILES[name] as BaseProfile | undefined;
  if (base === undefined) {
    throw new InvalidArgumentError(
      `Unknown eSSP simulator profile '${name}'; known: ${ESSP_PROFILE_NAMES.join(', ')}.`,
      { name },
    );
  }
  const currency = options.currency ?? 'EUR';
  if (!isCurrencyCode(currency)) {
    throw new InvalidArgumentError(`Currency must be an ISO 4217 code such as 'EUR', got '${currency}'.`);
  }
  const table = base.family === 'hopper' ? COIN_VALUES : NOTE_VALUES;
  const channels = options.channels ?? table[currency];
  if (channels === undefined || channels.length === 0 || channels.length > 24) {
    throw new InvalidArgumentError(
      `No default ${base.family === 'hopper' ? 'coin' : 'note'} values for ${currency}; pass 1 to 24 channel values.`,
      { currency },
    );
  }
  for (const v of channels) {
    const unit = base.family === 'hopper' ? 1 : 100;
    if (!Number.isSafeInteger(v) || v <= 0 || v % unit !== 0) {
      throw new InvalidArgumentError(
        `Channel values are positive integers of minor units${unit > 1 ? ' in whole currency units' : ''}, got ${v}.`,
      );
    }
  }
  const versions = options.protocolVersions ?? base.protocolVersions;
  if (versions.some((v) => v < MIN_PROTOCOL_VERSION || v > MAX_PROTOCOL_VERSION) || versions.length === 0) {
    throw new InvalidArgumentError('Simulated protocol versions must be a non-empty subset of 4..8.');
  }
  const { datasetSuffix, ...rest } = base;
  return {
    ...rest,
    currency,
    channels: [...channels],
    datasetVersion: `${currency}${datasetSuffix}`,
    protocolVersions: [...versions],
    defaultProtocolVersion: versions.includes(base.defaultProtocolVersion)
      ? base.defaultProtocolVersion
      : Math.min(...versions),
    requireEncryption: options.requireEncryption ?? base.requireEncryption,
    serialNumber: options.serialNumber ?? base.serialNumber,
  };
}
