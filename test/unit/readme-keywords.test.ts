// README.md's keepalived.conf keyword table is generated (src/pkg/keywords-doc.ts) from the
// keyword list the importer uses; this fails while the README's region is out of date.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEEPALIVED_KEYWORDS } from '../../src/config/keepalived-keywords.js';
import { BEGIN, END, keywordRows, keywordTable, withKeywordTable } from '../../src/pkg/keywords-doc.js';

const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
const rows = keywordRows();

describe("README's keepalived.conf keyword table", () => {
  it('is up to date with the keyword list and the importer', () => {
    const a = readme.indexOf(BEGIN);
    const b = readme.indexOf(END);
    expect(a, `README.md has no '${BEGIN}' marker`).toBeGreaterThan(0);
    expect(b, `README.md has no '${END}' marker after the begin marker`).toBeGreaterThan(a);
    expect(
      readme.slice(a, b + END.length),
      "README.md's keyword table is out of date: regenerate it with `npm run docs:keywords` and commit README.md",
    ).toBe(keywordTable(rows));
  });

  it('has one row per keyword of every block, each with a status', () => {
    const total = Object.values(KEEPALIVED_KEYWORDS).reduce((n, k) => n + k.length, 0);
    expect(rows).toHaveLength(total);
    for (const r of rows) {
      expect(['same', 'different', 'not supported']).toContain(r.status);
      if (r.status !== 'same') expect(r.why, `${r.block} ${r.keyword}`).not.toBe('');
    }
    const byKey = new Map(rows.map((r) => [`${r.block} ${r.keyword}`, r]));
    expect(byKey.get('vrrp_instance priority')).toMatchObject({
      status: 'same',
      vrrpd: ['vrrp_instances[].priority'],
    });
    expect(byKey.get('global_defs lvs_flush')?.status).toBe('not supported');
  });

  it('sits late in the README (a reference section), after the first two commands', () => {
    const firstCode = readme.indexOf('```');
    expect(readme.indexOf(BEGIN)).toBeGreaterThan(readme.indexOf('```', firstCode + 3));
    expect(readme.indexOf(BEGIN)).toBeGreaterThan(readme.indexOf('## Tests'));
  });

  it('regenerating replaces the region only', () => {
    const doc = `# x\n\ntext before\n\n${BEGIN}\nold table\n${END}\n\ntext after\n`;
    expect(withKeywordTable(doc, `${BEGIN}\nNEW\n${END}`)).toBe(
      `# x\n\ntext before\n\n${BEGIN}\nNEW\n${END}\n\ntext after\n`,
    );
    expect(() => withKeywordTable('# no markers\n', 'x')).toThrow(/no region/);
  });
});
