/**
 * cashwire: reactive drivers for cash-handling devices.
 * @packageDocumentation
 */
export * from './core/errors.js';
export * from './core/money.js';
export * from './core/bytes.js';
export type { Diagnostic, DiagnosticKind } from './core/diagnostics.js';
export type { Transport, LineSettings } from './transport/transport.js';
export * from './core/events.js';
export { createEsspBus, createEsspDevice, ESSP_DEVICE_LIMITS, ESSP_LINE } from './protocols/essp/index.js';
export type {
  EncryptionMode,
  EsspBus,
  EsspBusOptions,
  EsspChannel,
  EsspCommandName,
  EsspCommandReply,
  EsspDevice,
  EsspDeviceOptions,
  EsspDeviceTarget,
  EsspLevel,
  EsspModel,
  EsspRoute,
  EsspSession,
  EsspSessionOptions,
  EsspUnitInfo,
} from './protocols/essp/index.js';
export { createPyramidDevice } from './protocols/pyramid/device.js';
export * from './protocols/pyramid/device-types.js';
export type { EscrowDecision } from './protocols/pyramid/escrow.js';
export {
  USD_BILLS,
  createBillTable,
  maskFromIndexes,
  maskFromValues,
  maskUpTo,
  type BillTable,
} from './protocols/pyramid/bills.js';
export { PYRAMID_LINE } from './protocols/pyramid/framing.js';
export type { PrimaryState, PyramidStatus } from './protocols/pyramid/status.js';
export { SSP } from './compat/ssp.js';
export {
  CCTALK_LINE_SETTINGS,
  createCcTalkBus,
  createCcTalkCoinAcceptor,
  createCcTalkBillValidator,
  createCcTalkHopper,
  discoverCcTalkDevices,
  identifyDevice as identifyCcTalkDevice,
  NoBillInEscrowError,
  COIN_ACCEPTOR_LIMITS,
  BILL_VALIDATOR_LIMITS,
  HOPPER_LIMITS,
  CCTALK_RECONNECT_LIMITS,
} from './protocols/cctalk/index.js';
export type {
  CcTalkBus,
  CcTalkBusOptions,
  CcTalkBusTarget,
  CcTalkLineState,
  CcTalkReconnectOptions,
  CcTalkDevice,
  CcTalkCoinAcceptor,
  CcTalkCoinAcceptorOptions,
  CcTalkBillValidator,
  CcTalkBillValidatorOptions,
  CcTalkEscrowDecision,
  CcTalkEscrowedBill,
  CcTalkHopper,
  CcTalkHopperOptions,
  ChecksumMode as CcTalkChecksumMode,
  CoinSlot as CcTalkCoinSlot,
  DeviceIdentity as CcTalkDeviceIdentity,
  DiscoveryOptions as CcTalkDiscoveryOptions,
  DiscoveryReport as CcTalkDiscoveryReport,
  EchoPolicy as CcTalkEchoPolicy,
  HeaderName as CcTalkHeaderName,
  HopperSecurity as CcTalkHopperSecurity,
  HopperStatus as CcTalkHopperStatus,
} from './protocols/cctalk/index.js';
export type { FrameTrace } from './operators/trace.js';
export type { ExchangeEvent } from './operators/exchange.js';
export {
  EMPTY_LINK_STATS,
  LATENCY_WINDOW,
  linkStats,
  type LatencySummary,
  type LinkStats,
} from './operators/stats.js';
export {
  openSerialTransport,
  listSerialPorts,
  type PortInfo,
  type SerialTransportOptions,
} from './transport/serialport.js';
export {
  encodeCommand,
  encodeCommandByName,
  decodeReply,
  lookupCommand,
  ESSP_COMMANDS,
  ESSP_COMMAND_LIST,
  parsePollReply,
  EVENT_TABLE,
  decodeSetupRequest,
  type ArgsOf as EsspArgsOf,
  type ReplyOf as EsspReplyOf,
  type EsspEvent,
  type EsspEventName,
} from './protocols/essp/index.js';
export { createEsspLineDecoder } from './protocols/essp/decode-lines.js';
