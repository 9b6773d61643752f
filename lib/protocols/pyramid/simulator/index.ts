/** Pyramid RS-232 acceptor simulator (exported from `cashwire/testing`). */
export { createPyramidSimulator } from './simulator.js';
export * from './types.js';
