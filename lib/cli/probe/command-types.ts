/**
 * One command for `cashwire command`: each protocol prepares it (validation
 * only, so a bad name or argument fails before the port is opened and
 * nothing is written), then runs it on an open transport.
 */
import type { LineSettings, Transport } from '../../transport/transport.js';

export interface CommandRequest {
  /** Command name as typed; matched case-insensitively, '-' for '_'. */
  readonly name: string;
  /** Parsed json-args (undefined when none were given). */
  readonly args: unknown;
  readonly address?: number;
  /** eSSP: fixed key half, 16 hex digits. */
  readonly fixedKey?: string;
  /** eSSP: negotiate a key first even when the command does not require one. */
  readonly encrypt?: boolean;
  /** ccTalk: checksum mode; default: whichever the device answers a simple poll in. */
  readonly checksum?: 'simple' | 'crc16';
  /** Reply timeout of one try, ms; default the protocol's own. */
  readonly timeoutMs?: number;
}

/** What a command returned, ready for JSON output. */
export interface CommandResult {
  readonly protocol: 'essp' | 'cctalk' | 'pyramid';
  readonly address?: number;
  readonly command: string;
  readonly status: string;
  readonly reply: unknown;
  /** Facts about the exchange (encrypted, checksum mode, ...). */
  readonly link: Readonly<Record<string, unknown>>;
  readonly warnings: readonly string[];
}

export interface PreparedCommand {
  readonly line: LineSettings;
  run(transport: Transport): Promise<CommandResult>;
}

/** Table names are UPPER_SNAKE; people type get-serial-number too. */
export const tableName = (name: string): string =>
  name
    .trim()
    .toUpperCase()
    .replace(/[\s-]+/g, '_');

/** Arrays of byte values (integers 0..255) as Uint8Array, at any depth; everything else unchanged. */
export function withByteArrays(value: unknown): unknown {
  if (Array.isArray(value)) {
    const bytes = value.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255);
    return bytes && value.length > 0 ? Uint8Array.from(value as number[]) : value.map(withByteArrays);
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withByteArrays(v)]));
  }
  return value;
}

/**
 * JSON has no byte strings: `[1,2,3]` may mean a list of numbers or bytes.
 * Validate the arguments as given; if the table refuses them, try again with
 * byte arrays as Uint8Array. The first error is the one reported.
 */
export function validateArgs<T>(args: unknown, validate: (a: unknown) => T): { args: unknown; value: T } {
  try {
    return { args, value: validate(args) };
  } catch (first) {
    const converted = withByteArrays(args);
    try {
      return { args: converted, value: validate(converted) };
    } catch {
      throw first;
    }
  }
}
