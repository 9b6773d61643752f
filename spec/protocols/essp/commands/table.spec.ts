import { expect } from 'chai';
import { UnknownCommandError } from '../../../../lib/core/errors.js';
import {
  ESSP_COMMANDS,
  ESSP_COMMAND_LIST,
  commandByCode,
  encodeCommand,
  encodeCommandByName,
  isSupportedBy,
  lookupCommand,
  suggestCommands,
  type ArgsOf,
  type EsspCommandName,
  type ReplyOf,
} from '../../../../lib/protocols/essp/commands/table.js';

/** The command names of the legacy library's README table (61 rows), in its order. */
const LEGACY_NAMES = [
  'RESET',
  'SET_CHANNEL_INHIBITS',
  'DISPLAY_ON',
  'DISPLAY_OFF',
  'SETUP_REQUEST',
  'HOST_PROTOCOL_VERSION',
  'POLL',
  'REJECT_BANKNOTE',
  'DISABLE',
  'ENABLE',
  'GET_SERIAL_NUMBER',
  'UNIT_DATA',
  'CHANNEL_VALUE_REQUEST',
  'CHANNEL_SECURITY_DATA',
  'CHANNEL_RE_TEACH_DATA',
  'SYNC',
  'LAST_REJECT_CODE',
  'HOLD',
  'GET_FIRMWARE_VERSION',
  'GET_DATASET_VERSION',
  'GET_ALL_LEVELS',
  'GET_BAR_CODE_READER_CONFIGURATION',
  'SET_BAR_CODE_CONFIGURATION',
  'GET_BAR_CODE_INHIBIT_STATUS',
  'SET_BAR_CODE_INHIBIT_STATUS',
  'GET_BAR_CODE_DATA',
  'SET_REFILL_MODE',
  'PAYOUT_AMOUNT',
  'SET_DENOMINATION_LEVEL',
  'GET_DENOMINATION_LEVEL',
  'COMMUNICATION_PASS_THROUGH',
  'HALT_PAYOUT',
  'SET_DENOMINATION_ROUTE',
  'GET_DENOMINATION_ROUTE',
  'FLOAT_AMOUNT',
  'GET_MINIMUM_PAYOUT',
  'EMPTY_ALL',
  'SET_COIN_MECH_INHIBITS',
  'GET_NOTE_POSITIONS',
  'PAYOUT_NOTE',
  'STACK_NOTE',
  'FLOAT_BY_DENOMINATION',
  'SET_VALUE_REPORTING_TYPE',
  'PAYOUT_BY_DENOMINATION',
  'SET_COIN_MECH_GLOBAL_INHIBIT',
  'SET_BAUD_RATE',
  'GET_BUILD_REVISION',
  'SET_HOPPER_OPTIONS',
  'GET_HOPPER_OPTIONS',
  'SMART_EMPTY',
  'CASHBOX_PAYOUT_OPERATION_DATA',
  'CONFIGURE_BEZEL',
  'POLL_WITH_ACK',
  'EVENT_ACK',
  'GET_COUNTERS',
  'RESET_COUNTERS',
  'COIN_MECH_OPTIONS',
  'DISABLE_PAYOUT_DEVICE',
  'ENABLE_PAYOUT_DEVICE',
  'SET_FIXED_ENCRYPTION_KEY',
  'RESET_FIXED_ENCRYPTION_KEY',
] as const;

/** Codes whose "Encryption Required" column in the fact sheet (§12) reads "yes". */
const ENCRYPTED_CODES = [
  0x33, 0x34, 0x38, 0x3b, 0x3c, 0x3d, 0x3f, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x49, 0x4e, 0x50, 0x51,
  0x52, 0x53, 0x56, 0x57, 0x5a, 0x5b, 0x5c, 0x5d, 0x60, 0x67, 0x68,
];

describe('eSSP command table', () => {
  it('has every command of the legacy library under the same name', () => {
    expect(LEGACY_NAMES).to.have.length(61);
    const missing = LEGACY_NAMES.filter((n) => !(n in ESSP_COMMANDS));
    expect(missing).to.deep.equal([]);
  });

  it('has the key-exchange rows and the fact-sheet additions', () => {
    for (const name of [
      'SET_GENERATOR',
      'SET_MODULUS',
      'REQUEST_KEY_EXCHANGE',
      'GET_RTC',
      'SET_RTC',
      'COIN_STIR',
    ]) {
      expect(ESSP_COMMANDS, name).to.have.property(name);
    }
    expect(ESSP_COMMANDS.SET_GENERATOR.code).to.equal(0x4a);
    expect(ESSP_COMMANDS.PAYOUT_AMOUNT.code).to.equal(0x33);
  });

  it('names and codes are unique, keys match row names', () => {
    const codes = ESSP_COMMAND_LIST.map((r) => r.code);
    expect(new Set(codes).size).to.equal(codes.length);
    for (const [key, row] of Object.entries(ESSP_COMMANDS)) expect(row.name).to.equal(key);
    expect(Object.keys(ESSP_COMMANDS)).to.have.length(ESSP_COMMAND_LIST.length);
  });

  it('marks exactly the fact sheet "yes" rows as encryption required', () => {
    for (const row of ESSP_COMMAND_LIST) {
      expect(row.encryption, row.name).to.equal(ENCRYPTED_CODES.includes(row.code) ? 'required' : 'optional');
    }
  });

  it('every row has a description and a unit list', () => {
    for (const row of ESSP_COMMAND_LIST) {
      expect(row.description.length, row.name).to.be.greaterThan(10);
      expect(row.units === 'all' || row.units.length > 0, row.name).to.equal(true);
    }
  });

  it('commandByCode finds rows by command byte', () => {
    expect(commandByCode(0x0c)?.name).to.equal('GET_SERIAL_NUMBER');
    expect(commandByCode(0x11)?.name).to.equal('SYNC');
    expect(commandByCode(0xee)).to.equal(undefined);
  });

  it('unit support follows the devices column', () => {
    expect(isSupportedBy('PAYOUT_AMOUNT', 0x03)).to.equal(true);
    expect(isSupportedBy('PAYOUT_AMOUNT', 0x00)).to.equal(false);
    expect(isSupportedBy('PAYOUT_NOTE', 0x07)).to.equal(true);
    expect(isSupportedBy('SYNC', 0x0b)).to.equal(true);
  });

  it('unknown names raise UnknownCommandError with close suggestions', () => {
    expect(() => encodeCommandByName('PAYOUT_AMMOUNT', { amount: 1 })).to.throw(
      UnknownCommandError,
      /PAYOUT_AMOUNT/,
    );
    expect(() => lookupCommand('GET_SERIAL')).to.throw(UnknownCommandError, /Did you mean GET_SERIAL_NUMBER/);
    expect(suggestCommands('set inhibits')).to.include('SET_CHANNEL_INHIBITS');
    expect(suggestCommands('SYNCH')).to.deep.equal(['SYNC']);
    expect(suggestCommands('XYZZY')).to.deep.equal([]);
  });

  it('argument and reply types follow from the name (compile-time)', () => {
    const serial: ReplyOf<'GET_SERIAL_NUMBER'>['serial_number'] = 4880564;
    const asNumber: number = serial;
    const args: ArgsOf<'PAYOUT_AMOUNT'> = { amount: 500, country_code: 'EUR', test: true };
    const name: EsspCommandName = 'SYNC';
    expect([asNumber, args.amount, name]).to.deep.equal([4880564, 500, 'SYNC']);
    // Never run: these lines only have to fail to compile.
    const typeChecks = () => {
      // @ts-expect-error a misspelt command name is a type error
      encodeCommand('PAYOUT_AMMOUNT', undefined);
      // @ts-expect-error required arguments cannot be left out
      encodeCommand('PAYOUT_AMOUNT', undefined);
      // @ts-expect-error missing fields are a type error
      encodeCommand('PAYOUT_AMOUNT', { amount: 500 });
      // @ts-expect-error the serial number is not a string
      const s: string = ({} as ReplyOf<'GET_SERIAL_NUMBER'>).serial_number;
      return s;
    };
    expect(typeChecks).to.be.a('function');
  });
});
