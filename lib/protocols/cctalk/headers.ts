/**
 * The ccTalk header table: one declarative entry per header with its number,
 * the device classes that implement it, an io-ts argument codec (checked
 * before anything is encoded) and a reply decoder.
 *
 * `encodeRequest('MODIFY_INHIBIT_STATUS', { mask: 0xffff })` gives the header
 * and data bytes for a frame; `decodeReply(231, data)` reads the answer.
 * Multi-byte numbers are little-endian unless the table says otherwise.
 */
import { type Either, left, right } from 'fp-ts/lib/Either.js';
import { validateOrThrow } from '../../core/codec.js';
import { DecodeError, UnknownCommandError } from '../../core/errors.js';
import { decodeBillBuffer, decodeCoinBuffer, decodeSelfCheck } from './events.js';
import {
  type ArgCodec,
  type ReplyDecoder,
  ack,
  ackOrByte,
  bcdKey,
  billMode,
  billModes,
  byteArg,
  bytesOut,
  choice,
  country,
  dispense,
  dispenseReply,
  fields,
  fixed,
  flag,
  highLow,
  hopperCoin,
  hopperTest,
  i32,
  i8,
  idText,
  inhibitMask,
  masterInhibit,
  none,
  paths,
  pollingPriority,
  positionAndId,
  raw,
  routeBill,
  serial,
  sorterPaths,
  struct,
  text,
  u16,
  u24,
  u32,
  u8,
  uint,
} from './header-codecs.js';

export type { ArgCodec, ReplyDecoder, HopperTest, PollingPriority } from './header-codecs.js';

export type DeviceClass = 'coin-acceptor' | 'payout' | 'bill-validator' | 'changer';
type Devices = readonly DeviceClass[] | 'all';
const C = 'coin-acceptor';
const P = 'payout';
const B = 'bill-validator';
const N = 'changer';

export interface HeaderDef<A, R> {
  readonly header: number;
  /** Device classes implementing it; 'all' for core headers every device answers. */
  readonly devices: Devices;
  readonly args: ArgCodec<A>;
  readonly reply: ReplyDecoder<R>;
  /** 'reply' for ACK/NAK/BUSY, which only devices send. */
  readonly direction: 'request' | 'reply';
  /** Answer is one raw address byte after a delay, not a frame (253, 252). */
  readonly rawByteReply?: true;
}

// ---- the table --------------------------------------------------------------

function req<A, R>(
  header: number,
  devices: Devices,
  args: ArgCodec<A>,
  reply: ReplyDecoder<R>,
): HeaderDef<A, R> {
  return { header, devices, args, reply, direction: 'request' };
}
const CPBN: Devices = [C, P, B, N];

export const HEADERS = {
  ACK: { ...req(0, 'all', none, ack), direction: 'reply' },
  NAK: { ...req(5, 'all', none, ack), direction: 'reply' },
  BUSY: { ...req(6, 'all', none, ack), direction: 'reply' },
  RESET_DEVICE: req(1, 'all', none, ack),
  REQUEST_COMMS_STATUS_VARIABLES: req(
    2,
    [C, P, B],
    none,
    struct(['rxTimeouts', 1], ['rxBytesIgnored', 1], ['rxBadChecksums', 1]),
  ),
  CLEAR_COMMS_STATUS_VARIABLES: req(3, [C, P, B], none, ack),
  REQUEST_COMMS_REVISION: req(4, 'all', none, struct(['release', 1], ['major', 1], ['minor', 1])),
  FACTORY_SETUP_AND_TEST: req(255, 'all', raw(), bytesOut),
  SIMPLE_POLL: req(254, 'all', none, ack),
  ADDRESS_POLL: { ...req(253, 'all', none, u8), rawByteReply: true },
  ADDRESS_CLASH: { ...req(252, 'all', none, u8), rawByteReply: true },
  ADDRESS_CHANGE: req(251, 'all', byteArg('address', 2, 255), ack),
  ADDRESS_RANDOM: req(250, 'all', none, ack),
  REQUEST_POLLING_PRIORITY: req(249, [C, B], none, pollingPriority),
  REQUEST_STATUS: req(248, [C], none, u8),
  REQUEST_VARIABLE_SET: req(247, CPBN, none, bytesOut),
  REQUEST_MANUFACTURER_ID: req(246, 'all', none, text),
  REQUEST_EQUIPMENT_CATEGORY_ID: req(245, 'all', none, text),
  REQUEST_PRODUCT_CODE: req(244, 'all', none, text),
  REQUEST_DATABASE_VERSION: req(243, [C], none, u8),
  REQUEST_SERIAL_NUMBER: req(242, 'all', none, serial),
  REQUEST_SOFTWARE_REVISION: req(241, 'all', none, text),
  TEST_SOLENOIDS: req(240, [C, N], raw(1, 8), ack),
  OPERATE_MOTORS: req(239, [B, N], byteArg('mask'), ack),
  TEST_OUTPUT_LINES: req(238, [C, B], raw(1, 8), ack),
  READ_INPUT_LINES: req(237, [C, B, N], none, bytesOut),
  READ_OPTO_STATES: req(236, CPBN, none, bytesOut),
  READ_DH_PUBLIC_KEY: req(235, 'all', byteArg('mode', 0, 1), bytesOut),
  SEND_DH_PUBLIC_KEY: req(234, 'all', raw(1), ack),
  LATCH_OUTPUT_LINES: req(233, [C, B], raw(1, 8), ack),
  PERFORM_SELF_CHECK: req(232, [C, B, N], none, decodeSelfCheck),
  MODIFY_INHIBIT_STATUS: req(231, [C, B, N], inhibitMask, ack),
  REQUEST_INHIBIT_STATUS: req(230, [C, B, N], none, uint(1, 4)),
  READ_BUFFERED_CREDIT_OR_ERROR_CODES: req(229, [C], none, decodeCoinBuffer),
  MODIFY_MASTER_INHIBIT_STATUS: req(228, [C, B], flag('accepting', 1, 0), ack),
  REQUEST_MASTER_INHIBIT_STATUS: req(227, [C, B], none, masterInhibit),
  REQUEST_INSERTION_COUNTER: req(226, [C, B], none, u24),
  REQUEST_ACCEPT_COUNTER: req(225, [C, B], none, u24),
  REQUEST_ENCRYPTED_PRODUCT_ID: req(
    224,
    'all',
    fields(['challenge1', 1, 0, 255], ['challenge2', 1, 0, 255]),
    bytesOut,
  ),
  MODIFY_ENCRYPTED_INHIBIT_AND_OVERRIDE_REGISTERS: req(223, [C], raw(13, 13), ack),
  MODIFY_SORTER_OVERRIDE_STATUS: req(222, [C], byteArg('mask'), ack),
  REQUEST_SORTER_OVERRIDE_STATUS: req(221, [C], none, u8),
  ACMI_ENCRYPTED_DATA: req(220, 'all', raw(16, 240), bytesOut),
  ENTER_NEW_PIN_NUMBER: req(219, [C, P], raw(4, 4), ack),
  ENTER_PIN_NUMBER: req(218, [C, P], raw(4, 4), ack),
  REQUEST_PAYOUT_HIGH_LOW_STATUS: req(217, [P], none, highLow),
  REQUEST_DATA_STORAGE_AVAILABILITY: req(
    216,
    'all',
    none,
    struct(
      ['memoryType', 1],
      ['readBlocks', 1],
      ['readBytesPerBlock', 1],
      ['writeBlocks', 1],
      ['writeBytesPerBlock', 1],
    ),
  ),
  READ_DATA_BLOCK: req(215, CPBN, byteArg('block'), bytesOut),
  WRITE_DATA_BLOCK: req(214, CPBN, raw(2), ack),
  REQUEST_OPTION_FLAGS: req(213, [C, B], none, u8),
  REQUEST_COIN_POSITION: req(212, [C], byteArg('creditCode'), uint(1, 4)),
  POWER_MANAGEMENT_CONTROL: req(211, 'all', choice('mode', { auto: 0, low: 1, full: 2, shutdown: 3 }), ack),
  MODIFY_SORTER_PATHS: req(210, [C, N], sorterPaths, ack),
  REQUEST_SORTER_PATHS: req(209, [C, N], byteArg('position', 1), paths),
  MODIFY_PAYOUT_ABSOLUTE_COUNT: req(208, [P], fields(['count', 2, 0, 0xffff]), ack),
  REQUEST_PAYOUT_ABSOLUTE_COUNT: req(207, [P], none, u16),
  METER_CONTROL: req(204, 'all', raw(1, 4), bytesOut),
  DISPLAY_CONTROL: req(203, 'all', raw(1), bytesOut),
  TEACH_MODE_CONTROL: req(202, [C, B], raw(1, 2), ack),
  REQUEST_TEACH_STATUS: req(201, [C, B], flag('abort', 1, 0), struct(['count', 1], ['status', 1])),
  ACMI_UNENCRYPTED_PRODUCT_ID: req(200, 'all', byteArg('maxKeyLength', 1, 6), bytesOut),
  CONFIGURATION_TO_EEPROM: req(199, [C], none, ack),
  COUNTERS_TO_EEPROM: req(198, [C], none, ack),
  CALCULATE_ROM_CHECKSUM: req(197, 'all', none, bytesOut),
  REQUEST_CREATION_DATE: req(196, 'all', none, u16),
  REQUEST_LAST_MODIFICATION_DATE: req(195, 'all', none, u16),
  REQUEST_REJECT_COUNTER: req(194, [C, B], none, u24),
  REQUEST_FRAUD_COUNTER: req(193, [C, B], none, u24),
  REQUEST_BUILD_CODE: req(192, 'all', none, text),
  KEYPAD_CONTROL: req(191, 'all', byteArg('key'), bytesOut),
  MODIFY_DEFAULT_SORTER_PATH: req(189, [C], byteArg('path', 1, 8), ack),
  REQUEST_DEFAULT_SORTER_PATH: req(188, [C], none, u8),
  MODIFY_PAYOUT_CAPACITY: req(187, [P], fields(['capacity', 2, 0, 0xffff]), ack),
  REQUEST_PAYOUT_CAPACITY: req(186, [P], none, u16),
  MODIFY_COIN_ID: req(185, [C, N], positionAndId('position', 6), ack),
  REQUEST_COIN_ID: req(184, [C, N], byteArg('position', 1), idText(6)),
  UPLOAD_WINDOW_DATA: req(183, [C], raw(2), ack),
  DOWNLOAD_CALIBRATION_INFO: req(182, [C], none, bytesOut),
  MODIFY_SECURITY_SETTING: req(181, [C, B], fields(['position', 1, 1, 255], ['setting', 1, 0, 255]), ack),
  REQUEST_SECURITY_SETTING: req(180, [C, B], byteArg('position', 1), u8),
  MODIFY_BANK_SELECT: req(179, [C, B], byteArg('bank'), ack),
  REQUEST_BANK_SELECT: req(178, [C, B], none, u8),
  HANDHELD_FUNCTION: req(177, [C], raw(1), bytesOut),
  REQUEST_ALARM_COUNTER: req(176, [C], none, u8),
  MODIFY_PAYOUT_FLOAT: req(175, [P, N], fields(['float', 2, 0, 0xffff]), ack),
  REQUEST_PAYOUT_FLOAT: req(174, [P, N], none, u16),
  REQUEST_THERMISTOR_READING: req(173, [C, P], none, i8),
  EMERGENCY_STOP: req(172, [P], none, u8),
  REQUEST_HOPPER_COIN: req(171, [P], none, idText(6)),
  REQUEST_BASE_YEAR: req(170, 'all', none, text),
  REQUEST_ADDRESS_MODE: req(169, 'all', none, u8),
  REQUEST_HOPPER_DISPENSE_COUNT: req(168, [P], none, u24),
  DISPENSE_HOPPER_COINS: req(167, [P], dispense(1, 255), dispenseReply),
  REQUEST_HOPPER_STATUS: req(
    166,
    [P],
    none,
    struct(['counter', 1], ['remaining', 1], ['paid', 1], ['unpaid', 1]),
  ),
  MODIFY_VARIABLE_SET: req(165, CPBN, raw(), ack),
  ENABLE_HOPPER: req(164, [P], flag('enable', 0xa5, 0), ack),
  TEST_HOPPER: req(163, [P], none, hopperTest),
  MODIFY_INHIBIT_AND_OVERRIDE_REGISTERS: req(162, [C], raw(6, 6), ack),
  PUMP_RNG: req(161, [P], raw(8, 8), ack),
  REQUEST_CIPHER_KEY: req(160, [P], none, bytesOut),
  READ_BUFFERED_BILL_EVENTS: req(159, [B], none, decodeBillBuffer),
  MODIFY_BILL_ID: req(158, [B], positionAndId('billType', 7), ack),
  REQUEST_BILL_ID: req(157, [B], byteArg('billType', 1), idText(7)),
  REQUEST_COUNTRY_SCALING_FACTOR: req(156, [B], country, struct(['factor', 2], ['decimalPlaces', 1])),
  REQUEST_BILL_POSITION: req(155, [B], country, uint(1, 4)),
  ROUTE_BILL: req(154, [B], choice('action', { return: 0, stack: 1, 'extend-escrow': 255 }), routeBill),
  MODIFY_BILL_OPERATING_MODE: req(153, [B], billModes, ack),
  REQUEST_BILL_OPERATING_MODE: req(152, [B], none, billMode),
  TEST_LAMPS: req(151, [B], fields(['lamp', 1, 0, 255], ['control', 1, 0, 255]), ack),
  REQUEST_INDIVIDUAL_ACCEPT_COUNTER: req(150, [B], byteArg('type', 1), u24),
  REQUEST_INDIVIDUAL_ERROR_COUNTER: req(149, [B], byteArg('type', 1), u24),
  READ_OPTO_VOLTAGES: req(148, [B], none, bytesOut),
  PERFORM_STACKER_CYCLE: req(147, [B], none, ackOrByte),
  OPERATE_BIDIRECTIONAL_MOTORS: req(
    146,
    [B],
    fields(['motors', 1, 0, 255], ['directions', 1, 0, 255], ['speed', 1, 0, 255]),
    ack,
  ),
  REQUEST_CURRENCY_REVISION: req(145, [B], raw(0, 2), text),
  UPLOAD_BILL_TABLES: req(144, [B], raw(2, 130), ack),
  BEGIN_BILL_TABLE_UPGRADE: req(143, [B], none, ack),
  FINISH_BILL_TABLE_UPGRADE: req(142, [B], none, ack),
  REQUEST_FIRMWARE_UPGRADE_CAPABILITY: req(141, [B], raw(0, 1), u8),
  UPLOAD_FIRMWARE: req(140, [B], raw(2, 130), ack),
  BEGIN_FIRMWARE_UPGRADE: req(139, [B], raw(0, 1), ack),
  FINISH_FIRMWARE_UPGRADE: req(138, [B], none, ack),
  SWITCH_ENCRYPTION_CODE: req(137, 'all', bcdKey, ack),
  STORE_ENCRYPTION_CODE: req(136, 'all', none, ack),
  SET_ACCEPT_LIMIT: req(135, [C], byteArg('coins'), ack),
  DISPENSE_HOPPER_VALUE: req(134, [P], dispense(2, 0xffff), dispenseReply),
  REQUEST_HOPPER_POLLING_VALUE: req(
    133,
    [P],
    none,
    struct(['counter', 1], ['remaining', 2], ['paid', 2], ['unpaid', 2]),
  ),
  EMERGENCY_STOP_VALUE: req(132, [P], none, u16),
  REQUEST_HOPPER_COIN_VALUE: req(131, [P], byteArg('coinType', 1), hopperCoin),
  REQUEST_INDEXED_HOPPER_DISPENSE_COUNT: req(130, [P], byteArg('coinType', 1), u24),
  READ_BARCODE_DATA: req(129, [B], none, text),
  REQUEST_MONEY_IN: req(128, [N], none, u32),
  REQUEST_MONEY_OUT: req(127, [N], none, u32),
  CLEAR_MONEY_COUNTERS: req(126, [N], none, ack),
  PAY_MONEY_OUT: req(125, [N], fields(['value', 4, 1, 0xffffffff]), ack),
  VERIFY_MONEY_OUT: req(124, [N], none, struct(['counter', 1], ['paid', 4], ['unpaid', 4])),
  REQUEST_ACTIVITY_REGISTER: req(123, [N], none, u16),
  REQUEST_ERROR_STATUS: req(122, [N], none, struct(['device', 1], ['fault', 1])),
  PURGE_HOPPER: req(121, [N], fields(['hopper', 1, 1, 255], ['count', 1, 0, 255]), ack),
  MODIFY_HOPPER_BALANCE: req(120, [N], fields(['hopper', 1, 1, 255], ['count', 2, 0, 0xffff]), ack),
  REQUEST_HOPPER_BALANCE: req(119, [N], byteArg('hopper', 1), hopperCoin),
  MODIFY_CASHBOX_VALUE: req(118, [N], fields(['value', 4, 0, 0xffffffff]), ack),
  REQUEST_CASHBOX_VALUE: req(117, [N], none, u32),
  MODIFY_REAL_TIME_CLOCK: req(116, [N], fields(['time', 4, 0, 0x7fffffff]), ack),
  REQUEST_REAL_TIME_CLOCK: req(115, [N], none, i32),
  REQUEST_USB_ID: req(114, 'all', none, struct(['vendorId', 2], ['productId', 2])),
  SWITCH_BAUD_RATE: req(113, 'all', fields(['operation', 1, 0, 3], ['code', 1, 0, 255]), ackOrByte),
  REQUEST_ENCRYPTION_SUPPORT: req(111, 'all', fixed(170, 85, 0, 0, 85, 170), bytesOut),
  SWITCH_ENCRYPTION_KEY: req(110, 'all', raw(16, 16), ack),
  REQUEST_ENCRYPTED_HOPPER_STATUS: req(109, [P], raw(3, 3), bytesOut),
  REQUEST_ENCRYPTED_MONETARY_ID: req(
    108,
    [C],
    fields(['position', 1, 1, 255], ['challenge', 1, 0, 255]),
    bytesOut,
  ),
  OPERATE_ESCROW: req(107, [N], choice('action', { accept: 0, return: 1 }), ack),
  REQUEST_ESCROW_STATUS: req(106, [N], none, struct(['status', 1], ['level', 1], ['fault', 1])),
  DATA_STREAM: req(105, 'all', raw(1), bytesOut),
  REQUEST_SERVICE_STATUS: req(104, [N], flag('clear', 1, 0), ackOrByte),
  EXPANSION_HEADER_4: req(103, 'all', raw(1), bytesOut),
  EXPANSION_HEADER_3: req(102, 'all', raw(1), bytesOut),
  EXPANSION_HEADER_2: req(101, 'all', raw(1), bytesOut),
  EXPANSION_HEADER_1: req(100, 'all', raw(1), bytesOut),
  READ_ENCRYPTED_EVENTS: req(112, [C], byteArg('challenge'), bytesOut),
} as const satisfies Readonly<
  Record<string, Pick<HeaderDef<unknown, unknown>, 'header' | 'direction' | 'rawByteReply'>>
>;

export type HeaderName = keyof typeof HEADERS;
export type ArgsOf<K extends HeaderName> = (typeof HEADERS)[K]['args'] extends ArgCodec<infer A> ? A : never;
export type ReplyOf<K extends HeaderName> =
  (typeof HEADERS)[K]['reply'] extends ReplyDecoder<infer R> ? R : never;
/** Commands without arguments take none; the rest take exactly their argument object. */
export type ArgsParam<K extends HeaderName> =
  undefined extends ArgsOf<K> ? [args?: ArgsOf<K>] : [args: ArgsOf<K>];

type AnyDef = HeaderDef<unknown, unknown> & { readonly name: HeaderName };
const TABLE = HEADERS as unknown as Readonly<Record<HeaderName, HeaderDef<unknown, unknown>>>;
const BY_NUMBER = new Map<number, AnyDef>(
  (Object.keys(TABLE) as HeaderName[]).map((name) => [TABLE[name].header, { ...TABLE[name], name }]),
);

/** The table entry for a header number (undefined for vendor/unknown headers). */
export function headerByNumber(header: number): AnyDef | undefined {
  return BY_NUMBER.get(header);
}

export function isHeaderName(name: string): name is HeaderName {
  return Object.hasOwn(HEADERS, name);
}

function lookup(name: string): HeaderDef<unknown, unknown> {
  if (isHeaderName(name)) return TABLE[name];
  const needle = name.toUpperCase().replace(/[^A-Z]/g, '');
  const suggestions = Object.keys(HEADERS)
    .filter((n) => needle.length >= 3 && n.replace(/_/g, '').includes(needle))
    .slice(0, 3);
  throw new UnknownCommandError('ccTalk', name, suggestions);
}

/**
 * Header and data bytes for a request. Validates first: a bad argument throws
 * {@link InvalidArgumentError} naming the field, an unknown name throws
 * {@link UnknownCommandError}; nothing is encoded in either case.
 */
export function encodeRequest<K extends HeaderName>(
  name: K,
  ...args: ArgsParam<K>
): { readonly header: number; readonly data: Uint8Array } {
  const def = lookup(name);
  const valid = validateOrThrow(def.args.type, args[0], `ccTalk ${name}`);
  return { header: def.header, data: def.args.encode(valid) };
}

export interface DecodedReply {
  readonly header: number;
  /** Undefined for headers outside the table (vendor-specific). */
  readonly name: HeaderName | undefined;
  /** Decoded value, or the raw data bytes for unknown headers. */
  readonly value: unknown;
}

/** Run a reply decoder; failures name the command. */
function runDecoder<R>(name: HeaderName, decoder: ReplyDecoder<R>, data: Uint8Array): Either<DecodeError, R> {
  const result = decoder(data);
  if (result._tag === 'Right') return result;
  return left(
    new DecodeError(`ccTalk ${name} reply: ${result.left.message.replace(/\.$/, '')}.`, {
      command: name,
      ...result.left.info,
    }),
  );
}

/** Decode the data of a reply to request header `header`. Never throws. */
export function decodeReply(header: number, data: Uint8Array): Either<DecodeError, DecodedReply> {
  const def = BY_NUMBER.get(header);
  if (!def) return right({ header, name: undefined, value: data.slice() });
  const result = runDecoder(def.name, def.reply, data);
  return result._tag === 'Left' ? result : right({ header, name: def.name, value: result.right });
}

/** Typed form of {@link decodeReply} for a known command. Never throws. */
export function decodeReplyOf<K extends HeaderName>(
  name: K,
  data: Uint8Array,
): Either<DecodeError, ReplyOf<K>> {
  return runDecoder(name, TABLE[name].reply as ReplyDecoder<ReplyOf<K>>, data);
}

/** True when devices of class `device` implement the header. */
export function supportsHeader(name: HeaderName, device: DeviceClass): boolean {
  const d = TABLE[name].devices;
  return d === 'all' || d.includes(device);
}

/** Device class from a 245 equipment category string (matched loosely: some validators say "Bill Acceptor"). */
export function deviceClassOf(category: string): DeviceClass | undefined {
  const c = category.trim().toLowerCase();
  if (c === 'coin acceptor') return C;
  if (c === 'payout' || c === 'hopper') return P;
  if (c === 'bill validator' || c === 'bill acceptor') return B;
  if (c === 'changer' || c === 'escrow') return N;
  return undefined;
}
