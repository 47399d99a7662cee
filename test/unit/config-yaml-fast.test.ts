// The fast reader (js-yaml, YAML 1.2 core schema) must give exactly the data the
// positioned reader (the yaml package) gives, or decline: a file it takes is never read
// differently from the way check-config would read it with positions.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/index.js';
import { fastYamlData } from '../../src/config/yaml-fast.js';
import { parseYaml } from '../../src/config/yaml-source.js';

const root = join(import.meta.dirname, '../..');

/** fast ⇒ slow reads the same data; returns whether the fast reader took the text */
function agree(text: string): boolean {
  const fast = fastYamlData(text);
  if (fast === null) return false;
  const slow = parseYaml(text);
  expect(slow.ok, `fast reader took text the positioned reader refuses:\n${text}`).toBe(true);
  if (slow.ok) expect(fast).toStrictEqual(slow.source.data);
  return true;
}

// Scalars where YAML 1.1, js-yaml's older defaults and YAML 1.2 core disagree.
const SCALARS = [
  '1_000',
  '017',
  '0o17',
  '0x1f',
  '0X1F',
  '+1',
  '-0',
  '00',
  '0b101',
  '1:20',
  '190:20:30',
  '.inf',
  '-.INF',
  '+.Inf',
  '.nan',
  '.NaN',
  '1e3',
  '1E+3',
  '1.',
  '.5',
  '-.5e-2',
  '6.8523015e+5',
  'yes',
  'no',
  'on',
  'off',
  'y',
  'n',
  'True',
  'TRUE',
  'true',
  'False',
  'tRUE',
  'null',
  'Null',
  'NULL',
  '~',
  'nULL',
  '',
  '2001-12-14',
  '2001-12-14t21:59:43.10-05:00',
  '=',
  '<<',
  '0.',
  '1__0',
  '0x',
  '0o',
  '12e',
  '- 1',
  "'1'",
  '"0x10"',
  '"\\t"',
  '!!str 5',
  '!!int "7"',
  '10ms',
  '1.5s',
  '192.0.2.1',
  '2001:db8::1',
  '192.0.2.1/24 dev eth0',
  '255.255.255.0',
];

describe('fast YAML reader agrees with the positioned reader', () => {
  it('on YAML 1.2 core scalars in every position', () => {
    for (const s of SCALARS) {
      agree(`a: ${s}\n`);
      agree(`a: [${s}]\n`);
      agree(`a:\n  - ${s}\n`);
      agree(`${s}: 1\n`);
    }
  });

  it('on the example configs and the test fixtures', () => {
    const files = [
      ...readdirSync(join(root, 'conf'))
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => join(root, 'conf', f)),
      ...readdirSync(join(root, 'test/fixtures/config')).map((f) => join(root, 'test/fixtures/config', f)),
    ];
    let taken = 0;
    for (const f of files) if (agree(readFileSync(f, 'utf8'))) taken++;
    expect(taken).toBeGreaterThanOrEqual(3); // the three examples at least
  });

  it('declines what needs positions or bounds: aliases, syntax errors, duplicate keys, binary, non-mappings', () => {
    for (const t of [
      'a: &x 1\nb: *x\n',
      'a: [1, 2\n',
      'a: 1\na: 2\n',
      'a: "\u0001"\n',
      '- 1\n- 2\n',
      '',
      '5\n',
      '--- \na: 1\n--- \nb: 2\n',
    ])
      expect(fastYamlData(t), JSON.stringify(t)).toBeNull();
  });

  it('on random small documents made of tricky scalars', () => {
    const scalar = fc.oneof(
      fc.constantFrom(...SCALARS),
      fc.stringMatching(/^[-+0-9a-zA-Z._:~ '"#[\]{},!|>%@?\t\\]{0,8}$/),
    );
    const key = fc.stringMatching(/^[a-z_]{1,6}$/);
    fc.assert(
      fc.property(fc.dictionary(key, fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }))), (obj) => {
        const lines = Object.entries(obj).map(([k, v]) =>
          Array.isArray(v) ? `${k}:\n${v.map((x) => `  - ${x}`).join('\n')}` : `${k}: ${v}`,
        );
        agree(`${lines.join('\n')}\n`);
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 2000) },
    );
  });

  it('on random line soups of YAML structure (indents, lists, flows, blocks, comments, quotes)', () => {
    const piece = fc.constantFrom(
      'a:',
      'b: 1',
      '- x',
      '- ',
      '  ',
      '    ',
      'c: [1, 2]',
      'd: {e: 1}',
      '# note',
      'f: |',
      'g: >-',
      '  text',
      "h: 'it''s'",
      'i: "q\\"x"',
      'j: x # c',
      '? k',
      ': v',
      'l: -1',
      '  - m: 2',
      '    n: ~',
      '---',
      '...',
      'o: 0x10',
      'p: [a, {b: c}]',
      'q: "multi',
      '  line"',
      'r: x:y',
      's: - z',
      '-',
      't: *u',
      'w: !!str 1',
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('', '  ', '    '), piece), { maxLength: 8 }), (ls) => {
        agree(`${ls.map(([ind, p]) => ind + p).join('\n')}\n`);
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 3000) },
    );
  });

  it('a file with an error is still placed at FILE:LINE:COL after the fast read', () => {
    const text = 'global:\n  log_level: info\nvirtual_servers:\n  - address: 192.0.2.50\n    port: 99999\n';
    const r = parseConfigText(text, 'f.yaml', { hostname: 'h' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatchObject({ file: 'f.yaml', line: 5, col: 11 });
  });
});
