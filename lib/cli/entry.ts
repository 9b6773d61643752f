/**
 * Runs the `cashwire` command from its TypeScript sources (the published
 * `bin/cashwire.js` runs the compiled `dist/cli/main.js` instead):
 * `node --import tsx lib/cli/entry.ts demo`.
 */
import { main } from './main.js';

process.exitCode = await main(process.argv);
