#!/usr/bin/env node
// The `cashwire` command. The compiled CLI lives in dist/ (built by `npm ci` / `npm run build`).
import { main } from '../dist/cli/main.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  },
);
