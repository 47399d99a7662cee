import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { asciiComments } from '../../src/pkg/bundle.js';

describe('bundle: ASCII source (one-byte strings in V8)', () => {
  it('spells non-ASCII characters of comment lines in ASCII', () => {
    const src = '// a → b, x ≥ 1 (RFC 5798 §7.1)\n/** n × m … */\n * µs\nconst s = "\\u2192";\n';
    expect(asciiComments(src, 'f.js')).toBe(
      '// a -> b, x >= 1 (RFC 5798 S7.1)\n/** n x m ... */\n * us\nconst s = "\\u2192";\n',
    );
  });

  it('refuses a non-ASCII character in code rather than change it', () => {
    expect(() => asciiComments('const a = 1;\nconst s = "→";\n', 'f.js')).toThrow(/f\.js:2: a non-ASCII/);
  });

  it('the built bundle is ASCII (npm run build ran before the tests)', () => {
    for (const f of [
      'dist/bundle/main.js',
      'dist/bundle/vrrp/worker.js',
      'dist/bundle/http-worker.js',
      'dist/bundle/daemon.cjs',
    ]) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range itself
      expect(/[^\u0000-\u007f]/.test(readFileSync(f, 'utf8')), f).toBe(false);
    }
  });
});
