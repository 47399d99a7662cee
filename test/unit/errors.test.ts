// One registry of error codes (src/errors.ts): one scheme, documented in one place
// (docs/errors.md, kept equal to it here), and no code in src/ outside it.
import { readdirSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, RENAMED_CODES } from '../../src/errors.js';
import { errorsDoc } from '../../src/pkg/errors-doc.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sourceFiles(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );
}

describe('error codes', () => {
  it('follow one scheme: AREA_WHAT in capitals', () => {
    for (const code of Object.keys(ERROR_CODES)) expect(code).toMatch(/^[A-Z]+_[A-Z0-9_]+$/);
    for (const to of Object.values(RENAMED_CODES)) expect(Object.keys(ERROR_CODES)).toContain(to);
  });

  it('docs/errors.md is the registry (npm run docs:errors writes it)', () => {
    const doc = readFileSync(join(root, 'docs/errors.md'), 'utf8');
    expect(doc).toBe(errorsDoc());
    const table = doc.slice(0, doc.indexOf('## Renamed codes'));
    const rows = [...table.matchAll(/^\| `([A-Z0-9_]+)` \| (.+) \|$/gm)].map((m) => [m[1], m[2]]);
    expect(Object.fromEntries(rows)).toEqual(ERROR_CODES);
  });

  it('every code src/ sets is registered (or an errno name from the OS)', () => {
    const unregistered = new Map<string, string>();
    for (const file of sourceFiles(join(root, 'src'))) {
      const text = readFileSync(file, 'utf8');
      // `code: 'X'`, `code = 'X'`, `new XError('X', ...)`, `codedError('X', ...)`
      for (const m of text.matchAll(/(?:code\s*[:=]\s*|Error\(\s*)'([A-Z][A-Z0-9_]{2,})'/g)) {
        const code = m[1]!;
        const registered = Object.hasOwn(ERROR_CODES, code);
        const errno = Object.hasOwn(constants.errno, code);
        if (!registered && !errno) unregistered.set(code, file.slice(root.length));
      }
    }
    expect(Object.fromEntries(unregistered)).toEqual({});
  });
});
