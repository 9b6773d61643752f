/** eSSP device simulator: profiles, the virtual unit and its scenario API. */
export { createEsspSimulator, type EsspSimulator, type EsspSimulatorOptions } from './simulator.js';
export {
  ESSP_PROFILE_NAMES,
  esspProfile,
  type EsspProfile,
  type EsspProfileName,
  type PayoutKind,
  type PayoutSpec,
  type ProfileOptions,
} from './profiles.js';
export { DEFAULT_TIMING, REJECT, type EsspTiming } from './machine.js';
export type { EsspSimulatorStats } from './state.js';
export type { WireIntercept } from './wire.js';
export type { DeviceCounter } from './counter.js';
export {
  DEFAULT_HANDLERS,
  STATUS,
  type CommandHandler,
  type HandlerContext,
  type ReplyOverride,
} from './handlers/index.js';
