/** Pyramid RS-232 / EBDS: frame codec, stream parser, status bytes, bill tables, extended messages. */
export * from './framing.js';
export * from './parser.js';
export * from './status.js';
export * from './bills.js';
export * from './extended.js';
