/**
 * Entry point of the `cashwire` command. Subcommands register themselves in
 * ./commands; this file only builds the program and maps errors to exit codes.
 */
import { Command, CommanderError } from 'commander';
import { isCashwireError } from '../core/errors.js';
import { registerDecodeCommand } from './commands/decode.js';

export const EXIT_OK = 0;
export const EXIT_DEVICE = 1;
export const EXIT_USAGE = 2;

export function buildProgram(): Command {
  const program = new Command('cashwire')
    .description('Drive and simulate cash devices (eSSP, ccTalk, Pyramid RS-232) over serial lines.')
    .exitOverride()
    .showHelpAfterError();
  registerDecodeCommand(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (isCashwireError(err) && err.code === 'INVALID_ARGUMENT') {
      console.error(`cashwire: ${err.message}`);
      return EXIT_USAGE;
    }
    console.error(`cashwire: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env['DEBUG'] && err instanceof Error && err.stack) console.error(err.stack);
    return EXIT_DEVICE;
  }
}
