/**
 * `cashwire/testing`: simulators, in-memory transports and helpers to test
 * applications without hardware.
 * @packageDocumentation
 */
export { createMemoryPair, type MemoryTransport } from '../transport/memory.js';
export {
  ESSP_PROFILE_NAMES,
  createEsspSimulator,
  esspProfile,
  type EsspProfile,
  type EsspProfileName,
  type EsspSimulator,
  type EsspSimulatorOptions,
  type EsspSimulatorStats,
  type EsspTiming,
  type ReplyOverride,
  type WireIntercept,
  type DeviceCounter as EsspDeviceCounter,
} from '../protocols/essp/simulator/index.js';
export * from '../protocols/pyramid/simulator/index.js';
export * from './faults/index.js';
export { createRandom, type Random } from './random.js';
export {
  createCcTalkSimulator,
  EURO_BILLS,
  EURO_COINS,
  type CcTalkReplyContext,
  type CcTalkSimulator,
  type CcTalkSimulatorOptions,
  type CcTalkSimulatorStats,
  type SimBillConfig as CcTalkSimBillConfig,
  type SimCoinConfig as CcTalkSimCoinConfig,
  type SimHopperConfig as CcTalkSimHopperConfig,
  type SimReply as CcTalkSimReply,
  type SimReplyOverride as CcTalkSimReplyOverride,
} from '../protocols/cctalk/simulator/index.js';
export * from './trace/index.js';
