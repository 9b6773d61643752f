import { expect } from 'chai';
import fc from 'fast-check';
import type { Money } from '../../../../lib/core/money.js';
import {
  EVENT_TABLE,
  NO_CURRENCY,
  codeName,
  encodeEvents,
  parsePollReply,
  payloadFor,
} from '../../../../lib/protocols/essp/events/index.js';
import type {
  EsspEvent,
  EventContext,
  EventRow,
  Layout,
} from '../../../../lib/protocols/essp/events/index.js';

const UNIT_TYPES = [0x00, 0x03, 0x06, 0x07, 0x08, 0x09, 0x0b, 0x0d, 0x0e, 0x0f, 0x42];
const CURRENCIES = ['EUR', 'USD', 'GBP', 'UAH', 'CHF'];

const ctxArb: fc.Arbitrary<EventContext> = fc.record(
  {
    protocolVersion: fc.integer({ min: 4, max: 9 }),
    unitType: fc.constantFrom(...UNIT_TYPES),
    currency: fc.constantFrom(...CURRENCIES),
    smartCurrency: fc.boolean(),
    channels: fc.array(
      fc.record({ amount: fc.integer({ min: 1, max: 100000 }), currency: fc.constantFrom(...CURRENCIES) }),
      { maxLength: 8 },
    ),
  },
  { requiredKeys: ['protocolVersion', 'unitType'] },
);

/** Also sessions with values no device should report (garbage in SETUP REQUEST, NaN). */
const anyCtxArb: fc.Arbitrary<EventContext> = fc.oneof(
  ctxArb,
  fc.record({
    protocolVersion: fc.oneof(fc.integer({ min: -5, max: 400 }), fc.constant(Number.NaN)),
    unitType: fc.integer({ min: -1, max: 300 }),
    currency: fc.string({ maxLength: 4 }),
    smartCurrency: fc.boolean(),
  }),
);

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const moneyArb: fc.Arbitrary<Money> = fc.record({ amount: u32, currency: fc.constantFrom(...CURRENCIES) });
const byte = fc.integer({ min: 0, max: 255 });

/** An arbitrary event of `row` exactly as parsePollReply would decode it for `ctx`. */
function eventArb(row: EventRow, ctx: EventContext): fc.Arbitrary<EsspEvent> {
  const { kind, alt } = payloadFor(row, ctx);
  // Framings that carry different data (none / a value, channel / amounts): generate both.
  if (alt !== undefined && (kind === 'none' || kind === 'channel')) {
    // An empty amount list encodes as `00`, the same byte as channel 0, which the
    // parser (rightly) reads in the documented framing: leave that case out.
    const other = layoutArb(row, ctx, alt).filter((e) => !('amounts' in e) || e.amounts.length > 0);
    return fc.oneof(layoutArb(row, ctx, kind), other);
  }
  return layoutArb(row, ctx, kind);
}

function layoutArb(row: EventRow, ctx: EventContext, kind: Layout): fc.Arbitrary<EsspEvent> {
  const event = row.name;
  const code = row.code;
  const dataset = ctx.currency ?? NO_CURRENCY;
  const bare = u32.map((amount) => ({ amount, currency: dataset }));
  const as = (a: fc.Arbitrary<object>) => a as fc.Arbitrary<EsspEvent>;
  const head = { event, code };
  switch (kind) {
    case 'none':
    case 'unsized':
      return fc.constant(head as EsspEvent);
    case 'channel':
      if (row.shape === 'fraud') return as(byte.map((channel) => ({ ...head, channel })));
      return as(
        byte.map((channel) => {
          const value = channel > 0 ? ctx.channels?.[channel - 1] : undefined;
          return value === undefined ? { ...head, channel } : { ...head, channel, value };
        }),
      );
    case 'reason': {
      const amounts = row.shape === 'payout-error' ? { amounts: [] } : {};
      return as(
        byte.map((reason) => ({
          ...head,
          ...amounts,
          reason,
          reasonName: codeName(row.reasons ?? {}, reason),
        })),
      );
    }
    case 'u32':
      return as(bare.map((m) => (row.shape === 'value' ? { ...head, value: m } : { ...head, amounts: [m] })));
    case 'u32-pair':
      return as(
        fc
          .tuple(bare, bare)
          .map(([completed, requested]) => ({ ...head, amounts: [{ completed, requested }] })),
      );
    case 'VC':
      return as(fc.array(moneyArb, { maxLength: 4 }).map((amounts) => ({ ...head, amounts })));
    case 'VC+reason':
      return as(
        fc.tuple(fc.array(moneyArb, { maxLength: 4 }), byte).map(([amounts, reason]) => ({
          ...head,
          amounts,
          reason,
          reasonName: codeName(row.reasons ?? {}, reason),
        })),
      );
    case 'VVC':
      return as(
        fc.array(fc.tuple(u32, u32, fc.constantFrom(...CURRENCIES)), { maxLength: 4 }).map((list) => ({
          ...head,
          amounts: list.map(([a, b, currency]) => ({
            completed: { amount: a, currency },
            requested: { amount: b, currency },
          })),
        })),
      );
    case 'V7':
    case 'VC1':
      return as(
        moneyArb.map((m) => (row.shape === 'value' ? { ...head, value: m } : { ...head, amounts: [m] })),
      );
    case 'C7':
      return as(
        fc.option(moneyArb, { nil: undefined }).map((value) => {
          if (value === undefined) return { ...head, channel: 0 };
          const i = (ctx.channels ?? []).findIndex(
            (c) => c.amount === value.amount && c.currency === value.currency,
          );
          return { ...head, channel: i + 1, value };
        }),
      );
  }
}

/** A session and a list of events it could report (an event of unknown size only last). */
const scenario = ctxArb.chain((ctx) => {
  const sized = EVENT_TABLE.filter((r) => payloadFor(r, ctx).kind !== 'unsized');
  const unsized = EVENT_TABLE.filter((r) => payloadFor(r, ctx).kind === 'unsized');
  const one = fc.constantFrom(...sized).chain((row) => eventArb(row, ctx));
  const last = fc.option(
    fc.constantFrom(...unsized).chain((row) => eventArb(row, ctx)),
    { nil: undefined },
  );
  return fc.record({
    ctx: fc.constant(ctx),
    events: fc
      .tuple(fc.array(one, { maxLength: 12 }), last)
      .map(([list, end]) => (end ? [...list, end] : list)),
    alternate: fc.boolean(),
  });
});

describe('eSSP events: encode -> parse round trip (fast-check)', () => {
  it('decodes what the encoder emits, in either framing, or refuses an ambiguous framing', () => {
    fc.assert(
      fc.property(scenario, ({ ctx, events, alternate }) => {
        const bytes = encodeEvents(events, ctx, { alternateFraming: alternate });
        const r = parsePollReply(bytes, ctx);
        if (r.diagnostic === undefined) {
          expect(r.events).to.deep.equal(events);
          expect(r.rest).to.equal(undefined);
          return;
        }
        // The only allowed stop: two documented framings both fit. Never a wrong event.
        expect(r.diagnostic.message).to.match(/not guessing/);
        const stoppedAt = r.events.length;
        expect(r.events).to.deep.equal(events.slice(0, stoppedAt));
        const row = EVENT_TABLE.find((x) => x.name === events[stoppedAt]?.event)!;
        expect(payloadFor(row, ctx).alt, row.name).to.not.equal(undefined);
      }),
      { numRuns: 400 },
    );
  });

  it('never throws on random bytes, and accounts for every byte', () => {
    fc.assert(
      fc.property(anyCtxArb, fc.uint8Array({ maxLength: 64 }), (ctx, bytes) => {
        const r = parsePollReply(bytes, ctx);
        expect(Array.isArray(r.events)).to.equal(true);
        if (r.rest === undefined) {
          expect(r.diagnostic).to.equal(undefined);
        } else {
          expect(r.diagnostic?.kind).to.equal('decode');
          expect(r.rest.offset).to.be.within(0, bytes.length - 1);
          expect(r.rest.hex.replace(/ /g, '').length).to.equal(2 * (bytes.length - r.rest.offset));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('decodes a stream of known events byte-identically when re-encoded', () => {
    // Documented framing only: whatever parses cleanly re-encodes to the same bytes.
    fc.assert(
      fc.property(ctxArb, fc.uint8Array({ maxLength: 48 }), (ctx, bytes) => {
        const r = parsePollReply(bytes, ctx);
        const end = r.rest?.offset ?? bytes.length;
        const hasAlt = r.events.some(
          (e) =>
            payloadFor(
              EVENT_TABLE.find((x) => x.name === e.event)!,
              ctx,
            ).alt,
        );
        fc.pre(!hasAlt);
        const unsized = r.events.some((e) => {
          const row = EVENT_TABLE.find((x) => x.name === e.event)!;
          return payloadFor(row, ctx).kind === 'unsized';
        });
        const again = encodeEvents(r.events, ctx);
        expect(Array.from(again)).to.deep.equal(Array.from(bytes.subarray(0, unsized ? again.length : end)));
      }),
      { numRuns: 500 },
    );
  });
});
