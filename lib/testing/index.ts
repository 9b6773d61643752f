/**
 * `cashwire/testing`: simulators, in-memory transports and helpers to test
 * applications without hardware.
 * @packageDocumentation
 */
export { createMemoryPair, type MemoryTransport } from '../transport/memory.js';
