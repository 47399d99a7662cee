// Whatever the input, the loader answers with a model or positioned errors: it never
// throws (an operator must never see a stack trace from check-config).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseConfigText } from '../../src/config/index.js';

const root = join(import.meta.dirname, '../..');
const example = parse(readFileSync(join(root, 'conf/vrrpd.yaml'), 'utf8')) as unknown;

function expectAnswer(text: string): void {
  const r = parseConfigText(text, 'f.yaml', { hostname: 'h' });
  if (r.ok) return;
  expect(r.errors.length).toBeGreaterThan(0);
  const nLines = text.split('\n').length;
  for (const e of r.errors) {
    expect(e.line).toBeGreaterThanOrEqual(1);
    expect(e.line).toBeLessThanOrEqual(nLines + 1);
    expect(e.col).toBeGreaterThanOrEqual(1);
    expect(e.message.length).toBeGreaterThan(0);
    expect(e.code).toMatch(/^CONFIG_[A-Z_]+$/);
  }
}

/** every path to a value in a plain data tree */
function paths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) out.push(...paths(x, [...prefix, i]));
  } else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...prefix, k]));
  return out;
}

function replaceAt(v: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const copy = (Array.isArray(v) ? [...v] : { ...(v as object) }) as Record<string | number, unknown>;
  copy[head!] = replaceAt(copy[head!], rest, value);
  return copy;
}

const allPaths = paths(example).filter((p) => p.length > 0);

// property runs: generous time under a loaded CI machine (one took 23 s once)
describe('config loader robustness', { timeout: 90_000 }, () => {
  it('arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => expectAnswer(s)),
      { numRuns: 300 },
    );
  });

  it('arbitrary YAML data', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => expectAnswer(stringify(v))),
      { numRuns: 300 },
    );
  });

  it('the example with one value replaced by anything', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...allPaths),
        fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(null), fc.string()),
        (path, value) => expectAnswer(stringify(replaceAt(example, path, value))),
      ),
      { numRuns: 500 },
    );
  });
});
