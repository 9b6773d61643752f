/** Small, allocation-aware helpers over Uint8Array. Library code never uses Buffer. */

import { InvalidArgumentError } from './errors.js';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0').toUpperCase());

/** `Uint8Array` → `"7F 80 01 11"` (upper case, space separated). */
export function toHex(bytes: Uint8Array, separator = ' '): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    if (i > 0) out += separator;
    out += HEX[bytes[i]!]!;
  }
  return out;
}

/**
 * Parse hex with any separators (spaces, commas, dashes, colons) or none.
 * Throws {@link InvalidArgumentError} on odd length or non-hex characters.
 */
export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/0x/gi, '').replace(/[\s,:;\-_]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) {
    throw new InvalidArgumentError(`Not a hex byte string: '${text}'.`, { text });
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function bytes(...values: readonly number[]): Uint8Array {
  return Uint8Array.from(values);
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function u16le(value: number): Uint8Array {
  return bytes(value & 0xff, (value >>> 8) & 0xff);
}

export function u32le(value: number): Uint8Array {
  return bytes(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff);
}

export function u64le(value: bigint): Uint8Array {
  const out = new Uint8Array(8);
  let v = BigInt.asUintN(64, value);
  for (let i = 0; i < 8; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function readU16le(b: Uint8Array, offset: number): number {
  return (b[offset] ?? 0) | ((b[offset + 1] ?? 0) << 8);
}

export function readU32le(b: Uint8Array, offset: number): number {
  return (
    ((b[offset] ?? 0) | ((b[offset + 1] ?? 0) << 8) | ((b[offset + 2] ?? 0) << 16)) +
    (b[offset + 3] ?? 0) * 0x1000000
  );
}

export function readU32be(b: Uint8Array, offset: number): number {
  return (
    (b[offset] ?? 0) * 0x1000000 +
    (((b[offset + 1] ?? 0) << 16) | ((b[offset + 2] ?? 0) << 8) | (b[offset + 3] ?? 0))
  );
}

export function readU24be(b: Uint8Array, offset: number): number {
  return ((b[offset] ?? 0) << 16) | ((b[offset + 1] ?? 0) << 8) | (b[offset + 2] ?? 0);
}

export function readU64le(b: Uint8Array, offset: number): bigint {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(b[offset + i] ?? 0);
  return v;
}

/** ASCII text of a byte range (non-printable bytes kept as-is). */
export function ascii(b: Uint8Array, offset = 0, length = b.length - offset): string {
  let s = '';
  for (let i = offset; i < offset + length && i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

export function fromAscii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}
