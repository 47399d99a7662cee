// `npm run build`'s last step: the CLI and daemon as one bundled file (bundle.ts), so that
// starting vrrpd reads a handful of files instead of a few hundred modules (the package's
// "bin" points here; the Debian package makes the same bundle for /usr/lib/vrrpd):
//
//   dist/bundle/main.js, dist/bundle/vrrp/worker.js, dist/bundle/schema-validator.generated.cjs
//   (main.js loads dist/bundle/daemon.cjs with its code cache, daemon.cjs.cache)
//
// The native addon is found from there as from dist/src/ (native/build/Release, above).
// The tsc output under dist/src/ stays for the tests and benches.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleDaemon } from './bundle.js';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
await bundleDaemon({
  root,
  outDir: join(root, 'dist', 'bundle'),
  version,
  shebang: '#!/usr/bin/env node',
});
