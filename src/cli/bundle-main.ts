#!/usr/bin/env node
// The bundled package's bin (src/pkg/bundle.ts): compiles the daemon (daemon.cjs beside
// this file) with the V8 code cache made at build time, then runs it
// (src/effects/code-cache.ts says when the cache is ignored).
import { fileURLToPath } from 'node:url';
import { runBundled } from '../effects/code-cache.js';

runBundled(fileURLToPath(import.meta.url));
