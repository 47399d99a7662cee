// The block-style reader (src/config/yaml-block.ts), the first of the fast paths: what it
// takes it must read exactly as the positioned reader (the yaml package) does; what it is
// not sure of it declines, and js-yaml or the positioned reader reads it instead.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blockYamlData } from '../../src/config/yaml-block.js';
import { parseYaml } from '../../src/config/yaml-source.js';

const root = join(import.meta.dirname, '../..');

/** the shape bench/ipvs-scale.ts writes: many virtual servers, each with its real servers */
function scaleYaml(services: number, per: number): string {
  const out = ['global:', '  router_id: scale', '  log_level: info', 'vrrp_instances:', '  - name: VI_1'];
  out.push('    interface: eth0', '    vrid: 51', '    priority: 100', '    virtual_ips: [192.0.2.100/24]');
  out.push('virtual_servers:');
  for (let v = 0; v < services; v++) {
    out.push(`  - address: 203.0.113.${v + 1}`, `    port: ${1000 + v}`, '    protocol: tcp');
    out.push('    scheduler: wrr', '    forwarding: nat', '    real_servers:');
    for (let r = 0; r < per; r++)
      out.push(`      - address: 10.0.${v}.${r + 1}`, '        port: 80', `        weight: ${1 + (r % 5)}`);
  }
  return `${out.join('\n')}\n`;
}

/** block ⇒ the positioned reader reads the same data; returns whether the block reader took it */
function agree(text: string): boolean {
  const block = blockYamlData(text);
  if (block === undefined) return false;
  const slow = parseYaml(text);
  expect(slow.ok, `block reader took text the positioned reader refuses:\n${text}`).toBe(true);
  if (slow.ok) expect(block, text).toStrictEqual(slow.source.data);
  return true;
}

describe('block-style YAML reader', () => {
  it('takes the example configs and the scale bench shape, reading them as the positioned reader does', () => {
    const files = readdirSync(join(root, 'conf'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => join(root, 'conf', f));
    const taken = files.filter((f) => agree(readFileSync(f, 'utf8')));
    // all but those with a flow mapping over several lines (conf/checks.yaml) when written
    expect(taken.length).toBeGreaterThanOrEqual(10);
    expect(agree(scaleYaml(3, 4))).toBe(true);
  });

  it('declines what it is not sure of', () => {
    for (const t of [
      'a: &x 1\nb: *x\n',
      'a: !!str 1\n',
      'a: |\n  text\n',
      'a: >-\n  text\n',
      'a: {b: 1,\n  c: 2}\n',
      'a: {b: 1, b: 2}\n',
      'a: {b:1}\n',
      'a: foo\n  bar\n',
      'a: "q\\"x"\n',
      'a: "multi\n  line"\n',
      "'a': 1\n",
      '? a\n: 1\n',
      'a: 1\na: 2\n',
      'a:\n  b: 1\n   c: 2\n',
      'a:\n    b: 1\n  c: 2\n',
      '- 1\n- 2\n',
      '  a: 1\n',
      'a: 0x10\n',
      'a: 1e3\n',
      'a: 017\n',
      'a: -0\n',
      'a: 1_000\n',
      'a: .inf\n',
      'a: 2001-12-14\n',
      'a: 1:20\n',
      'a: x: y\n',
      'a: [b: c]\n',
      'a: [b,]\n',
      'null: 1\n',
      'true: 1\n',
      '__proto__: 1\n',
      'a: 1\r\n',
      'a:\n- - 1\n',
      'a: 1\n---\nb: 2\n',
      'a: 1\n...\n',
      'a: b, c\n',
      'a:#c\n',
      '',
      '# only a comment\n',
    ])
      expect(blockYamlData(t), JSON.stringify(t)).toBeUndefined();
  });

  it('reads the plain block style: compact and indented sequences, comments, quotes, flow lists', () => {
    const text = [
      '---',
      '# a comment',
      'global:',
      '  router_id: r1   # trailing comment',
      '  empty:',
      '  quoted: "a # not a comment"',
      "  single: 'it''s'",
      'list:',
      '- name: one',
      '  vips: [192.0.2.1/24, 2001:db8::1]',
      '  n: -12',
      '  f: 0.25',
      '  t: 1.5s',
      '-',
      '  x: yes',
      '- plain words here',
      'nested:',
      '    - a: ~',
      '      b:',
      '        - true',
      '        - FALSE',
      '    - []',
      '',
    ].join('\n');
    expect(agree(text)).toBe(true);
    expect(blockYamlData(text)).toStrictEqual({
      global: { router_id: 'r1', empty: null, quoted: 'a # not a comment', single: "it's" },
      list: [
        { name: 'one', vips: ['192.0.2.1/24', '2001:db8::1'], n: -12, f: 0.25, t: '1.5s' },
        { x: 'yes' },
        'plain words here',
      ],
      nested: [{ a: null, b: [true, false] }, []],
    });
  });

  it('on random nested documents in block style: takes them and reads what the positioned reader reads', () => {
    const scalar = fc.oneof(
      fc.constantFrom(
        '192.0.2.1',
        '2001:db8::1',
        '10ms',
        'wrr',
        'nat',
        '~',
        'true',
        'False',
        'on',
        '-3',
        '0',
        '7',
      ),
      fc.integer({ min: -100000, max: 100000 }).map(String),
      fc.stringMatching(/^[a-z][a-z0-9_./-]{0,8}$/),
      fc.stringMatching(/^[a-z #:,[\]{}&*!|>'"%@`-]{0,8}$/).map((s) => `'${s.replace(/'/g, "''")}'`),
      fc.stringMatching(/^[a-z #:,[\]{}&*!|>'%@`-]{0,8}$/).map((s) => `"${s}"`),
    );
    const key = fc.stringMatching(/^[a-z_][a-z0-9_-]{0,6}$/);
    type Doc = string | Doc[] | { [k: string]: Doc };
    const { doc } = fc.letrec<{ doc: Doc }>((tie) => ({
      doc: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        scalar,
        fc.array(tie('doc'), { maxLength: 3 }),
        fc.dictionary(key, tie('doc'), { maxKeys: 3 }),
      ),
    }));
    const ind = (n: number) => ' '.repeat(n);
    /** block style; `step` spaces per level, sequences under a key compact or indented */
    const render = (d: Doc, at: number, step: number, compact: boolean): string[] => {
      if (typeof d === 'string') return [`${ind(at)}${d}`];
      if (Array.isArray(d)) {
        if (d.length === 0) return [`${ind(at)}[]`];
        return d.flatMap((x) => {
          if (typeof x === 'string') return [`${ind(at)}- ${x}`];
          const inner = render(x, at + 2, step, compact);
          if (!Array.isArray(x) && Object.keys(x).length > 0) {
            // the mapping's first pair on the dash's line
            return [`${ind(at)}- ${inner[0]!.slice(at + 2)}`, ...inner.slice(1)];
          }
          return [`${ind(at)}-`, ...inner];
        });
      }
      const entries = Object.entries(d);
      if (entries.length === 0) return [`${ind(at)}{}`];
      return entries.flatMap(([k, v]) => {
        if (typeof v === 'string') return [`${ind(at)}${k}: ${v}`];
        if (Array.isArray(v) && v.length === 0) return [`${ind(at)}${k}: []`];
        if (!Array.isArray(v) && Object.keys(v).length === 0) return [`${ind(at)}${k}: {}`];
        const deeper = Array.isArray(v) && compact ? at : at + step;
        return [`${ind(at)}${k}:`, ...render(v, deeper, step, compact)];
      });
    };
    let taken = 0;
    fc.assert(
      fc.property(
        fc.dictionary(key, doc, { minKeys: 1, maxKeys: 4 }),
        fc.constantFrom(2, 4),
        fc.boolean(),
        (d, step, compact) => {
          if (agree(`${render(d, 0, step, compact).join('\n')}\n`)) taken++;
        },
      ),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 1000) },
    );
    // most of them are in the style it is for ({} is the one shape it always declines)
    expect(taken).toBeGreaterThan(Number(process.env.FUZZ_RUNS ?? 1000) / 3);
  });

  it('on random line soups of YAML structure: whatever it takes, it reads as the positioned reader', () => {
    const piece = fc.constantFrom(
      'a:',
      'b: 1',
      '- x',
      '- ',
      '-',
      'c: [1, 2]',
      'd: {e: 1}',
      '# note',
      'f: |',
      '  text',
      "h: 'it''s'",
      'i: "q x"',
      'j: x # c',
      '? k',
      ': v',
      'l: -1',
      '- m: 2',
      '  n: ~',
      '---',
      'o: 0x10',
      'p: [a, b]',
      'q: 2001:db8::',
      'r: x:y',
      's: - z',
      't: a,b',
      'u: 1.50',
      'v: 10.0.0.1/8',
      'w: yes',
      'x: [2001:db8::1, 2001:db8::/32, fe80::1]',
      'y: {a: 2001:db8::1, b: [1, {c: d}]}',
      'z: [a:b, c]',
      'aa: {b: \'x\', c: "y"}',
      'ab: [::1, 1::]',
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('', '  ', '    ', ' '), piece), { maxLength: 8 }),
        (ls) => {
          agree(`${ls.map(([i, p]) => i + p).join('\n')}\n`);
        },
      ),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 3000) },
    );
  });
});
