/**
 * Typed failures of trace files and replays. A replay that fails must say
 * where: every error names the 1-based line of the trace it is about.
 */
import { CashwireError } from '../../core/errors.js';

/** A line of a JSONL trace is not a valid frame record. */
export class TraceFormatError extends CashwireError {
  override readonly name = 'TraceFormatError';
  readonly line: number;
  constructor(line: number, reason: string) {
    super('TRACE_FORMAT', `Trace line ${line} is not a valid frame record: ${reason}`, { line, reason });
    this.line = line;
  }
}

/** The driver wrote bytes other than the ones the trace recorded next. */
export class TraceMismatchError extends CashwireError {
  override readonly name = 'TraceMismatchError';
  readonly line: number;
  readonly expected: string;
  readonly actual: string;
  constructor(line: number, expected: string | undefined, actual: string) {
    const want = expected === undefined ? 'the end of the trace (nothing more to send)' : `tx ${expected}`;
    super(
      'TRACE_MISMATCH',
      `Replay diverged at trace line ${line}: expected ${want}, the driver wrote ${actual}.`,
      {
        line,
        expected: expected ?? null,
        actual,
      },
    );
    this.line = line;
    this.expected = expected ?? '';
    this.actual = actual;
  }
}

/** The replay ended with records the driver never reached. */
export class TraceUnconsumedError extends CashwireError {
  override readonly name = 'TraceUnconsumedError';
  readonly line: number;
  readonly remaining: number;
  constructor(line: number, remaining: number, next: string) {
    super(
      'TRACE_UNCONSUMED',
      `Replay ended with ${remaining} trace record(s) unconsumed, starting at line ${line} (${next}).`,
      { line, remaining, next },
    );
    this.line = line;
    this.remaining = remaining;
  }
}
