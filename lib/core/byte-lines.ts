/**
 * Reading bytes the way people paste them: `7F 80 01 11 65 82`, `7f-80-01`,
 * `0x7F,0x80`, `7F800111`, or decimal as ccTalk tools print it
 * (`002 000 001 254 255`). Runs of spaces, commas or dashes separate bytes.
 *
 * Auto-detection: a token with a hex letter or `0x` means hex; tokens that are
 * all three-digit numbers, or any token over two digits, mean decimal;
 * otherwise two-character tokens are hex.
 */
import { InvalidArgumentError } from './errors.js';

export type ByteRadix = 'hex' | 'dec' | 'auto';

export function parseByteLine(line: string, radix: ByteRadix = 'auto'): Uint8Array {
  const text = line.trim();
  if (text === '') return new Uint8Array(0);
  const tokens = text.split(/[\s,;:-]+/).filter((t) => t !== '');
  const kind = radix === 'auto' ? detectRadix(tokens) : radix;
  if (kind === 'hex') return parseHexTokens(tokens, line);
  const out = new Uint8Array(tokens.length);
  tokens.forEach((t, i) => {
    if (!/^\d{1,3}$/.test(t) || Number(t) > 255) {
      throw new InvalidArgumentError(`'${t}' is not a decimal byte (0-255) in line: ${line}`, { token: t });
    }
    out[i] = Number(t);
  });
  return out;
}

function detectRadix(tokens: readonly string[]): 'hex' | 'dec' {
  if (tokens.some((t) => /^0x/i.test(t) || /[a-f]/i.test(t))) return 'hex';
  if (tokens.length === 1 && tokens[0]!.length > 3) return 'hex'; // one run of hex digits
  if (tokens.some((t) => t.length === 3)) return 'dec';
  return 'hex';
}

function parseHexTokens(tokens: readonly string[], line: string): Uint8Array {
  const digits: string[] = [];
  for (const raw of tokens) {
    const t = raw.replace(/^0x/i, '');
    if (!/^[0-9a-f]+$/i.test(t)) {
      throw new InvalidArgumentError(`'${raw}' is not a hex byte in line: ${line}`, { token: raw });
    }
    if (t.length === 1) digits.push(`0${t}`);
    else if (t.length % 2 === 0) for (let i = 0; i < t.length; i += 2) digits.push(t.slice(i, i + 2));
    else
      throw new InvalidArgumentError(`'${raw}' has an odd number of hex digits in line: ${line}`, {
        token: raw,
      });
  }
  return Uint8Array.from(digits.map((d) => parseInt(d, 16)));
}
