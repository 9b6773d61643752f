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
