/**
 * Marble-test scheduler whose assertion compares errors by what callers can
 * observe ({name, message, code}) instead of by identity or stack, which deep
 * equality would otherwise trip over.
 */
import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';

/** Errors become plain {name, message, code}; everything else is walked structurally. */
export function normalizeErrors(value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, code };
  }
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(normalizeErrors);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = normalizeErrors(v);
    return out;
  }
  return value;
}

export function createTestScheduler(): TestScheduler {
  return new TestScheduler((actual, expected): void => {
    expect(normalizeErrors(actual)).to.deep.equal(normalizeErrors(expected));
  });
}
