#!/usr/bin/env node
// vrrpd command-line entry point. Each command lives in its own module under src/cli/.
import { buildProgram } from './program.js';

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`vrrpd: ${msg}\n`);
    process.exitCode = 2;
  });
