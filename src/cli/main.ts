#!/usr/bin/env node
// vrrpd command-line entry point. Each command lives in its own module under src/cli/.
import { startMark } from '../start-marks.js';
import { buildProgram } from './program.js';

// start-up marks (VRRPD_START_MARKS=1): the bundle compiled (its banner ran), its modules evaluated
const bundleAt = (globalThis as { vrrpdBundleAt?: number }).vrrpdBundleAt;
if (bundleAt !== undefined) startMark('bundle-compiled', bundleAt);
startMark('modules-evaluated');

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`vrrpd: ${msg}\n`);
    process.exitCode = 2;
  });
