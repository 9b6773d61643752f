/**
 * ccTalk: pure layers (checksums, frame codec and parser, echo handling,
 * header table, event buffers, coin and bill ids), the bus, discovery and
 * the device drivers.
 */
export * from './checksum.js';
export * from './framing.js';
export * from './parser.js';
export * from './echo.js';
export * from './headers.js';
export * from './events.js';
export * from './coin-id.js';
export * from './link-policy.js';
export {
  type CcTalkBusTarget,
  type CcTalkLineState,
  type CcTalkReconnectOptions,
  CCTALK_RECONNECT_LIMITS,
} from './line.js';
export * from './bus.js';
export * from './discovery.js';
export * from './normalize.js';
export { type CcTalkDevice, RECONNECT_DELAY_MS } from './device-base.js';
export * from './coin-acceptor.js';
export * from './bill-validator.js';
export * from './hopper.js';
export * from './decode-lines.js';
