// Every example in conf/ and every fixture that should pass does; the editor schema
// file is in sync with schema.ts; a misspelled key in the main example is found.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatConfigError, loadConfigFile, parseConfigText } from '../../src/config/index.js';
import { schemaJsonText } from '../../src/config/write-schema.js';

const root = join(import.meta.dirname, '../..');
const confDir = join(root, 'conf');
const examples = readdirSync(confDir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'));

describe('conf/ examples', () => {
  it('there are examples', () => {
    expect(examples).toEqual(expect.arrayContaining(['vrrpd.yaml', 'lvs-only.yaml', 'minimal.yaml']));
  });

  it.each(examples)('%s passes check-config', async (f) => {
    const r = await loadConfigFile(join(confDir, f));
    expect(r.ok ? [] : r.errors.map(formatConfigError)).toEqual([]);
  });

  it('vrrpd.yaml has the promised shape', async () => {
    const r = await loadConfigFile(join(confDir, 'vrrpd.yaml'));
    if (!r.ok) throw new Error('invalid');
    const c = r.config;
    expect(c.vrrpInstances.map((i) => i.family)).toContain(6);
    expect(c.vrrpInstances.every((i) => i.version === 3)).toBe(true);
    expect(Object.keys(c.vrrpScripts).length).toBeGreaterThan(0);
    expect(c.vrrpSyncGroups.length).toBeGreaterThan(0);
    expect(c.virtualServers[0]).toMatchObject({ forwarding: 'nat' });
    expect(c.virtualServers[0]!.realServers[0]!.check?.type).toBe('http');
  });

  it('a misspelled key in a copy of vrrpd.yaml is reported at that key', () => {
    const text = readFileSync(join(confDir, 'vrrpd.yaml'), 'utf8');
    const lines = text.split('\n');
    const n = lines.findIndex((l) => /^\s+priority: 150/.test(l));
    const col = lines[n]!.indexOf('priority') + 1;
    lines[n] = lines[n]!.replace('priority', 'priorty');
    const r = parseConfigText(lines.join('\n'), 'copy.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map(formatConfigError)).toEqual([
      `copy.yaml:${n + 1}:${col}: unknown key 'priorty' in vrrp_instances[0]; did you mean 'priority'?`,
    ]);
  });
});

describe('schema/vrrpd.schema.json', () => {
  it('is up to date with src/config/schema.ts (regenerate: npx tsx src/config/write-schema.ts)', () => {
    expect(readFileSync(join(root, 'schema/vrrpd.schema.json'), 'utf8')).toBe(schemaJsonText());
  });

  it('documents every key: each property has a description', () => {
    const missing: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (!node || typeof node !== 'object') return;
      const n = node as Record<string, unknown>;
      if (n.properties && typeof n.properties === 'object') {
        for (const [k, v] of Object.entries(n.properties as Record<string, unknown>)) {
          if (!(v as Record<string, unknown>).description) missing.push(`${path}.${k}`);
          walk(v, `${path}.${k}`);
        }
      }
      if (n.items) walk(n.items, `${path}[]`);
      if (n.additionalProperties && typeof n.additionalProperties === 'object')
        walk(n.additionalProperties, `${path}.*`);
    };
    walk(JSON.parse(schemaJsonText()), '');
    expect(missing).toEqual([]);
  });
});
