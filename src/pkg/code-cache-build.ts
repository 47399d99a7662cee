// Makes the bundle's V8 code cache (src/effects/code-cache.ts), called by bundle.ts:
//
//   node dist/src/pkg/code-cache-build.js OUTDIR [COMMAND ARGS...]
//
// compiles OUTDIR/daemon.cjs from its source, runs it once as `vrrpd COMMAND ARGS...` (a
// check-config of an example: the code a start runs first is then compiled too), and on
// exit writes OUTDIR/daemon.cjs.cache.
import { join } from 'node:path';
import { BUNDLE_FILE, CACHE_FILE, compileBundle, writeCodeCache } from '../effects/code-cache.js';

const [outDir, ...warm] = process.argv.slice(2);
if (!outDir) throw new Error('usage: code-cache-build.js OUTDIR [COMMAND ARGS...]');
const main = join(outDir, 'main.js');
// no cache to read: the one written here is made from the source alone
const bundle = compileBundle(join(outDir, BUNDLE_FILE), '', main);
process.argv = [process.argv[0]!, main, ...warm];
process.on('exit', () => writeCodeCache(bundle, join(outDir, CACHE_FILE)));
bundle.run();
