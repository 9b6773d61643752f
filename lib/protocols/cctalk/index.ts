/** ccTalk protocol layers: checksums, frame codec and parser, echo handling, header table, events, coin ids. */
export * from './checksum.js';
export * from './framing.js';
export * from './parser.js';
export * from './echo.js';
export * from './headers.js';
export * from './events.js';
export * from './coin-id.js';
