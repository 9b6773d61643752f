/**
 * `cashwire decode <protocol> [file]`: captured bytes in, one JSON object per
 * frame out. Bad lines give one clear message on stderr and decoding goes on.
 */
import type { Command } from 'commander';
import { fromHex } from '../../core/bytes.js';
import { InvalidArgumentError, isCashwireError } from '../../core/errors.js';
import { SecretKey } from '../../protocols/essp/crypto/key.js';
import { createEsspLineDecoder } from '../../protocols/essp/decode-lines.js';
import { parseByteLine, type ByteRadix } from '../../core/byte-lines.js';
import { jsonLine, processIo, readLines, setProcessExitCode, type CliIo } from '../io.js';

export interface LineDecoder {
  decode(bytes: Uint8Array): unknown[];
}

export interface DecodeOptions {
  readonly radix: ByteRadix;
  readonly key?: string;
  readonly protocolVersion?: number;
}

/** Build the per-protocol decoder; one per run, so it can follow the session. */
export type DecoderFactory = (options: DecodeOptions) => LineDecoder;

const DECODERS: Record<string, DecoderFactory> = {
  essp: (o) =>
    createEsspLineDecoder({
      ...(o.key ? { key: parseAesKey(o.key) } : {}),
      ...(o.protocolVersion ? { context: { protocolVersion: o.protocolVersion } } : {}),
    }),
};

/** Other protocols add their decoders here. */
export function registerDecoder(protocol: string, factory: DecoderFactory): void {
  DECODERS[protocol] = factory;
}

function parseAesKey(hex: string): SecretKey {
  if (!/^[0-9a-f]{32}$/i.test(hex.replace(/[\s:-]/g, ''))) {
    throw new InvalidArgumentError('--key takes the 16 AES key bytes as 32 hex digits.');
  }
  return new SecretKey(fromHex(hex));
}

/** A trace file line (JSON with a `hex` field) or a plain line of bytes. */
function lineBytes(line: string, radix: ByteRadix): Uint8Array {
  const text = line.trim();
  if (text.startsWith('{')) {
    const record = JSON.parse(text) as { hex?: unknown };
    if (typeof record.hex !== 'string') throw new InvalidArgumentError('trace line has no "hex" field');
    return fromHex(record.hex);
  }
  return parseByteLine(text, radix);
}

export async function runDecode(
  protocol: string,
  lines: AsyncIterable<string>,
  options: DecodeOptions,
  io: CliIo,
): Promise<number> {
  const factory = DECODERS[protocol];
  if (!factory) {
    throw new InvalidArgumentError(
      `Unknown protocol '${protocol}'. Choose one of: ${Object.keys(DECODERS).join(', ')}.`,
    );
  }
  const decoder = factory(options);
  let lineNo = 0;
  let bad = 0;
  for await (const line of lines) {
    lineNo++;
    const text = line.trim();
    if (text === '' || text.startsWith('#')) continue;
    try {
      for (const item of decoder.decode(lineBytes(text, options.radix))) io.out(jsonLine(item));
    } catch (e) {
      bad++;
      const why = isCashwireError(e) || e instanceof SyntaxError ? e.message : String(e);
      io.err(`line ${lineNo}: ${why}`);
    }
  }
  return bad > 0 ? 1 : 0;
}

export function registerDecodeCommand(program: Command, io: CliIo = processIo): void {
  program
    .command('decode')
    .description(
      'Decode captured bytes (hex or decimal lines, or cashwire trace files) into JSON, one object per frame',
    )
    .argument('<protocol>', `protocol: ${Object.keys(DECODERS).join(' | ')}`)
    .argument('[file]', 'file to read; standard input when omitted or -')
    .option('--key <hex>', 'eSSP: the 16 AES key bytes (32 hex digits) to open encrypted frames')
    .option('--protocol-version <n>', 'eSSP: protocol version to assume until the capture shows one', (v) =>
      Number.parseInt(v, 10),
    )
    .option('--hex', 'read every line as hex')
    .option('--dec', 'read every line as decimal')
    .addHelpText(
      'after',
      `
Examples:
  echo "7F 80 01 11 65 82 7F 80 01 F0 23 80" | cashwire decode essp
  cashwire decode essp capture.txt --key 67452301674523015efae50d00000000
  echo "002 000 001 254 255" | cashwire decode cctalk`,
    )
    .action(async (protocol: string, file: string | undefined, opts: Record<string, unknown>) => {
      const radix: ByteRadix = opts['hex'] ? 'hex' : opts['dec'] ? 'dec' : 'auto';
      const code = await runDecode(
        protocol,
        readLines(file),
        {
          radix,
          ...(typeof opts['key'] === 'string' ? { key: opts['key'] } : {}),
          ...(typeof opts['protocolVersion'] === 'number'
            ? { protocolVersion: opts['protocolVersion'] }
            : {}),
        },
        io,
      );
      setProcessExitCode(code);
    });
}
