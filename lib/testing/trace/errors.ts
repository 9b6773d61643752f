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

/**
 * The driver wrote bytes the trace did not record next: other bytes than the
 * next `tx` record, a write past the end of the trace, or a write while a
 * recorded reply was still to come (`expectedDirection` 'rx').
 */
export class TraceMismatchError extends CashwireError {
  override readonly name = 'TraceMismatchError';
  readonly line: number;
  /** Hex of the record the replay expected; '' past the end of the trace. */
  readonly expected: string;
  readonly expectedDirection: 'tx' | 'rx' | 'end';
  readonly actual: string;
  constructor(
    line: number,
    expected: { readonly direction: 'tx' | 'rx'; readonly hex: string } | undefined,
    actual: string,
  ) {
    const want =
      expected === undefined
        ? 'the end of the trace (nothing more to send)'
        : expected.direction === 'tx'
          ? `tx ${expected.hex}`
          : `the recorded reply rx ${expected.hex} first`;
    super(
      'TRACE_MISMATCH',
      `Replay diverged at trace line ${line}: expected ${want}, the driver wrote ${actual}.`,
      {
        line,
        expected: expected?.hex ?? null,
        actual,
      },
    );
    this.line = line;
    this.expected = expected?.hex ?? '';
    this.expectedDirection = expected?.direction ?? 'end';
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
