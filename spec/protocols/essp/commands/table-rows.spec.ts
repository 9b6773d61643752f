import { expect } from 'chai';
import fc from 'fast-check';
import {
  ESSP_COMMAND_LIST,
  decodeReply,
  decodeReplyRow,
  encodeCommandByName,
  encodeCommandRow,
} from '../../../../lib/protocols/essp/commands/table.js';
import type { EsspCommandName } from '../../../../lib/protocols/essp/commands/table.js';
import { DEFAULT_CONTEXT } from '../../../../lib/protocols/essp/context.js';

/** The outcome of `f`: its value, or the class and message of what it threw. */
function outcome(f: () => unknown): unknown {
  try {
    return { value: f() };
  } catch (e) {
    return { threw: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}

describe('eSSP command table, by row', () => {
  it('encodeCommandRow gives what encodeCommandByName gives (or throws the same) for every row', () => {
    for (const row of ESSP_COMMAND_LIST) {
      for (const args of [undefined, {}, { channel: 1 }]) {
        expect(outcome(() => encodeCommandRow(row, args, DEFAULT_CONTEXT))).to.deep.equal(
          outcome(() => encodeCommandByName(row.name, args, DEFAULT_CONTEXT)),
          row.name,
        );
      }
    }
  });

  it('property: decodeReplyRow gives what decodeReply gives (or throws the same) for any reply bytes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ESSP_COMMAND_LIST),
        fc.oneof(
          fc.uint8Array({ maxLength: 24 }),
          fc.uint8Array({ maxLength: 24 }).map((b) => Uint8Array.of(0xf0, ...b)),
        ),
        (row, data) => {
          expect(outcome(() => decodeReplyRow(row, data, DEFAULT_CONTEXT))).to.deep.equal(
            outcome(() => decodeReply(row.name as EsspCommandName, data, DEFAULT_CONTEXT)),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
