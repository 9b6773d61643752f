/** Trace recording (JSONL) and strict replay of recorded traces. */
export { TraceFormatError, TraceMismatchError, TraceUnconsumedError } from './errors.js';
export {
  parseTraceLines,
  recordTrace,
  traceToJsonLine,
  traceToJsonLines,
  type TraceLine,
  type TraceSink,
} from './jsonl.js';
export { createReplayTransport, type ReplayOptions, type ReplayTransport } from './replay.js';
export { seededRandom } from './random.js';
