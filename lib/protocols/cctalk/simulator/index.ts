/** The ccTalk bus simulator (exported from `cashwire/testing`). */
export { createCcTalkSimulator } from './simulator.js';
export { EURO_COINS } from './coin.js';
export { EURO_BILLS } from './bill.js';
export type {
  CcTalkSimulator,
  CcTalkSimulatorOptions,
  CcTalkSimulatorStats,
  ReplyContext as CcTalkReplyContext,
  SimBillConfig,
  SimCoinConfig,
  SimHopperConfig,
  SimReply,
  SimReplyOverride,
} from './types.js';
