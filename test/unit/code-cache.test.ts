// The bundled daemon's V8 code cache (src/effects/code-cache.ts): used when it fits, and
// ignored, with the daemon compiled from its source, when it is missing, made for another
// source (V8 itself checks only the length), corrupt, or cannot be written: it is only
// ever read at run time.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CACHE_FILE, compileBundle, writeCodeCache } from '../../src/effects/code-cache.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vrrpd-code-cache-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A small bundle: enough functions for a real cache, and a result to check. */
function source(tag: string): string {
  const fns = Array.from({ length: 50 }, (_, i) => `function f${i}(x) { return x * ${i} + ${i}; }`).join(
    '\n',
  );
  return `${fns}\nmodule.exports = { tag: '${tag}', url: vrrpdImportMetaUrl, sum: f7(2) + f49(1) };\n`;
}

function compile() {
  return compileBundle(join(dir, 'daemon.cjs'), join(dir, CACHE_FILE), join(dir, 'main.js'));
}

describe('bundle code cache', () => {
  it('without a cache the bundle is compiled from source; with one made for it, the cache is used', () => {
    writeFileSync(join(dir, 'daemon.cjs'), source('A'));
    const first = compile();
    expect(first.cache).toBe('none');
    expect(first.run()).toEqual({ tag: 'A', url: `file://${dir}/main.js`, sum: 21 + 98 });
    writeCodeCache(first, join(dir, CACHE_FILE));
    const second = compile();
    expect(second.cache).toBe('used');
    expect(second.run()).toMatchObject({ tag: 'A', sum: 119 });
  });

  it('a stale cache (another source of the same length) is ignored', () => {
    writeFileSync(join(dir, 'daemon.cjs'), source('A'));
    const a = compile();
    a.run();
    writeCodeCache(a, join(dir, CACHE_FILE));
    writeFileSync(join(dir, 'daemon.cjs'), source('B'));
    const b = compile();
    expect(b.cache).toBe('stale');
    expect(b.run()).toMatchObject({ tag: 'B' });
  });

  it('a corrupt cache is ignored: bad header, data garbled or cut short, empty', () => {
    writeFileSync(join(dir, 'daemon.cjs'), source('C'));
    const c = compile();
    writeCodeCache(c, join(dir, CACHE_FILE));
    const good = readFileSync(join(dir, CACHE_FILE));
    const nl = good.indexOf(10);
    const garbled = Buffer.from(good);
    for (let i = nl + 1; i < garbled.length; i += 7) garbled[i] = (garbled[i]! + 91) & 255;
    const cases: [Buffer, string][] = [
      [Buffer.from('nonsense'), 'stale'],
      [Buffer.concat([Buffer.from('x'), good]), 'stale'],
      [garbled, 'corrupt'],
      [good.subarray(0, nl + 1 + Math.floor((good.length - nl) / 2)), 'corrupt'],
      [good.subarray(0, nl + 1), 'corrupt'],
      [Buffer.alloc(0), 'stale'],
    ];
    for (const [bytes, use] of cases) {
      writeFileSync(join(dir, CACHE_FILE), bytes);
      const r = compile();
      expect(r.cache, use).toBe(use);
      expect(r.run()).toMatchObject({ tag: 'C', sum: 119 });
    }
  });

  it('a cache V8 refuses (made under other V8 flags) is ignored', () => {
    writeFileSync(join(dir, 'daemon.cjs'), source('D'));
    const lib = JSON.stringify(join(process.cwd(), 'dist/src/effects/code-cache.js'));
    const code = [
      `import { compileBundle, writeCodeCache } from ${lib};`,
      `const b = compileBundle(${JSON.stringify(join(dir, 'daemon.cjs'))}, '', '/x/main.js');`,
      `writeCodeCache(b, ${JSON.stringify(join(dir, CACHE_FILE))});`,
    ].join('\n');
    execFileSync(process.execPath, ['--no-lazy', '--input-type=module', '-e', code]);
    const r = compile();
    expect(r.cache).toBe('rejected');
    expect(r.run()).toMatchObject({ tag: 'D', sum: 119 });
  });

  it('the built bundle: its cache fits this node; without it the bin still runs, and never writes one', () => {
    const built = compileBundle('dist/bundle/daemon.cjs', `dist/bundle/${CACHE_FILE}`, 'dist/bundle/main.js');
    expect(built.cache).toBe('used');
    // a copy without the cache, in a directory that is then checked for anything written
    cpSync('dist/bundle', join(dir, 'bundle'), { recursive: true });
    rmSync(join(dir, 'bundle', CACHE_FILE));
    const before = readdirSync(join(dir, 'bundle'), { recursive: true }).sort();
    const version = JSON.parse(readFileSync('package.json', 'utf8')).version as string;
    expect(
      execFileSync(process.execPath, [join(dir, 'bundle', 'main.js'), '--version'])
        .toString()
        .trim(),
    ).toBe(version);
    expect(readdirSync(join(dir, 'bundle'), { recursive: true }).sort()).toEqual(before);
    // and with a corrupt one
    writeFileSync(join(dir, 'bundle', CACHE_FILE), 'vrrpd-code-cache 1 x\ngarbage');
    expect(
      execFileSync(process.execPath, [join(dir, 'bundle', 'main.js'), '--version'])
        .toString()
        .trim(),
    ).toBe(version);
  });
});
