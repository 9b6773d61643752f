/**
 * eSSP / SSP protocol: wire layer (CRC, frames, streaming parser, sequence
 * flags), encryption, command and event tables, and the session, bus and
 * device built on them.
 */
export * from './context.js';
export * from './crc.js';
export * from './framing.js';
export * from './parser.js';
export * from './link.js';
export * from './generic.js';
export {
  decodeSetupRequest,
  type HopperSetup,
  type PrinterSetup,
  type SetupChannel,
  type SetupInfo,
  type ValidatorSetup,
} from './setup.js';
export * from './commands/table.js';
export type { AnyCommandDef, CommandDef, EncryptionNeed } from './commands/types.js';
export * from './events/index.js';
export * from './crypto/index.js';
export {
  createEsspBus,
  type EsspBus,
  type EsspBusOptions,
  type EsspCommandReply,
  type EsspRx,
  type EsspSession,
  type EsspSessionOptions,
  type SendOptions,
  type SessionContext,
} from './session.js';
export { createEsspDevice } from './device/device.js';
export type { EsspDeviceTarget } from './device/line.js';
export { connectEssp, type ConnectPlan } from './device/connect.js';
export { NORMALIZE, normalizeEvent, rawEvent } from './device/normalize.js';
export { ESSP_DEVICE_LIMITS, NV4000_MODULES } from './device/options.js';
export type * from './device/types.js';
