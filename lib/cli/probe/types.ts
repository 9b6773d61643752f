/**
 * What `cashwire probe` and `cashwire command` share: how a port is opened at
 * a protocol's line settings (replaced by memory pairs in tests), what one
 * protocol's probe reports, and a helper that always closes what it opened.
 */
import { type Observable, firstValueFrom } from 'rxjs';
import { openSerialTransport } from '../../transport/serialport.js';
import type { LineSettings, Transport } from '../../transport/transport.js';

/** Opens `path` at `settings`. Cold; emits the open transport once. */
export type OpenAt = (path: string, settings: LineSettings) => Observable<Transport>;

export const openSerialAt: OpenAt = (path, settings) => openSerialTransport(path, settings);

export type ProbeProtocol = 'essp' | 'cctalk' | 'pyramid';
export const PROBE_PROTOCOLS: readonly ProbeProtocol[] = ['essp', 'cctalk', 'pyramid'];

/** One device that answered. Fields a protocol cannot tell are left out. */
export interface ProbeFinding {
  readonly protocol: ProbeProtocol;
  readonly address: number;
  /** eSSP unit type name, ccTalk equipment category, Pyramid model. */
  readonly unit?: string;
  readonly manufacturer?: string;
  readonly product?: string;
  readonly serial?: string;
  readonly firmware?: string;
  readonly currency?: string;
  /** Channel values as printed money ('5.00 EUR'), in channel order. */
  readonly channels?: readonly string[];
  /** Protocol-specific facts (checksum mode, echo, protocol version, state ...). */
  readonly details: Readonly<Record<string, unknown>>;
  /** Things that did not answer while identifying (a header, a command). */
  readonly warnings: readonly string[];
}

/** What one protocol's probe tried and found. */
export interface ProtocolProbe {
  readonly protocol: ProbeProtocol;
  /** Line settings as people write them: '9600 8N2'. */
  readonly line: string;
  /** What was sent, in words. */
  readonly tried: string;
  readonly found: readonly ProbeFinding[];
  /** Replies that were not this protocol's (an echo of what was sent, another protocol's frames). */
  readonly notes?: readonly string[];
  /** Set when the port could not be opened or the probe failed for a reason other than silence. */
  readonly error?: string;
  readonly elapsedMs: number;
}

export interface ProbeSettings {
  /** Reply timeout of one try, ms. */
  readonly timeoutMs: number;
  /** A line of progress for people (never called in --json mode). */
  readonly progress: (text: string) => void;
}

/** '9600 8N2' from line settings. */
export function lineText(s: LineSettings): string {
  const parity = s.parity === 'none' ? 'N' : s.parity === 'even' ? 'E' : 'O';
  return `${s.baudRate} ${s.dataBits}${parity}${s.stopBits}`;
}

export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Open, run `work`, and close the transport whatever happens. */
export async function withTransport<T>(
  open: OpenAt,
  path: string,
  settings: LineSettings,
  work: (t: Transport) => Promise<T>,
): Promise<T> {
  const transport = await firstValueFrom(open(path, settings));
  try {
    return await work(transport);
  } finally {
    await firstValueFrom(transport.close(), { defaultValue: undefined }).catch(() => undefined);
  }
}

/** Run `work`; a failure becomes `undefined` and a warning. */
export async function optional<T>(
  what: string,
  work: () => Promise<T>,
  warnings: string[],
): Promise<T | undefined> {
  try {
    return await work();
  } catch (e) {
    warnings.push(`${what}: ${messageOf(e)}`);
    return undefined;
  }
}
