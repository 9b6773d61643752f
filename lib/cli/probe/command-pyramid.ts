/**
 * `cashwire command pyramid`: the few messages a Pyramid host sends, as a
 * small table. Each goes out as a baseline with ack 0 and then with ack 1
 * (see ./pyramid.ts), so the reply shown is a fresh one.
 */
import * as t from 'io-ts';
import { validateOrThrow, intRange } from '../../core/codec.js';
import { UnknownCommandError } from '../../core/errors.js';
import { encodeBarcodeQuery } from '../../protocols/pyramid/extended.js';
import {
  type AckBit,
  PYRAMID_LINE,
  encodeHostPoll,
  encodeSoftReset,
} from '../../protocols/pyramid/framing.js';
import type { CommandRequest, PreparedCommand } from './command-types.js';
import { tableName } from './command-types.js';
import { describeReply, pyramidExchange } from './pyramid.js';

const PollArgs = t.exact(
  t.partial({
    mask: intRange(0, 0x7f),
    escrow: t.boolean,
    stack: t.boolean,
    return: t.boolean,
    barcode: t.boolean,
  }),
);
const NoArgs = t.union([t.undefined, t.exact(t.type({}))]);

interface PyramidCommandDef {
  readonly args: t.Type<unknown>;
  /** The message for an ack bit and validated arguments. Throws InvalidArgumentError on bad combinations. */
  readonly build: (args: unknown) => (ack: AckBit) => Uint8Array;
  readonly expectReply: boolean;
  readonly description: string;
}

export const PYRAMID_COMMANDS: Readonly<Record<string, PyramidCommandDef>> = {
  POLL: {
    args: PollArgs as t.Type<unknown>,
    build: (a) => {
      const o = (a ?? {}) as t.TypeOf<typeof PollArgs>;
      return (ack) =>
        encodeHostPoll({
          ack,
          enableMask: o.mask ?? 0,
          ...(o.escrow !== undefined && { escrow: o.escrow }),
          ...(o.stack !== undefined && { stack: o.stack }),
          ...(o.return !== undefined && { return: o.return }),
          ...(o.barcode !== undefined && { barcode: o.barcode }),
        });
    },
    expectReply: true,
    description:
      'status poll; {"mask":0..127 (default 0: accept nothing),"escrow","stack","return","barcode"}',
  },
  BARCODE: {
    args: NoArgs as t.Type<unknown>,
    build: () => encodeBarcodeQuery,
    expectReply: true,
    description: 'the last barcode read since power-up',
  },
  SOFT_RESET: {
    args: NoArgs as t.Type<unknown>,
    build: () => encodeSoftReset,
    expectReply: false,
    description: 'restart the acceptor (it does not answer and may be silent for about 3 s)',
  },
};

export const PYRAMID_COMMAND_TIMEOUT_MS = 250;

export function preparePyramidCommand(request: CommandRequest): PreparedCommand {
  const name = tableName(request.name);
  const def = PYRAMID_COMMANDS[name];
  if (def === undefined) {
    const needle = name.replace(/_/g, '');
    const suggestions = Object.keys(PYRAMID_COMMANDS).filter(
      (n) =>
        needle.length >= 3 && (n.replace(/_/g, '').includes(needle) || needle.includes(n.replace(/_/g, ''))),
    );
    throw new UnknownCommandError(
      'Pyramid',
      request.name,
      suggestions.length ? suggestions : Object.keys(PYRAMID_COMMANDS),
    );
  }
  const args = validateOrThrow(def.args, request.args, `Pyramid ${name}`);
  const build = def.build(args);
  build(0); // bad combinations (stack with return) throw here, before anything is written
  return {
    line: PYRAMID_LINE,
    run: async (transport) => {
      const reply = await pyramidExchange(transport, name, build, {
        timeoutMs: request.timeoutMs ?? PYRAMID_COMMAND_TIMEOUT_MS,
        attempts: 4,
        expectReply: def.expectReply,
      });
      return {
        protocol: 'pyramid',
        command: name,
        status: reply === undefined ? 'SENT' : 'OK',
        reply: reply === undefined ? undefined : describeReply(reply),
        link: {},
        warnings:
          reply === undefined
            ? ['the acceptor does not answer this message; it may be silent for about 3 s']
            : [],
      };
    },
  };
}
