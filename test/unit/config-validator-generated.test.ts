// The generated schema validator (written by `npm run build`) must judge every document
// exactly as the validator ajv compiles at run time, and the build must leave a current one.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  compileSchemaValidator,
  SCHEMA_VALIDATOR_FILE,
  schemaDigest,
} from '../../src/config/schema-validator.js';
import { validatorSource } from '../../src/config/validator-source.js';

const root = join(import.meta.dirname, '../..');
// inside node_modules, so the file's require of ajv's runtime helpers resolves as in dist
const dir = mkdtempSync(join(root, 'node_modules', '.vrrpd-validator-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Validate = ((d: unknown) => boolean) & { errors?: unknown[] | null; digest?: string };

function loadGenerated(): Validate {
  const file = join(dir, 'v.cjs');
  writeFileSync(file, validatorSource());
  return createRequire(file)(file) as Validate;
}

function verdict(v: Validate, doc: unknown): { ok: boolean; data: unknown; errors: unknown } {
  const data = structuredClone(doc); // defaults are filled in place
  const ok = v(data);
  const errors = (v.errors ?? []).map((e) => {
    const { schema: _s, parentSchema: _p, ...rest } = e as Record<string, unknown>;
    return rest;
  });
  return { ok, data, errors };
}

describe('generated schema validator', () => {
  const generated = loadGenerated();
  const compiled = compileSchemaValidator() as Validate;

  it('carries the digest of the schema it was made from', () => {
    expect(generated.digest).toBe(schemaDigest());
  });

  it('judges the examples and mutated documents as the compiled one does', () => {
    const examples = ['vrrpd.yaml', 'lvs-only.yaml', 'minimal.yaml'].map(
      (f) => parse(readFileSync(join(root, 'conf', f), 'utf8')) as unknown,
    );
    for (const doc of examples) expect(verdict(generated, doc)).toStrictEqual(verdict(compiled, doc));
    const junk = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string()));
    fc.assert(
      fc.property(
        fc.constantFrom(...examples),
        fc.array(fc.tuple(fc.nat(), junk), { maxLength: 4 }),
        (base, edits) => {
          const doc = structuredClone(base) as Record<string, unknown>;
          for (const [n, value] of edits) {
            // replace the value at one (walked) path with junk
            let node: unknown = doc;
            let steps = n % 6;
            while (steps-- > 0 && node && typeof node === 'object') {
              const keys = Object.keys(node);
              if (keys.length === 0) break;
              const k = keys[n % keys.length]!;
              const child = (node as Record<string, unknown>)[k];
              if (steps === 0 || !child || typeof child !== 'object') {
                (node as Record<string, unknown>)[k] = value;
                break;
              }
              node = child;
            }
          }
          expect(verdict(generated, doc)).toStrictEqual(verdict(compiled, doc));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('npm run build left a current one beside dist/src/config/schema-validator.js', () => {
    const file = join(root, 'dist/src/config', SCHEMA_VALIDATOR_FILE);
    expect(existsSync(file), `${file} missing: npm run build writes it`).toBe(true);
    const req = createRequire(file);
    expect((req(file) as Validate).digest).toBe(schemaDigest());
  });
});
